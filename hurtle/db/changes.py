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
"""A change counter shared by every process using one SQLite file.

A read that runs on every request (a project's user mixins, on each
``GET /-/``) may keep what it read while the counter says nothing was
written since: asking the counter is a read of shared memory, where
asking the database is a SQLite call that lets go of the GIL, which the
thread then waits to take back from the other server threads (about 40
µs of the SM's CPU per ``GET /-/`` from 8 keep-alive clients,
``benchmarks/server_cpu.py``).

The counter is 8 bytes (little-endian) at the start of
``<database>-changes``, beside SQLite's ``-wal`` and ``-shm`` files (mode
0600), mapped shared into each process that reads or writes. A writer
(:meth:`Counter.writing`) takes the file's exclusive ``flock`` (and a
thread lock), makes the counter odd (a write in progress), writes and
commits, then makes it even again, so:

* :meth:`Counter.stable` is the counter when it is even, else ``None``:
  a write is in progress, or its process died during it; readers then
  read the database every time, until the next write ends;
* a reader keeps what it read under the even value it saw before the
  read, and only if :meth:`~Counter.stable` still gives that value after
  it: a write that began meanwhile made the value odd, then larger.

What it does not see: writes that do not go through
:meth:`Counter.writing` (another program changing the table, a backup
restored under running services): they show once the next write through
it ends, or the processes restart. The file must not be removed while
processes use the database (no more than its ``-wal`` and ``-shm``
files). Other databases (PostgreSQL, in-memory SQLite) have no counter
(:func:`for_engine` gives ``None``): their readers read every time.
"""
import contextlib
import fcntl
import logging
import mmap
import os
import threading
import weakref

LOG = logging.getLogger(__name__)

#: Suffix of the counter's file after the SQLite database's path.
SUFFIX = '-changes'

_SIZE = 8
_LOCK = threading.Lock()
_COUNTERS = weakref.WeakKeyDictionary()     # engine -> Counter or None


class Counter(object):
    """The change counter in the file ``path`` (created, mode 0600, if
    missing; never truncated).

    :raises OSError: the file cannot be made, opened or mapped.
    """

    def __init__(self, path):
        self.path = path
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            if os.fstat(fd).st_size < _SIZE:
                # Another process may do the same: growing to the same
                # size twice changes nothing, and never clears a count.
                os.ftruncate(fd, _SIZE)
            self._map = mmap.mmap(fd, _SIZE, mmap.MAP_SHARED,
                                  mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        self._lock = threading.Lock()
        self._pid = os.getpid()

    def value(self):
        """The counter now (int >= 0; odd: a write is in progress)."""
        return int.from_bytes(self._map[:_SIZE], 'little')

    def stable(self):
        """The counter if no write is in progress (an even int), else
        ``None``."""
        value = self.value()
        return None if value & 1 else value

    def _set(self, value):
        self._map[:_SIZE] = value.to_bytes(_SIZE, 'little')

    @contextlib.contextmanager
    def writing(self):
        """Around a write and its commit: the counter is odd during it
        and larger and even after it (also when the write raised; what
        it raised propagates). Writers of every process take turns.

        :raises OSError: the file cannot be opened or locked.
        """
        if self._pid != os.getpid():     # forked: the lock may be held
            self._lock, self._pid = threading.Lock(), os.getpid()
        with self._lock:
            fd = os.open(self.path, os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                value = self.value()
                self._set(value + 2 if value & 1 else value + 1)
                try:
                    yield
                finally:
                    self._set(self.value() + 1)
            finally:
                os.close(fd)    # and the flock with it


def for_engine(engine):
    """The :class:`Counter` of ``engine``'s SQLite file (one per engine),
    or ``None``: not a SQLite file, or the counter's file cannot be used
    (logged once; readers then read every time)."""
    with _LOCK:
        if engine in _COUNTERS:
            return _COUNTERS[engine]
        counter = None
        database = engine.url.database if \
            engine.dialect.name == 'sqlite' else None
        if database and database != ':memory:' and \
                not database.startswith('file:'):
            path = os.path.abspath(database) + SUFFIX
            try:
                counter = Counter(path)
            except OSError as exc:
                LOG.warning('No change counter at %s (%s): user mixins '
                            'are read on every request.', path, exc)
        _COUNTERS[engine] = counter
        return counter
