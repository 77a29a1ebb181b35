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
"""``StackOrchestrator``: repeated deploys, refused values, dispose.

The deployer here is an in-memory implementation of the
``hurtle.sdk.Deployer`` interface that refuses what Heat would (a stack
name in use, a parameter over its limit); the SO under test is the real
``StackOrchestrator``.
"""
import os
import uuid

import fixtures
import testtools

from hurtle import sdk
from hurtle.sdk import deployer as deployer_api
from hurtle.sdk import monitoring
from tests import net


class MemoryDeployer(deployer_api.Deployer):
    """Stacks in a dict; names unique (but for deleted stacks); ``size``
    at most 10."""

    def __init__(self):
        self.stacks = {}   # id -> {'name', 'status', 'parameters'}

    def _check(self, parameters):
        if int((parameters or {}).get('size', 0)) > 10:
            raise deployer_api.DeployerError('size: at most 10')

    def deploy(self, name, template, parameters=None):
        if any(s['name'] == name and s['status'] != 'DELETE_COMPLETE'
               for s in self.stacks.values()):
            raise deployer_api.DeployerError('stack %s exists' % name)
        self._check(parameters)
        stack_id = str(uuid.uuid4())
        self.stacks[stack_id] = {'name': name, 'status': 'CREATE_COMPLETE',
                                 'parameters': dict(parameters or {})}
        return stack_id

    def _find(self, stack_id):
        for sid, stack in self.stacks.items():
            if stack_id in (sid, stack['name']):
                return sid, stack
        raise deployer_api.DeployerError('no stack %s' % stack_id,
                                         status=404)

    def update(self, stack_id, template=None, parameters=None):
        _sid, stack = self._find(stack_id)
        self._check(parameters)
        stack['parameters'] = dict(parameters or {})
        stack['status'] = 'UPDATE_COMPLETE'

    def details(self, stack_id):
        sid, stack = self._find(stack_id)
        return deployer_api.StackDetails(id=sid, status=stack['status'],
                                         reason=stack.get('reason', ''),
                                         outputs=dict(stack['parameters']))

    def dispose(self, stack_id):
        self.stacks.pop(stack_id, None)

    def is_gone(self, stack_id):
        return stack_id not in self.stacks


class SizedSO(sdk.StackOrchestrator):
    default_templates = {'deployment': 't.yaml', 'provision': 't.yaml'}

    def parameters(self, phase, attributes):
        size = attributes.get('size', 1)
        if not str(size).isdigit():
            raise ValueError('size must be a whole number, not %r' % size)
        return {'size': int(size), 'colour': attributes.get('colour', '')}


class _SOCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(self.dir, 't.yaml'), 'w') as handle:
            handle.write('heat_template_version: 2021-04-16\n')
        self.deployer = MemoryDeployer()

    def so(self):
        return SizedSO(sdk.SOContext(instance_id='i1', bundle_dir=self.dir,
                                     templates={}, deployer=self.deployer))


class StackOrchestratorTest(_SOCase):

    def test_repeated_deploy_keeps_one_stack(self):
        so = self.so()
        so.initialise({'size': 2})
        so.deploy({})
        so.deploy({})
        self.assertEqual(1, len(self.deployer.stacks))

    def test_deploy_adopts_the_stack_of_a_forgetful_so(self):
        # The SO died after creating the stack, before its snapshot.
        self.so().deploy({})
        again = self.so()
        again.deploy({})
        self.assertEqual(1, len(self.deployer.stacks))
        self.assertEqual(list(self.deployer.stacks), [again.stack_id])

    def test_value_the_so_refuses_is_not_kept(self):
        so = self.so()
        so.deploy({'size': 2})
        self.assertRaises(ValueError, so.update, {'size': 'abc'})
        so.update({'colour': 'red'})
        stack = list(self.deployer.stacks.values())[0]
        self.assertEqual({'size': 2, 'colour': 'red'}, stack['parameters'])
        self.assertEqual({'size': 2, 'colour': 'red'}, so.attributes)

    def test_value_the_deployer_refuses_is_not_kept(self):
        so = self.so()
        so.deploy({'size': 2})
        self.assertRaises(deployer_api.DeployerError, so.update,
                          {'size': 11})
        so.update({'colour': 'blue'})
        stack = list(self.deployer.stacks.values())[0]
        self.assertEqual({'size': 2, 'colour': 'blue'}, stack['parameters'])


