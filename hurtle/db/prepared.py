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
"""A SELECT compiled once, run straight on a pooled DBAPI connection.

For the API's hottest reads (``GET`` of one instance, a project's user
mixins on ``GET /-/``): SQLAlchemy Core's execution of a statement (its
connection, execution context and result objects, the compiled-cache
look-up) cost several times the query itself on SQLite. A
:class:`PreparedSelect` compiles its statement once for the engine's
dialect; each run checks a connection out of the engine's pool (so the
engine's ``connect`` events, ``pool_pre_ping`` and the rollback on return
apply as to any other use), executes the SQL in the dialect's parameter
style and passes each value through its column type's result processor
(JSON decoding, dates, ...), as Core would.

On a SQLite file, the selects of one engine keep their own idle DBAPI
connections (:class:`IdleConnections`: one kept by each of at most
:data:`MAX_IDLE` threads that read, and at most as many more shared): the
pool's checkout and return (its events, the reset on return, the
overflow connections it closes and opens again when more than its
``pool_size`` threads read at once, each open running the engine's
``connect`` events and SQLite's ``PRAGMA`` statements) cost more than the read
itself. Each connection is made by the engine's pool and detached from
it, so it is configured as any other. PostgreSQL (and in-memory SQLite,
whose pool gives each thread its own database) keeps going through the
engine's pool.

Each thread first reuses the connection it read with last: with eight
server threads reading at once, taking connections from one shared list
(a lock and a list under it, twice per read, and connections moving from
thread to thread) cost as much again as the read itself (a user mixin
read: 36-49 against 18-25 µs of wall time per read on 2 cores,
``benchmarks/get_instance.py``'s ``GET /-/``).
"""
import collections
import os
import threading
import weakref

from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy import pool as sa_pool

#: Most threads :class:`IdleConnections` keeps an own idle connection
#: for, and most shared idle connections it keeps, per engine (the size of
#: SQLAlchemy's default pool with its overflow: 5 + 10).
MAX_IDLE = 15

_IDLE_LOCK = threading.Lock()
_IDLE = weakref.WeakKeyDictionary()     # engine -> IdleConnections
#: Connections made by another process (before a fork): never used nor
#: closed here (closing could disturb the maker's SQLite locks); at most
#: twice MAX_IDLE per engine and fork.
_INHERITED = []


class IdleConnections(object):
    """Idle DBAPI connections of one SQLite ``engine``, reused by its
    :class:`PreparedSelect` objects; :func:`idle_connections` gives the
    engine's one.

    * :meth:`get` gives the calling thread's own idle connection, else
      a shared idle one, else a new one made by the engine's pool and
      detached from it (the engine's ``connect`` events applied);
    * :meth:`put` keeps it as the calling thread's own if the thread
      holds none (at most ``limit`` threads hold one: those of threads
      that ended are closed to make room), else as a shared one unless
      ``limit`` are shared already (it is closed then); a connection
      handed out before the engine was disposed is closed;
    * fork-safe: a connection made in another process is dropped, never
      used (nor closed) in this one;
    * ``engine.dispose()`` closes every idle one, threads' own included.

    :param engine: a SQLAlchemy ``Engine`` on a SQLite file.
    :param limit: most threads holding their own idle connection, and
        most shared idle connections (int).
    """

    def __init__(self, engine, limit=MAX_IDLE):
        self._engine = engine
        self.limit = int(limit)
        self._lock = threading.Lock()
        self._idle = []             # [(pid, generation, connection)]
        # thread ident -> (thread, pid, generation, connection); taken
        # and given back without the lock (one dict operation each, atomic
        # under the GIL): only the thread of that ident touches its entry,
        # but for pruning and dispose, which take it out first.
        self._own = {}
        self._generation = 0
        #: Connections made so far (diagnostics and tests).
        self.made = 0
        event.listen(engine, 'engine_disposed', self._disposed)

    @property
    def idle(self):
        """Connections idle now: shared, and threads' own (int)."""
        return len(self._idle) + len(self._own)

    def own(self):
        """The calling thread's own idle DBAPI connection, or None."""
        held = self._own.get(threading.get_ident())
        return held[3] if held is not None else None

    def get(self):
        """``(connection, generation)``: a DBAPI connection for one read,
        to hand back with :meth:`put` (or close on a lost connection).

        :raises sqlalchemy.exc.DBAPIError: no new connection could be
            made.
        """
        pid = os.getpid()
        held = self._own.pop(threading.get_ident(), None)
        if held is not None:
            _thread, made_in, generation, connection = held
            if made_in == pid and generation == self._generation:
                return connection, generation
            _drop(made_in, connection)
        with self._lock:
            while self._idle:
                made_in, generation, connection = self._idle.pop()
                if made_in == pid:
                    return connection, generation
                # Forked: everything idle was made by the parent.
                _INHERITED.append(connection)
                _INHERITED.extend(item[2] for item in self._idle)
                del self._idle[:]
            generation = self._generation
        fairy = self._engine.raw_connection()
        fairy.detach()
        self.made += 1
        return fairy.dbapi_connection, generation

    def put(self, connection, generation):
        """Keep ``connection`` (from :meth:`get`) idle, or close it."""
        try:
            if connection.in_transaction:
                connection.rollback()
        except Exception:
            connection.close()
            return
        ident = threading.get_ident()
        entry = (threading.current_thread(), os.getpid(), generation,
                 connection)
        if generation == self._generation and ident not in self._own \
                and len(self._own) < self.limit:
            self._own[ident] = entry
            return
        ended = []
        with self._lock:
            if generation == self._generation:
                if ident not in self._own:
                    ended = self._take_ended()
                    if len(self._own) < self.limit:
                        self._own[ident] = entry
                        connection = None
                if connection is not None and len(self._idle) < self.limit:
                    self._idle.append(entry[1:])
                    connection = None
        for _thread, made_in, _generation, old in ended:
            _drop(made_in, old)
        if connection is not None:
            connection.close()

    def _take_ended(self):
        """Take out the own connections of threads that ended (under the
        lock); they are the caller's to drop."""
        ended = []
        for ident, held in list(self._own.items()):
            if not held[0].is_alive():
                taken = self._own.pop(ident, None)
                if taken is not None:
                    ended.append(taken)
        return ended

    def _disposed(self, engine):
        with self._lock:
            self._generation += 1
            idle, self._idle = self._idle, []
            for ident in list(self._own):
                held = self._own.pop(ident, None)
                if held is not None:
                    idle.append(held[1:])
        for made_in, _generation, connection in idle:
            _drop(made_in, connection)


