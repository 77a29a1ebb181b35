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
"""The CC deletes the stacks Heat made for deleted apps
(:mod:`hurtle.cc.orphan_stacks`): the decision rule, the tombstones, and
the sweeper on a real embedded Heat and the CC's real store."""
import concurrent.futures
import datetime
import json
import threading
import types

import fixtures
from occi import core_model
import requests
import testtools

from hurtle.cc import api
from hurtle.cc import orphan_stacks
from hurtle.cc import store as app_store
from hurtle.db import migration
from hurtle import local_secret
from hurtle.occi import categories
from hurtle import polling
from hurtle.sdk import deployer as deployer_api
from hurtle.so.deployers import heat as heat_deployer
from tests import conf_fixture
from tests.unit.cc import test_stack_api

NOW = datetime.datetime(2026, 12, 5, 8, 0, 0)
WINDOW = 3600
TEMPLATE = test_stack_api.TEMPLATE


def _stack(tags=('hurtle-app-a1',), status='CREATE_COMPLETE',
           project='admin', parent=None):
    return heat_deployer.TaggedStack(id='s-1', name='hurtle-i1',
                                     status=status, tags=tuple(tags),
                                     project=project, parent=parent)


def _tombstone(seconds_ago=10):
    return types.SimpleNamespace(
        deleted_at=NOW - datetime.timedelta(seconds=seconds_ago))


class DecideTest(testtools.TestCase):
    """The rule: only a stack tagged for an app the CC deleted lately,
    in the credentials' project, is deleted."""

    def decide(self, stack=None, app_exists=False, tombstone='fresh',
               project='admin'):
        if tombstone == 'fresh':
            tombstone = _tombstone()
        return orphan_stacks.decide(stack or _stack(), 'a1', app_exists,
                                    tombstone, project, NOW, WINDOW)

    def test_app_deleted_lately_deletes(self):
        decision = self.decide()
        self.assertTrue(decision.delete)
        self.assertIn('made after its app was deleted', decision.why)

    def test_app_exists_keeps(self):
        # Being deleted, being created, or created again with that id.
        decision = self.decide(app_exists=True)
        self.assertFalse(decision.delete)
        self.assertEqual('its app exists', decision.why)

    def test_app_never_known_keeps(self):
        decision = self.decide(tombstone=None)
        self.assertFalse(decision.delete)
        self.assertIn('knows no deleted app a1', decision.why)

    def test_app_deleted_before_the_window_keeps(self):
        decision = self.decide(tombstone=_tombstone(WINDOW + 1))
        self.assertFalse(decision.delete)
        self.assertIn('orphan_stack_window', decision.why)

    def test_other_project_keeps(self):
        self.assertFalse(self.decide(_stack(project='demo')).delete)
        self.assertFalse(self.decide(_stack(project=None)).delete)
        self.assertFalse(self.decide(project=None).delete)

    def test_untagged_keeps(self):
        for tags in ((), ('hurtle-app-a2',), ('hurtle-app-a1x',),
                     ('other', 'hurtle-app-')):
            decision = self.decide(_stack(tags=tags))
            self.assertFalse(decision.delete, tags)
            self.assertIn('not tagged hurtle-app-a1', decision.why)

    def test_nested_keeps(self):
        self.assertFalse(self.decide(_stack(parent='p-1')).delete)

    def test_a_stack_being_deleted_is_left_to_heat(self):
        for status in ('DELETE_IN_PROGRESS', 'DELETE_COMPLETE'):
            self.assertFalse(self.decide(_stack(status=status)).delete)
        for status in ('DELETE_FAILED', 'CREATE_IN_PROGRESS',
                       'CREATE_FAILED', 'UPDATE_COMPLETE'):
            self.assertTrue(self.decide(_stack(status=status)).delete,
                            status)


class TombstoneOfTest(testtools.TestCase):

    def test_credentials_and_regions_of_the_environment(self):
        self.assertEqual(
            {'project': 'p1', 'access': {'trust_id': 't1',
                                         'regions': ['R1', 'R2']}},
            orphan_stacks.tombstone_of({
                'HURTLE_PROJECT': 'p1', 'HURTLE_TRUST_ID': 't1',
                'HURTLE_SO_SECRET': 'not kept',
                'HURTLE_SO_REGIONS': json.dumps({'R2': {}, 'R1': {}})}))

    def test_nothing_and_bad_regions(self):
        self.assertEqual(
            {'project': None, 'access': {'trust_id': None, 'regions': []}},
            orphan_stacks.tombstone_of({'HURTLE_SO_REGIONS': '{bad'}))