class UnsureDeployer(MemoryDeployer):
    """Cannot tell about any stack while ``unsure`` (as the ``cc``
    deployer for a stack whose create Heat has not answered yet)."""

    unsure = True

    def details(self, stack_id):
        if self.unsure:
            raise deployer_api.DeployerUnavailable('not answered yet')
        return super().details(stack_id)


class StackLookupTest(_SOCase):
    """What the SO does when the deployer cannot tell, or no longer
    knows its stack id."""

    def test_deploy_creates_nothing_while_the_deployer_cannot_tell(self):
        self.deployer = UnsureDeployer()
        so = self.so()
        self.assertRaises(deployer_api.DeployerUnavailable, so.deploy, {})
        self.assertEqual({}, self.deployer.stacks)
        self.assertIsNone(so.stack_id)
        self.deployer.unsure = False
        so.deploy({})
        self.assertEqual([so.stack_id], list(self.deployer.stacks))

    def test_state_finds_the_stack_by_name_when_its_id_is_unknown(self):
        so = self.so()
        so.deploy({})
        stack_id = so.stack_id
        so.restore({'stack_id': 'forgotten-id'})
        state = so.state()
        self.assertEqual((stack_id, stack_id), (state.stack_id, so.stack_id))
        self.assertEqual('CREATE_COMPLETE', state.stack_state)

    def test_state_of_a_stack_gone_by_id_and_name_is_the_404(self):
        so = self.so()
        so.restore({'stack_id': 'forgotten-id'})
        err = self.assertRaises(deployer_api.DeployerError, so.state)
        self.assertEqual((404, 'no stack forgotten-id'),
                         (err.status, str(err)))
        self.assertEqual('forgotten-id', so.stack_id)


class SlowDeleteDeployer(MemoryDeployer):
    """A deleted stack is ``DELETE_IN_PROGRESS`` for ``polls`` checks, then
    gone (or ``DELETE_FAILED`` when ``fails``)."""

    def __init__(self, polls, fails=False):
        super().__init__()
        self.polls = polls
        self.fails = fails
        self.deleting = set()

    def dispose(self, stack_id):
        self.stacks[stack_id]['status'] = 'DELETE_IN_PROGRESS'
        self.deleting.add(stack_id)

    def is_gone(self, stack_id):
        if stack_id in self.deleting:
            if self.polls <= 0:
                if self.fails:
                    self.stacks[stack_id]['status'] = 'DELETE_FAILED'
                    self.stacks[stack_id]['reason'] = 'resource busy'
                    return False
                self.stacks.pop(stack_id)
                self.deleting.discard(stack_id)
            self.polls -= 1
        return super().is_gone(stack_id)

    def details(self, stack_id):
        sid, stack = self._find(stack_id)
        return deployer_api.StackDetails(id=sid, status=stack['status'],
                                         reason=stack.get('reason', ''))


