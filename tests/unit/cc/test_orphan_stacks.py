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
(:mod:`hurtle.cc.orphan_stacks`): the decision rule, the lost creates
(recorded only where a create's answer was lost) and the sweeper on a
real embedded Heat and the CC's real store."""
import concurrent.futures
import datetime
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
from hurtle.occi import errors
from hurtle import polling
from hurtle.sdk import deployer as deployer_api
from hurtle.so.deployers import heat as heat_deployer
from tests import conf_fixture
from tests.unit.cc import test_stack_api

NOW = datetime.datetime(2026, 12, 5, 8, 0, 0)
WINDOW = 3600
TEMPLATE = test_stack_api.TEMPLATE


def _stack(tags=('hurtle-app-a1',), status='CREATE_COMPLETE',
           project='admin', parent=None, name='hurtle-i1'):
    return heat_deployer.TaggedStack(id='s-1', name=name,
                                     status=status, tags=tuple(tags),
                                     project=project, parent=parent)


def _lost(seconds_ago=10, title='hurtle-i1'):
    return types.SimpleNamespace(
        title=title, lost_at=NOW - datetime.timedelta(seconds=seconds_ago))


class DecideTest(testtools.TestCase):
    """The rule: only a stack tagged for an app that no longer exists,
    whose create the CC lost lately, in the credentials' project, is
    deleted."""

    def decide(self, stack=None, app_exists=False, lost='fresh',
               project='admin'):
        if lost == 'fresh':
            lost = [_lost()]
        return orphan_stacks.decide(stack or _stack(), 'a1', app_exists,
                                    lost, project, NOW, WINDOW)

    def test_a_lost_create_of_a_deleted_app_deletes(self):
        decision = self.decide()
        self.assertTrue(decision.delete)
        self.assertIn('made after its app was deleted', decision.why)

    def test_app_exists_keeps(self):
        # Being deleted, being created, or created again with that id.
        decision = self.decide(app_exists=True)
        self.assertFalse(decision.delete)
        self.assertEqual('its app exists', decision.why)

    def test_no_lost_create_of_that_name_keeps(self):
        for lost in ([], None, [_lost(title='hurtle-i2')]):
            decision = self.decide(lost=lost)
            self.assertFalse(decision.delete, lost)
            self.assertIn('lost no create of stack hurtle-i1 of app a1',
                          decision.why)

    def test_a_create_lost_before_the_window_keeps(self):
        decision = self.decide(lost=[_lost(WINDOW + 1)])
        self.assertFalse(decision.delete)
        self.assertIn('orphan_stack_window', decision.why)
        # The latest loss of that name counts.
        self.assertTrue(self.decide(lost=[_lost(WINDOW + 1),
                                          _lost(5)]).delete)

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


class SweeperCase(test_stack_api._CCTestCase):
    """On the class's embedded Heat, with the CC's store: apps ``a1`` and
    ``a2`` exist (instance project ``p1``), ``gone`` was deleted after a
    create of its stack ``orphan`` was lost, ``never`` was never
    known. Helpers, no tests."""

    def setUp(self):
        super().setUp()
        self.conf.set_override('orphan_stack_window', WINDOW, group='cc')
        self.backend = self.cc.backend
        self.store = self.backend.store
        self.stacks = self.backend.stacks.store
        self.addCleanup(self.empty_heat)
        self.stacks.record_lost('gone', 'orphan', None, 'p1', None)
        self.sweeper = orphan_stacks.Sweeper(self.conf, self.backend)
        #: (call, argument) of every Heat call the CC's deployers made
        #: by the sweeper's and the stack kind's listings and deletes.
        self.calls = []
        #: Creates answered "unavailable" without reaching Heat.
        self.lose_creates = False
        factory = self.backend.stacks.deployer_factory

        def counting(caller, region):
            deployer = factory(caller, region)
            if getattr(deployer, 'counted', False):
                return deployer
            lock = threading.Lock()

            def counted(name, real):
                def call(*args, **kwargs):
                    with lock:
                        self.calls.append((name, args[0] if args else None))
                    if name == 'deploy' and self.lose_creates:
                        raise deployer_api.DeployerUnavailable(
                            detail='the test lost the create')
                    return real(*args, **kwargs)
                return call
            for name in ('deploy', 'stacks_tagged', 'scope', 'dispose',
                         'tagged'):
                setattr(deployer, name, counted(name, getattr(deployer,
                                                              name)))
            deployer.counted = True
            return deployer
        self.backend.stacks.deployer_factory = counting

    def calls_of(self, *names):
        return [call for call in self.calls if call[0] in names]

    def sweeper_calls(self):
        return self.calls_of('stacks_tagged', 'scope', 'dispose')

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
        """Heat makes stack ``name`` (as a create it had queued would)."""
        fields = dict(stack_name=name, template=TEMPLATE)
        if tags:
            fields['tags'] = ','.join(tags)
        return self.heat_client.stacks.create(**fields)['stack']['id']

    def status(self, stack_id):
        return self.heat_client.stacks.get(stack_id).stack_status

    def delete_app(self, app_id):
        """The API's delete of app ``app_id`` (its stacks with it)."""
        headers = dict(local_secret.headers(self.conf.state_path),
                       **{'X-Project-Id': 'service'})
        resp = requests.delete(self.url + 'app/' + app_id, headers=headers)
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertFalse(self.store.exists(app_id))

    def lost_titles(self, app_id):
        return sorted(row.title for row in self.stacks.lost_of(app_id))

    def drop_all_lost(self):
        self.stacks.drop_lost(orphan_stacks._utcnow() +
                              datetime.timedelta(seconds=1))


class SweeperTest(SweeperCase):

    def test_an_app_delete_records_nothing_and_costs_heat_nothing(self):
        self.drop_all_lost()
        self.create('web')
        self.delete_app('a1')
        self.assertEqual([], self.lost_titles('a1'))
        self.assert_gone_from_heat('web')
        self.calls = []
        # Even a stack tagged for it (not made by a lost create) is not
        # looked for: no Heat call at all.
        self.make('late', 'hurtle-app-a1')
        self.assertEqual(0, self.sweeper.sweep())
        self.assertEqual([], self.sweeper_calls())
        self.assertEqual(0, self.sweeper.listings)
        self.assertEqual(['late'], self.heat_names())
        # Create events wake the thread: one query, no Heat call either.
        self.sweeper.start()
        self.addCleanup(self.sweeper.stop, 5)
        sweeps = self.sweeper.sweeps
        self.backend.stacks.events.notify('x', 'CREATE_COMPLETE')
        polling.poll_until(lambda: self.sweeper.sweeps > sweeps or None,
                           10, 0.05, 'a sweep')
        self.assertEqual([], self.sweeper_calls())

    def test_a_lost_create_is_recorded_and_its_late_stack_deleted(self):
        self.drop_all_lost()
        self.lose_creates = True
        self.assertRaises(errors.OCCIError, self.create, 'lost')
        self.lose_creates = False
        # Heat had no such stack (one look by name and tag).
        self.assertEqual([('deploy', 'lost'), ('tagged', 'lost')],
                         self.calls_of('deploy', 'tagged'))
        row, = self.stacks.lost_of('a1')
        self.assertEqual(('lost', None, 'p1', {'trust_id': None}),
                         (row.title, row.region, row.project, row.access))
        # Lost again: renewed, one record.
        self.lose_creates = True
        self.assertRaises(errors.OCCIError, self.create, 'lost')
        self.lose_creates = False
        self.assertEqual(['lost'], self.lost_titles('a1'))
        # Its app exists: not looked for.
        self.calls = []
        self.make('lost', 'hurtle-app-a1')
        self.assertEqual(0, self.sweeper.sweep())
        self.assertEqual([], self.sweeper_calls())
        # Deleted, the app's stack kind has no row of it: Heat's stack
        # stays, until the sweeper deletes it.
        self.delete_app('a1')
        self.assertEqual(['lost'], self.heat_names())
        self.assertEqual(1, self.sweeper.sweep())
        self.assert_gone_from_heat('lost')
        self.assertEqual(1, len(self.calls_of('dispose')))

    def test_a_create_heat_refused_records_nothing(self):
        self.drop_all_lost()
        self.assertRaises(errors.OCCIError, self.create, 'bad',
                          template='heat_template_version: 2018-08-31\n'
                                   'resources: {x: {type: No::Such}}\n')
        self.assertEqual([('deploy', 'bad')],
                         self.calls_of('deploy', 'tagged'))
        self.assertEqual([], self.lost_titles('a1'))

    def test_a_create_in_flight_when_its_app_is_deleted_is_recorded(self):
        # Claimed, Heat's answer not come (the create runs, or died with
        # an earlier CC process).
        self.stacks.claim('s-1', 'a1', 'flying', None)
        self.delete_app('a1')
        self.assertEqual(['flying'], self.lost_titles('a1'))
        self.assertEqual([], self.stacks.rows_of('a1'))
        self.make('flying', 'hurtle-app-a1')
        self.assertEqual(1, self.sweeper.sweep())
        self.assert_gone_from_heat('flying')

    def test_a_stack_created_while_its_app_is_deleted_is_recorded(self):
        # The SO, still served while the app's stacks are deleted,
        # creates one more: claimed after dispose_app read the rows.
        stacks = self.backend.stacks
        dispose_app = stacks.dispose_app

        def then_a_create(app_id, env):
            dispose_app(app_id, env)
            self.create('during')
        stacks.dispose_app = then_a_create
        self.addCleanup(setattr, stacks, 'dispose_app', dispose_app)
        self.delete_app('a1')
        self.assertEqual(['during'], self.lost_titles('a1'))
        self.assertEqual([], self.stacks.rows_of('a1'))
        self.assertEqual(['during'], self.heat_names())
        self.assertEqual(1, self.sweeper.sweep())
        self.assert_gone_from_heat('during')

    def test_only_the_stack_of_the_lost_create_is_deleted(self):
        orphan = self.make('orphan', 'hurtle-app-gone')
        kept = [self.make('of-a1', 'hurtle-app-a1'),
                self.make('never', 'hurtle-app-never'),
                self.make('untagged'),
                self.make('other-tag', 'gone', 'hurtle-app-gonex'),
                self.make('not-lost', 'hurtle-app-gone')]
        self.assertEqual(1, self.sweeper.sweep())
        self.assertEqual([('dispose', orphan)], self.calls_of('dispose'))
        self.assertEqual(1, self.sweeper.listings)
        self.assert_gone_from_heat('orphan')
        self.assertEqual(sorted(['of-a1', 'never', 'untagged',
                                 'other-tag', 'not-lost']),
                         self.heat_names())
        for stack_id in kept:
            self.assertFalse(self.status(stack_id).startswith('DELETE'))
        # Again: nothing more to do (looked for until the window ends:
        # Heat may hold another create of it).
        self.assertEqual(0, self.sweeper.sweep())
        self.assertEqual(1, len(self.calls_of('dispose')))
        self.assertEqual(['orphan'], self.lost_titles('gone'))

    def test_parallel_looks_delete_once(self):
        self.make('orphan', 'hurtle-app-gone')
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            done = list(pool.map(lambda _: self.sweeper.sweep(), range(4)))
        self.assertEqual(1, sum(done))
        self.assertEqual(1, len(self.calls_of('dispose')))
        self.assert_gone_from_heat('orphan')

    def test_an_app_created_again_with_that_id_keeps_its_stacks(self):
        # Its stack of that name is the new app's to adopt (a create of
        # it answered 409 takes it: StackBackend._create).
        self.store.add('/app/gone', self.app_entity('gone'),
                       {'project': 'service'})
        self.assertEqual([], self.lost_titles('gone'))
        self.make('orphan', 'hurtle-app-gone')
        self.assertEqual(0, self.sweeper.sweep())
        self.assertEqual(['orphan'], self.heat_names())

    def test_an_app_being_deleted_keeps_its_stacks_until_removed(self):
        self.store.add('/app/going', self.app_entity('going'),
                       {'project': 'service'})
        self.stacks.record_lost('going', 'late', None, 'p1', None)
        self.store.mark_deleting('going')
        self.make('late', 'hurtle-app-going')
        self.assertEqual(0, self.sweeper.sweep())
        self.assertEqual(1, self.sweeper.listings)   # gone's only
        self.store.purge('going')
        self.assertEqual(1, self.sweeper.sweep())
        self.assert_gone_from_heat('late')

    def test_an_old_lost_create_is_dropped_and_its_stacks_kept(self):
        self.make('orphan', 'hurtle-app-gone')
        self.sweeper.clock = lambda: (orphan_stacks._utcnow() +
                                      datetime.timedelta(seconds=WINDOW + 5))
        self.assertEqual(0, self.sweeper.sweep())
        self.assertEqual([], self.lost_titles('gone'))
        self.assertEqual([], self.sweeper_calls())
        self.assertEqual(['orphan'], self.heat_names())

    def test_a_create_event_looks_at_once(self):
        self.conf.set_override('orphan_stack_interval', 600, group='cc')
        self.sweeper.start()
        self.addCleanup(self.sweeper.stop, 5)
        orphan = self.make('orphan', 'hurtle-app-gone')
        # The embedded Heat of this class posts no events: as its driver
        # would, once Heat made the stack.
        self.backend.stacks.events.notify(orphan, 'CREATE_COMPLETE')
        polling.poll_until(lambda: self.calls_of('dispose') or None, 10,
                           0.05, 'the stack deleted')
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
        backend.stacks.store.record_lost('gone', 'orphan', None, 'p9',
                                         'trust-9')
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
