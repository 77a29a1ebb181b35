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
"""An alarm reaches an SO's ``notify``, with real processes: hurtle-all
(embedded Heat, SM, CC) with ``[monitoring] driver = aodh`` against the
Aodh simulator; the SO (a real ``hurtle-so`` started by the CC) defines
an alarm through the SDK at deploy; the simulator fires it; the webhook
goes to the CC, which runs the SO's ``notify``; disposing of the
instance deletes the alarm."""
import glob
import os
import time

import requests
import testtools

from tests import aodh_simulator
from tests.functional import hurtle_fixture

MANIFEST = os.path.join(hurtle_fixture.ROOT, 'tests', 'functional',
                        'alarm_service', 'manifest.json')
KIND = 'watched; scheme="http://schemas.hurtle.it/occi/sm#"; class="kind"'
TIMEOUT = 120


class AlarmNotifyTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sim = aodh_simulator.AodhSimulator(token='noauth').start()
        self.addCleanup(self.sim.stop)
        self.hurtle = self.useFixture(hurtle_fixture.HurtleAll(
            manifests=(MANIFEST,),
            extra_conf='[monitoring]\ndriver = aodh\nendpoint = %s\n'
                       % self.sim.url))

    def wait(self, check, what):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            found = check()
            if found:
                return found
            time.sleep(0.2)
        self.fail('%s never happened:\n%s' % (what, self.hurtle.output()))

    def so_log(self):
        text = ''
        for path in glob.glob(os.path.join(self.hurtle.state, 'so', '*.log')):
            with open(path, errors='replace') as handle:
                text += handle.read()
        return text

    def test_alarm_reaches_the_sos_notify(self):
        headers = {'X-Project-Id': 'demo'}
        resp = requests.post(
            self.hurtle.sm_url + 'watched/', timeout=30,
            headers=dict(headers, **{'Category': KIND,
                                     'Content-Type': 'text/occi'}))
        self.assertEqual(201, resp.status_code, resp.text)
        location = resp.headers['Location']
        instance_id = location.rstrip('/').rsplit('/', 1)[-1]

        def active():
            state = requests.get(location, headers=headers, timeout=10)
            return 'mcn.service.state="active"' in state.text
        self.wait(active, 'active')

        [alarm] = self.sim.alarms.values()
        self.assertTrue(alarm['name'].endswith('-cpu-high'), alarm['name'])
        self.assertEqual(instance_id, alarm[
            'gnocchi_resources_threshold_rule']['resource_id'])
        [hook] = alarm['alarm_actions']
        self.assertTrue(hook.startswith(self.hurtle.cc_url +
                                        'monitoring/hooks/'), hook)

        [delivered] = self.sim.fire(alarm['alarm_id'])
        self.assertEqual(202, delivered.status_code, delivered.text)
        self.wait(lambda: 'alarm cpu-high is alarm' in self.so_log(),
                  'notify logged by the SO')
        # The token is a secret: no log holds the webhook URL.
        token = hook.rsplit('/', 1)[-1]
        self.assertNotIn(token, self.hurtle.output() + self.so_log())

        # A forged webhook reaches nobody.
        forged = requests.post(hook[:-4] + 'abcd', json={'current': 'ok'},
                               timeout=10)
        self.assertEqual(404, forged.status_code)

        # Disposing of the instance deletes its alarm.
        resp = requests.delete(location, headers=headers, timeout=30)
        self.assertIn(resp.status_code, (200, 202, 204), resp.text)

        def gone():
            return requests.get(location, headers=headers,
                                timeout=10).status_code == 404
        self.wait(gone, 'instance deleted')
        self.assertEqual({}, self.sim.alarms)
