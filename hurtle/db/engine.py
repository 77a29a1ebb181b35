"""SQLAlchemy engines for ``[database] connection``.

SM and CC run as separate processes and may share one SQLite file, so
SQLite connections use WAL journaling and a busy timeout instead of failing
at once with "database is locked".
"""
import os
import threading

import sqlalchemy
from sqlalchemy import event
from sqlalchemy import orm

_LOCK = threading.Lock()
_ENGINES = {}

SQLITE_BUSY_TIMEOUT_MS = 30000


def _sqlite_pragmas(dbapi_connection, connection_record):
    cursor = dbapi_connection.cursor()
    cursor.execute('PRAGMA journal_mode=WAL')
    cursor.execute('PRAGMA busy_timeout=%d' % SQLITE_BUSY_TIMEOUT_MS)
    cursor.execute('PRAGMA foreign_keys=ON')
    cursor.close()


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
            if parsed.database and parsed.database != ':memory:':
                directory = os.path.dirname(os.path.abspath(parsed.database))
                os.makedirs(directory, exist_ok=True)
            engine = sqlalchemy.create_engine(
                url, connect_args={'check_same_thread': False,
                                   'timeout': SQLITE_BUSY_TIMEOUT_MS / 1000})
            event.listen(engine, 'connect', _sqlite_pragmas)
        else:
            engine = sqlalchemy.create_engine(url, pool_pre_ping=True)
        _ENGINES[url] = engine
        return engine


def sessionmaker(url):
    """Return an ``orm.sessionmaker`` bound to the engine for ``url``."""
    return orm.sessionmaker(bind=get_engine(url), expire_on_commit=False)
