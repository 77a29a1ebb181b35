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
"""Schema migrations with Alembic (scripts in ``hurtle/db/migrations``).

Used by ``hurtle-manage db_sync``/``db_version`` (``hurtle.cmd.manage``)
and by every process that opens the database at start
(``hurtle.service.upgrade_database``, which asks
``hurtle.db.schema_version`` first). Alembic is imported only by the
functions that migrate or read the scripts: :func:`safe_url` and
:func:`describe_error` (the healthcheck's) do not need it.
"""
import os

import sqlalchemy

from hurtle.db import engine as db_engine
from hurtle.db import locks

#: Key of the PostgreSQL advisory lock held while migrating ("hurtle").
LOCK_KEY = 0x687572746c65
#: Directory of the Alembic scripts.
SCRIPTS = os.path.join(os.path.dirname(__file__), 'migrations')


def _config(url):
    from alembic import config as alembic_config
    cfg = alembic_config.Config()
    cfg.set_main_option('script_location', SCRIPTS)
    cfg.set_main_option('sqlalchemy.url', url.replace('%', '%%'))
    return cfg


def _serialise(connection):
    """Make the migration in ``connection``'s transaction wait for any
    other one on the same database, in any process, to end
    (:func:`hurtle.db.locks.serialise`: on PostgreSQL its DDL is
    transactional, so the next migration sees the finished schema; on
    SQLite, without ``BEGIN IMMEDIATE``, pysqlite runs DDL outside any
    transaction). Other databases (MySQL) are not serialised: run
    ``hurtle-manage db_sync`` before starting several processes.
    """
    locks.serialise(connection, LOCK_KEY)


def upgrade(url, revision='head'):
    """Bring the schema at ``url`` up to ``revision`` (idempotent; safe
    when several processes do it at once, on PostgreSQL and SQLite)."""
    from alembic import command
    cfg = _config(url)
    with db_engine.get_engine(url).begin() as connection:
        _serialise(connection)
        cfg.attributes['connection'] = connection
        command.upgrade(cfg, revision)


def downgrade(url, revision):
    """Take the schema at ``url`` back to ``revision`` (``'base'``: no
    schema). Only through revisions that define ``downgrade``: Hurtle's
    have none so far, so this raises (as OpenStack's services, Hurtle
    migrates forward only; restore a backup to go back)."""
    from alembic import command
    cfg = _config(url)
    with db_engine.get_engine(url).begin() as connection:
        cfg.attributes['connection'] = connection
        command.downgrade(cfg, revision)


def head():
    """The newest revision of the scripts (a string such as ``'0004'``)."""
    from alembic import script as alembic_script
    return alembic_script.ScriptDirectory(SCRIPTS).get_current_head()


def revisions():
    """Every revision of the scripts, oldest first: ``[(revision,
    down_revision)]``."""
    from alembic import script as alembic_script
    scripts = alembic_script.ScriptDirectory(SCRIPTS)
    return [(s.revision, s.down_revision)
            for s in reversed(list(scripts.walk_revisions()))]


def current(url):
    """Return the schema revision at ``url``, or None if unversioned."""
    from alembic.runtime import migration
    with db_engine.get_engine(url).connect() as connection:
        return migration.MigrationContext.configure(
            connection).get_current_revision()


def sqlite_file(url):
    """The absolute path of the file of a SQLite ``url``; None for another
    database, an in-memory one or an unparsable URL (reported when the
    engine is made)."""
    try:
        parsed = sqlalchemy.engine.make_url(url)
    except Exception:
        return None
    if parsed.get_backend_name() != 'sqlite' or parsed.database in (
            None, '', ':memory:'):
        return None
    return os.path.abspath(parsed.database)


def safe_url(url):
    """``url`` with its password masked, for messages and logs."""
    try:
        return sqlalchemy.engine.make_url(url).render_as_string(
            hide_password=True)
    except Exception:
        return '(unparsable URL)'


def describe_error(exc):
    """A one-line account of ``exc``, an error opening or migrating the
    database: the driver's message without SQLAlchemy's SQL echo and
    links; the name of a missing driver module."""
    if isinstance(exc, ImportError):
        return 'its driver is not installed (%s)' % exc
    orig = getattr(exc, 'orig', None)
    text = str(orig if orig is not None else exc).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__
