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
died in it), and its writers take turns."""
import os
import stat
import subprocess
import sys
import time

import fixtures
import sqlalchemy as sa
import testtools

from hurtle.db import changes
from hurtle.db import engine as db_engine


def _python(code, *args, wait=True):
    """Run ``code`` in a new interpreter (this checkout's Hurtle)."""
    proc = subprocess.Popen([sys.executable, '-c', code] + list(args),
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                                p for p in sys.path if p)))
    if wait:
        return proc.wait(timeout=60)
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
