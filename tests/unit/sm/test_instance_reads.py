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
"""``InstanceStore.get`` (each ``GET`` of an instance) keeps what it read
on a SQLite file while the change counter (``hurtle.db.changes``) has not
moved; a write of any kind, in this process or another, shows at the next
``get``; while a write is in progress (or its writer died in it) every
``get`` reads; PostgreSQL reads every time."""
import os
import subprocess
import sys
import threading

import sqlalchemy as sa
import testtools

from hurtle.db import changes
from hurtle.db import engine as db_engine
from hurtle.db import migration
from hurtle.db import models
from hurtle.occi import categories
from hurtle.sm import states
from hurtle.sm import store as store_mod
from tests.unit.db import test_migrations
from tests.unit.sm import test_store

KIND = categories.service_kind('http://example.org/occi/sm#svc', 'test',
                               {'svc.a': ''})
EXTRAS = {'project': 'p1'}


def _in_another_process(code, url):
    """Run ``code`` (``url`` in ``sys.argv[1]``) in a new interpreter."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        p for p in sys.path if p))
    subprocess.check_call([sys.executable, '-c', code, url], env=env,
                          timeout=60)


class InstanceReadsTest(test_migrations.MigratedCase):

    def setUp(self):
        super().setUp()
        self.store = store_mod.InstanceStore(self.url, {'svc': KIND})
        self.store.add('/svc/i1', test_store.Entity({'svc.a': 'x'}),
                       EXTRAS)
        self.reads = []
        read = self.store.read

        def counted(instance_id):
            self.reads.append(instance_id)
            return read(instance_id)
        self.store.read = counted

    def _state(self, instance_id='i1'):
        entity = self.store.get('/svc/' + instance_id, EXTRAS)
        return None if entity is None else \
            entity.attributes['mcn.service.state']

    def test_read_once_until_a_write(self):
        for _ in range(3):
            self.assertEqual(states.INITIALISE, self._state())
            self.assertIsNone(self._state('nope'))
        reads = 2 if self.backend == 'sqlite' else 6
        self.assertEqual(reads, len(self.reads))
        self.store.transition('i1', states.ACTIVE)
        self.assertEqual(states.ACTIVE, self._state())
        self.assertEqual(reads + 1, len(self.reads))

    def test_what_is_kept_is_not_changed_by_its_entities(self):
        entity = self.store.get('/svc/i1', EXTRAS)
        entity.attributes['svc.a'] = 'changed'
        entity.attributes.pop('mcn.service.state')
        again = self.store.get('/svc/i1', EXTRAS)
        self.assertEqual('x', again.attributes['svc.a'])
        self.assertEqual(states.INITIALISE,
                         again.attributes['mcn.service.state'])

    def test_each_write_path_shows_at_the_next_get(self):
        self.assertEqual(states.INITIALISE, self._state())
        number = self.store.begin('i1', states.ACTIVATE,
                                  {states.INITIALISE})
        self.assertEqual(states.ACTIVATE, self._state())
        self.store.moved('i1', states.ACTIVE, operation=number,
                         attributes={'svc.a': 'y'})
        self.assertEqual(states.ACTIVE, self._state())
        self.assertEqual(
            'y', self.store.get('/svc/i1', EXTRAS).attributes['svc.a'])
        entity = self.store.get('/svc/i1', EXTRAS)
        entity.title = 'titled'
        self.store.update('/svc/i1', entity, EXTRAS)
        self.assertEqual('titled', self.store.get('/svc/i1', EXTRAS).title)
        # A write that is not the store's: a session of the same engine.
        with db_engine.sessionmaker(self.url).begin() as session:
            session.execute(sa.update(models.ServiceInstance).values(
                state=states.DEGRADED))
        self.assertEqual(states.DEGRADED, self._state())
        self.assertTrue(self.store.purge('i1'))
        self.assertIsNone(self._state())

    def test_a_write_in_another_process_shows_at_the_next_get(self):
        self.assertEqual(states.INITIALISE, self._state())
        self.assertEqual(states.INITIALISE, self._state())
        _in_another_process(
            'import sys; from hurtle.occi import categories; '
            'from hurtle.sm import store; '
            'kind = categories.service_kind('
            '"http://example.org/occi/sm#svc", "test", {}); '
            's = store.InstanceStore(sys.argv[1], {"svc": kind}); '
            'assert s.transition("i1", "active")', self.url)
        self.assertEqual(states.ACTIVE, self._state())
        # Core, no store, on a connection of the engine of that process.
        _in_another_process(
            'import sys; import sqlalchemy as sa; '
            'from hurtle.db import engine; '
            'e = engine.get_engine(sys.argv[1]); '
            'c = e.connect(); '
            'c.execute(sa.text("UPDATE sm_instances SET state = :s"), '
            '{"s": "degraded"}); c.commit()', self.url)
        self.assertEqual(states.DEGRADED, self._state())

    def test_read_every_time_while_a_write_is_in_progress(self):
        if self.backend != 'sqlite':
            self.skipTest('only a SQLite file has a change counter')
        self.assertEqual(states.INITIALISE, self._state())
        # As a writer of another process that died in its write.
        _in_another_process(
            'import os, sys; from hurtle.db import changes; '
            'changes.for_path(sys.argv[1][len("sqlite:///"):]).begin(); '
            'os._exit(0)', self.url)
        before = len(self.reads)
        self.assertEqual(states.INITIALISE, self._state())
        self.assertEqual(states.INITIALISE, self._state())
        self.assertEqual(before + 2, len(self.reads))
        # The next write that ends makes it even again.
        self.store.transition('i1', states.ACTIVE)
        self.assertEqual(states.ACTIVE, self._state())
        self.assertEqual(states.ACTIVE, self._state())
        self.assertEqual(before + 3, len(self.reads))

    def test_no_get_after_a_write_shows_what_was_before(self):
        # Readers keep filling what is kept while a writer writes: each
        # value written is what a get after its write returned shows,
        # or a later one.
        stop = threading.Event()
        seen = []

        def hammer():
            while not stop.is_set():
                self.store.get('/svc/i1', EXTRAS)
        readers = [threading.Thread(target=hammer) for _ in range(3)]
        for thread in readers:
            thread.start()
        try:
            for number in range(1, 41):
                self.store.transition('i1', states.ACTIVE,
                                      attributes={'svc.a': str(number)})
                seen.append(int(self.store.get(
                    '/svc/i1', EXTRAS).attributes['svc.a']))
        finally:
            stop.set()
            for thread in readers:
                thread.join(30)
        self.assertEqual(list(range(1, 41)), seen)

    def test_rows_kept_are_bounded(self):
        if self.backend != 'sqlite':
            self.skipTest('only a SQLite file has a change counter')
        self.patch(store_mod, 'MAX_KEPT', 3)
        for name in ('a', 'b', 'c', 'd'):
            self.assertIsNone(self._state(name))
        _version, kept = self.store._kept
        self.assertEqual(['d'], list(kept))


class NoCounterTest(testtools.TestCase):

    def test_an_engine_not_made_by_hurtle_reads_every_time(self):
        url = test_migrations._database(self, 'sqlite')
        migration.upgrade(url)
        self.assertIsNotNone(
            changes.for_engine(db_engine.get_engine(url)))
        self.assertIsNone(changes.for_engine(sa.create_engine(url)))
