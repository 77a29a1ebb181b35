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
"""``StackOrchestrator`` with several regions: one stack per region,
states added up, outputs keyed by region, update and dispose in each.

Each region's deployer is the in-memory implementation of the
``hurtle.sdk.Deployer`` interface of ``tests.unit.so.
test_stack_orchestrator`` (it refuses what Heat would: a name in use, a
parameter over its limit); here a test sets a stack's status directly to
reach the states Heat reports (in progress, failed, rolled back), which
the functional test (``tests.functional.test_regions``) reaches on the
embedded Heat. The SO under test is the real ``StackOrchestrator``.
"""
import json
import os

import fixtures
import testtools

from hurtle import sdk
from hurtle.sdk import deployer as deployer_api
from hurtle.sdk import regions
from tests.unit.so import test_stack_orchestrator as memory

REGIONS = ('RegionOne', 'RegionTwo')


def details(status, reason='', outputs=None):
    return deployer_api.StackDetails(id='x', status=status, reason=reason,
                                     outputs=outputs or {})


class AggregateTest(testtools.TestCase):
    """:func:`hurtle.sdk.regions.aggregate`."""

    def agg(self, *pairs):
        return regions.aggregate([(r, details(*d)) for r, d in pairs])

    def test_all_complete_is_complete(self):
        self.assertEqual(
            ('CREATE_COMPLETE', 'RegionOne: done'),
            self.agg(('RegionOne', ('CREATE_COMPLETE', 'done')),
                     ('RegionTwo', ('CREATE_COMPLETE',))))

    def test_any_failed_is_failed_naming_the_region(self):
        self.assertEqual(
            ('CREATE_FAILED', 'RegionTwo: Resource CREATE failed: boom'),
            self.agg(('RegionOne', ('CREATE_IN_PROGRESS',)),
                     ('RegionTwo', ('CREATE_FAILED',
                                    'Resource CREATE failed: boom'))))
        status, reason = self.agg(('RegionOne', ('UPDATE_FAILED', 'a')),
                                  ('RegionTwo', ('UPDATE_FAILED', '')))
        self.assertEqual('UPDATE_FAILED', status)
        self.assertEqual('RegionOne: a; RegionTwo: UPDATE_FAILED', reason)

    def test_else_in_progress(self):
        self.assertEqual(
            'UPDATE_IN_PROGRESS',
            self.agg(('RegionOne', ('CREATE_COMPLETE',)),
                     ('RegionTwo', ('UPDATE_IN_PROGRESS',)))[0])

    def test_rollback_wins_over_complete(self):
        self.assertEqual(
            ('ROLLBACK_COMPLETE', 'RegionOne: value refused'),
            self.agg(('RegionOne', ('ROLLBACK_COMPLETE', 'value refused')),
                     ('RegionTwo', ('UPDATE_COMPLETE',))))

    def test_mixed_complete_reports_the_region_behind(self):
        # An update that reached one region only is asked again.
        self.assertEqual(
            'CREATE_COMPLETE',
            self.agg(('RegionOne', ('UPDATE_COMPLETE',)),
                     ('RegionTwo', ('CREATE_COMPLETE',)))[0])

    def test_outputs_keyed_by_region(self):
        self.assertEqual(
            {'RegionOne.url': 'a', 'RegionTwo.url': 'b',
             'RegionTwo.n': 2},
            regions.keyed_outputs([
                ('RegionOne', details('CREATE_COMPLETE', outputs={
                    'url': 'a'})),
                ('RegionTwo', details('CREATE_COMPLETE', outputs={
                    'url': 'b', 'n': 2}))]))

    def test_ids_round_trip(self):
        ids = {'RegionTwo': 'b', 'RegionOne': 'a'}
        self.assertEqual(ids, regions.decode_ids(regions.encode_ids(ids)))
        self.assertEqual({None: 'abc'}, regions.decode_ids('abc'))
        self.assertEqual({}, regions.decode_ids(''))
        self.assertEqual({None: '{bad'}, regions.decode_ids('{bad'))

    def test_in_region_keeps_the_kind_of_failure(self):
        err = regions.in_region('RegionTwo', deployer_api.DeployerError(
            'refused', status=400))
        self.assertEqual(('RegionTwo: refused', 400), (str(err), err.status))
        err = regions.in_region('RegionTwo',
                                deployer_api.DeployerUnavailable(detail='d'))
        self.assertIsInstance(err, deployer_api.DeployerUnavailable)
        self.assertEqual('RegionTwo: orchestration service unreachable',
                         str(err))
        self.assertEqual('d', err.detail)


class RegionDeployer(memory.SlowDeleteDeployer):
    """Deletes after one poll (or fails to when ``fails``); reports the
    parameters as outputs; refuses ``size`` over ``limit``."""

    def __init__(self, fails=False, limit=10):
        super().__init__(polls=1, fails=fails)
        self.limit = limit

    def _check(self, parameters):
        if int((parameters or {}).get('size', 0)) > self.limit:
            raise deployer_api.DeployerError('size: at most %d'
                                             % self.limit)

    def details(self, stack_id):
        sid, stack = self._find(stack_id)
        return deployer_api.StackDetails(
            id=sid, status=stack['status'], reason=stack.get('reason', ''),
            outputs=dict(stack['parameters']))


class RegionsSO(memory.SizedSO):
    default_templates = {}

    def region_parameters(self, phase, attributes, region):
        params = self.parameters(phase, attributes)
        params['region'] = region
        return params


