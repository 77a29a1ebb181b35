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
"""The embedded Heat reads ``[sdc]`` and ``[hurtle_heat]`` from Hurtle's
own config file (not only from ``[embedded_heat] heat_config``).

``hurtle-heat`` runs as a process with ``[sdc]`` in its hurtle.conf and no
extra heat.conf; a stack with an SDC resource is created on the CloudAPI
simulator (which checks the request signatures made with the configured
key).
"""
import os
import time

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import serialization
import fixtures
import testtools

from hurtle.heat import heatconf
from tests.functional import heat_fixture
from tests import sdc_simulator

TEMPLATE = """
heat_template_version: 2018-08-31
resources:
  rule:
    type: SDC::Network::FirewallRule
    properties:
      description: from hurtle.conf
      rule: FROM any TO all vms ALLOW tcp PORT 80
outputs:
  rule_id:
    value: {get_resource: rule}
"""
CATALOGUE = ('http://example.org/occi/sm#svc='
             'http://127.0.0.1:9/svc/')


class HurtleConfPluginGroupsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.sim = sdc_simulator.CloudAPISimulator(account='hurtle')
        self.sim.start()
        self.addCleanup(self.sim.stop)
        key = rsa.generate_private_key(65537, 2048)
        self.sim.add_key(key.public_key())
        key_file = os.path.join(tmp, 'id_rsa')
        with open(key_file, 'wb') as f:
            f.write(key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption()))
        self.heat = self.useFixture(heat_fixture.EmbeddedHeat(hurtle_conf={
            'sdc': {'url': self.sim.url, 'account': 'hurtle',
                    'key_file': key_file, 'retries': 1, 'timeout': 10},
            'hurtle_heat': {'service_catalogue': CATALOGUE,
                            'request_timeout': 7.5}}))

    def test_sdc_from_hurtle_conf_reaches_heat_engine(self):
        client = self.heat.client()
        stack_id = client.stacks.create(stack_name='sdc-conf',
                                        template=TEMPLATE)['stack']['id']
        deadline = time.monotonic() + 60
        while True:
            stack = client.stacks.get(stack_id)
            if stack.stack_status != 'CREATE_IN_PROGRESS':
                break
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.2)
        self.assertEqual('CREATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        rule_id = {o['output_key']: o['output_value']
                   for o in stack.outputs}['rule_id']
        self.assertIn(rule_id, self.sim.fwrules)

    def test_hurtle_heat_group_is_in_the_generated_heat_conf(self):
        path = os.path.join(self.heat.state_dir, heatconf.CONF_FILE)
        with open(path) as handle:
            text = handle.read()
        section = text[text.index('[hurtle_heat]'):]
        self.assertIn('service_catalogue = %s' % CATALOGUE, section)
        self.assertIn('request_timeout = 7.5', section)
