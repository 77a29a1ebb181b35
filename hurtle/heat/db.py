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
"""Heat database set-up for the embedded Heat: schema sync and SQLite fix.

``sync`` is what ``heat-manage db_sync`` does (Heat's Alembic migrations).
``fix_sqlite_id_reuse`` works around a Heat fault on SQLite
(doc/source/contributor/embedded-heat.rst): a plain ``INTEGER PRIMARY KEY``
lets SQLite hand out the id of a deleted ``resource_properties_data`` row
again, and a stack update after its outputs were read can then wait forever in
``UPDATE_IN_PROGRESS``. A table declared ``INTEGER PRIMARY KEY AUTOINCREMENT``
never reuses ids. MySQL and PostgreSQL never reuse ids, so only SQLite is
touched.
"""
from oslo_log import log as logging
import sqlalchemy as sa

LOG = logging.getLogger(__name__)

TABLE = 'resource_properties_data'

# Same columns as Heat's model (heat.db.models.ResourcePropertiesData):
# Json is stored as TEXT on SQLite, Boolean as BOOLEAN.
_CREATE = ('CREATE TABLE %(name)s ('
           'id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, '
           'data TEXT, '
           'encrypted BOOLEAN, '
           'created_at DATETIME, '
           'updated_at DATETIME)')
_COLUMNS = 'id, data, encrypted, created_at, updated_at'


#: How long a SQLite connection waits for a lock before "database is
#: locked", in milliseconds.
BUSY_TIMEOUT_MS = 30000


def tune_sqlite(engine, immediate=True):
    """Make Heat's SQLite engine safe for concurrent engine threads.

    oslo.db starts every transaction with a deferred ``BEGIN``; two Heat
    threads that both read and then write deadlock and one gets
    ``database is locked`` at once (SQLite does not wait when waiting
    cannot help), failing the resource. This switches the file to WAL
    journaling (readers never block the writer), sets a busy timeout on
    every new connection and, with ``immediate``, begins every
    transaction with ``BEGIN IMMEDIATE`` so writers queue for the lock
    instead of deadlocking. No-op for other databases.

    :returns: True if the engine is SQLite and was tuned.
    """
    if engine.dialect.name != 'sqlite':
        return False

    @sa.event.listens_for(engine, 'connect')
    def _on_connect(dbapi_conn, record):
        dbapi_conn.execute('PRAGMA busy_timeout = %d' % BUSY_TIMEOUT_MS)

    if immediate:
        # Replaces oslo.db's listener that emits a deferred BEGIN; keeps
        # its conn.info marker, which oslo.db clears on commit/rollback.
        for listener in list(engine.dispatch.begin):
            if getattr(listener, '__name__', '') == '_sqlite_emit_begin':
                sa.event.remove(engine, 'begin', listener)

        @sa.event.listens_for(engine, 'begin')
        def _on_begin(conn):
            if 'in_transaction' not in conn.info:
                conn.exec_driver_sql('BEGIN IMMEDIATE')
                conn.info['in_transaction'] = True

    raw = engine.raw_connection()
    try:
        mode = raw.driver_connection.execute(
            'PRAGMA journal_mode = WAL').fetchone()[0]
    finally:
        raw.close()
    LOG.debug('SQLite journal mode %s, busy timeout %d ms, BEGIN %s',
              mode, BUSY_TIMEOUT_MS, 'IMMEDIATE' if immediate else 'DEFERRED')
    return True


def sync(engine):
    """Create or upgrade Heat's schema on ``engine`` (``db_sync``)."""
    from heat.db import migration
    migration.db_sync(engine=engine)


def has_autoincrement(engine):
    """Whether ``resource_properties_data`` is AUTOINCREMENT (SQLite only).

    :returns: ``None`` on other databases or when the table is missing.
    """
    if engine.dialect.name != 'sqlite':
        return None
    with engine.connect() as conn:
        sql = conn.execute(
            sa.text("SELECT sql FROM sqlite_master "
                    "WHERE type = 'table' AND name = :name"),
            {'name': TABLE}).scalar()
    if sql is None:
        return None
    return 'AUTOINCREMENT' in sql.upper()


def fix_sqlite_id_reuse(engine):
    """Recreate ``resource_properties_data`` with AUTOINCREMENT ids.

    Idempotent; keeps existing rows and their ids; no-op on databases
    other than SQLite. Follows SQLite's documented table-rebuild procedure
    (new table, copy, drop, rename) with foreign key enforcement off, so
    ``resource`` and ``event`` keep referring to the table by name.

    :returns: True if the table was rebuilt, False otherwise.
    """
    state = has_autoincrement(engine)
    if state is None or state:
        return False
    new = TABLE + '_hurtle_new'
    raw = engine.raw_connection()
    try:
        dbapi_conn = raw.driver_connection
        saved_isolation = dbapi_conn.isolation_level
        dbapi_conn.isolation_level = None   # we issue BEGIN/COMMIT
        cur = dbapi_conn.cursor()
        fk_on = cur.execute('PRAGMA foreign_keys').fetchone()[0]
        cur.execute('PRAGMA foreign_keys = OFF')
        try:
            cur.execute('BEGIN IMMEDIATE')
            try:
                cur.execute('DROP TABLE IF EXISTS %s' % new)
                cur.execute(_CREATE % {'name': new})
                cur.execute('INSERT INTO %s (%s) SELECT %s FROM %s'
                            % (new, _COLUMNS, _COLUMNS, TABLE))
                cur.execute('DROP TABLE %s' % TABLE)
                cur.execute('ALTER TABLE %s RENAME TO %s' % (new, TABLE))
            except Exception:
                cur.execute('ROLLBACK')
                raise
            cur.execute('COMMIT')
        finally:
            cur.execute('PRAGMA foreign_keys = %s'
                        % ('ON' if fk_on else 'OFF'))
            cur.close()
            dbapi_conn.isolation_level = saved_isolation
    finally:
        raw.close()
    LOG.info('Rebuilt %s with AUTOINCREMENT ids (SQLite id reuse fix)',
             TABLE)
    return True
