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
"""``hurtle.db.changes``: the change counter of a SQLite file is shared
by processes, odd while a write is in progress (also once its writer
died in it), and its writers take turns; every write through an engine
of ``hurtle.db.engine`` is counted, whatever its way (ORM, Core, the
DBAPI connection, a failed or rolled back one), reads are not."""
import os
import stat
import subprocess
import sys
import threading
import time

import fixtures
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
import testtools

from hurtle.db import changes
from hurtle.db import engine as db_engine
from hurtle.db import locks
from hurtle.db import migration
from hurtle.db import models


def _python(code, *args, wait=True):
    """Run ``code`` in a new interpreter (this checkout's Hurtle)."""
    proc = subprocess.Popen([sys.executable, '-c', code] + list(args),
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                                p for p in sys.path if p)))
    if wait:
        return proc.wait(timeout=60)
    return proc


def _hold_in_another_process(case, path):
    """A new interpreter that begins a write on the counter at ``path``
    and holds it (killed at ``case``'s cleanup); returned once it
    holds."""
    code = ('import sys, time; from hurtle.db import changes; '
            'changes.Counter(sys.argv[1]).begin(); '
            'open(sys.argv[2], "w").close(); time.sleep(60)')
    marker = path + '.held'
    proc = _python(code, path, marker, wait=False)
    case.addCleanup(proc.wait, 60)
    case.addCleanup(proc.kill)
    for _ in range(600):
        if os.path.exists(marker):
            break
        time.sleep(0.05)
    return proc


class CounterTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'db-changes')
        self.counter = changes.Counter(self.path)

    def test_odd_during_a_write_and_larger_even_after(self):
        self.assertEqual(0, self.counter.stable())
        with self.counter.writing():
            self.assertIsNone(self.counter.stable())
            self.assertEqual(1, self.counter.value())
        self.assertEqual(2, self.counter.stable())
        self.assertEqual(0o600, stat.S_IMODE(os.stat(self.path).st_mode))

    def test_a_failed_write_still_ends(self):
        def fail():
            with self.counter.writing():
                raise ValueError('refused')
        self.assertRaises(ValueError, fail)
        self.assertEqual(2, self.counter.stable())

    def test_another_process_sees_and_makes_changes(self):
        with self.counter.writing():
            pass
        code = ('import sys; from hurtle.db import changes; '
                'c = changes.Counter(sys.argv[1]); '
                'assert c.stable() == 2, c.value(); '
                'w = c.writing(); w.__enter__(); w.__exit__(None, None, None)')
        self.assertEqual(0, _python(code, self.path))
        # No reopening: the mapping shows the other process's write.
        self.assertEqual(4, self.counter.stable())

    def test_a_writer_that_died_in_its_write_leaves_it_odd(self):
        code = ('import os, sys; from hurtle.db import changes; '
                'w = changes.Counter(sys.argv[1]).writing(); w.__enter__(); '
                'os._exit(0)')
        self.assertEqual(0, _python(code, self.path))
        self.assertIsNone(self.counter.stable())
        # Readers read every time until the next write ends.
        with self.counter.writing():
            self.assertIsNone(self.counter.stable())
        self.assertEqual(4, self.counter.stable())

    def test_writers_of_two_processes_take_turns(self):
        code = ('import sys; from hurtle.db import changes; '
                'c = changes.Counter(sys.argv[1]); '
                'w = c.writing(); w.__enter__(); '
                'open(sys.argv[2], "w").close(); '
                'w.__exit__(None, None, None)')
        marker = self.path + '.done'
        with self.counter.writing():
            proc = _python(code, self.path, marker, wait=False)
            self.addCleanup(proc.wait, 60)
            time.sleep(0.5)
            self.assertFalse(os.path.exists(marker))
            self.assertEqual(1, self.counter.value())
        self.assertEqual(0, proc.wait(timeout=60))
        self.assertTrue(os.path.exists(marker))
        self.assertEqual(4, self.counter.stable())

    def test_writes_of_one_thread_nest(self):
        self.counter.begin()
        self.counter.begin()
        self.counter.end()
        self.assertIsNone(self.counter.stable())
        self.counter.end()
        self.assertEqual(2, self.counter.stable())
        self.counter.end()      # one end too many changes nothing
        self.assertEqual(2, self.counter.stable())

    def test_another_thread_waits_for_the_write(self):
        self.counter.begin()
        ended = []

        def other():
            with self.counter.writing():
                ended.append(self.counter.value())
        thread = threading.Thread(target=other)
        thread.start()
        thread.join(0.3)
        self.assertEqual([], ended)
        self.counter.end()
        thread.join(10)
        self.assertEqual([3], ended)
        self.assertEqual(4, self.counter.stable())

    def test_busy_past_the_timeout(self):
        proc = _hold_in_another_process(self, self.path)
        started = time.monotonic()
        self.assertRaises(changes.Busy, self.counter.begin, timeout=0.3)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)
        self.assertIsNone(self.counter.stable())
        proc.kill()
        proc.wait(60)
        # Its flock went with it: the next write ends at an even count.
        self.counter.begin(timeout=10)
        self.counter.end()
        self.assertEqual(4, self.counter.stable())


