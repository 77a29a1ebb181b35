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
"""The SDK's DNS drivers; ``designate`` against a loopback simulator of
Designate's v2 API through python-designateclient."""
import os

import fixtures
import requests
import testtools

from hurtle import drivers
from hurtle import sdk
from hurtle.sdk import dns
from hurtle.sdk.dns import base
from hurtle.sdk.dns import designate
from tests import conf_fixture
from tests import designate_simulator
from tests.unit.so import test_stack_orchestrator

ZONE = 'services.example.org.'


class NamesTest(testtools.TestCase):

    def test_qualify(self):
        self.assertEqual('web-1.' + ZONE, base.qualify('web-1', ZONE))
        self.assertEqual('a.b.' + ZONE, base.qualify('a.b.' + ZONE, ZONE))
        for bad in ('-web', 'web_1', '', 'x.other.org.', 'a..b'):
            self.assertRaises(ValueError, base.qualify, bad, ZONE)

    def test_record_types(self):
        self.assertEqual(('A', ['192.0.2.1', '192.0.2.2']),
                         base.records_of(['192.0.2.1', '192.0.2.2']))
        self.assertEqual(('AAAA', ['2001:db8::1']),
                         base.records_of('2001:db8::1'))
        self.assertEqual(('CNAME', ['lb.example.org.']),
                         base.records_of('lb.example.org'))
        for bad in ([], ['192.0.2.1', '2001:db8::1'], 'not a host',
                    ['a.example.org', 'b.example.org']):
            self.assertRaises(ValueError, base.records_of, bad)


class LoadTest(testtools.TestCase):

    def test_default_none_registers_nothing(self):
        conf = self.useFixture(conf_fixture.HurtleConf(
            dns__zone=ZONE)).conf
        driver = dns.load(conf)
        record = driver.register('web', '192.0.2.1')
        self.assertEqual(('web.' + ZONE, 'A', ['192.0.2.1'], 300, ''),
                         (record.name, record.type, record.records,
                          record.ttl, record.id))
        self.assertEqual([], driver.lookup('web'))

    def test_unknown_driver_lists_the_installed_ones(self):
        conf = self.useFixture(conf_fixture.HurtleConf(
            dns__driver='bind9')).conf
        err = self.assertRaises(drivers.UnknownDriver, dns.load, conf)
        self.assertEqual('[dns] driver = bind9: no such driver; installed '
                         'drivers in hurtle.sdk.dns: designate, none',
                         str(err))

    def test_designate_in_keystone_mode_needs_credentials(self):
        # What an SO started by the CC gets in Keystone mode: so.conf
        # carries no [service_credentials].
        conf = self.useFixture(conf_fixture.HurtleConf(
            auth_strategy='keystone', dns__driver='designate',
            dns__zone=ZONE)).conf
        err = self.assertRaises(RuntimeError, dns.load, conf)
        self.assertIn('[dns] driver = designate needs Keystone credentials '
                      'in [service_credentials] when auth_strategy is '
                      'keystone', str(err))

    def test_designate_needs_a_zone(self):
        conf = self.useFixture(conf_fixture.HurtleConf(
            dns__driver='designate',
            dns__endpoint='http://127.0.0.1:9/v2')).conf
        err = self.assertRaises(RuntimeError, dns.load, conf)
        self.assertIn('[dns] zone must name the Designate zone', str(err))


class _DesignateCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sim = designate_simulator.DesignateSimulator(
            token='noauth').start()
        self.addCleanup(self.sim.stop)
        self.zone = self.sim.add_zone(ZONE)
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            dns__driver='designate', dns__zone=ZONE, dns__ttl=120,
            dns__endpoint=self.sim.url + '/v2')).conf
        self.driver = dns.load(self.conf)
        self.assertIsInstance(self.driver, designate.DesignateDNS)

    def _stored(self):
        return sorted((r['name'], r['type'], tuple(r['records']), r['ttl'])
                      for r in self.sim.recordsets.values())


