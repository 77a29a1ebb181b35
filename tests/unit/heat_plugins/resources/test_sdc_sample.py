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
"""samples/templates/sdc_fabric.yaml runs on Heat against the simulator."""
import os

from heat.engine import resources

from tests.unit.heat_plugins.resources import sdc_base

SAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', '..', '..',
                      'samples', 'templates', 'sdc_fabric.yaml')


class SampleTemplateTest(sdc_base.SDCTestCase):

    def setUp(self):
        super().setUp()
        with open(SAMPLE) as f:
            self.template = f.read()

    def test_create_update_delete(self):
        stack = self.create(self.template)
        self.assertState(stack, 'CREATE', 'COMPLETE')
        net_id = stack['net'].resource_id
        machines = [self.sim.machines[stack[n].resource_id]
                    for n in ('web1', 'web2')]
        for machine in machines:
            self.assertEqual('running', machine['state'])
            self.assertEqual([net_id], machine['networks'])
            self.assertTrue(machine['ips'][0].startswith('10.42.0.'))
            self.assertIn('hello from hurtle',
                          machine['metadata']['user-script'])
            self.assertEqual({'role': 'web'}, machine['tags'])
        self.assertEqual(net_id, stack['net'].FnGetRefId())
        self.assertEqual(machines[0]['primaryIp'],
                         stack['web1'].FnGetAtt('primary_ip'))
        self.assertEqual(1, len(self.sim.fwrules))

        # Update: a new greeting changes the user-script in place.
        self.update(stack, self.template.replace('hello from hurtle',
                                                 'bonjour'))
        self.assertState(stack, 'UPDATE', 'COMPLETE')
        for machine in machines:
            self.assertEqual(machine, self.sim.machines[machine['id']])
            self.assertIn('bonjour', machine['metadata']['user-script'])

        stack = self.reload(stack)
        stack.delete()
        self.assertState(stack, 'DELETE', 'COMPLETE')
        self.assertEqual([], self.sim.live_machines())
        self.assertNotIn(net_id, self.sim.fabric_networks)
        self.assertEqual({}, self.sim.fwrules)

    def test_types_registered_with_descriptions(self):
        env = resources.global_env()
        for name in ('SDC::Compute::SmartMachine', 'SDC::Compute::KVM',
                     'SDC::Network::FabricNetwork',
                     'SDC::Network::FirewallRule'):
            cls = env.get_class(name)
            self.assertTrue(cls.__doc__.strip())
            self.assertEqual('SUPPORTED', cls.support_status.status)
            for schema in cls.properties_schema.values():
                self.assertTrue(schema.description)
            for schema in cls.attributes_schema.values():
                self.assertTrue(schema.description)
