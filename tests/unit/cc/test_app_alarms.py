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
"""``DELETE /app/<id>`` on the CC deletes the alarms the app's SO defined
(``aodh`` driver against the Aodh simulator), and keeps the app when the
monitoring service cannot be reached."""
import json

import testtools

from hurtle.cc.monitoring import base
from hurtle.cc import store as app_store
from hurtle.occi import errors
from tests import aodh_simulator
from tests.unit.cc import test_app_api


class AppAlarmsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sim = aodh_simulator.AodhSimulator(token='noauth').start()
        self.addCleanup(self.sim.stop)
        test_app_api.serve_cc(self, cc__so_start_timeout=60,
                              cc__allowed_images=[test_app_api.BUNDLE],
                              monitoring__driver='aodh',
                              monitoring__endpoint=self.sim.url)
        self.location = self.client.create('/app/', test_app_api.APP, {
            'occi.app.name': 'so-1', 'occi.app.image': test_app_api.BUNDLE,
            'occi.app.env': json.dumps({'HURTLE_SO_SECRET': 'x',
                                        'HURTLE_INSTANCE_ID': 'i1'})})
        self.app_id = self.location.rstrip('/').rsplit('/', 1)[1]
        for app_id, name in ((self.app_id, 'cpu'), (self.app_id, 'mem'),
                             ('another-app', 'cpu')):
            self.backend.monitoring.create_alarm(
                app_id, base.validate({'name': name, 'metric': name,
                                       'threshold': 90}),
                'http://127.0.0.1:9/hook')

    def alarm_names(self):
        return sorted(a['name'] for a in self.sim.alarms.values())

    def test_deleting_an_app_deletes_its_alarms_only(self):
        self.assertEqual(sorted(['hurtle-another-app-cpu',
                                 'hurtle-%s-cpu' % self.app_id,
                                 'hurtle-%s-mem' % self.app_id]),
                         self.alarm_names())
        self.client.delete(self.location)
        self.assertEqual(['hurtle-another-app-cpu'], self.alarm_names())
        self.assertEqual([], self.client.list('/app/'))

    def test_an_unreachable_monitoring_service_keeps_the_app(self):
        self.sim.stop()
        err = self.assertRaises(errors.Conflict, self.client.delete,
                                self.location)
        self.assertIn('cannot delete the alarms of app %s' % self.app_id,
                      err.message)
        app = self.client.get(self.location)
        self.assertEqual('active', app.attributes['occi.app.state'])
        row = self.backend.store.row(self.app_id)
        self.assertTrue(self.backend.runtime.is_running(
            app_store.to_entity(row).runtime_ref))
