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
"""A stack that failed only because Heat's engine went down (Heat killed
mid-create) has its phase requested again, a bounded number of times;
a stack that failed for a reason of its own fails the phase with Heat's
reason.

An SO stand-in (the SO API's ``GET`` and ``POST ?action=``) is served on
127.0.0.1: each action makes its stack take the next state of a script.
"""
import threading

import testtools

from hurtle.sdk import deployer as deployer_api
from hurtle.sm import scheduling
from hurtle.sm import so_client
from tests.unit.sm import test_transient_failures as transient

ENGINE_DOWN = 'Engine went down during stack CREATE'
QUOTA = 'Resource CREATE failed: Forbidden: Quota exceeded for instances'


class _ScriptedSO(object):
    """``GET``: the stack's ``(state, reason)``; ``POST ?action=<term>``
    moves it to the next one of ``script``."""

    def __init__(self, first, script):
        self.stack = first
        self.script = list(script)
        self.actions = []
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            if environ['REQUEST_METHOD'] == 'POST':
                self.actions.append(environ.get('QUERY_STRING'))
                self.stack = self.script.pop(0)
                lines = ['OK']
            else:
                state, reason = self.stack
                lines = ['Category: orchestrator; scheme="http://schemas.'
                         'mobile-cloud-networking.eu/occi/service#"; '
                         'class="kind"',
                         'X-OCCI-Attribute: occi.mcn.stack.state="%s"'
                         % state,
                         'X-OCCI-Attribute: occi.mcn.stack.reason="%s"'
                         % reason,
                         'X-OCCI-Attribute: occi.mcn.stack.id="s1"']
        body = ('\n'.join(lines) + '\n').encode()
        start_response('200 OK', [('Content-Type', 'text/plain'),
                                  ('Content-Length', str(len(body)))])
        return [body]


class InterruptedDecisionTest(testtools.TestCase):

    def test_engine_down_is_recognised_for_any_action(self):
        for action in ('CREATE', 'UPDATE', 'DELETE'):
            self.assertTrue(deployer_api.interrupted(
                action + '_FAILED',
                'Engine went down during stack %s' % action), action)
        self.assertTrue(deployer_api.StackDetails(
            id='s1', status='CREATE_FAILED', reason=ENGINE_DOWN).interrupted)

    def test_a_failure_of_the_stack_itself_is_not(self):
        for reason in (QUOTA, '', None,
                       'Resource CREATE failed: Engine went down during '
                       'stack CREATE',   # quoted in another reason
                       'engine went down during stack CREATE'):
            self.assertFalse(deployer_api.interrupted('CREATE_FAILED',
                                                      reason), reason)
        self.assertFalse(deployer_api.StackDetails(
            id='s1', status='CREATE_FAILED', reason=QUOTA).interrupted)

    def test_only_a_failed_stack_is_interrupted(self):
        for status in ('CREATE_COMPLETE', 'CREATE_IN_PROGRESS',
                       'ROLLBACK_COMPLETE', ''):
            self.assertFalse(deployer_api.interrupted(status, ENGINE_DOWN),
                             status)


class RequestAgainTest(transient._LifecycleCase):
    """``SOCalls.request_and_wait`` against the scripted SO."""

    def run_phase(self, app, requested=True):
        so = self.so(self.serve(app))
        calls = self.lifecycle.phases.so_calls
        return calls.request_and_wait(
            transient._Operation(), so, 'deploy',
            lambda: so.action(so_client.SO_PATH, so_client.DEPLOY, {}),
            requested=requested).info

    def test_a_stack_failed_by_engine_down_is_deployed_again(self):
        app = _ScriptedSO(('CREATE_FAILED', ENGINE_DOWN),
                          [('CREATE_COMPLETE', '')])
        info = self.run_phase(app)
        self.assertEqual('CREATE_COMPLETE', so_client.stack_state(info))
        self.assertEqual(['action=deploy'], app.actions)
        so_client.require_complete(info, 'deploy')

    def test_a_stack_failed_for_its_own_reason_is_not(self):
        app = _ScriptedSO(('CREATE_FAILED', QUOTA), [])
        info = self.run_phase(app)
        self.assertEqual([], app.actions)
        err = self.assertRaises(scheduling.PhaseError,
                                so_client.require_complete, info, 'deploy')
        self.assertEqual('deploy failed: stack CREATE_FAILED: ' + QUOTA,
                         str(err))

    def test_a_real_failure_after_a_retry_ends_the_retries(self):
        app = _ScriptedSO(('CREATE_FAILED', ENGINE_DOWN),
                          [('CREATE_FAILED', QUOTA)])
        info = self.run_phase(app)
        self.assertEqual(['action=deploy'], app.actions)
        self.assertEqual(QUOTA, so_client.stack_reason(info))

    def test_retries_are_bounded(self):
        retries = so_client.INTERRUPTED_RETRIES
        app = _ScriptedSO(('CREATE_FAILED', ENGINE_DOWN),
                          [('CREATE_FAILED', ENGINE_DOWN)] * (retries + 5))
        info = self.run_phase(app)
        self.assertEqual(['action=deploy'] * retries, app.actions)
        err = self.assertRaises(scheduling.PhaseError,
                                so_client.require_complete, info, 'deploy')
        self.assertEqual('deploy failed: stack CREATE_FAILED: ' + ENGINE_DOWN,
                         str(err))

    def test_a_phase_not_requested_yet_is_requested_first(self):
        app = _ScriptedSO(('NOT_DEPLOYED', ''),
                          [('CREATE_FAILED', ENGINE_DOWN),
                           ('CREATE_COMPLETE', '')])
        info = self.run_phase(app, requested=False)
        self.assertEqual(['action=deploy'] * 2, app.actions)
        self.assertEqual('CREATE_COMPLETE', so_client.stack_state(info))
