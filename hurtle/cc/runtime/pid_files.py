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
"""The ``local`` runtime's record of each SO process it starts:
``<state_path>/so/<app id>.pid`` (mode 0600), the pid in decimal.

The runtime writes it right after starting the process, before the SO
answers and before the CC records the app, and removes it when it stops
the SO. A CC killed in between leaves the file behind, so the next CC
start finds the SO that no app row names
(``hurtle.cc.runtime.local.LocalRuntime.reconcile``).
"""
import logging
import os

from hurtle import state_dir

LOG = logging.getLogger(__name__)

SUFFIX = '.pid'


def path(workdir, app_id):
    """The pid file of app ``app_id`` in ``workdir`` (``<state_path>/so``).
    """
    return os.path.join(workdir, app_id + SUFFIX)


def write(workdir, app_id, pid):
    """Record that the SO of app ``app_id`` runs as process ``pid`` (int),
    atomically, replacing an earlier record.

    :raises OSError: the file cannot be written.
    """
    state_dir.write_private(path(workdir, app_id), '%d\n' % pid)


def read(file_path):
    """The pid (a positive int) a pid file holds, or None if it is gone,
    unreadable or holds anything else."""
    try:
        with open(file_path, encoding='ascii') as handle:
            text = handle.read(32).strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() and int(text) > 0 else None


def remove(workdir, app_id, pid=None):
    """Remove the pid file of app ``app_id``; with ``pid``, only if it
    still names that process (a newer start of the app keeps its file).
    A file that cannot be removed is left, with a warning.
    """
    file_path = path(workdir, app_id)
    if pid is not None and read(file_path) != pid:
        return
    try:
        os.unlink(file_path)
    except FileNotFoundError:
        pass
    except OSError as exc:
        LOG.warning('cannot remove %s: %s', file_path, exc.strerror)


def records(workdir):
    """``[(app_id, pid)]`` of every pid file in ``workdir``, sorted by app
    id; ``pid`` is None for a file that holds no pid (see :func:`read`).
    A missing ``workdir`` has none."""
    try:
        names = os.listdir(workdir)
    except FileNotFoundError:
        return []
    found = []
    for name in sorted(names):
        app_id, suffix = os.path.splitext(name)
        if suffix == SUFFIX and app_id and not name.startswith('.'):
            found.append((app_id, read(os.path.join(workdir, name))))
    return found


def has_env(pid, name, value):
    """True if process ``pid`` runs with ``<name>=<value>`` in its
    environment (read from ``/proc``; False if it is gone or not ours):
    how a recorded pid is told from a reused one."""
    try:
        with open('/proc/%d/environ' % pid, 'rb') as handle:
            wanted = ('%s=%s' % (name, value)).encode()
            return wanted in handle.read().split(b'\0')
    except OSError:
        return False
