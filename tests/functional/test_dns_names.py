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
"""DNS names created and removed with an instance, on real processes:
the embedded Heat, the CC and the SM as processes (``HurtleParts``), the
SO a real ``hurtle-so`` started by the CC with ``[dns] driver =
designate`` from the CC's so.conf, against the Designate simulator
(``tests/designate_simulator.py``, noauth: the driver sends the token
``noauth``) serving the zone. The test service
(``tests/functional/dns_service``) registers its stack's outputs
``named.address`` (A) and ``named.host`` (CNAME) through
``StackOrchestrator.dns_names``."""
import configparser
import os

from hurtle.occi import client as occi_client
from hurtle import polling
from tests import designate_simulator
from tests.functional import hurtle_fixture

MANIFEST = os.path.join(hurtle_fixture.ROOT, 'tests', 'functional',
                        'dns_service', 'manifest.json')
NAMED = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                                'named', 'kind')
ZONE = 'services.example.org.'
TIMEOUT = 120


class DNSNamesTest(hurtle_fixture.HurtleTestCase):

    # Not in Keystone mode: an SO started by the CC has no credentials
    # for a Keystone-protected Designate (doc/source/admin/dns.rst).
    auth = 'noauth'

    @classmethod
    def make_hurtle(cls):
        cls.sim = designate_simulator.DesignateSimulator(
            token='noauth').start()
        cls.addClassCleanup(cls.sim.stop)
        cls.port = int(cls.sim.url.rsplit(':', 1)[1])
        cls.sim.add_zone(ZONE)
        return hurtle_fixture.HurtleParts(
            manifests=(MANIFEST,),
            extra_conf='[dns]\ndriver = designate\nzone = %s\n'
                       'endpoint = %s/v2\n' % (ZONE, cls.sim.url))

    def setUp(self):
        super().setUp()
        self.client = self.sm_client('demo')

    # helpers ----------------------------------------------------------------
    def create(self, **attributes):
        return self.client.create(self.hurtle.sm_url + 'named/', NAMED,
                                  attributes)

    @staticmethod
    def wait(check, what):
        """The first true value of ``check()``; polling.Timeout after
        ``TIMEOUT`` seconds."""
        return polling.poll_until(lambda: check() or None, TIMEOUT, 0.2,
                                  what)

    def settled(self, location):
        """Attributes of the instance once ``active`` or ``failed``."""
        return self.wait_settled(self.client, location).attributes

    def create_without_dns(self):
        """Create an instance while Designate cannot be reached;
        return its location, id and attributes once it is no longer
        busy."""
        self.unreachable()
        location = self.create()
        return (location, location.rstrip('/').rsplit('/', 1)[-1],
                self.settled(location))

    def records(self, instance_id):
        """``{(name, type): records}`` of the instance in the zone."""
        with self.sim.lock:
            return {(r['name'], r['type']): r['records']
                    for r in self.sim.recordsets.values()
                    if instance_id in r['name']}

    def unreachable(self):
        """Stop the simulator (connections refused) until the test
        ends or :meth:`reachable`."""
        self.sim.stop()
        self.addCleanup(self.reachable)

    def reachable(self):
        if not self.sim.running:
            self.sim.start(port=self.port)

    # tests ------------------------------------------------------------------
    def test_records_follow_the_instance(self):
        location = self.create(**{'named.address': '192.0.2.20'})
        instance_id = location.rstrip('/').rsplit('/', 1)[-1]
        attrs = self.settled(location)
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        self.assertNotIn('mcn.service.state.reason', attrs)
        self.assertNotIn('occi.mcn.dns.reason', attrs)
        host = attrs['named.host']
        self.assertTrue(host.endswith('.named.example.net'), host)
        addr, web = ('addr-%s.%s' % (instance_id, ZONE),
                     'web-%s.%s' % (instance_id, ZONE))
        self.assertEqual({(addr, 'A'): ['192.0.2.20'],
                          (web, 'CNAME'): [host + '.']},
                         self.records(instance_id))
        # The SO got [dns] and the CC's noauth settings from so.conf,
        # still no credentials.
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(os.path.join(self.hurtle.state, 'so', 'so.conf'))
        self.assertEqual('designate', parser['dns']['driver'])
        self.assertEqual('noauth', parser['DEFAULT']['auth_strategy'])
        self.assertFalse(parser.has_section('service_credentials'))

        # An update that changes the output: the A record follows.
        self.client.update(location, NAMED, {'named.address': '192.0.2.21'})

        def moved():
            return self.records(instance_id).get((addr, 'A')) == [
                '192.0.2.21'] and self.client.get(location).attributes[
                'mcn.service.state'] == 'active'
        self.wait(moved, 'the A record following the update')
        attrs = self.client.get(location).attributes
        self.assertEqual('192.0.2.21', attrs['named.address'])
        self.assertNotIn('mcn.service.state.reason', attrs)
        self.assertEqual([host + '.'],
                         self.records(instance_id)[(web, 'CNAME')])

        self.delete_and_wait(self.client, location)
        self.assertEqual({}, self.records(instance_id))

    def test_dns_unreachable_at_create_is_the_instances_reason(self):
        location, instance_id, attrs = self.create_without_dns()
        # The service runs; its reason says which name DNS lacks and why.
        self.assertEqual('active', attrs['mcn.service.state'])
        reason = attrs['mcn.service.state.reason']
        self.assertTrue(reason.startswith(
            'DNS name addr-%s not registered: ' % instance_id), reason)
        self.assertIn('DNS service unreachable', reason)
        self.assertNotIn('occi.mcn.dns.reason', attrs)
        # Deleting it needs no DNS (nothing was registered), and leaves
        # nothing behind once DNS is back.
        self.delete_and_wait(self.client, location)
        self.reachable()
        self.assertEqual({}, self.records(instance_id))

    def test_names_are_registered_once_dns_is_back(self):
        location, instance_id, attrs = self.create_without_dns()
        self.assertIn('not registered', attrs['mcn.service.state.reason'])
        self.reachable()

        # The SM's watcher probes the SO, which registers its names; the
        # reason goes with the trouble.
        def registered():
            attrs = self.client.get(location).attributes
            return len(self.records(instance_id)) == 2 and (
                'mcn.service.state.reason' not in attrs) and attrs
        attrs = self.wait(registered, 'the names registered')
        self.assertEqual('active', attrs['mcn.service.state'])
        self.delete_and_wait(self.client, location)
        self.assertEqual({}, self.records(instance_id))
