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
"""Serialising transactions that must read-then-write atomically.

A count followed by an insert (a quota) or a schema migration is only
atomic if no other transaction on the same database, in any process, does
the same in between. Row locks (``SELECT ... FOR UPDATE``) cannot do it:
there is no row to lock before the insert, and SQLite ignores them. Both
supported databases have a transaction-scoped lock instead, released at
commit or rollback:

* PostgreSQL: ``pg_advisory_xact_lock(key)``, one lock per integer key
  (transactions using other keys, or none, are not held up);
* SQLite: ``BEGIN IMMEDIATE``, the database's single write lock (waiting
  up to the busy timeout, ``hurtle.db.engine``).

Other databases (MySQL) are not serialised.
"""
import sqlalchemy


def serialise(connection, key):
    """Make the rest of ``connection``'s transaction wait for any other
    transaction holding ``key`` (an int64) on the same database to end.

    Call it first in the transaction: on SQLite ``BEGIN IMMEDIATE``
    starts it (nothing may have run in it yet).

    :param connection: a ``sqlalchemy.engine.Connection`` in a transaction
        (``Session.connection()`` of a session in ``begin()``).
    """
    name = connection.dialect.name
    if name == 'postgresql':
        connection.execute(sqlalchemy.text('SELECT pg_advisory_xact_lock('
                                           ':key)'), {'key': key})
    elif name == 'sqlite':
        connection.exec_driver_sql('BEGIN IMMEDIATE')