class DisposeTest(_SOCase):
    """``dispose`` waits (``hurtle.polling.poll_until``) until the stack is
    gone; a failed delete or one past ``dispose_timeout`` is a
    ``DeployerError``."""

    def deployed(self, deployer):
        self.deployer = deployer
        so = self.so()
        so.poll_interval = 0.01
        so.deploy({})
        return so

    def test_dispose_waits_until_the_stack_is_gone(self):
        so = self.deployed(SlowDeleteDeployer(polls=3))
        so.dispose()
        self.assertEqual({}, self.deployer.stacks)
        self.assertIsNone(so.stack_id)

    def test_failed_delete_is_a_deployer_error(self):
        so = self.deployed(SlowDeleteDeployer(polls=1, fails=True))
        err = self.assertRaises(deployer_api.DeployerError, so.dispose)
        self.assertEqual('deleting stack %s failed: resource busy'
                         % so.stack_id, str(err))
        self.assertIsNotNone(so.stack_id)

    def test_stack_still_there_after_the_timeout(self):
        so = self.deployed(SlowDeleteDeployer(polls=10 ** 6))
        so.dispose_timeout = 0
        err = self.assertRaises(deployer_api.DeployerError, so.dispose)
        self.assertEqual('stack %s still exists after 0 s' % so.stack_id,
                         str(err))
        self.assertIsNotNone(so.stack_id)


class InterruptedCreateTest(_SOCase):
    """A repeated ``deploy`` makes again a stack whose create failed only
    because the engine went down (Heat killed mid-create), deleting it
    first: one stack; any other failed stack is kept as it is."""

    def failed(self, reason, snapshot=True):
        """A stack deployed with size 3, then failed with ``reason``; a new
        SO, restored from the first one's snapshot when ``snapshot``."""
        self.deployer = SlowDeleteDeployer(polls=2)
        first = self.so()
        first.deploy({'size': 3})
        stack = self.deployer.stacks[first.stack_id]
        stack.update(status='CREATE_FAILED', reason=reason)
        again = self.so()
        again.poll_interval = 0.01
        if snapshot:
            again.restore(first.snapshot())
        return first.stack_id, again

    def test_a_stack_failed_by_engine_down_is_made_again(self):
        old, so = self.failed('Engine went down during stack CREATE')
        so.deploy({})
        self.assertNotEqual(old, so.stack_id)
        self.assertEqual([so.stack_id], list(self.deployer.stacks))
        stack = self.deployer.stacks[so.stack_id]
        self.assertEqual(('CREATE_COMPLETE', {'size': 3, 'colour': ''}),
                         (stack['status'], stack['parameters']))
        self.assertEqual('CREATE_COMPLETE', so.state().stack_state)

    def test_the_stack_of_a_forgetful_so_is_made_again_too(self):
        old, so = self.failed('Engine went down during stack CREATE',
                              snapshot=False)
        so.deploy({'size': 3})
        self.assertNotEqual(old, so.stack_id)
        self.assertEqual([so.stack_id], list(self.deployer.stacks))

    def test_a_stack_deleted_meanwhile_is_made_again(self):
        # The SO died deleting its interrupted stack, before it made the
        # new one: its snapshot names a deleted stack.
        old, so = self.failed('Engine went down during stack CREATE')
        self.deployer.stacks[old]['status'] = 'DELETE_COMPLETE'
        so.deploy({})
        self.assertNotEqual(old, so.stack_id)
        self.assertEqual('CREATE_COMPLETE',
                         self.deployer.stacks[so.stack_id]['status'])

    def test_a_stack_failed_for_its_own_reason_is_kept(self):
        reason = 'Resource CREATE failed: Quota exceeded'
        old, so = self.failed(reason)
        so.deploy({})
        self.assertEqual([old], list(self.deployer.stacks))
        self.assertEqual(old, so.stack_id)
        state = so.state()
        self.assertEqual(('CREATE_FAILED', reason),
                         (state.stack_state, state.reason))

    def test_a_stack_failed_by_engine_down_while_updating_is_kept(self):
        # Only a create is made again; provision and update send their
        # own request again (hurtle.sm.so_client.request_and_wait).
        old, so = self.failed('Engine went down during stack UPDATE')
        self.deployer.stacks[old]['status'] = 'UPDATE_FAILED'
        so.deploy({})
        self.assertEqual([old], list(self.deployer.stacks))


