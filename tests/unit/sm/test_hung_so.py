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
"""An SO that takes connections but never answers (stopped, hung) holds
no phase past ``[sm] phase_timeout``, and counts as unavailable: the
reason says it does not answer, a delete disposes of the stack directly.

The SO is a real listening socket on 127.0.0.1 that accepts nothing and
answers nothing (``tests.net.silent_url``); the SM's clients are the
real ones (``hurtle.sm.peers``), with the default ``[sm] call_timeout``
and ``call_retries``: before the fix each request waited
``phase_timeout`` and was retried three times.
"""
import time
import types

import testtools

from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle.sm import lifecycle
from hurtle.sm import scheduling
from hurtle.sm import so_client
from tests import conf_fixture
from tests import net

PHASE = 2
#: Seconds past the deadline allowed: the last attempt at the deadline
#: (``LAST_ATTEMPT``) and the test's own pace.
MARGIN = occi_client.LAST_ATTEMPT + 1.5


class _Operation(object):
    """An operation that is never superseded, of ``row``."""

    instance_id = 'i1'
    stopping = None

    def __init__(self, row):
        self._row = row

    def row(self):
        return self._row

    def check(self):
        pass


class HungSOTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            sm__poll_interval=0.1, sm__phase_timeout=PHASE)).conf
        self.assertEqual(3, self.conf.sm.call_retries)
        self.lifecycle = lifecycle.Lifecycle(self.conf, None, {})
        self.addCleanup(self.lifecycle.shutdown)
        self.calls = self.lifecycle.phases.so_calls
        # No app at a CC: following the SO finds it where it was.
        self.row = types.SimpleNamespace(
            id='i1', so_url=net.silent_url(self), so_secret='secret',
            project='demo', app_url=None, attributes={})
        self.op = _Operation(self.row)
        self.so = self.calls.follow(self.op, self.row)

    def assert_bounded(self, start, bound):
        self.assertLess(time.monotonic() - start, bound)

    def test_stack_wait_ends_at_the_deadline(self):
        start = time.monotonic()
        err = self.assertRaises(scheduling.PhaseError, self.calls.wait_stack,
                                self.op, self.so, 'update')
        self.assert_bounded(start, PHASE + MARGIN)
        self.assertEqual('update did not complete within %d s: service '
                         'orchestrator (SO) does not answer' % PHASE,
                         str(err))
        self.assertIsNone(self.so.deadline)   # the phase's, set back

    def test_request_ends_at_the_deadline(self):
        start = time.monotonic()
        err = self.assertRaises(
            scheduling.PhaseError, self.calls.transient, self.op, self.so,
            lambda: self.so.action(so_client.SO_PATH, so_client.DEPLOY),
            'deploy')
        self.assert_bounded(start, PHASE + MARGIN)
        self.assertEqual('deploy did not complete within %d s: service '
                         'orchestrator (SO) does not answer' % PHASE,
                         str(err))

    def test_delete_finds_the_so_unavailable(self):
        # destroy disposes of the stack directly on SOUnavailable.
        start = time.monotonic()
        err = self.assertRaises(so_client.SOUnavailable,
                                self.lifecycle.phases._delete_so, self.op,
                                self.row)
        self.assert_bounded(start, PHASE + MARGIN)
        self.assertEqual('service orchestrator (SO) does not answer',
                         str(err))

    def test_the_sos_last_answer_stays_in_the_reason(self):
        # Heat down: the SO answered 503 (its deployer cannot reach Heat),
        # then, retrying Heat itself, answered nothing before the
        # phase's deadline cut the last attempt.
        answers = iter([errors.ServiceUnavailable(
            'orchestration service unreachable (create stack web)')])

        def deploy():
            for answer in answers:
                raise answer
            return self.so.action(so_client.SO_PATH, so_client.DEPLOY)
        err = self.assertRaises(scheduling.PhaseError, self.calls.transient,
                                self.op, self.so, deploy, 'deploy')
        self.assertEqual('deploy did not complete within %d s: service '
                         'orchestrator (SO) does not answer (its last '
                         'answer: orchestration service unreachable '
                         '(create stack web))' % PHASE, str(err))
