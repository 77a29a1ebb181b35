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

``use_deferred_readers`` lets Heat's read-only transactions on SQLite begin
without the write lock (see its docstring).
"""
from oslo_db.sqlalchemy import enginefacade
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
    instead of deadlocking. No-op for other databases. Without
    ``immediate`` the engine keeps oslo.db's deferred ``BEGIN``: only for
    an engine that never writes (``use_deferred_readers``' reader engine).

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


def _is_sqlite_file(url):
    url = sa.engine.make_url(url)
    if url.get_backend_name() != 'sqlite':
        return False
    database = url.database or ''
    return (database not in ('', ':memory:')
            and 'memory' not in str(url.query.get('mode', '')))


def use_deferred_readers(context_manager, url):
    """Send Heat's read-only transactions to a second engine on ``url``.

    ``tune_sqlite`` begins every transaction of the writer engine with
    ``BEGIN IMMEDIATE``, so reads queue for SQLite's single write lock
    behind every writer. This configures ``context_manager`` (oslo.db's
    enginefacade, ``heat.db.api.context_manager``) with a reader engine
    on the same file (``slave_connection`` = ``url``) and
    ``synchronous_reader=False``, so that enginefacade hands the
    outermost ``reader`` transactions to it; tune that engine with
    ``tune_sqlite(reader, immediate=False)`` and they begin with a
    deferred ``BEGIN``, which in WAL mode never waits for a writer.

    Why this is safe (the deadlock IMMEDIATE prevents needs a transaction
    that reads and then writes):

    * enginefacade picks the engine once, when the outermost block of a
      thread's transaction starts, from that block's kind: a ``reader``
      nested in a ``writer`` reuses the writer's session (IMMEDIATE), and
      a ``writer`` nested in a ``reader`` raises ``TypeError`` ("Can't
      upgrade a READER transaction"), so no reader block can turn into a
      writer;
    * no ``context_manager.reader`` function of ``heat.db.api`` (nor a
      helper it calls) adds, updates, deletes or flushes, and a reader
      session is closed without commit, so a write in one would be lost
      anyway; Heat opens no transactions outside ``heat.db.api``;
    * both engines are on one file, so a reader sees every commit made
      before it began, as before (``synchronous_reader`` only names which
      engine readers use);
    * ``.independent`` readers (``stack_lock_get_engine_id``) get their
      own connection from the reader engine, like any outermost reader.

    Only for SQLite files (an in-memory database would be a second,
    empty database); call before the first transaction (enginefacade
    refuses configuration once started).

    :param context_manager: an enginefacade ``_TransactionContextManager``
        not started yet.
    :param url: the database URL Heat uses (``[database] connection``).
    :returns: True if configured; False for other databases, in-memory
        SQLite, or a started ``context_manager`` (then readers stay on
        the writer engine: slower, still safe).
    """
    if not _is_sqlite_file(url):
        return False
    try:
        context_manager.configure(slave_connection=str(url),
                                  synchronous_reader=False)
    except enginefacade.AlreadyStartedError:
        LOG.warning('Heat database already in use: read transactions '
                    'keep BEGIN IMMEDIATE')
        return False
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
