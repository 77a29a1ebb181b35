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
"""Stack events end to end: a real embedded Heat configured as hurtle-all
configures it (``[embedded_heat] cc_url``: its notifications go to the
``hurtle_cc`` driver) tells a real CC (its paste pipeline on a loopback
port) of each stack change, and the stack kind's ``wait_change`` returns
as soon as Heat completes a stack, long before its fallback step."""
import statistics
import threading
import time

import fixtures
from heatclient import exc as heat_exc
import testtools
from testtools import content

from hurtle.cc import so_auth
from hurtle.cc import stack_store
from hurtle.occi import errors
from hurtle import polling
from hurtle.so.deployers import cc as cc_deployer
from tests import cc_fixture
from tests import conf_fixture
from tests.functional import heat_fixture
from tests import net

#: Seconds of every fallback step: a wait_change returning well before
#: this was woken by an event.
FALLBACK = 30.0
TEMPLATE = '''heat_template_version: 2018-08-31
resources:
  slow:
    type: OS::Heat::TestResource
    properties:
      value: done
      action_wait_secs: {create: 1, update: 1}
'''


class StackEventsTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        sock = net.reserve_port()
        cls.addClassCleanup(sock.close)
        cls.cc_port = sock.getsockname()[1]
        cls.heat = heat_fixture.for_class(cls, embedded_heat_opts={
            'cc_url': 'http://127.0.0.1:%d/' % cls.cc_port})

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            state_path=self.heat.state_path,
            deployer__heat_url=self.heat.api_url + '/v1/%(project)s',
            cc__stack_poll_interval=FALLBACK,
            cc__stack_recheck_interval=FALLBACK)).conf
        # Without keep-alive: a connection the embedded Heat's driver
        # kept to the previous test's CC would still be served by that
        # CC's worker (its idle timeout, 5 s, raced by the driver's
        # heartbeat every 5 s), and this CC would not hear the events.
        cc = self.useFixture(cc_fixture.CCServer(
            self.conf, {'a1': 'secret-one'}, port=self.cc_port,
            keep_alive=False))
        self.url = cc.url
        self.stacks = cc.backend.stacks
        self.extras = {'environ': {so_auth.ENVIRON_KEY: so_auth.SOCaller(
            app_id='a1', project='p1')}}
        # The driver's next attempt (each second while the CC did not
        # answer) makes the source live.
        polling.poll_until(lambda: self.stacks.events.live() or None, 30,
                           0.05, 'the embedded Heat speaking to the CC')

    def deployer(self):
        from hurtle.sdk import deployer as deployer_api
        return cc_deployer.CCDeployer(
            self.conf, so_identity=deployer_api.SOIdentity(
                self.url, 'a1', 'secret-one'), retries=0)

    def heat_sees(self, heat_id, state, seen):
        """Record in ``seen`` when Heat's API first answers ``state``
        for the stack (read every 10 ms)."""
        client = self.heat.client(project='p1')

        def watch():
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if client.stacks.get(heat_id).stack_status == state:
                    seen.append(time.monotonic())
                    return
                time.sleep(0.01)
        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        return thread

    def wait_for(self, entity, before):
        """What the OCCI server does for a long-poll GET: read the stack,
        wait_change while its state is ``before``; the time it changed."""
        deadline = time.monotonic() + 2 * FALLBACK
        while True:
            self.stacks.retrieve(entity, self.extras)
            if entity.attributes['hurtle.stack.state'] != before:
                return time.monotonic()
            left = deadline - time.monotonic()
            self.assertGreater(left, 0, 'the stack never changed')
            self.stacks.wait_change(entity, self.extras, left)

    def test_waiter_wakes_when_heat_completes_the_stack(self):
        lags = []
        for n in range(3):
            heat_id = self.deployer().deploy('s%d' % n, TEMPLATE)
            entity = self.stacks.store.get(stack_store.PREFIX + heat_id,
                                           self.extras)
            self.assertIsNotNone(entity)
            seen = []
            watcher = self.heat_sees(heat_id, 'CREATE_COMPLETE', seen)
            changed = self.wait_for(entity, 'CREATE_IN_PROGRESS')
            watcher.join(10)
            self.assertEqual('CREATE_COMPLETE',
                             entity.attributes['hurtle.stack.state'])
            self.assertEqual(1, len(seen))
            lags.append(changed - seen[0])
        self.addDetail('wake-after-heat-complete', content.text_content(
            'seconds from Heat answering CREATE_COMPLETE (read every '
            '10 ms) to the waiter seeing it: %s; median %.3f' % (
                ', '.join('%.3f' % lag for lag in lags),
                statistics.median(lags))))
        # Woken by the event, not by the 30 s fallback step.
        self.assertLess(max(lags), FALLBACK / 3)

    def test_update_wakes_the_waiter_too(self):
        deployer = self.deployer()
        heat_id = deployer.deploy('u', TEMPLATE)
        entity = self.stacks.store.get(stack_store.PREFIX + heat_id,
                                       self.extras)
        self.wait_for(entity, 'CREATE_IN_PROGRESS')
        t0 = time.monotonic()
        deployer.update(heat_id, TEMPLATE.replace('value: done',
                                                  'value: again'))
        self.stacks.retrieve(entity, self.extras)
        before = entity.attributes['hurtle.stack.state']
        self.assertIn(before, ('UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE'))
        if before == 'UPDATE_IN_PROGRESS':
            self.wait_for(entity, before)
        self.assertEqual('UPDATE_COMPLETE',
                         entity.attributes['hurtle.stack.state'])
        self.assertLess(time.monotonic() - t0, FALLBACK / 3)

    def test_a_deleted_stack_is_gone_once_its_name_is_free(self):
        # Heat announces DELETE_COMPLETE before it frees the name, which
        # the CC waits for; the embedded Heat announces the stack again
        # once the name is free (hurtle.heat.freed_names). With the CC's
        # own re-look put off (SETTLE_STEP), only that second event can
        # end the wait in time.
        self.useFixture(fixtures.MonkeyPatch('hurtle.cc.stacks.SETTLE_STEP',
                                             FALLBACK))
        deployer = self.deployer()
        heat = self.heat.client(project='p1')
        for n in range(3):
            heat_id = deployer.deploy('d%d' % n, TEMPLATE)
            entity = self.stacks.store.get(stack_store.PREFIX + heat_id,
                                           self.extras)
            self.wait_for(entity, 'CREATE_IN_PROGRESS')
            deployer.dispose(heat_id)
            t0 = time.monotonic()
            deadline = t0 + 2 * FALLBACK
            while True:
                try:
                    self.stacks.retrieve(entity, self.extras)
                except errors.NotFound:
                    break
                left = deadline - time.monotonic()
                self.assertGreater(left, 0, 'the stack never went')
                self.stacks.wait_change(entity, self.extras, left)
            self.assertLess(time.monotonic() - t0, FALLBACK / 3)
            self.assertRaises(heat_exc.HTTPNotFound, heat.stacks.get,
                              'd%d' % n)
