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
"""The monitoring drivers against loopback simulators of Aodh and
Monasca, through aodhclient and python-monascaclient."""
import testtools

from hurtle.cc import monitoring
from hurtle.cc.monitoring import aodh
from hurtle.cc.monitoring import base
from hurtle.cc.monitoring import monasca
from hurtle import drivers
from tests import aodh_simulator
from tests import conf_fixture
from tests import monasca_simulator

HOOK = 'http://127.0.0.1:8887/monitoring/hooks/app-1/cpu-high/abc'


def spec(**kwargs):
    return base.validate(dict({'name': 'cpu-high', 'metric': 'cpu',
                               'threshold': 80}, **kwargs))


class LoadTest(testtools.TestCase):

    def test_default_is_none_and_it_refuses_alarms(self):
        conf = self.useFixture(conf_fixture.HurtleConf()).conf
        driver = monitoring.load(conf)
        self.assertEqual([], driver.list_alarms('app-1'))
        err = self.assertRaises(base.MonitoringError, driver.create_alarm,
                                'app-1', spec(), HOOK)
        self.assertIn('no monitoring service', str(err))

    def test_unknown_driver_lists_the_installed_ones(self):
        conf = self.useFixture(conf_fixture.HurtleConf(
            monitoring__driver='nagios')).conf
        err = self.assertRaises(drivers.UnknownDriver, monitoring.load,
                                conf)
        self.assertEqual('[monitoring] driver = nagios: no such driver; '
                         'installed drivers in hurtle.cc.monitoring: aodh, '
                         'monasca, none', str(err))

    def test_noauth_without_endpoint_stops_start_up(self):
        conf = self.useFixture(conf_fixture.HurtleConf(
            monitoring__driver='aodh')).conf
        err = self.assertRaises(RuntimeError, monitoring.load, conf)
        self.assertIn('[monitoring] endpoint must be set', str(err))


class SpecTest(testtools.TestCase):

    def test_defaults(self):
        self.assertEqual({'name': 'cpu-high', 'metric': 'cpu',
                          'threshold': 80, 'comparison': 'gt',
                          'statistic': 'avg', 'period': 60}, spec())

    def test_bad_fields_are_named(self):
        for bad, field in (({'name': 'a b'}, 'name'),
                           ({'period': 0}, 'period'),
                           ({'comparison': 'over'}, 'comparison'),
                           ({'colour': 'red'}, 'alarm')):
            err = self.assertRaises(ValueError, spec, **bad)
            self.assertTrue(str(err).startswith(field + ':'), str(err))


class AodhTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sim = aodh_simulator.AodhSimulator(token='noauth').start()
        self.addCleanup(self.sim.stop)
        conf = self.useFixture(conf_fixture.HurtleConf(
            monitoring__driver='aodh',
            monitoring__endpoint=self.sim.url)).conf
        self.driver = monitoring.load(conf)
        self.assertIsInstance(self.driver, aodh.AodhMonitoring)

    def test_resource_alarm_is_a_gnocchi_resources_threshold_alarm(self):
        alarm = self.driver.create_alarm(
            'app-1', spec(resource_id='srv-1', statistic='max',
                          comparison='ge', period=300), HOOK)
        self.assertEqual('insufficient data', alarm.state)
        stored = self.sim.alarms[alarm.id]
        self.assertEqual('hurtle-app-1-cpu-high', stored['name'])
        self.assertEqual('gnocchi_resources_threshold', stored['type'])
        self.assertEqual([HOOK], stored['alarm_actions'])
        rule = stored['gnocchi_resources_threshold_rule']
        self.assertEqual(('cpu', 'srv-1', 'max', 'ge', 300, 80.0),
                         (rule['metric'], rule['resource_id'],
                          rule['aggregation_method'],
                          rule['comparison_operator'], rule['granularity'],
                          rule['threshold']))

    def test_dimension_alarm_queries_resources(self):
        alarm = self.driver.create_alarm(
            'app-1', spec(dimensions={'server_group': 'g1'}), HOOK)
        rule = self.sim.alarms[alarm.id][
            'gnocchi_aggregation_by_resources_threshold_rule']
        self.assertEqual('{"and": [{"=": {"server_group": "g1"}}]}',
                         rule['query'])

    def test_list_and_delete_only_the_apps_alarms(self):
        self.driver.create_alarm('app-1', spec(), HOOK)
        self.driver.create_alarm('app-2', spec(), HOOK)
        self.assertEqual(['cpu-high'],
                         [a.name for a in self.driver.list_alarms('app-1')])
        self.driver.delete_alarm('app-1', 'cpu-high')
        self.driver.delete_alarm('app-1', 'cpu-high')   # gone: no error
        self.assertEqual([], self.driver.list_alarms('app-1'))
        self.assertEqual(['hurtle-app-2-cpu-high'],
                         [a['name'] for a in self.sim.alarms.values()])

    def test_duplicate_is_refused(self):
        self.driver.create_alarm('app-1', spec(), HOOK)
        err = self.assertRaises(base.MonitoringError,
                                self.driver.create_alarm, 'app-1', spec(),
                                HOOK)
        self.assertIn('exists already', str(err))

    def test_aodh_refusal_is_reported(self):
        err = self.assertRaises(base.MonitoringError,
                                self.driver.create_alarm, 'app-1', spec(),
                                'ftp://nowhere/x')
        self.assertIn('Unsupported action ftp://nowhere/x', str(err))

    def test_measures_are_not_served_by_aodh(self):
        self.assertRaises(base.MonitoringError, self.driver.measures, 'cpu')

    def test_unreachable_service(self):
        self.sim.stop()
        err = self.assertRaises(base.MonitoringError,
                                self.driver.list_alarms, 'app-1')
        self.assertIn('alarming service unreachable', str(err))


class MonascaTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sim = monasca_simulator.MonascaSimulator(token='noauth').start()
        self.addCleanup(self.sim.stop)
        conf = self.useFixture(conf_fixture.HurtleConf(
            monitoring__driver='monasca',
            monitoring__endpoint=self.sim.url + '/v2.0')).conf
        self.driver = monitoring.load(conf)
        self.assertIsInstance(self.driver, monasca.MonascaMonitoring)

    def test_alarm_is_a_definition_with_a_webhook_method(self):
        alarm = self.driver.create_alarm(
            'app-1', spec(resource_id='srv-1', period=120), HOOK)
        definition = self.sim.definitions[alarm.id]
        self.assertEqual('avg(cpu{resource_id=srv-1}, 120) > 80.0',
                         definition['expression'])
        [method_id] = definition['alarm_actions']
        method = self.sim.methods[method_id]
        self.assertEqual(('WEBHOOK', HOOK, 'hurtle-app-1-cpu-high'),
                         (method['type'], method['address'],
                          method['name']))

    def test_delete_removes_definition_and_method(self):
        self.driver.create_alarm('app-1', spec(), HOOK)
        self.driver.create_alarm('app-2', spec(), HOOK)
        self.driver.delete_alarm('app-1', 'cpu-high')
        self.assertEqual(['hurtle-app-2-cpu-high'],
                         [d['name'] for d in self.sim.definitions.values()])
        self.assertEqual(['hurtle-app-2-cpu-high'],
                         [m['name'] for m in self.sim.methods.values()])

    def test_refused_definition_leaves_no_method(self):
        err = self.assertRaises(base.MonitoringError,
                                self.driver.create_alarm, 'app-1',
                                spec(metric='cpu load'), HOOK)
        self.assertIn('422', str(err))
        self.assertEqual({}, self.sim.methods)

    def test_duplicate_is_refused(self):
        self.driver.create_alarm('app-1', spec(), HOOK)
        self.assertRaises(base.MonitoringError, self.driver.create_alarm,
                          'app-1', spec(), HOOK)
        self.assertEqual(1, len(self.sim.methods))

    def test_measures(self):
        self.sim.series.append({
            'name': 'cpu', 'dimensions': {'resource_id': 'srv-1'},
            'measurements': [['2026-12-03T04:00:10.000Z', 20.5],
                             ['2026-12-03T04:00:00.000Z', 10]]})
        self.sim.series.append({
            'name': 'cpu', 'dimensions': {'resource_id': 'srv-2'},
            'measurements': [['2026-12-03T04:00:00.000Z', 99]]})
        self.assertEqual(
            [{'timestamp': '2026-12-03T04:00:00.000Z', 'value': 10.0},
             {'timestamp': '2026-12-03T04:00:10.000Z', 'value': 20.5}],
            self.driver.measures('cpu', resource_id='srv-1'))
