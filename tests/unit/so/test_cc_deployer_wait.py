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
"""``CCDeployer.wait_change`` and its conditional reads against the real
CC (its paste pipeline) on a real embedded Heat: a CC that answers a
held GET at once is not spun, a stack's end and its deletion are seen."""
import time

import fixtures

from hurtle.sdk import deployer as deployer_api
from hurtle.so.deployers import cc as cc_deployer
from tests import cc_fixture
from tests.unit.cc import test_stack_api as stack_api


class CCDeployerWaitTest(stack_api._CCTestCase):

    APPS = {'a1': 'secret-one'}

    def setUp(self):
        super().setUp()
        self.addCleanup(self.empty_heat)

    def deployer(self, url=None):
        return cc_deployer.CCDeployer(
            self.conf, so_identity=deployer_api.SOIdentity(
                url or self.url, 'a1', 'secret-one'), retries=0)

    def test_wait_change_paces_a_cc_that_answers_at_once(self):
        deployer = self.deployer()
        stack_id = deployer.deploy('web', stack_api.TEMPLATE)
        deadline = time.monotonic() + 60
        looks = 0
        while not deployer.details(stack_id).complete:
            self.assertLess(time.monotonic(), deadline)
            start = time.monotonic()
            deployer.wait_change(stack_id, 2.0)
            looks += 1
            self.assertLess(time.monotonic() - start, 2.5)
        first = deployer.details(stack_id)
        # Complete now: nothing changes. The CC holds a wait to its end
        # (Prefer: wait=1).
        start = time.monotonic()
        deployer.wait_change(stack_id, 1.0)
        self.assertGreater(time.monotonic() - start, 0.9)
        # The CC is asked for whole seconds, rounded: 1.6 s is a hold of
        # 2 (one read of Heat at its end, not one after 1 s and another
        # after 0.6 more).
        start = time.monotonic()
        deployer.wait_change(stack_id, 1.6)
        self.assertGreater(time.monotonic() - start, 1.9)
        # A second CC on the same database and Heat that holds no GET
        # ([wsgi] max_wait 0) answers each at once: every wait takes its
        # step at least, never returns at once; the steps grow to STEP
        # (0.1 s growing 1.5x: about 1.8 s for the six, 12 s if held).
        at_once = self.useFixture(cc_fixture.CCServer(
            self.conf, {}, max_wait=0)).url
        deployer = self.deployer(at_once)
        took = []
        for _ in range(6):
            start = time.monotonic()
            deployer.wait_change(stack_id, 2.0)
            took.append(time.monotonic() - start)
        self.assertGreater(min(took), cc_deployer.FIRST_STEP * 0.9, took)
        self.assertGreater(took[-1], cc_deployer.STEP * 0.9, took)
        self.assertLess(sum(took), 8, took)
        again = deployer.details(stack_id)
        self.assertEqual(first.status, again.status)
        self.assertEqual(first.outputs, again.outputs)
        self.assertEqual({'greeting': 'hello'}, again.outputs)

    def test_dispose_and_wait_sees_the_stack_gone(self):
        deployer = self.deployer()
        stack_id = deployer.deploy('web', stack_api.TEMPLATE)
        deadline = time.monotonic() + 60
        while not deployer.details(stack_id).complete:
            self.assertLess(time.monotonic(), deadline)
            deployer.wait_change(stack_id, 2.0)
        deployer.dispose_and_wait(stack_id, 60, 0.5)
        self.assertTrue(deployer.is_gone(stack_id))
        # A gone stack ends a wait at once.
        start = time.monotonic()
        deployer.wait_change(stack_id, 5.0)
        self.assertLess(time.monotonic() - start, 1.0)


class FreshAnswerTest(stack_api._CCTestCase):
    """``CCDeployer.details`` right after a held wait reuses its answer
    (``cc.FRESH``), never across a write of the deployer."""

    APPS = {'a1': 'secret-one'}

    def setUp(self):
        super().setUp()
        self.addCleanup(self.empty_heat)
        self.deployer = cc_deployer.CCDeployer(
            self.conf, so_identity=deployer_api.SOIdentity(
                self.url, 'a1', 'secret-one'), retries=0)
        self.sent = []
        request = self.deployer.client.request

        def counted(method, path, *args, **kwargs):
            self.sent.append((method, path))
            self.held.append('Prefer' in (kwargs.get('headers') or {}))
            return request(method, path, *args, **kwargs)
        self.held = []
        self.deployer.client.request = counted
        self.stack_id = self.deployer.deploy('web', stack_api.TEMPLATE)
        self.until_complete()

    def until_complete(self):
        deadline = time.monotonic() + 60
        while True:
            details = self.deployer.details(self.stack_id)
            if details.complete:
                return details
            self.assertFalse(details.failed, details.reason)
            self.assertLess(time.monotonic(), deadline)
            self.deployer.wait_change(self.stack_id, 5.0)

    def held_change(self):
        """Update the stack and hold a wait until the CC shows it."""
        self.deployer.update(self.stack_id,
                             parameters={'greeting': 'bonjour'})
        self.deployer.wait_change(self.stack_id, 5.0)

    def test_details_after_a_held_wait_asks_nothing_once(self):
        self.held_change()
        before = len(self.sent)
        details = self.deployer.details(self.stack_id)
        self.assertEqual(before, len(self.sent))
        self.assertTrue(details.status.startswith('UPDATE_'), details)
        # Used once: the next details asks the CC.
        self.deployer.details(self.stack_id)
        self.assertEqual(before + 1, len(self.sent))
        self.assertEqual({'greeting': 'bonjour'},
                         self.until_complete().outputs)

    def test_a_write_since_the_wait_asks_again(self):
        self.held_change()
        self.deployer.deploy('db', stack_api.TEMPLATE)
        before = len(self.sent)
        self.deployer.details(self.stack_id)
        self.assertEqual(before + 1, len(self.sent))
        self.until_complete()

    def test_an_old_answer_asks_again(self):
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.so.deployers.cc.FRESH', 0.0))
        self.held_change()
        before = len(self.sent)
        self.deployer.details(self.stack_id)
        self.assertEqual(before + 1, len(self.sent))
        self.until_complete()

    def test_dispose_and_wait_looks_once_between_waits(self):
        # Each look at the stack being deleted is one GET (not is_gone's
        # and then details'): after the DELETE, no two unheld GETs in a
        # row.
        before = len(self.sent)
        self.deployer.dispose_and_wait(self.stack_id, 60, 0.5)
        sent = self.sent[before:]
        held = self.held[before:]
        self.assertEqual('DELETE', sent[0][0])
        kinds = ['held' if h else m for (m, _p), h in zip(sent, held)][1:]
        self.assertNotIn(('GET', 'GET'), list(zip(kinds, kinds[1:])),
                         kinds)
        # Unless the first look found it gone already (Heat quicker than
        # the CC), a held GET found it gone and was the last request.
        self.assertIn(kinds[-1], ('held',) if len(kinds) > 1 else
                      ('GET', 'held'), kinds)
        self.assertTrue(self.deployer.is_gone(self.stack_id))
