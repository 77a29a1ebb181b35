# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.
"""How long the log of a deleted app's SO stays (``[cc] so_log_keep_days``).

The ``local`` runtime appends each SO's output to
``<state_path>/so/<app id>.log`` and keeps it when the app is deleted,
so that an operator can still read why an instance failed. Without a
limit a CC serving many short-lived instances would fill its disk with
one file per instance ever created, so:

* ``so_log_keep_days`` = 0: the log goes with the app
  (:func:`remove`, from ``Runtime.forget``);
* > 0: the CC's watcher removes, at most once per
  :data:`PRUNE_EVERY` seconds, the logs of apps it no longer records
  whose last write is older than that many days (:func:`prune`);
* -1: logs are kept for ever (the operator rotates them).

Only files named ``<app id>.log`` directly in the runtime's directory
are candidates: the fork server's log there is not an app's, and the
shared hosts' logs are in ``hosts/``. A log written within the last
:data:`GRACE` seconds is never pruned, whatever the setting, so that the
log of an app being created right now (its record not yet read by the
watcher) is not taken from under its SO.
"""
import logging
import os
import stat
import time

from hurtle.cc.runtime import fork_server

LOG = logging.getLogger(__name__)

#: Seconds between two prunes by the watcher.
PRUNE_EVERY = 3600.0

#: Seconds: a log written more recently is never pruned.
GRACE = 600.0

SUFFIX = '.log'


def log_path(workdir, app_id):
    """``<workdir>/<app_id>.log``: where the ``local`` runtime writes the
    output of the SO of ``app_id``."""
    return os.path.join(workdir, '%s%s' % (app_id, SUFFIX))


def _app_id(name):
    """The app id whose log is the file ``name``, or None (not a log, or
    the fork server's)."""
    if not name.endswith(SUFFIX) or name == fork_server.LOG_NAME:
        return None
    return name[:-len(SUFFIX)] or None


def remove(workdir, app_id, keep_days):
    """Remove the log of deleted app ``app_id`` when ``keep_days`` is 0.

    :returns: True when a log was removed.
    """
    if keep_days != 0:
        return False
    try:
        os.unlink(log_path(workdir, app_id))
    except FileNotFoundError:
        return False
    return True


def prune(workdir, known, keep_days, now=None):
    """Remove the logs in ``workdir`` of apps not in ``known`` whose last
    write (mtime) is more than ``keep_days`` days (and at least
    :data:`GRACE` seconds) before ``now``.

    :param workdir: the runtime's directory (``<state_path>/so``).
    :param known: ids (str) of the apps the CC records.
    :param keep_days: ``[cc] so_log_keep_days``; -1 prunes nothing.
    :param now: epoch seconds (default: ``time.time()``).
    :returns: the app ids whose logs were removed, sorted.
    """
    if keep_days < 0:
        return []
    now = time.time() if now is None else now
    cutoff = now - max(keep_days * 86400.0, GRACE)
    known = set(known)
    removed = []
    try:
        names = os.listdir(workdir)
    except FileNotFoundError:
        return []
    for name in names:
        app_id = _app_id(name)
        if app_id is None or app_id in known:
            continue
        path = os.path.join(workdir, name)
        try:
            info = os.lstat(path)
            if not stat.S_ISREG(info.st_mode) or info.st_mtime >= cutoff:
                continue
            os.unlink(path)
        except FileNotFoundError:
            continue
        removed.append(app_id)
    if removed:
        LOG.info('removed the SO logs of %d deleted apps (older than %d '
                 'days)', len(removed), keep_days)
    return sorted(removed)
