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
"""SDC::Network::FabricNetwork and SDC::Network::FirewallRule."""
from heat.common import exception
from oslo_config import cfg

from hurtle.heat_plugins.sdc import exceptions as sdc_exc
from tests.unit.heat_plugins.resources import sdc_base

NET = '''
heat_template_version: 2018-08-31
resources:
  net:
    type: SDC::Network::FabricNetwork
    properties:
      name: backend
      description: app tier
      subnet: 10.20.0.0/24
      provision_start_ip: 10.20.0.10
      provision_end_ip: 10.20.0.250
      gateway: 10.20.0.1
      resolvers: [8.8.8.8]
'''

RULE = '''
heat_template_version: 2018-08-31
resources:
  rule:
    type: SDC::Network::FirewallRule
    properties:
      rule: FROM any TO tag "role" = "web" ALLOW tcp PORT 80
      description: web traffic
'''


class FabricNetworkTest(sdc_base.SDCTestCase):

    def test_create(self):
        stack = self.create(NET)
        self.assertState(stack, 'CREATE', 'COMPLETE')
        rsrc = stack['net']
        net = self.sim.fabric_networks[rsrc.resource_id]
        self.assertEqual('backend', net['name'])
        self.assertEqual(2, net['vlan_id'])
        self.assertEqual('10.20.0.0/24', net['subnet'])
        self.assertEqual(['8.8.8.8'], net['resolvers'])
        self.assertEqual('10.20.0.1', rsrc.FnGetAtt('gateway'))
        self.assertEqual('10.20.0.0/24', rsrc.FnGetAtt('subnet'))
        self.assertEqual(2, rsrc.FnGetAtt('vlan_id'))
        self.assertTrue(rsrc.FnGetAtt('fabric'))
        self.assertFalse(rsrc.FnGetAtt('public'))
        self.assertEqual(net['id'], rsrc.FnGetRefId())

    def test_check_create_complete(self):
        stack = self.parse(NET)
        rsrc = stack['net']
        net_id = rsrc.handle_create()
        self.assertTrue(rsrc.check_create_complete(net_id))
        self.assertFalse(rsrc.check_create_complete(
            '00000000-0000-0000-0000-000000000009'))

    def test_create_rejected(self):
        stack = self.create(NET.replace('10.20.0.', '8.8.4.'))
        self.assertState(stack, 'CREATE', 'FAILED')
        self.assertIn('InvalidArgument (HTTP 409)', stack.status_reason)
        self.assertIn('private (RFC1918)', stack.status_reason)

    def test_unknown_vlan(self):
        stack = self.create(NET.replace('      name: backend',
                                        '      name: backend\n'
                                        '      vlan_id: 77'))
        self.assertState(stack, 'CREATE', 'FAILED')
        self.assertIn('vlan 77 not found', stack.status_reason)

    def test_validate_bad_cidr(self):
        stack = self.parse(NET.replace('10.20.0.0/24', 'ten-twenty'))
        self.assertRaises(exception.StackValidationFailed, stack.validate)

    def test_update_in_place(self):
        stack = self.create(NET)
        net_id = stack['net'].resource_id
        self.update(stack, NET.replace('name: backend', 'name: backend2')
                    .replace('app tier', 'db tier')
                    .replace('[8.8.8.8]', '[1.1.1.1, 8.8.8.8]'))
        self.assertState(stack, 'UPDATE', 'COMPLETE')
        self.assertEqual(net_id, stack['net'].resource_id)
        net = self.sim.fabric_networks[net_id]
        self.assertEqual('backend2', net['name'])
        self.assertEqual('db tier', net['description'])
        self.assertEqual(['1.1.1.1', '8.8.8.8'], net['resolvers'])
        self.assertEqual(1, len([n for n in self.sim.fabric_networks
                                 if n != self.sim.default_fabric_network_id]))

    def test_update_subnet_replaces(self):
        stack = self.create(NET.replace('      name: backend\n', ''))
        old_id = stack['net'].resource_id
        self.update(stack, NET.replace('      name: backend\n', '')
                    .replace('10.20.0.', '10.30.0.'))
        self.assertState(stack, 'UPDATE', 'COMPLETE')
        new_id = stack['net'].resource_id
        self.assertNotEqual(old_id, new_id)
        self.assertNotIn(old_id, self.sim.fabric_networks)
        self.assertEqual('10.30.0.0/24',
                         self.sim.fabric_networks[new_id]['subnet'])

    def test_update_rejected(self):
        stack = self.create(NET)
        self.update(stack, NET.replace('gateway: 10.20.0.1',
                                       'gateway: 10.99.0.1'))
        self.assertState(stack, 'UPDATE', 'FAILED')
        self.assertIn('gateway must be an address in 10.20.0.0/24',
                      stack.status_reason)

    def test_delete(self):
        stack = self.create(NET)
        net_id = stack['net'].resource_id
        stack.delete()
        self.assertState(stack, 'DELETE', 'COMPLETE')
        self.assertNotIn(net_id, self.sim.fabric_networks)

    def test_delete_already_gone(self):
        stack = self.create(NET)
        del self.sim.fabric_networks[stack['net'].resource_id]
        stack.delete()
        self.assertState(stack, 'DELETE', 'COMPLETE')

    def test_check_delete_complete(self):
        stack = self.create(NET)
        rsrc = stack['net']
        net_id = rsrc.resource_id
        self.assertFalse(rsrc.check_delete_complete(net_id))
        self.assertEqual(net_id, rsrc.handle_delete())
        self.assertTrue(rsrc.check_delete_complete(net_id))

    def test_delete_in_use_fails(self):
        stack = self.create(NET + '''
  vm:
    type: SDC::Compute::SmartMachine
    properties:
      image: base-64-lts
      package: g4-highcpu-128M
      networks: [{get_resource: net}]
''')
        self.assertState(stack, 'CREATE', 'COMPLETE')
        net_id = stack['net'].resource_id
        self.assertEqual([net_id],
                         self.sim.machines[stack['vm'].resource_id]
                         ['networks'])
        # CloudAPI refuses to delete a network a machine is on (409).
        exc = self.assertRaises(sdc_exc.InUse, stack['net'].handle_delete)
        self.assertIn('network %s is in use by %s'
                      % (net_id, stack['vm'].resource_id), str(exc))
        stack.delete()      # machine first, then the network
        self.assertState(stack, 'DELETE', 'COMPLETE')
        self.assertNotIn(net_id, self.sim.fabric_networks)


