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
"""SQLAlchemy engines for ``[database] connection``.

SM and CC run as separate processes and may share one SQLite file, so
SQLite connections use WAL journaling and a busy timeout instead of failing
at once with "database is locked". A SQLite file and its ``-wal``/``-shm``
companions are made 0600 (they hold SO secrets, if encrypted): SQLite
gives the companions the database file's mode. Every write to a SQLite
file is counted in its change counter (:mod:`hurtle.db.changes`), which
lets readers of this and other processes keep what they read until a
write.
"""
import os
import threading

import sqlalchemy
from sqlalchemy import event
from sqlalchemy import orm

from hurtle.db import changes

_LOCK = threading.Lock()
_ENGINES = {}

SQLITE_BUSY_TIMEOUT_MS = 30000


def _sqlite_pragmas(dbapi_connection, connection_record):
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA busy_timeout=%d' % SQLITE_BUSY_TIMEOUT_MS)
    cursor.execute('PRAGMA foreign_keys=ON')
    cursor.close()


def _restrict(database):
    """chmod 0600 the SQLite file ``database`` and its WAL/shm files."""
    for path in (database, database + '-wal', database + '-shm'):
        try:
            if os.stat(path).st_mode & 0o077:
                os.chmod(path, 0o600)
        except OSError:
            pass  # not there (yet), or not ours: SQLite reports the rest


def get_engine(url):
    """Return the process-wide engine for ``url`` (a SQLAlchemy URL string).

    For a SQLite file URL the parent directory is created if missing.
    """
    with _LOCK:
        engine = _ENGINES.get(url)
        if engine is not None:
            return engine
        parsed = sqlalchemy.engine.make_url(url)
        if parsed.get_backend_name() == 'sqlite':
            database = None
            if parsed.database and parsed.database != ':memory:':
                database = os.path.abspath(parsed.database)
                os.makedirs(os.path.dirname(database), mode=0o700,
                            exist_ok=True)
            connect_args = {'check_same_thread': False,
                            'timeout': SQLITE_BUSY_TIMEOUT_MS / 1000}
            counter = changes.for_path(database) if database and \
                not parsed.database.startswith('file:') else None
            if counter is not None:
                connect_args['factory'] = changes.connection_class(
                    counter, SQLITE_BUSY_TIMEOUT_MS / 1000)
            engine = sqlalchemy.create_engine(url, connect_args=connect_args)
            setattr(engine, changes.COUNTED, counter)
            event.listen(engine, 'connect', _sqlite_pragmas)
            if database:
                _restrict(database)
                event.listen(engine, 'connect',
                             lambda *args: _restrict(database))
        else:
            engine = sqlalchemy.create_engine(url, pool_pre_ping=True)
        _ENGINES[url] = engine
        return engine


def sessionmaker(url):
    """Return an ``orm.sessionmaker`` bound to the engine for ``url``."""
    return orm.sessionmaker(bind=get_engine(url), expire_on_commit=False)
