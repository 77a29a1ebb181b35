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

A read that runs on every request (a project's user mixins on each
``GET /-/``, an instance's row on each ``GET`` of it) may keep what it
read while the counter says nothing was written since: asking the
counter is a read of shared memory, where asking the database is a
SQLite call that lets go of the GIL, which the thread then waits to take
back from the other server threads (about 40 µs of the SM's CPU per
``GET /-/`` from 8 keep-alive clients, ``benchmarks/server_cpu.py``).

The counter is 8 bytes (little-endian) at the start of
``<database>-changes``, beside SQLite's ``-wal`` and ``-shm`` files (mode
0600), mapped shared into each process that reads or writes. A writer
(:meth:`Counter.begin`, :meth:`Counter.writing`) takes the file's
exclusive ``flock`` (and a thread lock), makes the counter odd (a write
in progress), writes and commits, then (:meth:`Counter.end`) makes it
even again, so:

* :meth:`Counter.stable` is the counter when it is even, else ``None``:
  a write is in progress, or its process died during it; readers then
  read the database every time, until the next write ends;
* a reader keeps what it read under the even value it saw before the
  read, and only if :meth:`~Counter.stable` still gives that value after
  it: a write that began meanwhile made the value odd, then larger.

Every write through an engine of :func:`hurtle.db.engine.get_engine` on
the file is counted, whatever its table or code path: the engine's
DBAPI connections are :func:`connection_class`'s, which begin a write
before the first statement of a transaction that is not a read (SELECT,
PRAGMA, EXPLAIN) and end it once the transaction has ended (commit,
rollback, close, or SQLite ending it). The lock is taken before
SQLite's own write lock and waited for as long as SQLite's busy timeout,
then the statement fails as SQLite's would ("database is locked").

What it does not see: writes that do not go through such an engine
(another program changing the file, a backup restored under running
services): they show once the next counted write ends, or the processes
restart. The file must not be removed while processes use the database
(no more than its ``-wal`` and ``-shm`` files). Other databases
(PostgreSQL, in-memory SQLite) have no counter (:func:`for_engine` gives
``None``): their readers read every time.
"""
import contextlib
import errno
import fcntl
import logging
import mmap
import os
import sqlite3
import threading
import time
import weakref

LOG = logging.getLogger(__name__)

#: Suffix of the counter's file after the SQLite database's path.
SUFFIX = '-changes'
#: The attribute of an engine whose connections count their writes: the
#: :class:`Counter` they count in (set by ``hurtle.db.engine``).
COUNTED = 'hurtle_counted'

_SIZE = 8
_LOCK = threading.Lock()
_BY_PATH = {}          # database path -> Counter or None
#: Counters of this process, for the fork handler.
_ALL = weakref.WeakSet()
#: First words of the statements that never write (upper case).
_READS = frozenset(('SELECT', 'PRAGMA', 'EXPLAIN'))
#: Most statements whose kind :func:`is_write` keeps.
_MAX_KINDS = 4096
_KINDS = {}


class Busy(sqlite3.OperationalError):
    """Another writer held the counter's lock past the timeout."""


class Counter(object):
    """The change counter in the file ``path`` (created, mode 0600, if
    missing; never truncated).

    :raises OSError: the file cannot be made, opened or mapped.
    """

    def __init__(self, path):
        self.path = path
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            if os.fstat(fd).st_size < _SIZE:
                # Another process may do the same: growing to the same
                # size twice changes nothing, and never clears a count.
                os.ftruncate(fd, _SIZE)
            self._map = mmap.mmap(fd, _SIZE, mmap.MAP_SHARED,
                                  mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)
        self._forked()
        _ALL.add(self)

    def _forked(self):
        """No write of this process in progress (also in a forked child,
        whose parent's write is the parent's)."""
        self._lock = threading.Lock()     # held from begin to end
        self._guard = threading.Lock()    # around the next three
        self._owner = None      # thread ident of the writer
        self._depth = 0
        fd, self._fd = getattr(self, '_fd', None), None
        if fd is not None:
            # Inherited with the parent's flock: closing this copy lets
            # the parent's close release it.
            os.close(fd)

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

    def begin(self, timeout=None):
        """Begin a write: once this process's thread holds the lock of
        every process's writers, the counter is odd. A thread that began
        already only counts one more :meth:`end` to wait for (writes of
        one thread nest).

        :param timeout: most seconds to wait for another writer (None:
            as long as it takes).
        :raises Busy: still held by another writer after ``timeout``.
        :raises OSError: the file cannot be opened or locked.
        """
        ident = threading.get_ident()
        with self._guard:
            if self._owner == ident:
                self._depth += 1
                return
        deadline = None if timeout is None else time.monotonic() + timeout
        if not self._lock.acquire(timeout=-1 if timeout is None else
                                  max(0.0, timeout)):
            raise Busy('database is locked (change counter %s)' % self.path)
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CLOEXEC)
            try:
                _flock(fd, deadline, self.path)
            except BaseException:
                os.close(fd)
                raise
        except BaseException:
            self._lock.release()
            raise
        value = self.value()
        self._set(value + 2 if value & 1 else value + 1)
        with self._guard:
            self._fd, self._owner, self._depth = fd, ident, 1

    def end(self):
        """End a write :meth:`begin` began (from any thread): at the
        outermost, the counter is larger and even and the lock free."""
        with self._guard:
            if self._depth <= 0:
                return
            self._depth -= 1
            if self._depth > 0:
                return
            self._set(self.value() + 1)
            fd, self._fd, self._owner = self._fd, None, None
        try:
            os.close(fd)    # and the flock with it
        finally:
            self._lock.release()

    @contextlib.contextmanager
    def writing(self):
        """Around a write and its commit: :meth:`begin` and :meth:`end`
        (also when the write raised; what it raised propagates).

        :raises OSError: the file cannot be opened or locked.
        """
        self.begin()
        try:
            yield
        finally:
            self.end()