class SweeperTest(test_stack_api._CCTestCase):
    """On the class's embedded Heat, with the CC's store: app ``a1``
    exists, ``gone`` was deleted (its tombstone), ``never`` was never
    known."""

    def setUp(self):
        super().setUp()
        self.conf.set_override('orphan_stack_window', WINDOW, group='cc')
        self.backend = self.cc.backend
        self.store = self.backend.store
        self.addCleanup(self.empty_heat)
        # ``gone``: an app deleted as the API deletes one.
        self.store.add('/app/gone', self.app_entity('gone'),
                       {'project': 'service'})
        self.store.mark_deleting('gone', tombstone=orphan_stacks.
                                 tombstone_of({'HURTLE_PROJECT': 'p1'}))
        self.store.purge('gone')
        self.sweeper = orphan_stacks.Sweeper(self.conf, self.backend)
        self.disposed = []
        factory = self.backend.stacks.deployer_factory

        def counting(caller, region):
            deployer = factory(caller, region)
            real = deployer.dispose
            if getattr(real, 'counted', False):
                return deployer
            lock = threading.Lock()

            def dispose(stack_id):
                with lock:
                    self.disposed.append(stack_id)
                return real(stack_id)
            dispose.counted = True
            deployer.dispose = dispose
            return deployer
        self.backend.stacks.deployer_factory = counting

    @staticmethod
    def app_entity(app_id):
        entity = core_model.Resource(app_store.PREFIX + app_id,
                                     categories.APP, [])
        entity.attributes.update({'occi.app.name': app_id,
                                  'occi.app.image': 'bundle',
                                  'occi.app.state': 'active'})
        entity.app_env = {'HURTLE_PROJECT': 'p1'}
        return entity

    def make(self, name, *tags):
        fields = dict(stack_name=name, template=TEMPLATE)
        if tags:
            fields['tags'] = ','.join(tags)
        return self.heat_client.stacks.create(**fields)['stack']['id']

    def status(self, stack_id):
        return self.heat_client.stacks.get(stack_id).stack_status

    def test_only_the_stack_of_the_deleted_app_is_deleted(self):
        orphan = self.make('orphan', 'hurtle-app-gone')
        kept = [self.make('of-a1', 'hurtle-app-a1'),
                self.make('never', 'hurtle-app-never'),
                self.make('untagged'),
                self.make('other-tag', 'gone', 'hurtle-app-gonex')]
        self.assertEqual(1, self.sweeper.sweep())
        self.assertEqual([orphan], self.disposed)
        self.assert_gone_from_heat('orphan')
        self.assertEqual(sorted(['of-a1', 'never', 'untagged',
                                 'other-tag']), self.heat_names())
        for stack_id in kept:
            self.assertFalse(self.status(stack_id).startswith('DELETE'))
        # Again: nothing more to do.
        self.assertEqual(0, self.sweeper.sweep())
        self.assertEqual([orphan], self.disposed)

    def test_the_api_delete_of_an_app_leaves_its_tombstone(self):
        headers = dict(local_secret.headers(self.conf.state_path),
                       **{'X-Project-Id': 'service'})
        resp = requests.delete(self.url + 'app/a1', headers=headers)
        self.assertEqual(200, resp.status_code, resp.text)
        tombstone = self.store.tombstone('a1')
        self.assertEqual('p1', tombstone.project)
        self.assertEqual({'trust_id': None, 'regions': []},
                         tombstone.access)
        late = self.make('late', 'hurtle-app-a1')
        self.assertEqual(1, self.sweeper.sweep())
        self.assertEqual([late], self.disposed)
        self.assert_gone_from_heat('late')

    def test_parallel_looks_delete_once(self):
        self.make('orphan', 'hurtle-app-gone')
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            done = list(pool.map(lambda _: self.sweeper.sweep(), range(4)))
        self.assertEqual(1, sum(done))
        self.assertEqual(1, len(self.disposed))
        self.assert_gone_from_heat('orphan')

    def test_an_app_created_again_with_that_id_keeps_its_stacks(self):
        self.store.add('/app/gone', self.app_entity('gone'),
                       {'project': 'service'})
        self.assertIsNone(self.store.tombstone('gone'))
        self.make('again', 'hurtle-app-gone')
        self.assertEqual(0, self.sweeper.sweep())
        self.assertEqual(['again'], self.heat_names())

    def test_an_app_being_deleted_keeps_its_stacks_until_removed(self):
        self.store.add('/app/going', self.app_entity('going'),
                       {'project': 'service'})
        self.store.mark_deleting('going', tombstone=orphan_stacks.
                                 tombstone_of({'HURTLE_PROJECT': 'p1'}))
        self.make('late', 'hurtle-app-going')
        self.assertEqual(0, self.sweeper.sweep())
        self.store.purge('going')
        self.assertEqual(1, self.sweeper.sweep())
        self.assert_gone_from_heat('late')

    def test_an_old_tombstone_is_dropped_and_its_stacks_kept(self):
        self.make('late', 'hurtle-app-gone')
        self.sweeper.clock = lambda: (orphan_stacks._utcnow() +
                                      datetime.timedelta(seconds=WINDOW + 5))
        self.assertEqual(0, self.sweeper.sweep())
        self.assertIsNone(self.store.tombstone('gone'))
        self.assertEqual(['late'], self.heat_names())

    def test_a_create_event_looks_at_once(self):
        self.conf.set_override('orphan_stack_interval', 600, group='cc')
        self.sweeper.start()
        self.addCleanup(self.sweeper.stop, 5)
        orphan = self.make('orphan', 'hurtle-app-gone')
        # The embedded Heat of this class posts no events: as its driver
        # would, once Heat made the stack.
        self.backend.stacks.events.notify(orphan, 'CREATE_COMPLETE')
        polling.poll_until(lambda: self.disposed or None, 10, 0.05,
                           'the stack deleted')
        self.assert_gone_from_heat('orphan')
        # Other events wake nothing.
        sweeps = self.sweeper.sweeps
        self.backend.stacks.events.notify(orphan, 'DELETE_COMPLETE')
        self.backend.stacks.events.notify(orphan, None)
        self.assertFalse(self.sweeper._wake.wait(0.3))
        self.assertEqual(sweeps, self.sweeper.sweeps)


