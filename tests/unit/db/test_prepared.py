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
"""``hurtle.db.prepared.PreparedSelect`` gives what SQLAlchemy Core gives
for the same statement, on SQLite and PostgreSQL, and hands its
connection back to the pool whatever happens."""
import datetime
import os
import sqlite3
import threading
import time

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
import testtools

from hurtle.db import engine as db_engine
from hurtle.db import migration
from hurtle.db import models
from hurtle.db import prepared
from tests.unit.db import test_migrations

TABLE = models.ServiceInstance
COLUMNS = (TABLE.id, TABLE.project, TABLE.state, TABLE.attributes,
           TABLE.mixins, TABLE.created_at, TABLE.operation)


class PreparedSelectTest(test_migrations.MigratedCase):

    def setUp(self):
        super().setUp()
        url = self.url
        self.engine = db_engine.get_engine(url)
        with db_engine.sessionmaker(url).begin() as session:
            for i, (project, attributes) in enumerate((
                    ('p1', {'a': 1, 'b': ['x', None], 'c': 'Zürich'}),
                    ('p1', {}), ('p2', {'d': {'e': 1.5}}))):
                session.add(TABLE(
                    id='i%d' % i, project=project, service='svc',
                    state='active', attributes=attributes, operation=i,
                    mixins=['http://example.org/u#m'] if i else None))

    def _both(self, statement, **values):
        """Rows of ``statement`` from Core and from a PreparedSelect."""
        with self.engine.connect() as connection:
            core = [tuple(row) for row in
                    connection.execute(statement, values)]
        ours = prepared.PreparedSelect(self.engine, statement).all(**values)
        return core, [tuple(row) for row in ours], ours

    def test_same_rows_and_types_as_core(self):
        statement = sa.select(*COLUMNS).where(
            TABLE.project == sa.bindparam('project')).order_by(TABLE.id)
        for project in ('p1', 'p2', 'nobody'):
            core, ours, rows = self._both(statement, project=project)
            self.assertEqual(core, ours)
        core, ours, rows = self._both(statement, project='p1')
        self.assertEqual(2, len(rows))
        self.assertEqual({'a': 1, 'b': ['x', None], 'c': 'Zürich'},
                         rows[0].attributes)
        self.assertIsNone(rows[0].mixins)
        self.assertEqual(['http://example.org/u#m'], rows[1].mixins)
        self.assertIsInstance(rows[0].created_at, datetime.datetime)
        self.assertEqual('i0', rows[0].id)

    def test_literal_values_and_several_parameters(self):
        statement = sa.select(TABLE.id).where(
            TABLE.service == 'svc', TABLE.project == sa.bindparam('p'),
            TABLE.operation >= sa.bindparam('least')).order_by(TABLE.id)
        core, ours, _rows = self._both(statement, p='p1', least=1)
        self.assertEqual([('i1',)], ours)
        self.assertEqual(core, ours)

    def test_one_or_none(self):
        select = prepared.PreparedSelect(self.engine, sa.select(
            TABLE.id, TABLE.state).where(TABLE.id == sa.bindparam('i')))
        self.assertEqual(('i2', 'active'), tuple(select.one_or_none(i='i2')))
        self.assertIsNone(select.one_or_none(i='none'))
        many = prepared.PreparedSelect(self.engine, sa.select(TABLE.id))
        self.assertRaises(sa_exc.MultipleResultsFound, many.one_or_none)

    def test_connections_go_back_to_the_pool(self):
        select = prepared.PreparedSelect(self.engine, sa.select(
            TABLE.id).where(TABLE.id == sa.bindparam('i')))
        for _ in range(3 * self.engine.pool.size()):
            select.all(i='i0')
        self.assertEqual(0, self.engine.pool.checkedout())
        # A failing query too, with the database's error as Core's.
        broken = prepared.PreparedSelect(self.engine, sa.select(
            sa.column('nothing')).select_from(sa.table('no_such_table')))
        for _ in range(3):
            self.assertRaises(sa_exc.DBAPIError, broken.all)
        self.assertEqual(0, self.engine.pool.checkedout())
        self.assertEqual([('i0',)], [tuple(r) for r in select.all(i='i0')])

    def test_writes_are_seen_by_the_next_read(self):
        select = prepared.PreparedSelect(self.engine, sa.select(
            TABLE.state).where(TABLE.id == sa.bindparam('i')))
        self.assertEqual('active', select.one_or_none(i='i1').state)
        with self.engine.begin() as connection:
            connection.execute(sa.update(TABLE).where(TABLE.id == 'i1')
                               .values(state='destroy'))
        self.assertEqual('destroy', select.one_or_none(i='i1').state)


