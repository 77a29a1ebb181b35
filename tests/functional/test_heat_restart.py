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
"""The embedded Heat killed mid-create: the next process marks the stack
it left in progress FAILED at once (hurtle.heat.interrupted), instead of
leaving it CREATE_IN_PROGRESS until its timeout; and a second process on
the same state directory refuses to start."""
import signal

import fixtures
import testtools

from hurtle import polling
from tests.functional import heat_fixture

TEMPLATE = {
    'heat_template_version': '2018-08-31',
    'resources': {
        'slow': {'type': 'OS::Heat::TestResource',
                 'properties': {'value': 'v',
                                'action_wait_secs': {'create': 600}}},
        'quick': {'type': 'OS::Heat::None'},
    },
}


class KilledHeatTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.state = dict(state_dir=tmp + '/heat', state_path=tmp + '/state',
                          start_timeout=120)

    def heat(self):
        return self.useFixture(heat_fixture.EmbeddedHeat(**self.state))

    def stack(self, client, stack_id):
        return client.stacks.get(stack_id)

    def test_a_stack_in_progress_fails_at_the_next_start(self):
        heat = self.heat()
        client = heat.client()
        stack_id = client.stacks.create(stack_name='interrupted',
                                        template=TEMPLATE)['stack']['id']

        def slow_in_progress():
            resources = {r.resource_name: r.resource_status
                         for r in client.resources.list(stack_id)}
            return resources.get('slow') == 'CREATE_IN_PROGRESS' or None
        polling.poll_until(slow_in_progress, 60, 0.2, 'slow in progress')
        heat.stop(signal.SIGKILL)

        restarted = self.heat()
        client = restarted.client()
        stack = self.stack(client, stack_id)
        self.assertEqual('CREATE_FAILED', stack.stack_status)
        self.assertEqual('Engine went down during stack CREATE',
                         stack.stack_status_reason)
        slow = client.resources.get(stack_id, 'slow')
        self.assertEqual('CREATE_FAILED', slow.resource_status)
        # A failed stack is deleted as usual: the dead engine's locks on
        # its resources were released, so Heat does not wait for that
        # engine's workers to stop (3 x 5 s, then "stack cancel not
        # complete").
        client.stacks.delete(stack_id)

        def gone():
            return self.stack(client, stack_id).stack_status == \
                'DELETE_COMPLETE' or None
        polling.poll_until(gone, 60, 0.2, 'stack deleted')
        self.assertNotIn('stack cancel not complete', restarted.log_text())
        self.assertNotIn('is locked or does not exist',
                         restarted.log_text())

    def test_one_process_per_state_directory(self):
        self.heat()
        second = heat_fixture.EmbeddedHeat(**self.state)
        status, _out, err = second.run_to_exit(
            self.useFixture(fixtures.TempDir()).path)
        self.assertNotEqual(0, status)
        self.assertIn('another process runs an embedded Heat on %s'
                      % self.state['state_dir'], err)
        self.assertNotIn('Traceback', err)
