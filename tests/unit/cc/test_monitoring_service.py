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
"""The CC's monitoring service over HTTP: an SO defines an alarm through
the SDK, Aodh (simulated) fires it, the webhook reaches the CC and the
CC runs the SO's ``notify`` on the real SO API."""

from occi import core_model
from paste import urlmap
import requests
import testtools

from hurtle.cc import monitoring
from hurtle.cc.monitoring import service
from hurtle.cc import store as app_store
from hurtle.db import migration
from hurtle.occi import categories
from hurtle.occi import server
from hurtle import sdk
from hurtle.sdk import monitoring as sdk_monitoring
from hurtle.so import api as so_api
from hurtle.so import secret as so_secret
from tests import aodh_simulator
from tests import conf_fixture
from tests import monasca_simulator
from tests import net

SECRET = 'so-secret-1'
INSTANCE = 'inst-1'


class RecordingSO(sdk.ServiceOrchestrator):

    notified = []

    def deploy(self, attributes):
        pass

    def provision(self, attributes):
        pass

    def dispose(self):
        pass

    def state(self):
        return sdk.SOState('CREATE_COMPLETE', 'stack-1')

    def notify(self, attributes):
        RecordingSO.notified.append(attributes)


class MonitoringServiceTest(testtools.TestCase):

    driver = 'aodh'

    def serve(self, app):
        srv = server.make_server(app, '127.0.0.1', 0)
        self.addCleanup(srv.server_close)
        self.addCleanup(net.serve_in_thread(srv))
        return 'http://127.0.0.1:%d' % srv.server_port

    def start_simulator(self):
        sim = aodh_simulator.AodhSimulator(token='noauth').start()
        self.addCleanup(sim.stop)
        return sim, sim.url

    def setUp(self):
        super().setUp()
        RecordingSO.notified = []
        self.sim, endpoint = self.start_simulator()
        fixture = self.useFixture(conf_fixture.HurtleConf(
            monitoring__driver=self.driver,
            monitoring__endpoint=endpoint))
        self.conf = fixture.conf
        migration.upgrade(self.conf.database.connection)
        # The SO: its real API behind its secret.
        so_url = self.serve(so_secret.SecretMiddleware(
            so_api.make_application(lambda: RecordingSO(sdk.SOContext(
                INSTANCE, fixture.state, {}, None))), SECRET))
        resp = requests.put(
            so_url + so_api.SO_PATH, timeout=10,
            headers={'X-Auth-Token': SECRET, 'X-Tenant-Name': 'p1',
                     'Content-Type': 'text/occi',
                     'Category': 'orchestrator; scheme="%s"; class="kind"'
                     % categories.SO_SCHEME})
        self.assertEqual(201, resp.status_code, resp.text)
        # The CC: its app record and its monitoring service.
        self.store = app_store.AppStore(self.conf.database.connection)
        entity = core_model.Resource('/app/app-1', categories.APP, [])
        entity.attributes.update({
            'occi.app.name': 'svc-inst-1', 'occi.app.image': 'bundle',
            'occi.app.state': 'active', 'occi.app.url': so_url})
        entity.app_env = {'HURTLE_SO_SECRET': SECRET,
                          'HURTLE_INSTANCE_ID': INSTANCE,
                          'HURTLE_PROJECT': 'p1'}
        # The SM calls the CC as its service project, not the instance's.
        self.store.add('/app/app-1', entity, {'project': 'service'})
        # Mounted as api-paste.ini's urlmap mounts it.
        mounted = urlmap.URLMap()
        mounted['/monitoring'] = service.MonitoringService(
            self.conf, monitoring.load(self.conf), self.store)
        cc_url = self.serve(mounted)
        self.conf.set_override('webhook_url', cc_url, group='monitoring')
        self.cc_url = cc_url
        self.client = sdk_monitoring.Monitoring(cc_url + '/monitoring',
                                                INSTANCE, SECRET)

    def fire(self, alarm):
        [delivered] = self.sim.fire(alarm['id'], reason='cpu at 93')
        return delivered

    def test_alarm_reaches_the_sos_notify(self):
        alarm = self.client.define_alarm('cpu-high', 'cpu', 80,
                                         resource_id='srv-1')
        self.assertEqual(['cpu-high'],
                         [a['name'] for a in self.client.alarms()])
        delivered = self.fire(alarm)
        self.assertEqual(202, delivered.status_code, delivered.text)
        self.assertEqual([{'hurtle.alarm.name': 'cpu-high',
                           'hurtle.alarm.state': 'alarm',
                           'hurtle.alarm.reason': self.reason}],
                         RecordingSO.notified)
        self.client.delete_alarm('cpu-high')
        self.assertEqual([], self.client.alarms())

    reason = 'cpu at 93'

    def test_webhook_without_the_alarms_token_is_refused(self):
        self.client.define_alarm('cpu-high', 'cpu', 80)
        hook = '%s/monitoring/hooks/app-1/cpu-high/' % self.cc_url
        other = service.hook_token(SECRET, 'other-alarm')
        for url in (hook + 'guess', hook + other,
                    hook.replace('app-1', 'app-2') + service.hook_token(
                        SECRET, 'cpu-high')):
            resp = requests.post(url, json={'current': 'alarm'}, timeout=10)
            self.assertEqual(404, resp.status_code)
        self.assertEqual([], RecordingSO.notified)

    def test_bad_webhook_body(self):
        url = '%s/monitoring/hooks/app-1/x/%s' % (
            self.cc_url, service.hook_token(SECRET, 'x'))
        resp = requests.post(url, data=b'{', timeout=10)
        self.assertEqual(400, resp.status_code)
        resp = requests.post(url, json=[1], timeout=10)
        self.assertEqual(400, resp.status_code)
        self.assertEqual([], RecordingSO.notified)

    def test_webhook_for_an_inactive_so(self):
        entity = self.store.get('/app/app-1', {'project': 'service'})
        entity.attributes['occi.app.state'] = 'inactive'
        self.store.update('/app/app-1', entity, {'project': 'service'})
        url = '%s/monitoring/hooks/app-1/x/%s' % (
            self.cc_url, service.hook_token(SECRET, 'x'))
        resp = requests.post(url, json={'current': 'alarm'}, timeout=10)
        self.assertEqual(409, resp.status_code)

    def test_so_calls_need_the_so_secret(self):
        for headers in ({}, {'X-Auth-Token': SECRET},
                        {'X-Auth-Token': 'wrong',
                         'X-Hurtle-Instance': INSTANCE},
                        {'X-Auth-Token': SECRET,
                         'X-Hurtle-Instance': 'inst-2'}):
            resp = requests.get(self.cc_url + '/monitoring/alarms',
                                headers=headers, timeout=10)
            self.assertEqual(401, resp.status_code, headers)
        other = sdk_monitoring.Monitoring(self.cc_url + '/monitoring',
                                          INSTANCE, 'wrong')
        self.assertRaises(sdk_monitoring.MonitoringError, other.alarms)

    def test_unreachable_cc(self):
        gone = sdk_monitoring.Monitoring(
            'http://127.0.0.1:%d/monitoring' % net.held_port(self), INSTANCE,
            SECRET)
        err = self.assertRaises(sdk_monitoring.MonitoringError, gone.alarms)
        self.assertEqual('monitoring service unreachable (ConnectionError)',
                         str(err))

    def test_bad_alarm_is_a_value_error(self):
        err = self.assertRaises(ValueError, self.client.define_alarm,
                                'cpu high', 'cpu', 80)
        self.assertIn('name:', str(err))
        err = self.assertRaises(ValueError, self.client.define_alarm,
                                'cpu-high', 'cpu', 'eighty')
        self.assertIn('threshold:', str(err))

    def test_duplicate_alarm_is_refused(self):
        self.client.define_alarm('cpu-high', 'cpu', 80)
        err = self.assertRaises(sdk_monitoring.MonitoringError,
                                self.client.define_alarm, 'cpu-high',
                                'cpu', 90)
        self.assertIn('exists already', str(err))

    def test_unknown_paths_and_methods(self):
        headers = {'X-Auth-Token': SECRET, 'X-Hurtle-Instance': INSTANCE}
        self.assertEqual(404, requests.get(self.cc_url + '/monitoring/x',
                                           timeout=10).status_code)
        self.assertEqual(405, requests.put(
            self.cc_url + '/monitoring/alarms', headers=headers,
            timeout=10).status_code)
        self.assertEqual(400, requests.get(
            self.cc_url + '/monitoring/measures', headers=headers,
            timeout=10).status_code)


class MonascaServiceTest(MonitoringServiceTest):

    driver = 'monasca'
    reason = 'Thresholds were exceeded for the sub-alarms'

    def start_simulator(self):
        sim = monasca_simulator.MonascaSimulator(token='noauth').start()
        self.addCleanup(sim.stop)
        return sim, sim.url + '/v2.0'

    def fire(self, alarm):
        [delivered] = self.sim.fire(alarm['id'])
        return delivered

    def test_measures(self):
        self.sim.series.append({'name': 'cpu', 'dimensions': {},
                                'measurements': [['2026-12-03T04:00:00Z',
                                                  3]]})
        self.assertEqual([{'timestamp': '2026-12-03T04:00:00Z',
                           'value': 3.0}], self.client.measures('cpu'))
