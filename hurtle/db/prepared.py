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
"""
import collections

from sqlalchemy import exc as sa_exc


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
        dbapi_error = self._dialect.loaded_dbapi.Error
        connection = self._engine.raw_connection()
        try:
            cursor = connection.cursor()
            try:
                cursor.execute(self._sql, params)
                rows = cursor.fetchall()
            finally:
                cursor.close()
        except dbapi_error as exc:
            if self._dialect.is_disconnect(
                    exc, connection.dbapi_connection, None):
                connection.invalidate(exc)
            raise sa_exc.DBAPIError.instance(
                self._sql, params, exc, dbapi_error,
                dialect=self._dialect) from exc
        finally:
            connection.close()
        processors = self._processors
        row = self._row
        return [row(*[value if process is None else process(value)
                      for process, value in zip(processors, values)])
                for values in rows]

    def one_or_none(self, **values):
        """The only row, or None.

        :raises sqlalchemy.exc.MultipleResultsFound: more than one.
        """
        rows = self.all(**values)
        if len(rows) > 1:
            raise sa_exc.MultipleResultsFound(
                'Multiple rows were found when one or none was required')
        return rows[0] if rows else None