class _Refusing(object):
    """A deployer whose credentials are gone (the trust deleted)."""

    def __init__(self):
        self.disposed = []

    def stacks_tagged(self, tag):
        raise deployer_api.DeployerError(
            'list stacks tagged %s: Keystone answered 404: trust not '
            'found' % tag)

    def dispose(self, stack_id):
        self.disposed.append(stack_id)


class GoneCredentialsTest(testtools.TestCase):

    def test_warns_once_naming_app_and_project_and_leaves_it(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        conf = self.useFixture(conf_fixture.HurtleConf(
            state_path=tmp)).conf
        migration.upgrade(conf.database.connection)
        refusing = _Refusing()
        callers = []

        def factory(caller, region):
            callers.append(caller)
            return refusing
        _app, backend = api.make_application(conf, deployer_factory=factory)
        self.addCleanup(backend.runtime.stop_all)
        backend.store.add('/app/gone', SweeperTest.app_entity('gone'),
                          {'project': 'service'})
        backend.store.mark_deleting('gone', tombstone={
            'project': 'p9', 'access': {'trust_id': 'trust-9',
                                        'regions': []}})
        backend.store.purge('gone')
        log = self.useFixture(fixtures.FakeLogger())
        sweeper = orphan_stacks.Sweeper(conf, backend)
        self.assertEqual(0, sweeper.sweep())
        self.assertEqual(0, sweeper.sweep())
        self.assertEqual([], refusing.disposed)
        self.assertEqual([('gone', 'p9', 'trust-9')] * 2,
                         [(c.app_id, c.project, c.trust_id)
                          for c in callers])
        lines = [line for line in log.output.splitlines()
                 if 'deleted app gone' in line]
        self.assertEqual(1, len(lines), log.output)
        self.assertIn('project p9', lines[0])
        self.assertIn('trust not found', lines[0])
        self.assertNotIn('trust-9', log.output)
