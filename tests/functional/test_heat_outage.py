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
"""Instances survive a short outage of Heat; a long one fails them with a
reason that names the component, not a URL.

hurtle-all runs with its CC pointed at a separate embedded Heat that the
test kills (SIGKILL, by pid) and starts again on the same port and state
directory, as a restart of Heat would. The SO's deployer reports Heat
unreachable (503 from the SO), and the SM retries until its phase
deadline.
"""
import signal
import time

import fixtures
import testtools

from hurtle.occi import client as occi_client
from hurtle.occi import errors
from tests.functional import heat_fixture
from tests.functional import hurtle_fixture
from tests import net

KIND = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                               'sample', 'kind')
# Longer than Heat takes to start again in test_heat_restart_during_deploy
# (3 s down, then up to ~10 s to start on a loaded machine), the time
# test_heat_down_past_the_phase_timeout waits for.
PHASE_TIMEOUT = 25
SENTENCE = 'orchestration service unreachable'


class HeatOutageTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = fixtures.TempDir()
        cls.tmp.setUp()
        cls.addClassCleanup(cls.tmp.cleanUp)
        # Held for the class (tests.net.reserve_port): while Heat is
        # down nothing else may take its port.
        ports = net.Ports()
        cls.addClassCleanup(ports.release)
        cls.heat_port = ports.take()
        cls.heat = None
        cls.hurtle = hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,),
            phase_timeout=PHASE_TIMEOUT,
            deployer_heat_url='http://127.0.0.1:%d/v1/%%(project)s'
            % cls.heat_port)
        cls.hurtle.setUp()
        cls.addClassCleanup(cls.hurtle.cleanUp)
        cls.start_heat()
        cls.addClassCleanup(cls.stop_heat)

    @classmethod
    def start_heat(cls):
        # The SOs send hurtle-all's local secret: this Heat shares its
        # state_path (where the secret lives), not its Heat database.
        cls.heat = heat_fixture.EmbeddedHeat(
            port=cls.heat_port, state_dir=cls.tmp.path + '/heat',
            state_path=cls.hurtle.state,
            start_timeout=120)
        cls.heat.setUp()

    @classmethod
    def stop_heat(cls, sig=signal.SIGTERM):
        if cls.heat is not None:
            cls.heat.stop(sig)
            cls.heat.cleanUp()
            cls.heat = None

    def setUp(self):
        super().setUp()
        if self.heat is None:
            self.start_heat()
        self.client = occi_client.OCCIClient(
            self.hurtle.sm_url, headers={'X-Project-Id': 'demo'})

    def wait_state(self, location, wanted, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            attrs = self.client.get(location).attributes
            if attrs['mcn.service.state'] in wanted:
                return attrs
            time.sleep(0.2)
        self.fail('%s never reached %s: %s' % (location, wanted, attrs))

    def delete(self, location):
        self.client.delete(location)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                self.client.get(location)
            except errors.NotFound:
                return
            time.sleep(0.2)

    def test_heat_restart_during_deploy(self):
        self.stop_heat(signal.SIGKILL)
        location = self.client.create('/sample/', KIND,
                                      {'sample.greeting': 'outage'})
        self.wait_state(location, {'deploy'}, 120)
        time.sleep(3)  # the deploy meets a dead Heat for a few seconds
        self.assertEqual('deploy', self.client.get(location).attributes[
            'mcn.service.state'])
        self.start_heat()
        attrs = self.wait_state(location, {'active', 'failed'},
                                PHASE_TIMEOUT * 3)
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        self.assertIn('greeting=outage', attrs['mcn.endpoint.sample'])
        self.delete(location)

    def test_heat_down_past_the_phase_timeout(self):
        self.stop_heat(signal.SIGKILL)
        location = self.client.create('/sample/', KIND)
        attrs = self.wait_state(location, {'active', 'failed'},
                                PHASE_TIMEOUT * 3)
        self.assertEqual('failed', attrs['mcn.service.state'])
        reason = attrs['mcn.service.state.reason']
        self.assertIn(SENTENCE, reason)
        self.assertIn('deploy', reason)
        for internal in ('http', '127.0.0.1', str(self.heat_port),
                         'Error', 'Exception'):
            self.assertNotIn(internal, reason)
        self.start_heat()
        self.delete(location)
