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
"""An SO that is alive but answers nothing (SIGSTOPped: the kernel still
takes its connections) holds no update or delete past ``[sm]
phase_timeout`` (doc/source/admin/recovery.rst).

Real ``hurtle-all`` on 127.0.0.1 with a short phase deadline; the SO
process of an instance is stopped with SIGSTOP. Its CC still calls the
app active (the process runs), so nothing restarts it: the SM alone
must give up. Before the fix each SO request waited ``phase_timeout``
for an answer and was retried ``[sm] call_retries`` times, so both
operations stayed in progress for four phase deadlines.
"""
import os
import signal
import time

import requests

from hurtle.cc.runtime import local
from hurtle.occi import errors
from tests.functional import hurtle_fixture

SCHEME = 'http://schemas.hurtle.it/occi/sm#'
KIND = 'sample; scheme="%s"; class="kind"' % SCHEME
#: ``[sm] phase_timeout`` of this Hurtle: long enough for a create on a
#: busy machine, short enough for the test.
PHASE = 20
#: Seconds beyond a deadline the test allows (a poll interval, the
#: probe of the SO, Heat deleting the stack, the CC stopping the app).
MARGIN = 25


class HungSOTest(hurtle_fixture.HurtleTestCase):

    @classmethod
    def make_hurtle(cls):
        return hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,),
            phase_timeout=PHASE)

    def setUp(self):
        super().setUp()
        self.client = self.sm_client('demo')
        self.heat = self.stack_client('demo')

    def create(self):
        resp = requests.post(self.hurtle.sm_url + 'sample/', headers=dict(
            self.headers(), **{'Category': KIND,
                               'Content-Type': 'text/occi'}), timeout=30)
        self.assertEqual(201, resp.status_code, resp.text)
        location = resp.headers['Location']
        attrs = self.wait_state(location, lambda s: s in ('active',
                                                          'failed'), 180)
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        return location, attrs['occi.core.id']

    def wait_state(self, location, done, timeout):
        """The instance's attributes once ``done(state)``."""
        deadline = time.monotonic() + timeout
        attrs = {}
        while time.monotonic() < deadline:
            attrs = self.client.get(location).attributes
            if done(attrs['mcn.service.state']):
                return attrs
            time.sleep(0.2)
        self.fail('%s: still %s after %d s (%s)\n%s' % (
            location, attrs.get('mcn.service.state'), timeout,
            attrs.get('mcn.service.state.reason'), self.hurtle.output()))

    def stop_so(self, instance_id, location):
        """SIGSTOP the instance's SO; return once the watcher shows the
        instance degraded (the SO does not answer its probe)."""
        pids = self.hurtle.so_pids(instance_id)
        self.assertEqual(1, len(pids), pids)
        os.kill(pids[0], signal.SIGSTOP)
        self.addCleanup(self.cont, pids[0])
        self.wait_state(location, lambda s: s == 'degraded', 60)
        return pids[0]

    @staticmethod
    def cont(pid):
        try:
            os.kill(pid, signal.SIGCONT)
        except ProcessLookupError:
            pass

    def stacks_of(self, instance_id):
        return [s for s in self.heat.stacks.list()
                if s.stack_name == 'hurtle-%s' % instance_id]

    def test_update_ends_at_the_phase_deadline_naming_the_so(self):
        location, instance_id = self.create()
        pid = self.stop_so(instance_id, location)
        start = time.monotonic()
        resp = requests.post(location, headers=dict(self.headers(), **{
            'Category': KIND, 'Content-Type': 'text/occi',
            'X-OCCI-Attribute': 'sample.greeting="unheard"'}), timeout=30)
        self.assertEqual(200, resp.status_code, resp.text)
        attrs = self.wait_state(location, lambda s: s != 'update',
                                PHASE + MARGIN)
        self.assertLess(time.monotonic() - start, PHASE + MARGIN)
        self.assertEqual('degraded', attrs['mcn.service.state'])
        self.assertEqual('update not applied: service orchestrator (SO) '
                         'does not answer',
                         attrs['mcn.service.state.reason'])
        # Answering again: active (the watcher), and deleted as usual.
        self.cont(pid)
        self.wait_state(location, lambda s: s == 'active', 60)
        self.assertEqual(202, requests.delete(
            location, headers=self.headers(), timeout=30).status_code)
        self.wait_gone(location, 120)

    def test_delete_disposes_of_the_stack_directly(self):
        location, instance_id = self.create()
        self.assertEqual(1, len(self.stacks_of(instance_id)))
        self.stop_so(instance_id, location)
        start = time.monotonic()
        self.assertEqual(202, requests.delete(
            location, headers=self.headers(), timeout=30).status_code)
        self.wait_gone(location, PHASE + MARGIN)
        self.assertLess(time.monotonic() - start, PHASE + MARGIN)
        self.assertEqual([], self.stacks_of(instance_id))
        # The hung SO ignores SIGTERM until SIGKILL, which the CC sends
        # STOP_GRACE_SECONDS after the SIGTERM, on a thread of its own
        # (its answer to the app's DELETE came before).
        self.hurtle.wait_sos_gone(instance_id,
                                  local.STOP_GRACE_SECONDS + MARGIN)

    def wait_gone(self, location, timeout):
        deadline = time.monotonic() + timeout
        attrs = {}
        while time.monotonic() < deadline:
            try:
                attrs = self.client.get(location).attributes
            except errors.NotFound:
                return
            self.assertNotEqual('failed', attrs['mcn.service.state'],
                                attrs.get('mcn.service.state.reason'))
            time.sleep(0.2)
        self.fail('%s still %s after %d s (%s)\n%s' % (
            location, attrs.get('mcn.service.state'), timeout,
            attrs.get('mcn.service.state.reason'), self.hurtle.output()))