def _flock(fd, deadline, path):
    """Take ``fd``'s exclusive flock, waiting until ``deadline``
    (``time.monotonic()``; None: no limit)."""
    if deadline is None:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    pause = 0.0005
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
        now = time.monotonic()
        if now >= deadline:
            raise Busy('database is locked (change counter %s)' % path)
        time.sleep(min(pause, deadline - now))
        pause = min(pause * 2, 0.05)


def is_write(sql):
    """Whether the SQL text ``sql`` may write (or begin a write
    transaction): all but statements starting with SELECT, PRAGMA or
    EXPLAIN (a leading comment counts as a write: conservative)."""
    kind = _KINDS.get(sql)
    if kind is None:
        words = sql.split(None, 1)
        kind = not words or words[0].upper() not in _READS
        if len(_KINDS) < _MAX_KINDS:
            _KINDS[sql] = kind
    return kind


def connection_class(counter, timeout):
    """A ``sqlite3.Connection`` class (``sqlite3.connect(...,
    factory=...)``) counting its writes in ``counter``: a statement that
    :func:`is_write` says may write begins one (:meth:`Counter.begin`,
    waiting at most ``timeout`` seconds) unless the connection holds one
    already; the write ends once no transaction is open after a
    statement, a commit or a rollback, or when the connection closes or
    is collected."""

    class CountedCursor(sqlite3.Cursor):

        def execute(self, sql, parameters=()):
            connection = self.connection
            connection._will_run(sql)
            try:
                return super().execute(sql, parameters)
            finally:
                connection._ran()

        def executemany(self, sql, seq_of_parameters):
            connection = self.connection
            connection._will_run(sql)
            try:
                return super().executemany(sql, seq_of_parameters)
            finally:
                connection._ran()

        def executescript(self, script):
            connection = self.connection
            connection._will_run(None)
            try:
                return super().executescript(script)
            finally:
                connection._ran()

    class CountedConnection(sqlite3.Connection):

        #: pid of the process whose write this connection began (a
        #: forked child's copy never ends its parent's), or None.
        _writing = None

        def _will_run(self, sql):
            if self._writing is None and (sql is None or is_write(sql)):
                counter.begin(timeout)
                self._writing = os.getpid()

        def _ran(self):
            if self._writing is not None and not self.in_transaction:
                self._ended()

        def _ended(self):
            writing, self._writing = self._writing, None
            if writing == os.getpid():
                counter.end()

        def cursor(self, factory=CountedCursor):
            return super().cursor(factory)

        def execute(self, sql, parameters=()):
            return self.cursor().execute(sql, parameters)

        def executemany(self, sql, seq_of_parameters):
            return self.cursor().executemany(sql, seq_of_parameters)

        def executescript(self, script):
            return self.cursor().executescript(script)

        def commit(self):
            try:
                super().commit()
            finally:
                self._ran()

        def rollback(self):
            try:
                super().rollback()
            finally:
                self._ran()

        def close(self):
            try:
                super().close()
            finally:
                self._ended()

        def __del__(self):
            self._ended()

    CountedConnection.__name__ = CountedConnection.__qualname__ = \
        'CountedConnection'
    return CountedConnection


def for_path(database):
    """The :class:`Counter` of the SQLite file ``database`` (one per
    file and process), or ``None``: the counter's file cannot be used
    (logged once; readers then read every time)."""
    database = os.path.abspath(database)
    with _LOCK:
        if database in _BY_PATH:
            return _BY_PATH[database]
        path = database + SUFFIX
        try:
            counter = Counter(path)
        except OSError as exc:
            LOG.warning('No change counter at %s (%s): user mixins and '
                        'instances are read on every request.', path, exc)
            counter = None
        _BY_PATH[database] = counter
        return counter


def for_engine(engine):
    """The :class:`Counter` of ``engine``'s SQLite file, or ``None``: not
    a SQLite file, its counter cannot be used, or the engine's
    connections do not count their writes (not made by
    :func:`hurtle.db.engine.get_engine`)."""
    database = engine.url.database if \
        engine.dialect.name == 'sqlite' else None
    if not database or database == ':memory:' or \
            database.startswith('file:'):
        return None
    counter = for_path(database)
    return counter if getattr(engine, COUNTED, None) is counter else None


def _after_fork_in_child():
    for counter in list(_ALL):
        counter._forked()


os.register_at_fork(after_in_child=_after_fork_in_child)
