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
"""One lifecycle operation at a time: the store's conditional updates.

The same tests run on SQLite (where ``SELECT ... FOR UPDATE`` is a no-op)
and on a throw-away PostgreSQL cluster when PostgreSQL is installed.
"""
import datetime
import os
import threading

import fixtures
import sqlalchemy as sa
import testscenarios
import testtools

from hurtle.db import engine as db_engine
from hurtle.db import migration
from hurtle.db import models
from hurtle.occi import categories
from hurtle.occi import errors
from hurtle.occi import members
from hurtle.sm import leases
from hurtle.sm import states
from hurtle.sm import store as store_mod
from tests import pg_fixture

ROUNDS = 20
PARALLEL = 10


class Entity(object):
    """What the OCCI layer hands a store: attributes, title, summary,
    mixins."""

    title = None
    summary = None
    mixins = ()

    def __init__(self, attributes):
        self.attributes = dict(attributes)


class StoreTest(testscenarios.WithScenarios, testtools.TestCase):

    scenarios = [('sqlite', {'backend': 'sqlite'}),
                 ('postgresql', {'backend': 'postgresql'})]

    def setUp(self):
        super().setUp()
        if self.backend == 'sqlite':
            tmp = self.useFixture(fixtures.TempDir()).path
            url = 'sqlite:///' + os.path.join(tmp, 'hurtle.sqlite')
        else:
            pg_fixture.require()
            url = self.useFixture(pg_fixture.PostgreSQL()).url
        self.addCleanup(lambda: db_engine.get_engine(url).dispose())
        migration.upgrade(url)
        kind = categories.service_kind('http://example.org/occi/sm#svc',
                                       'test', {'svc.a': ''})
        self.store = store_mod.InstanceStore(url, {'svc': kind})
        self.store.add('/svc/i1', Entity({'svc.a': 'x'}),
                       {'project': 'p1'})

    def race(self, func):
        """Run ``func()`` on PARALLEL threads at once; their results."""
        barrier = threading.Barrier(PARALLEL)
        results = [None] * PARALLEL

        def run(index):
            barrier.wait()
            results[index] = func()
        threads = [threading.Thread(target=run, args=(i,))
                   for i in range(PARALLEL)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return results

    def test_new_instance_has_the_first_operation(self):
        row = self.store.load('i1')
        self.assertEqual((states.INITIALISE, states.FIRST_OPERATION),
                         (row.state, row.operation))

    def test_exactly_one_of_parallel_begins_wins(self):
        self.assertTrue(self.store.transition('i1', states.ACTIVE))
        for _round in range(ROUNDS):
            before = self.store.load('i1').operation
            results = self.race(lambda: self.store.begin(
                'i1', states.UPDATE, states.UPDATABLE))
            winners = [r for r in results if r is not None]
            self.assertEqual([before + 1], winners, results)
            row = self.store.load('i1')
            self.assertEqual((states.UPDATE, before + 1),
                             (row.state, row.operation))
            self.assertTrue(self.store.transition(
                'i1', states.ACTIVE, operation=before + 1))

    def test_begin_refuses_other_states_and_unknown_ids(self):
        self.assertIsNone(self.store.begin('i1', states.UPDATE,
                                           states.UPDATABLE))
        self.assertIsNone(self.store.begin('nope', states.DESTROY,
                                           states.DELETABLE))
        self.assertEqual(states.FIRST_OPERATION + 1, self.store.begin(
            'i1', states.DESTROY, states.DELETABLE))

    def test_begin_merges_onto_an_update_still_pending(self):
        # An update given up on a silent SO keeps its values (degraded):
        # the next update sends both, its own values winning.
        number = self.store.begin('i1', states.UPDATE, {states.INITIALISE},
                                  pending={'svc.a': 'y', 'svc.b': 'u'})
        self.assertTrue(self.store.transition(
            'i1', states.DEGRADED, reason='update pending: ...',
            operation=number))
        again = self.store.begin('i1', states.UPDATE, states.UPDATABLE,
                                 pending={'svc.a': 'z'})
        self.assertEqual({'svc.a': 'z', 'svc.b': 'u'},
                         self.store.load('i1').pending)
        # Once an update ends, nothing is pending: nothing is merged.
        self.assertTrue(self.store.transition(
            'i1', states.ACTIVE, operation=again, pending=None))
        self.store.begin('i1', states.UPDATE, states.UPDATABLE,
                         pending={'svc.a': 'w'})
        self.assertEqual({'svc.a': 'w'}, self.store.load('i1').pending)

    def test_begin_at_an_operation_number_only(self):
        self.assertIsNone(self.store.begin(
            'i1', states.DESTROY, states.DELETABLE,
            operation=states.FIRST_OPERATION + 1))
        self.assertEqual(states.FIRST_OPERATION + 1, self.store.begin(
            'i1', states.DESTROY, states.DELETABLE,
            operation=states.FIRST_OPERATION))

    def test_superseded_operation_changes_nothing(self):
        delete = self.store.begin('i1', states.DESTROY, states.DELETABLE)
        # The create (operation 1) finishes late: it must not overwrite.
        self.assertFalse(self.store.transition(
            'i1', states.ACTIVE, operation=states.FIRST_OPERATION,
            attributes={'svc.out': 'late'}, so_url='http://late/'))
        row = self.store.load('i1')
        self.assertEqual((states.DESTROY, delete, None),
                         (row.state, row.operation, row.so_url))
        self.assertNotIn('svc.out', row.attributes)
        self.assertFalse(self.store.purge('i1', operation=1))
        self.assertTrue(self.store.purge('i1', operation=delete))
        self.assertIsNone(self.store.load('i1'))

    def test_parallel_transitions_merge_attributes(self):
        self.store.transition('i1', states.ACTIVE)
        counter = iter(range(PARALLEL))
        lock = threading.Lock()

        def write():
            with lock:
                index = next(counter)
            return self.store.transition('i1', states.ACTIVE,
                                         attributes={'k%d' % index: index})
        self.assertEqual([True] * PARALLEL, self.race(write))
        attributes = self.store.load('i1').attributes
        self.assertEqual({'k%d' % i: i for i in range(PARALLEL)},
                         {k: v for k, v in attributes.items()
                          if k.startswith('k')})

    def test_moved_returns_the_record_as_a_new_read_gives_it(self):
        self.store.transition('i1', states.DEPLOY,
                              attributes={'svc.kept': 'k'})
        operation = self.store.load('i1').operation
        row = self.store.moved('i1', states.ACTIVE, operation=operation,
                               attributes={'svc.out': 'o'},
                               so_url='http://127.0.0.1:9/')
        fresh = self.store.load('i1')
        columns = ('state', 'reason', 'operation', 'so_url', 'attributes',
                   'updated_at', 'owner', 'lease_expires')
        self.assertEqual([getattr(fresh, c) for c in columns],
                         [getattr(row, c) for c in columns])
        self.assertEqual((states.ACTIVE, 'o', 'k'),
                         (row.state, row.attributes['svc.out'],
                          row.attributes['svc.kept']))
        # A superseded operation gets nothing and changes nothing.
        self.assertIsNone(self.store.moved('i1', states.FAILED,
                                           operation=operation - 1))
        self.assertIsNone(self.store.moved('nope', states.FAILED))
        self.assertEqual(states.ACTIVE, self.store.load('i1').state)

    def test_expect_and_pending(self):
        self.assertFalse(self.store.transition('i1', states.ACTIVE,
                                               expect={states.DEPLOY}))
        self.store.transition('i1', states.ACTIVE)
        number = self.store.begin('i1', states.UPDATE, states.UPDATABLE,
                                  pending={'svc.a': 'y'})
        row = self.store.load('i1')
        self.assertEqual({'svc.a': 'y'}, row.pending)
        self.assertTrue(self.store.transition('i1', states.ACTIVE,
                                              operation=number,
                                              pending=None))
        self.assertIsNone(self.store.load('i1').pending)

    def test_listing_members_are_what_the_entities_render(self):
        kind = self.store.kinds['svc']
        titled = Entity({'svc.a': '\u00fc\u2603 "q" \\', 'n': None,
                         'typed': [1, {'x': 2.5, 'y': True}]})
        titled.title = 'T'
        self.store.add('/svc/i2', titled, {'project': 'p1'})
        self.store.add('/svc/j1', Entity({}), {'project': 'p2'})
        self.store.transition('i2', states.FAILED, reason='why',
                              so_url='http://127.0.0.1:1/')
        p1 = {'project': 'p1'}
        entities, _more = self.store.listing(p1, kind)
        found, more = self.store.listing(p1, kind, members=True)
        self.assertEqual([members.of_entity(e) for e in entities], found)
        self.assertEqual(['/svc/i1', '/svc/i2'],
                         [m.identifier for m in found])
        self.assertEqual('why', found[1].attributes[
            'mcn.service.state.reason'])
        self.assertFalse(more)
        self.assertEqual((found[1:], False), self.store.listing(
            p1, kind, marker='i1', members=True))
        self.assertEqual((found[:1], True), self.store.listing(
            p1, kind, limit=1, members=True))

    def test_listing_pages_in_a_stable_order(self):
        # Rows created in the same instant are ordered by id.
        kind = self.store.kinds['svc']
        for ident in ('i4', 'i2', 'i3'):
            self.store.add('/svc/' + ident, Entity({}), {'project': 'p1'})
        self.store.add('/svc/j1', Entity({}), {'project': 'p2'})
        table = models.ServiceInstance
        with self.store._sessions.begin() as session:
            session.execute(sa.update(table).where(
                table.id.in_(['i2', 'i3', 'i4'])).values(
                    created_at=datetime.datetime(2030, 1, 1)))
        p1 = {'project': 'p1'}
        self.assertEqual((['/svc/i1', '/svc/i2'], True), self.store.listing(
            p1, kind, limit=2, keys_only=True))
        items, more = self.store.listing(p1, kind, limit=2, marker='i2')
        self.assertEqual(['/svc/i3', '/svc/i4'],
                         [e.identifier for e in items])
        self.assertEqual('x', self.store.listing(p1, kind, limit=1)[0][0]
                         .attributes['svc.a'])
        self.assertFalse(more)
        for marker in ('j1', 'nope'):
            self.assertRaises(errors.BadRequest, self.store.listing, p1,
                              kind, marker=marker)

    def test_versions_change_with_what_is_rendered_only(self):
        kind = self.store.kinds['svc']
        p1 = {'project': 'p1'}
        self.store.add('/svc/i2', Entity({}), p1)

        def version(ident):
            versions, _more = self.store.versions(p1, kind)
            return dict(versions)['/svc/' + ident]

        seen = [version('i1')]
        # Lease writes keep it: nothing rendered changed.
        now = datetime.datetime(2030, 1, 1)
        lease = leases.Lease('sm-a', now, now + datetime.timedelta(1))
        self.assertTrue(self.store.claim('i1', lease))
        self.assertEqual(1, self.store.renew(['i1'], lease))
        self.assertEqual(1, self.store.release(['i1'], 'sm-a'))
        self.assertEqual(seen[0], version('i1'))
        # Each write of a rendered column gives a new one.
        titled = Entity({})
        titled.title = 'T'
        for change in (
                lambda: self.store.update('/svc/i1', titled, p1),
                lambda: self.store.transition('i1', states.FAILED,
                                              reason='why'),
                lambda: self.store.transition('i1', states.FAILED,
                                              reason='again')):
            change()
            seen.append(version('i1'))
        self.assertEqual(len(seen), len(set(seen)), seen)
        # A page, and another project's view, as listing() gives them.
        self.assertEqual(([('/svc/i1', seen[-1])], True),
                         self.store.versions(p1, kind, limit=1))
        self.assertEqual(([], False),
                         self.store.versions({'project': 'p2'}, kind))
        self.assertRaises(errors.BadRequest, self.store.versions, p1, kind,
                          marker='nope')

    def test_versioned_members_are_the_listings_members(self):
        kind = self.store.kinds['svc']
        p1 = {'project': 'p1'}
        for ident in ('i2', 'i3'):
            self.store.add('/svc/' + ident, Entity({'svc.a': ident}), p1)
        self.store.add('/svc/j1', Entity({}), {'project': 'p2'})
        self.store.transition('i3', states.FAILED, reason='why')
        listed, _more = self.store.listing(p1, kind, members=True)
        versions = dict(self.store.versions(p1, kind)[0])
        # In the order asked; another project's, unknown and other
        # services' keys are left out.
        keys = ['/svc/i3', '/svc/j1', '/svc/i1', '/svc/nope', '/other/i2']
        found = self.store.versioned_members(p1, kind, keys, {})
        self.assertEqual([('/svc/i3', versions['/svc/i3'], listed[2]),
                          ('/svc/i1', versions['/svc/i1'], listed[0])],
                         found)
        self.assertEqual([], self.store.versioned_members(p1, kind, [], {}))
        # More ids than one IN holds.
        many = ['/svc/x%04d' % n for n in range(store_mod._IDS_PER_QUERY)]
        self.assertEqual(['/svc/i2'], [key for key, _v, _m in (
            self.store.versioned_members(p1, kind, many + ['/svc/i2'],
                                         {}))])