class DisposeAlarmsTest(_SOCase):
    """``dispose`` deletes the SO's alarms through the CC's monitoring
    service (here unreachable: logged, the stack still goes)."""

    def test_unreachable_monitoring_does_not_stop_dispose(self):
        logger = self.useFixture(fixtures.FakeLogger())
        so = self.so()
        so.context.monitoring = monitoring.Monitoring(
            'http://127.0.0.1:%d/monitoring' % net.held_port(self), 'i1', 's')
        so.deploy({})
        so.dispose()
        self.assertEqual({}, self.deployer.stacks)
        self.assertIn('alarms not deleted: monitoring service unreachable',
                      logger.output)


class NameHeldDeployer(MemoryDeployer):
    """A deleted stack reads ``DELETE_COMPLETE`` at once but holds its
    name for ``held`` looks of :meth:`deletion` (as Heat frees a name a
    moment after it announced the delete): a stack of that name is
    refused until then."""

    def __init__(self, held):
        super().__init__()
        self.held = held
        self.looks = []   # ('name' | 'id', stack id)

    def _name_held(self, stack):
        return stack['status'] == 'DELETE_COMPLETE' and stack['held'] > 0

    def deploy(self, name, template, parameters=None):
        if any(s['name'] == name and self._name_held(s)
               for s in self.stacks.values()):
            raise deployer_api.DeployerError('stack name %s in use' % name,
                                             status=409)
        stack_id = super().deploy(name, template, parameters)
        self.stacks[stack_id]['held'] = self.held
        return stack_id

    def dispose(self, stack_id):
        self.stacks[stack_id]['status'] = 'DELETE_COMPLETE'

    def is_gone(self, stack_id):
        return self.deletion(stack_id) is None

    def deletion(self, stack_id):
        self.looks.append(('name', stack_id))
        stack = self.stacks[stack_id]
        if self._name_held(stack):
            stack['held'] -= 1
            return deployer_api.StackDetails(id=stack_id,
                                             status='DELETE_IN_PROGRESS')
        return None

    def deletion_by_id(self, stack_id):
        self.looks.append(('id', stack_id))
        if self.stacks[stack_id]['status'] == 'DELETE_COMPLETE':
            return None
        return deployer_api.StackDetails(id=stack_id,
                                         status=self.stacks[stack_id][
                                             'status'])


class DisposeNameTest(_SOCase):
    """The instance's ``dispose`` waits until its stack is deleted, not
    until the deployer frees its name (no stack of it is made again);
    ``deploy`` deleting an interrupted stack to make it again waits for
    the name too."""

    def test_dispose_ends_once_the_stack_is_deleted(self):
        self.deployer = NameHeldDeployer(held=3)
        so = self.so()
        so.poll_interval = 0.01
        so.deploy({})
        stack_id = so.stack_id
        so.dispose()
        self.assertIsNone(so.stack_id)
        self.assertEqual([('id', stack_id)], self.deployer.looks)
        # The name is still held: a stack of it would be refused now.
        self.assertEqual(3, self.deployer.stacks[stack_id]['held'])

    def test_a_stack_made_again_waits_for_its_name(self):
        self.deployer = NameHeldDeployer(held=3)
        first = self.so()
        first.deploy({'size': 2})
        old = first.stack_id
        self.deployer.stacks[old].update(
            status='CREATE_FAILED',
            reason='Engine went down during stack CREATE')
        again = self.so()
        again.poll_interval = 0.01
        again.restore(first.snapshot())
        again.deploy({})
        # Four looks by name (three while held), none by id; then the
        # stack of the same name was made (the deployer refuses it while
        # the name is held).
        self.assertEqual([('name', old)] * 4, self.deployer.looks)
        self.assertNotEqual(old, again.stack_id)
        self.assertEqual('CREATE_COMPLETE',
                         self.deployer.stacks[again.stack_id]['status'])