class _RegionsCase(testtools.TestCase):

    regions = REGIONS

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.templates = {}
        for region in self.regions:
            path = os.path.join(self.dir, '%s.yaml' % region)
            with open(path, 'w') as handle:
                handle.write('# %s\n' % region)
            self.templates[region] = {'deployment': path, 'provision': path}
        self.deployers = {r: RegionDeployer() for r in self.regions}

    def so(self):
        so = RegionsSO(sdk.SOContext(
            instance_id='i1', bundle_dir=self.dir, templates={},
            deployer=None, regions=dict(self.templates),
            regional_deployers=self.deployers))
        so.poll_interval = 0.01
        return so

    def stack(self, region):
        (stack,) = self.deployers[region].stacks.values()
        return stack

    def set_status(self, region, status, reason=''):
        self.stack(region)['status'] = status
        self.stack(region)['reason'] = reason


class SeveralRegionsTest(_RegionsCase):

    def test_one_stack_per_region_named_after_it(self):
        so = self.so()
        so.initialise({'size': 2})
        so.deploy({})
        for region in REGIONS:
            stack = self.stack(region)
            self.assertEqual('hurtle-i1-%s' % region, stack['name'])
            self.assertEqual({'size': 2, 'colour': '', 'region': region},
                             stack['parameters'])
        self.assertIsNone(so.stack_id)

    def test_state_aggregates_and_keys_outputs_by_region(self):
        so = self.so()
        so.deploy({'size': 3})
        state = so.state()
        self.assertEqual('CREATE_COMPLETE', state.stack_state)
        ids = json.loads(state.stack_id)
        self.assertEqual({r: list(self.deployers[r].stacks)[0]
                          for r in REGIONS}, ids)
        self.assertEqual(3, state.outputs['RegionOne.size'])
        self.assertEqual('RegionTwo', state.outputs['RegionTwo.region'])
        self.assertNotIn('size', state.outputs)

        self.set_status('RegionOne', 'CREATE_IN_PROGRESS')
        self.assertEqual('CREATE_IN_PROGRESS', so.state().stack_state)
        self.set_status('RegionTwo', 'CREATE_FAILED', 'quota exceeded')
        state = so.state()
        self.assertEqual('CREATE_FAILED', state.stack_state)
        self.assertEqual('RegionTwo: quota exceeded', state.reason)

    def test_update_reaches_every_region(self):
        so = self.so()
        so.deploy({'size': 2})
        so.update({'colour': 'red'})
        for region in REGIONS:
            self.assertEqual('UPDATE_COMPLETE', self.stack(region)['status'])
            self.assertEqual('red', self.stack(region)['parameters'][
                'colour'])
        self.assertEqual('UPDATE_COMPLETE', so.state().stack_state)

    def test_refused_value_changes_no_region(self):
        so = self.so()
        so.deploy({'size': 2})
        self.assertRaises(ValueError, so.update, {'size': 'abc'})
        for region in REGIONS:
            self.assertEqual('CREATE_COMPLETE', self.stack(region)['status'])

    def test_deployer_refusal_names_the_region(self):
        self.deployers['RegionTwo'] = RegionDeployer(limit=5)
        so = self.so()
        so.deploy({'size': 2})
        err = self.assertRaises(deployer_api.DeployerError, so.update,
                                {'size': 7})
        self.assertEqual('RegionTwo: size: at most 5', str(err))
        self.assertEqual(2, so.attributes['size'])

    def test_restart_adopts_and_restores_every_stack(self):
        so = self.so()
        so.deploy({})
        snapshot = json.loads(json.dumps(so.snapshot()))
        restored = self.so()
        restored.restore(snapshot)
        self.assertEqual(so.stack_ids, restored.stack_ids)
        # An SO that died before its snapshot finds its stacks by name.
        forgetful = self.so()
        forgetful.deploy({})
        self.assertEqual(so.stack_ids, forgetful.stack_ids)
        for region in REGIONS:
            self.assertEqual(1, len(self.deployers[region].stacks))

    def test_partly_deployed_is_not_deployed_and_deploy_completes_it(self):
        so = self.so()
        so.deploy({})
        self.deployers['RegionTwo'].stacks.clear()
        again = self.so()
        again.stack_ids = {'RegionOne': so.stack_ids['RegionOne']}
        state = again.state()
        self.assertEqual(('NOT_DEPLOYED', ''),
                         (state.stack_state, state.stack_id))
        again.deploy({})
        self.assertEqual(1, len(self.deployers['RegionOne'].stacks))
        self.assertEqual(1, len(self.deployers['RegionTwo'].stacks))
        self.assertEqual('CREATE_COMPLETE', again.state().stack_state)

    def test_dispose_removes_every_stack(self):
        so = self.so()
        so.deploy({})
        so.dispose()
        for region in REGIONS:
            self.assertEqual({}, self.deployers[region].stacks)
        self.assertEqual({}, so.stack_ids)
        self.assertEqual('NOT_DEPLOYED', so.state().stack_state)

    def test_failed_dispose_names_the_region_and_keeps_its_stack(self):
        self.deployers['RegionTwo'] = RegionDeployer(fails=True)
        so = self.so()
        so.deploy({})
        err = self.assertRaises(deployer_api.DeployerError, so.dispose)
        self.assertIn('RegionTwo: deleting stack', str(err))
        self.assertEqual(['RegionTwo'], list(so.stack_ids))
        self.assertEqual({}, self.deployers['RegionOne'].stacks)


class OneListedRegionTest(_RegionsCase):
    """``regions`` with one entry: the single-region name, in it."""

    regions = ('RegionTwo',)

    def test_single_name_in_the_region(self):
        so = self.so()
        so.deploy({})
        self.assertEqual('hurtle-i1', self.stack('RegionTwo')['name'])
        state = so.state()
        self.assertEqual(so.stack_id, state.stack_id)
        self.assertIn('size', state.outputs)
        restored = self.so()
        restored.restore(json.loads(json.dumps(so.snapshot())))
        self.assertEqual(so.stack_id, restored.stack_id)