class CountedEngineTest(testtools.TestCase):
    """Writes through an engine of ``hurtle.db.engine``."""

    def setUp(self):
        super().setUp()
        database = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                'hurtle.sqlite')
        self.url = 'sqlite:///' + database
        migration.upgrade(self.url)
        self.engine = db_engine.get_engine(self.url)
        self.addCleanup(self.engine.dispose)
        self.counter = changes.for_engine(self.engine)
        self.sessions = db_engine.sessionmaker(self.url)

    def _row(self, ident='m1'):
        return models.UserMixin(project='p', scheme='s#', term=ident,
                                title='', location='/%s/' % ident,
                                related=[])

    def test_an_orm_write_is_odd_until_its_commit(self):
        before = self.counter.stable()
        with self.sessions.begin() as session:
            session.add(self._row())
            session.flush()
            self.assertIsNone(self.counter.stable())
        self.assertEqual(before + 2, self.counter.stable())

    def test_reads_are_not_counted(self):
        before = self.counter.stable()
        with self.sessions() as session:
            session.scalars(sa.select(models.UserMixin)).all()
        raw = self.engine.raw_connection()
        raw.execute('SELECT 1').fetchall()
        raw.execute('PRAGMA busy_timeout').fetchall()
        raw.close()
        self.assertEqual(before, self.counter.stable())

    def test_core_dbapi_and_serialised_writes(self):
        before = self.counter.stable()
        with self.engine.connect() as connection:
            connection.execute(sa.delete(models.UserMixin))
            self.assertIsNone(self.counter.stable())
            connection.rollback()
        self.assertEqual(before + 2, self.counter.stable())
        raw = self.engine.raw_connection()
        raw.cursor().execute("DELETE FROM user_mixins WHERE term = 'x'")
        self.assertIsNone(self.counter.stable())
        raw.commit()
        self.assertEqual(before + 4, self.counter.stable())
        raw.execute("DELETE FROM user_mixins WHERE term = 'y'")
        raw.execute('COMMIT')   # SQLite ends it: so does the count
        self.assertEqual(before + 6, self.counter.stable())
        raw.close()
        with self.engine.begin() as connection:
            locks.serialise(connection, 1)
            self.assertIsNone(self.counter.stable())
        self.assertEqual(before + 8, self.counter.stable())

    def test_a_failed_write_ends(self):
        with self.sessions.begin() as session:
            session.add(self._row())
        before = self.counter.stable()

        def duplicate():
            with self.sessions.begin() as session:
                session.add(self._row())
        self.assertRaises(sa_exc.IntegrityError, duplicate)
        self.assertEqual(before + 2, self.counter.stable())

    def test_a_connection_closed_in_its_write_ends_it(self):
        before = self.counter.stable()
        raw = self.engine.raw_connection()
        raw.execute("DELETE FROM user_mixins WHERE term = 'x'")
        self.assertIsNone(self.counter.stable())
        raw.invalidate()    # closes the DBAPI connection, no rollback
        self.assertEqual(before + 2, self.counter.stable())

    def test_a_write_waits_for_another_process_then_fails(self):
        _hold_in_another_process(self, self.counter.path)
        engine = sa.create_engine(self.url, connect_args={
            'factory': changes.connection_class(self.counter, 0.3)})
        self.addCleanup(engine.dispose)
        with engine.connect() as connection:
            error = self.assertRaises(
                sa_exc.OperationalError, connection.execute,
                sa.delete(models.UserMixin))
        self.assertIn('database is locked', str(error))
        with engine.connect() as connection:    # reads go on
            connection.execute(sa.select(models.UserMixin)).all()


class ForEngineTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path

    def test_one_counter_beside_a_sqlite_file(self):
        database = os.path.join(self.tmp, 'hurtle.sqlite')
        engine = db_engine.get_engine('sqlite:///' + database)
        counter = changes.for_engine(engine)
        self.assertEqual(database + changes.SUFFIX, counter.path)
        self.assertTrue(os.path.exists(counter.path))
        self.assertIs(counter, changes.for_engine(engine))

    def test_none_for_an_in_memory_database(self):
        self.assertIsNone(changes.for_engine(sa.create_engine('sqlite://')))

    def test_none_when_the_file_cannot_be_used(self):
        database = os.path.join(self.tmp, 'other.sqlite')
        os.mkdir(database + changes.SUFFIX)     # a directory in its way
        logged = self.useFixture(fixtures.FakeLogger(name=changes.__name__))
        engine = db_engine.get_engine('sqlite:///' + database)
        self.assertIsNone(changes.for_engine(engine))
        self.assertIn('No change counter', logged.output)