class DesignateTest(_DesignateCase):

    def test_register_creates_then_updates(self):
        record = self.driver.register('web-1', '192.0.2.1')
        self.assertEqual(('web-1.' + ZONE, 'A', ['192.0.2.1'], 120),
                         (record.name, record.type, record.records,
                          record.ttl))
        self.driver.register('web-1', ['192.0.2.7', '192.0.2.8'], ttl=60)
        self.assertEqual([('web-1.' + ZONE, 'A',
                           ('192.0.2.7', '192.0.2.8'), 60)], self._stored())
        methods = [m for m, p, _ in self.sim.requests
                   if p.endswith('/recordsets') or '/recordsets/' in p]
        self.assertIn('PUT', methods)

    def test_register_of_another_type_replaces(self):
        self.driver.register('web-1', '192.0.2.1')
        self.driver.register('web-1', 'lb.example.org')
        self.assertEqual([('web-1.' + ZONE, 'CNAME', ('lb.example.org.',),
                           120)], self._stored())

    def test_unregister(self):
        self.driver.register('web-1', '192.0.2.1')
        self.driver.register('web-1.' + ZONE, '2001:db8::1')
        self.driver.register('web-2', '192.0.2.2')
        self.driver.unregister('web-1')
        self.driver.unregister('web-1')   # nothing left: no error
        self.assertEqual([('web-2.' + ZONE, 'A', ('192.0.2.2',), 120)],
                         self._stored())
        self.assertEqual([], self.driver.lookup('web-1'))

    def test_missing_zone(self):
        self.sim.zones.clear()
        err = self.assertRaises(base.DNSError, self.driver.register,
                                'web-1', '192.0.2.1')
        self.assertIn('zone %s does not exist' % ZONE, str(err))

    def test_refusal_is_reported(self):
        err = self.assertRaises(base.DNSError, self.driver.register,
                                'web-1', '192.0.2.1', ttl=2 ** 31)
        self.assertIn('designate refused (400)', str(err))
        self.assertEqual([], self._stored())

    def test_register_replaces_every_other_type(self):
        self.sim.create_recordset({}, {'name': 'web-1.' + ZONE,
                                       'type': 'TXT', 'records': ['"x"']},
                                  self.zone['id'])
        self.sim.create_recordset({}, {'name': 'web-1.' + ZONE,
                                       'type': 'MX',
                                       'records': ['10 mx.example.org.']},
                                  self.zone['id'])
        self.driver.register('web-1', '192.0.2.1')   # replaces both
        self.assertEqual([('web-1.' + ZONE, 'A', ('192.0.2.1',), 120)],
                         self._stored())

    def test_bad_value_sends_nothing(self):
        before = len(self.sim.requests)
        self.assertRaises(ValueError, self.driver.register, 'web_1',
                          '192.0.2.1')
        self.assertEqual(before, len(self.sim.requests))

    def test_unreachable(self):
        self.sim.stop()
        err = self.assertRaises(base.DNSError, self.driver.lookup, 'web-1')
        self.assertIn('DNS service unreachable', str(err))


class SimulatorTest(testtools.TestCase):
    """The simulator refuses what Designate refuses (so that the driver
    tests above can fail)."""

    def setUp(self):
        super().setUp()
        self.sim = designate_simulator.DesignateSimulator().start()
        self.addCleanup(self.sim.stop)
        self.zone = self.sim.add_zone(ZONE)

    def _post(self, body, token='sim-token'):
        return requests.post('%s/v2/zones/%s/recordsets'
                             % (self.sim.url, self.zone['id']), json=body,
                             headers={'X-Auth-Token': token}, timeout=10)

    def test_statuses(self):
        good = {'name': 'a.' + ZONE, 'type': 'A', 'records': ['192.0.2.1']}
        self.assertEqual(401, self._post(good, token='x').status_code)
        created = self._post(good)
        self.assertEqual((202, 'PENDING'),
                         (created.status_code, created.json()['status']))
        duplicate = self._post(good)
        self.assertEqual((409, 'duplicate_recordset'),
                         (duplicate.status_code, duplicate.json()['type']))
        for bad in (dict(good, name='a.other.org.'),
                    dict(good, records=['2001:db8::1']),
                    dict(good, type='CNAME', records=['x.org.']),
                    dict(good, colour='red'), dict(good, ttl=0)):
            self.assertEqual(400, self._post(bad).status_code, bad)


class AddressedSO(test_stack_orchestrator.SizedSO):
    dns_names = {'web-{instance_id}': 'address'}

    def parameters(self, phase, attributes):
        return dict(super().parameters(phase, attributes),
                    address=attributes.get('address', '192.0.2.10'))


class StackNamesTest(_DesignateCase):
    """``StackOrchestrator.dns_names``: a record made once the stack is
    complete, changed with its output, removed at dispose."""

    def make_so(self):
        deployer = test_stack_orchestrator.MemoryDeployer()
        state = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(state, 't.yaml'), 'w') as handle:
            handle.write('heat_template_version: 2021-04-16\n')
        return AddressedSO(sdk.SOContext(
            instance_id='i1', bundle_dir=state, templates={},
            deployer=deployer, dns=self.driver))

    def test_record_follows_the_instance(self):
        so = self.make_so()
        so.initialise({})
        so.deploy({})
        so.state()
        so.state()
        self.assertEqual([('web-i1.' + ZONE, 'A', ('192.0.2.10',), 120)],
                         self._stored())
        so.update({'address': '192.0.2.11'})
        so.state()
        self.assertEqual([('web-i1.' + ZONE, 'A', ('192.0.2.11',), 120)],
                         self._stored())
        again = self.make_so()   # a restarted SO process
        again.restore(so.snapshot())
        again.dispose()
        self.assertEqual([], self._stored())

    def test_refusal_is_retried(self):
        so = self.make_so()
        so.initialise({})
        so.deploy({})
        port = int(self.sim.url.rsplit(':', 1)[1])
        self.sim.stop()
        state = so.state()
        self.assertEqual('CREATE_COMPLETE', state.stack_state)
        self.assertEqual({}, so.registered)
        self.assertTrue(state.dns_reason.startswith(
            'DNS name web-i1 not registered: '), state.dns_reason)
        self.assertIn('DNS service unreachable', state.dns_reason)
        self.sim.start(port=port)   # back: the next state registers it
        self.assertEqual('', so.state().dns_reason)
        self.assertEqual([('web-i1.' + ZONE, 'A', ('192.0.2.10',), 120)],
                         self._stored())