class FirewallRuleTest(sdc_base.SDCTestCase):

    def test_create(self):
        stack = self.create(RULE)
        self.assertState(stack, 'CREATE', 'COMPLETE')
        rsrc = stack['rule']
        rule = self.sim.fwrules[rsrc.resource_id]
        self.assertEqual('FROM any TO tag "role" = "web" ALLOW tcp PORT 80',
                         rule['rule'])
        self.assertTrue(rule['enabled'])
        self.assertEqual('web traffic', rule['description'])
        self.assertEqual(rule['rule'], rsrc.FnGetAtt('rule'))
        self.assertTrue(rsrc.FnGetAtt('enabled'))
        self.assertFalse(rsrc.FnGetAtt('global'))
        self.assertEqual(rule['id'], rsrc.FnGetAtt('id'))

    def test_create_bad_rule(self):
        cfg.CONF.set_override('action_retry_limit', 0)
        stack = self.create(RULE.replace('FROM any', 'FRUM any'))
        self.assertState(stack, 'CREATE', 'FAILED')
        self.assertIn('InvalidArgument (HTTP 409)', stack.status_reason)
        self.assertIn('expected "FROM <from> TO <to>', stack.status_reason)
        self.assertEqual({}, self.sim.fwrules)

    def test_update_in_place(self):
        stack = self.create(RULE)
        rule_id = stack['rule'].resource_id
        self.update(stack, RULE.replace('PORT 80', 'PORT 443')
                    .replace('web traffic', 'tls only')
                    + '      enabled: false\n')
        self.assertState(stack, 'UPDATE', 'COMPLETE')
        self.assertEqual(rule_id, stack['rule'].resource_id)
        rule = self.sim.fwrules[rule_id]
        self.assertIn('PORT 443', rule['rule'])
        self.assertFalse(rule['enabled'])
        self.assertEqual('tls only', rule['description'])

    def test_update_enabled_only_sends_rule(self):
        stack = self.create(RULE)
        rule_id = stack['rule'].resource_id
        self.update(stack, RULE + '      enabled: false\n')
        self.assertState(stack, 'UPDATE', 'COMPLETE')
        self.assertFalse(self.sim.fwrules[rule_id]['enabled'])
        self.assertIn('PORT 80', self.sim.fwrules[rule_id]['rule'])

    def test_update_rejected(self):
        stack = self.create(RULE)
        self.update(stack, RULE.replace('ALLOW', 'PERMIT'))
        self.assertState(stack, 'UPDATE', 'FAILED')
        self.assertIn('InvalidArgument', stack.status_reason)

    def test_replaced_when_resource_type_changes(self):
        stack = self.create(RULE)
        old_id = stack['rule'].resource_id
        self.update(stack, RULE.replace('  rule:\n', '  rule2:\n'))
        self.assertState(stack, 'UPDATE', 'COMPLETE')
        self.assertNotIn(old_id, self.sim.fwrules)
        self.assertEqual(1, len(self.sim.fwrules))

    def test_delete(self):
        stack = self.create(RULE)
        stack.delete()
        self.assertState(stack, 'DELETE', 'COMPLETE')
        self.assertEqual({}, self.sim.fwrules)

    def test_delete_already_gone(self):
        stack = self.create(RULE)
        self.sim.fwrules.clear()
        stack.delete()
        self.assertState(stack, 'DELETE', 'COMPLETE')

    def test_check_delete_complete(self):
        stack = self.create(RULE)
        rsrc = stack['rule']
        rule_id = rsrc.resource_id
        self.assertFalse(rsrc.check_delete_complete(rule_id))
        rsrc.handle_delete()
        self.assertTrue(rsrc.check_delete_complete(rule_id))
        self.assertTrue(rsrc.check_delete_complete(None))
