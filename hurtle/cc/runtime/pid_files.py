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
``<state_path>/so/<app id>.pid`` (mode 0600): ``<pid> <start>\n``, the
pid and the process's start time (field 22 of ``/proc/<pid>/stat``, clock
ticks since boot) in decimal. A pid the kernel gave to another process
since has another start time, so it is never taken for the SO. Files of
an older Hurtle hold the pid alone; they are still read (start None).

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


def write(workdir, app_id, pid, start=None):
    """Record that the SO of app ``app_id`` runs as process ``pid`` (int)
    started at ``start`` (default: read now, :func:`start_time`),
    atomically, replacing an earlier record.

    :raises OSError: the file cannot be written.
    """
    if start is None:
        start = start_time(pid)
    text = '%d\n' % pid if start is None else '%d %d\n' % (pid, start)
    state_dir.write_private(path(workdir, app_id), text)


def read_record(file_path):
    """``(pid, start)`` a pid file holds: positive ints, ``start`` None
    for a file of an older Hurtle (the pid alone); ``(None, None)`` if
    it is gone, unreadable or holds anything else."""
    try:
        with open(file_path, encoding='ascii') as handle:
            words = handle.read(64).split()
    except (OSError, UnicodeDecodeError):
        return None, None
    if not 1 <= len(words) <= 2 or not all(w.isdigit() for w in words):
        return None, None
    pid = int(words[0])
    start = int(words[1]) if len(words) == 2 else None
    return (pid, start) if pid > 0 else (None, None)


def read(file_path):
    """The pid (a positive int) a pid file holds, or None if it is gone,
    unreadable or holds anything else (see :func:`read_record`)."""
    return read_record(file_path)[0]


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
    """``[(app_id, pid, start)]`` of every pid file in ``workdir``, sorted
    by app id; ``pid`` and ``start`` as :func:`read_record` gives them
    (None for a file that holds no pid). A missing ``workdir`` has
    none."""
    try:
        names = os.listdir(workdir)
    except FileNotFoundError:
        return []
    found = []
    for name in sorted(names):
        app_id, suffix = os.path.splitext(name)
        if suffix == SUFFIX and app_id and not name.startswith('.'):
            found.append((app_id,) + read_record(os.path.join(workdir,
                                                              name)))
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


def _stat_fields(pid):
    """The fields of ``/proc/<pid>/stat`` from field 3 (state) on, or
    None if the process is gone. (Field 2, the command name in
    parentheses, may hold spaces and parentheses: split after the last
    ``)``.)"""
    try:
        with open('/proc/%d/stat' % pid, 'rb') as handle:
            return handle.read().rsplit(b')', 1)[1].split()
    except (OSError, IndexError):
        return None


def start_time(pid):
    """The start time of process ``pid`` (field 22 of
    ``/proc/<pid>/stat``: clock ticks after boot), or None if it is gone
    or exited (a zombie)."""
    fields = _stat_fields(pid)
    if not fields or fields[0] == b'Z':
        return None
    return int(fields[19])


def alive(pid, start=None):
    """True if process ``pid`` runs (a zombie does not) and, with
    ``start``, was started at ``start`` (:func:`start_time`): not a later
    process that got the same pid."""
    now = start_time(pid)
    return now is not None and (start is None or now == start)