class IdleConnectionsTest(testtools.TestCase):
    """On a SQLite file the prepared selects keep their own idle
    connections: reused (first the thread's own), bounded, dropped across
    a fork, closed when the engine is disposed."""

    def setUp(self):
        super().setUp()
        url = test_migrations._database(self, 'sqlite')
        migration.upgrade(url)
        self.engine = db_engine.get_engine(url)
        with db_engine.sessionmaker(url).begin() as session:
            session.add(TABLE(id='i0', project='p1', service='svc',
                              state='active', attributes={}, operation=0))
        self.select = prepared.PreparedSelect(self.engine, sa.select(
            TABLE.state).where(TABLE.id == sa.bindparam('i')))
        self.idle = prepared.idle_connections(self.engine)

    def test_one_idle_set_per_sqlite_file_engine(self):
        self.assertIsNotNone(self.idle)
        self.assertIs(self.idle, prepared.idle_connections(self.engine))
        memory = sa.create_engine('sqlite://')
        self.addCleanup(memory.dispose)
        self.assertIsNone(prepared.idle_connections(memory))

    def test_a_connection_is_reused_not_made_again(self):
        made = self.idle.made
        for _ in range(50):
            self.assertEqual('active', self.select.one_or_none(i='i0').state)
        self.assertLessEqual(self.idle.made - made, 1)
        self.assertEqual(1, self.idle.idle)
        # Not the pool's: nothing checked out, nothing left there.
        self.assertEqual(0, self.engine.pool.checkedout())

    def test_made_as_the_engine_makes_them(self):
        # The engine's connect events ran: WAL and the busy timeout.
        connection, generation = self.idle.get()
        try:
            self.assertEqual('wal', connection.execute(
                'PRAGMA journal_mode').fetchone()[0])
            self.assertEqual(db_engine.SQLITE_BUSY_TIMEOUT_MS,
                             connection.execute(
                                 'PRAGMA busy_timeout').fetchone()[0])
        finally:
            self.idle.put(connection, generation)

    def test_at_most_limit_idle(self):
        taken = [self.idle.get() for _ in range(prepared.MAX_IDLE + 5)]
        for connection, generation in taken:
            self.idle.put(connection, generation)
        # The thread's own, and MAX_IDLE shared.
        self.assertIs(taken[0][0], self.idle.own())
        self.assertEqual(prepared.MAX_IDLE + 1, self.idle.idle)
        # The ones over the limit were closed.
        self.assertRaises(sqlite3.ProgrammingError,
                          taken[-1][0].execute, 'SELECT 1')
        self.assertEqual(1, taken[0][0].execute('SELECT 1').fetchone()[0])

    def test_parallel_readers_share_the_idle_connections(self):
        made = self.idle.made
        errors = []

        def read():
            try:
                for _ in range(100):
                    self.select.one_or_none(i='i0')
            except Exception as exc:     # pragma: no cover - reported
                errors.append(exc)
        threads = [threading.Thread(target=read) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual([], errors)
        self.assertLessEqual(self.idle.made - made, 8)
        self.assertLessEqual(self.idle.idle, 2 * prepared.MAX_IDLE)

    def test_each_thread_reads_with_its_own_connection(self):
        self.select.one_or_none(i='i0')
        mine = self.idle.own()
        self.assertIsNotNone(mine)
        seen = {}
        ready = threading.Barrier(2)

        def read(name):
            # Both read while both hold their own connection.
            self.select.one_or_none(i='i0')
            ready.wait()
            for _ in range(20):
                self.select.one_or_none(i='i0')
                seen.setdefault(name, set()).add(id(self.idle.own()))
            ready.wait()
        threads = [threading.Thread(target=read, args=(n,))
                   for n in ('a', 'b')]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Each kept one connection of its own, not this thread's.
        self.assertEqual(1, len(seen['a']))
        self.assertEqual(1, len(seen['b']))
        self.assertNotEqual(seen['a'], seen['b'])
        self.assertNotIn(id(mine), seen['a'] | seen['b'])
        for _ in range(5):
            self.select.one_or_none(i='i0')
            self.assertIs(mine, self.idle.own())

    def test_dispose_closes_other_threads_own_too(self):
        other = {}
        go = threading.Event()

        def read():
            self.select.one_or_none(i='i0')
            other['before'] = self.idle.own()
            go.wait(10)
            other['state'] = self.select.one_or_none(i='i0').state
            other['after'] = self.idle.own()
        thread = threading.Thread(target=read)
        thread.start()
        while 'before' not in other:
            time.sleep(0.01)
        self.engine.dispose()
        self.assertRaises(sqlite3.ProgrammingError,
                          other['before'].execute, 'SELECT 1')
        go.set()
        thread.join()
        # Its next read made a new one, kept as its own.
        self.assertEqual('active', other['state'])
        self.assertIsNot(other['before'], other['after'])
        self.assertEqual(1, other['after'].execute('SELECT 1').fetchone()[0])

    def test_own_connections_are_bounded_and_ended_threads_give_theirs_up(
            self):
        idle = prepared.IdleConnections(self.engine, limit=2)
        kept = []
        together = threading.Barrier(3)

        def read_once():
            connection, generation = idle.get()
            kept.append(connection)
            together.wait(10)       # all three hold one at once
            idle.put(connection, generation)
            together.wait(10)
        threads = [threading.Thread(target=read_once) for _ in range(3)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        # Two kept as their threads' own (the limit), one shared.
        self.assertEqual(2, len(idle._own))
        self.assertEqual(1, len(idle._idle))
        # A live thread's read takes the shared one; handing it back, it
        # makes room among the ended threads' own: those are closed.
        connection, generation = idle.get()
        self.assertIn(connection, kept)
        idle.put(connection, generation)
        self.assertIs(connection, idle.own())
        self.assertEqual(1, idle.idle)
        for other in kept:
            if other is not connection:
                self.assertRaises(sqlite3.ProgrammingError,
                                  other.execute, 'SELECT 1')

    def test_threads_coming_and_going_do_not_pile_up_connections(self):
        # Server threads end and new ones start: the open files stay
        # bounded by the idle limits (a SQLite connection in WAL mode
        # holds 3: the database, its -wal and -shm files).
        idle = prepared.IdleConnections(self.engine, limit=3)
        select = prepared.PreparedSelect(self.engine, sa.select(
            TABLE.state).where(TABLE.id == sa.bindparam('i')))
        select._idle = idle

        def open_files():
            return len(os.listdir('/proc/self/fd'))
        before = open_files()
        for _ in range(8):
            threads = [threading.Thread(
                target=lambda: [select.one_or_none(i='i0')
                                for _ in range(5)]) for _ in range(10)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            self.assertLessEqual(idle.idle, 6)
            self.assertLessEqual(open_files(), before + 3 * 6)

    def test_a_connection_of_the_parent_is_not_used_after_fork(self):
        self.select.one_or_none(i='i0')
        self.assertEqual(1, self.idle.idle)
        parent_connection = self.idle.own()
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:    # pragma: no cover - the child reports by its pipe
            try:
                made = self.idle.made
                state = self.select.one_or_none(i='i0').state
                ok = (state == 'active' and self.idle.made == made + 1 and
                      parent_connection in prepared._INHERITED and
                      self.idle.own() is not parent_connection)
                os.write(write, b'ok' if ok else b'bad')
            finally:
                os._exit(0)
        os.close(write)
        answer = os.read(read, 10)
        os.close(read)
        os.waitpid(pid, 0)
        self.assertEqual(b'ok', answer)
        # The parent's connection still works in the parent.
        self.assertEqual('active', self.select.one_or_none(i='i0').state)
        self.assertIs(parent_connection, self.idle.own())

    def test_dispose_closes_the_idle_ones(self):
        connection, first = self.idle.get()
        taken, generation = self.idle.get()
        self.idle.put(connection, first)
        self.assertEqual(1, self.idle.idle)
        self.engine.dispose()
        self.assertEqual(0, self.idle.idle)
        self.assertRaises(sqlite3.ProgrammingError,
                          connection.execute, 'SELECT 1')
        # One handed out before the dispose is closed when handed back.
        self.idle.put(taken, generation)
        self.assertEqual(0, self.idle.idle)
        self.assertRaises(sqlite3.ProgrammingError,
                          taken.execute, 'SELECT 1')
        # Reads go on with new connections.
        self.assertEqual('active', self.select.one_or_none(i='i0').state)
        self.assertEqual(1, self.idle.idle)

    def test_a_failing_read_keeps_a_sound_connection(self):
        broken = prepared.PreparedSelect(self.engine, sa.select(
            sa.column('nothing')).select_from(sa.table('no_such_table')))
        self.select.one_or_none(i='i0')
        made = self.idle.made
        for _ in range(3):
            self.assertRaises(sa_exc.DBAPIError, broken.all)
        self.assertEqual(made, self.idle.made)
        self.assertEqual('active', self.select.one_or_none(i='i0').state)

    def test_a_lost_connection_is_not_kept(self):
        self.select.one_or_none(i='i0')
        self.idle.own().close()
        # The closed connection fails (a disconnect for the dialect) and
        # is dropped; the next read makes a new one.
        self.assertRaises(sa_exc.DBAPIError, self.select.all, i='i0')
        self.assertEqual(0, self.idle.idle)
        self.assertEqual('active', self.select.one_or_none(i='i0').state)
