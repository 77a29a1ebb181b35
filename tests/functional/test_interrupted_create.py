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
"""The embedded Heat killed while it creates an instance's stack (then
``hurtle-all`` stops the rest and exits): at the next start Heat marks
that stack ``CREATE_FAILED`` ("Engine went down during stack CREATE",
``hurtle.heat.interrupted``); the SM resumes the create, the SO deletes
that stack and creates it again, and the instance becomes ``active``
with one stack. A stack that fails for a reason of its own still fails
the instance with Heat's reason."""
import os
import signal

import testtools

from hurtle.occi import client as occi_client
from tests.functional import hurtle_fixture
from tests.functional import test_all_stop

MANIFEST = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'slow_service', 'manifest.json')
SLOW = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#', 'slow',
                               'kind')
TIMEOUT = 180


class InterruptedCreateTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.hurtle = self.useFixture(hurtle_fixture.HurtleAll(
            manifests=(MANIFEST,), phase_timeout=TIMEOUT))
        self.addOnException(
            lambda exc_info: self.hurtle.keep_logs(self.id()))
        self.sm = self.hurtle.sm_client('demo')

    def wait_for(self, probe, what):
        return hurtle_fixture.wait_for(self, probe, what, TIMEOUT)

    def settled(self, location):
        return self.wait_for(hurtle_fixture.settled(self.sm, location),
                             'instance settled')

    def stacks(self, instance_id):
        """The instance's stacks in Heat (any state but deleted)."""
        name = 'hurtle-%s' % instance_id
        return [s for s in self.hurtle.heat_client().stacks.list()
                if s.stack_name == name]

    def test_a_create_interrupted_by_a_crash_ends_active(self):
        location = self.sm.create('/slow/', SLOW, {})
        instance_id = location.rstrip('/').rsplit('/', 1)[1]

        def creating():
            stacks = self.stacks(instance_id)
            return stacks if stacks and (
                stacks[0].stack_status == 'CREATE_IN_PROGRESS') else None
        first = self.wait_for(creating, 'stack being created')[0]
        self.kill_heat()

        self.hurtle._start()
        attrs = self.settled(location)
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        self.assertEqual('slow', attrs['slow.value'])
        stacks = self.stacks(instance_id)
        self.assertEqual(1, len(stacks), stacks)
        self.assertNotEqual(first.id, stacks[0].id)
        self.assertEqual(stacks[0].id, attrs['occi.mcn.stack.id'])
        self.assertIn(stacks[0].stack_status,
                      ('CREATE_COMPLETE', 'UPDATE_COMPLETE'))
        self.assertIn('Engine went down during stack CREATE; deleting it '
                      'to create it again', self.so_logs())
        self.assertEqual(1, len(self.hurtle.so_pids(instance_id)))

    def test_an_update_interrupted_by_a_crash_is_applied(self):
        location = self.sm.create('/slow/', SLOW, {})
        instance_id = location.rstrip('/').rsplit('/', 1)[1]
        self.assertEqual('active', self.settled(location)[
            'mcn.service.state'])
        self.sm.update(location, SLOW, {'slow.value': 'after'})

        def updating():
            stacks = self.stacks(instance_id)
            return stacks if stacks and (
                stacks[0].stack_status == 'UPDATE_IN_PROGRESS') else None
        first = self.wait_for(updating, 'stack being updated')[0]
        self.kill_heat()

        self.hurtle._start()
        attrs = self.settled(location)
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        self.assertEqual('after', attrs['slow.value'])
        stacks = self.stacks(instance_id)
        self.assertEqual([first.id], [s.id for s in stacks])
        self.assertEqual('UPDATE_COMPLETE', stacks[0].stack_status)
        self.assertEqual('after', self.hurtle.heat_client().stacks.get(
            first.id).parameters['value'])

    def kill_heat(self):
        """SIGKILL the embedded Heat (a clean stop would finish its work
        first); hurtle-all then stops the others and exits."""
        children = self.hurtle.pids()
        heat = [pid for pid, args in hurtle_fixture.processes()
                if pid in children and b'hurtle.cmd.heat' in args]
        self.assertEqual(1, len(heat), heat)
        os.kill(heat[0], signal.SIGKILL)
        self.assertEqual(1, self.hurtle.proc.wait(TIMEOUT))
        self.wait_for(lambda: not [p for p in children
                                   if test_all_stop._alive(p)] or None,
                      'every process of the killed hurtle-all gone')

    def so_logs(self):
        text = ''
        for folder, _dirs, files in os.walk(self.hurtle.state):
            for name in files:
                if name.endswith('.log'):
                    with open(os.path.join(folder, name), 'rb') as handle:
                        text += handle.read().decode('utf-8', 'replace')
        return text

    def test_a_stack_failing_for_its_own_reason_fails_the_instance(self):
        location = self.sm.create('/slow/', SLOW, {'slow.fail': True})
        instance_id = location.rstrip('/').rsplit('/', 1)[1]
        attrs = self.settled(location)
        self.assertEqual('failed', attrs['mcn.service.state'])
        self.assertIn('deploy failed: stack CREATE_FAILED: ',
                      attrs['mcn.service.state.reason'])
        self.assertIn('Test Resource failed slow',
                      attrs['mcn.service.state.reason'])
        self.assertEqual(1, len(self.stacks(instance_id)))
        self.assertNotIn('requesting deploy again', self.so_logs())