def _drop(made_in, connection):
    """Close ``connection``, or keep it unused if another process (before
    a fork) made it."""
    if made_in == os.getpid():
        connection.close()
    else:
        _INHERITED.append(connection)


def idle_connections(engine):
    """The :class:`IdleConnections` of ``engine``, or None when its reads
    go through its pool (not SQLite, or an in-memory SQLite database:
    its pool gives each thread its own database)."""
    if engine.dialect.name != 'sqlite' or \
            not isinstance(engine.pool, sa_pool.QueuePool):
        return None
    with _IDLE_LOCK:
        idle = _IDLE.get(engine)
        if idle is None:
            idle = _IDLE[engine] = IdleConnections(engine)
        return idle


class PreparedSelect(object):
    """``statement`` (a Core ``select`` with named ``bindparam``\\ s, no
    expanding or literal-execute parameters) on ``engine``.

    :param engine: a SQLAlchemy ``Engine``.
    :param statement: the ``select``; rows have its columns' keys as
        attribute names.
    """

    def __init__(self, engine, statement):
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        self._engine = engine
        self._dialect = dialect
        self._idle = idle_connections(engine)
        self._sql = compiled.string
        self._order = list(compiled.positiontup) if compiled.positional \
            else None
        self._binds = {
            name: bind.type.dialect_impl(dialect).bind_processor(dialect)
            for name, bind in compiled.binds.items()}
        self._defaults = {name: bind.effective_value
                          for name, bind in compiled.binds.items()
                          if not bind.required}
        columns = list(statement.selected_columns)
        self._processors = [
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in columns]
        self._row = collections.namedtuple(
            'Row', [column.key for column in columns])

    def _parameters(self, values):
        params = dict(self._defaults, **values)
        for name, process in self._binds.items():
            if process is not None:
                params[name] = process(params[name])
        if self._order is not None:
            return tuple(params[name] for name in self._order)
        return params

    def all(self, **values):
        """The rows for these bound parameter values (list of named
        tuples).

        :raises sqlalchemy.exc.DBAPIError: the database failed (a lost
            connection is discarded from the pool).
        """
        params = self._parameters(values)
        if self._idle is not None:
            rows = self._run_idle(params)
        else:
            rows = self._run_pooled(params)
        processors = self._processors
        row = self._row
        return [row(*[value if process is None else process(value)
                      for process, value in zip(processors, values)])
                for values in rows]

    def _error(self, exc, params):
        return sa_exc.DBAPIError.instance(
            self._sql, params, exc, self._dialect.loaded_dbapi.Error,
            dialect=self._dialect)

    def _run_pooled(self, params):
        dbapi_error = self._dialect.loaded_dbapi.Error
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self._sql, params)
                return cursor.fetchall()
            finally:
                cursor.close()
        except dbapi_error as exc:
            if self._dialect.is_disconnect(
                    exc, connection.dbapi_connection, None):
                connection.invalidate(exc)
            raise self._error(exc, params) from exc
        finally:
            connection.close()

    def _run_idle(self, params):
        dbapi_error = self._dialect.loaded_dbapi.Error
        connection, generation = self._idle.get()
        try:
            cursor = connection.execute(self._sql, params)
            try:
                rows = cursor.fetchall()
            finally:
                cursor.close()
        except dbapi_error as exc:
            if self._dialect.is_disconnect(exc, connection, None):
                connection.close()
            else:
                self._idle.put(connection, generation)
            raise self._error(exc, params) from exc
        except BaseException:
            connection.close()
            raise
        self._idle.put(connection, generation)
        return rows

    def one_or_none(self, **values):
        """The only row, or None.

        :raises sqlalchemy.exc.MultipleResultsFound: more than one.
        """
        rows = self.all(**values)
        if len(rows) > 1:
            raise sa_exc.MultipleResultsFound(
                'Multiple rows were found when one or none was required')
        return rows[0] if rows else None
