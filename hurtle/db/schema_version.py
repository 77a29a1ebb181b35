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
"""Is a database at the newest schema? Asked without Alembic.

Every process that opens the database migrates it at start
(``hurtle.service.upgrade_database``); on a database already at the
newest revision, importing Alembic to find that out was most of the
check's cost (about 0.3 CPU-s of each SM's and CC's start). This module
reads Alembic's version table with SQLAlchemy alone and compares it with
:data:`HEAD`; only a database that is not at :data:`HEAD` is handed to
``hurtle.db.migration``.
"""
import sqlalchemy

from hurtle.db import engine as db_engine

#: The newest revision under ``hurtle/db/migrations/versions`` (a new
#: revision must change it: tests.unit.db.test_migrations compares it
#: with Alembic's head).
HEAD = '0009'


def at_head(url):
    """True if the database at ``url`` records exactly :data:`HEAD` in
    Alembic's ``alembic_version`` table.

    :returns: False as well when the table is missing (a new database) or
        the database cannot be read: the caller then migrates, which
        creates it or reports why it cannot (``hurtle.db.migration``).
    """
    try:
        with db_engine.get_engine(url).connect() as connection:
            rows = connection.execute(sqlalchemy.text(
                'SELECT version_num FROM alembic_version')).fetchall()
    except Exception:   # unversioned, unreachable, no driver: migrate
        return False
    return [row[0] for row in rows] == [HEAD]
