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
"""The ``aodh`` monitoring driver against the real Aodh API (PyPI
``aodh``, SQLite, noauth; tests/aodh_fixture.py), through aodhclient."""
import testtools

from hurtle.cc import monitoring
from hurtle.cc.monitoring import base
from tests import aodh_fixture
from tests import conf_fixture

HOOK = 'http://127.0.0.1:8887/monitoring/hooks/app-1/cpu-high/abc'


def spec(**kwargs):
    return base.validate(dict({'name': 'cpu-high', 'metric': 'cpu',
                               'threshold': 80, 'resource_id': 'srv-1'},
                              **kwargs))


class AodhAPITest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.aodh = aodh_fixture.Aodh()
        cls.aodh.setUp()
        cls.addClassCleanup(cls.aodh.cleanUp)

    def setUp(self):
        super().setUp()
        conf = self.useFixture(conf_fixture.HurtleConf(
            monitoring__driver='aodh',
            monitoring__endpoint=self.aodh.url)).conf
        conf.set_override('noauth_default_project', 'service')
        self.driver = monitoring.load(conf)
        self.app = self.getUniqueString('app')
        self.addCleanup(self.driver.delete_app, self.app)

    def test_alarm_is_stored_by_aodh_with_the_webhook(self):
        alarm = self.driver.create_alarm(
            self.app, spec(statistic='max', comparison='ge', period=300),
            HOOK)
        [stored] = [a for a in self.aodh.alarms()
                    if a['alarm_id'] == alarm.id]
        self.assertEqual('hurtle-%s-cpu-high' % self.app, stored['name'])
        self.assertEqual('gnocchi_resources_threshold', stored['type'])
        self.assertEqual([HOOK], stored['alarm_actions'])
        rule = stored['gnocchi_resources_threshold_rule']
        self.assertEqual(('cpu', 'srv-1', 'generic', 'max', 'ge', 300, 80.0),
                         (rule['metric'], rule['resource_id'],
                          rule['resource_type'], rule['aggregation_method'],
                          rule['comparison_operator'], rule['granularity'],
                          rule['threshold']))
        self.assertEqual('insufficient data', alarm.state)

    def test_list_and_delete(self):
        self.driver.create_alarm(self.app, spec(), HOOK)
        self.driver.create_alarm(self.app, spec(name='mem-high',
                                                metric='memory'), HOOK)
        self.assertEqual(['cpu-high', 'mem-high'], sorted(
            a.name for a in self.driver.list_alarms(self.app)))
        self.driver.delete_alarm(self.app, 'cpu-high')
        self.driver.delete_alarm(self.app, 'cpu-high')
        self.assertEqual(['mem-high'], [
            a.name for a in self.driver.list_alarms(self.app)])

    def test_duplicate_is_refused(self):
        self.driver.create_alarm(self.app, spec(), HOOK)
        err = self.assertRaises(base.MonitoringError,
                                self.driver.create_alarm, self.app, spec(),
                                HOOK)
        self.assertIn('exists already', str(err))

    def test_aodh_refusal_is_reported(self):
        err = self.assertRaises(base.MonitoringError,
                                self.driver.create_alarm, self.app, spec(),
                                'ftp://nowhere/x')
        self.assertIn('aodh refused', str(err))
        self.assertEqual([], self.driver.list_alarms(self.app))
