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
"""SDC::Compute::SmartMachine / SDC::Compute::KVM against the simulator."""
from heat.common import exception
from oslo_config import cfg

from tests.unit.heat_plugins.resources import sdc_base

SMART = '''
heat_template_version: 2018-08-31
resources:
  vm:
    type: SDC::Compute::SmartMachine
    properties:
      name: web-1
      image: base-64-lts
      package: g4-highcpu-128M
      metadata:
        user-script: "#!/bin/sh\\necho hello"
        role: web
      tags:
        tier: front
      firewall_enabled: true
outputs:
  ip:
    value: {get_attr: [vm, primary_ip]}
'''

KVM = '''
heat_template_version: 2018-08-31
resources:
  vm:
    type: SDC::Compute::KVM
    properties:
      image: ubuntu-20.04
      package: k4-highcpu-kvm-1.75G
'''


class MachineCreateTest(sdc_base.SDCTestCase):

    def test_create_smartmachine(self):
        stack = self.create(SMART)
        self.assertState(stack, 'CREATE', 'COMPLETE')
        rsrc = stack['vm']
        machine = self.sim.machines[rsrc.resource_id]
        self.assertEqual('running', machine['state'])
        self.assertEqual('web-1', machine['name'])
        self.assertEqual('joyent', machine['brand'])
        # base-64-lts resolves to the newest version of that name.
        self.assertEqual('e1faace4-e19b-11e5-928b-83849e2fd94a',
                         machine['image'])
        self.assertEqual('g4-highcpu-128M', machine['package'])
        self.assertEqual({'user-script': '#!/bin/sh\necho hello',
                          'role': 'web'}, machine['metadata'])
        self.assertEqual({'tier': 'front'}, machine['tags'])
        self.assertTrue(machine['firewall_enabled'])
        self.assertEqual('running', rsrc.FnGetAtt('state'))
        self.assertEqual(machine['primaryIp'], rsrc.FnGetAtt('primary_ip'))
        self.assertEqual(machine['ips'], rsrc.FnGetAtt('ips'))
        self.assertEqual(machine['networks'], rsrc.FnGetAtt('networks'))
        self.assertEqual(machine['id'], rsrc.FnGetAtt('id'))
        self.assertEqual('joyent', rsrc.FnGetAtt('brand'))
        self.assertEqual(machine['id'], rsrc.FnGetRefId())
        self.assertEqual(machine['id'], rsrc.FnGetAtt('show')['id'])

    def test_every_request_signed_and_versioned(self):
        self.create(SMART)
        self.assertTrue(self.sim.requests)
        for method, path, headers in self.sim.requests:
            self.assertEqual('~9||~8', headers['accept-version'])
            self.assertTrue(headers['authorization'].startswith(
                'Signature keyId="/hurtle/keys/'))

    def test_default_name_from_stack(self):
        stack = self.create(KVM)
        self.assertState(stack, 'CREATE', 'COMPLETE')
        machine = self.sim.machines[stack['vm'].resource_id]
        self.assertIn('-vm-', machine['name'])
        self.assertEqual('kvm', machine['brand'])
        self.assertEqual('virtualmachine', machine['type'])

    def test_check_create_complete_polls_until_running(self):
        self.sim.transition_polls = 2
        stack = self.parse(SMART)
        rsrc = stack['vm']
        machine_id = rsrc.handle_create()
        self.assertEqual(machine_id, rsrc.resource_id)
        self.assertEqual('provisioning',
                         self.sim.machines[machine_id]['state'])
        self.assertFalse(rsrc.check_create_complete(machine_id))
        self.assertFalse(rsrc.check_create_complete(machine_id))
        self.assertTrue(rsrc.check_create_complete(machine_id))
        self.assertEqual('running', self.sim.machines[machine_id]['state'])

    def test_check_create_complete_failed_machine(self):
        self.sim.fail_next_provision()
        stack = self.parse(SMART)
        rsrc = stack['vm']
        machine_id = rsrc.handle_create()
        self.assertFalse(rsrc.check_create_complete(machine_id))
        exc = self.assertRaises(exception.ResourceInError,
                                rsrc.check_create_complete, machine_id)
        self.assertIn('Machine %s is failed, expected running' % machine_id,
                      str(exc))

    def test_create_failed_machine_fails_stack(self):
        cfg.CONF.set_override('action_retry_limit', 0)
        self.sim.fail_next_provision()
        stack = self.create(SMART)
        self.assertState(stack, 'CREATE', 'FAILED')
        self.assertIn('CloudAPI could not provision machine',
                      stack.status_reason)
        self.assertIn('is failed, expected running', stack.status_reason)

    def test_create_failed_machine_retried_by_heat(self):
        # ResourceInError is retryable: Heat deletes the failed machine
        # and creates another (action_retry_limit, default 2).
        self.sim.fail_next_provision()
        stack = self.create(SMART)
        self.assertState(stack, 'CREATE', 'COMPLETE')
        states = sorted(m['state'] for m in self.sim.machines.values())
        self.assertEqual(['deleted', 'running'], states)

    def test_create_machine_vanishes(self):
        stack = self.parse(SMART)
        rsrc = stack['vm']
        machine_id = rsrc.handle_create()
        del self.sim.machines[machine_id]
        exc = self.assertRaises(exception.ResourceInError,
                                rsrc.check_create_complete, machine_id)
        self.assertIn('disappeared', str(exc))

    def test_create_rejected_by_cloudapi(self):
        first = self.create(SMART)
        self.assertState(first, 'CREATE', 'COMPLETE')
        second = self.create(SMART)   # same machine name
        self.assertState(second, 'CREATE', 'FAILED')
        self.assertIn('InvalidArgument (HTTP 409)', second.status_reason)
        self.assertIn('name web-1 is already in use', second.status_reason)

    def test_kvm_refuses_os_image(self):
        stack = self.create(KVM.replace('ubuntu-20.04', 'base-64-lts'))
        self.assertState(stack, 'CREATE', 'FAILED')
        self.assertIn('SDC::Compute::KVM needs a hardware VM (zvol) image',
                      stack.status_reason)
        self.assertEqual([], self.sim.live_machines())

    def test_smartmachine_refuses_kvm_image(self):
        stack = self.create(SMART.replace('base-64-lts', 'ubuntu-20.04'))
        self.assertState(stack, 'CREATE', 'FAILED')
        self.assertIn('is of type zvol', stack.status_reason)

    def test_named_networks_resolved(self):
        template = SMART.replace(
            '      firewall_enabled: true',
            '      networks: [Joyent-SDC-Public, %s]'
            % self.sim.default_fabric_network_id)
        stack = self.create(template)
        self.assertState(stack, 'CREATE', 'COMPLETE')
        machine = self.sim.machines[stack['vm'].resource_id]
        self.assertEqual(['9ec60129-9034-47b4-b111-3026f9b1a10f',
                          self.sim.default_fabric_network_id],
                         machine['networks'])
        self.assertEqual(2, len(machine['ips']))

    def test_not_configured(self):
        self.sim.stop()
        cfg.CONF.set_override('url', None, group='sdc')
        cfg.CONF.set_override('key_file', None, group='sdc')
        stack = self.create(SMART)
        self.assertState(stack, 'CREATE', 'FAILED')
        self.assertIn('Joyent SDC is not configured: set url, key_file',
                      stack.status_reason)


class MachineValidateTest(sdc_base.SDCTestCase):

    def _validate_error(self, template):
        stack = self.parse(template)
        return str(self.assertRaises(exception.StackValidationFailed,
                                     stack.validate))

    def test_valid(self):
        stack = self.parse(SMART.replace('base-64-lts',
                                         'base-64-lts@19.4.0'))
        self.assertIsNone(stack.validate())

    def test_unknown_image(self):
        msg = self._validate_error(SMART.replace('base-64-lts', 'nope'))
        self.assertIn("Error validating value 'nope'", msg)
        self.assertIn('Image nope not found', msg)

    def test_unknown_image_id(self):
        msg = self._validate_error(SMART.replace(
            'base-64-lts', '00000000-0000-0000-0000-000000000001'))
        self.assertIn('ResourceNotFound (HTTP 404)', msg)

    def test_unknown_package(self):
        msg = self._validate_error(SMART.replace('g4-highcpu-128M',
                                                 'huge'))
        self.assertIn("Error validating value 'huge'", msg)
        self.assertIn('package huge not found', msg)

    def test_unknown_network(self):
        msg = self._validate_error(SMART.replace(
            '      firewall_enabled: true', '      networks: [nowhere]'))
        self.assertIn("Error validating value 'nowhere'", msg)
        self.assertIn('Network nowhere not found', msg)

    def test_bad_credentials(self):
        self.sim.keys.clear()
        msg = self._validate_error(SMART)
        self.assertIn('InvalidCredentials (HTTP 401)', msg)

    def test_metadata_values_must_be_strings(self):
        msg = self._validate_error(SMART.replace('role: web', 'role: 3'))
        self.assertIn('metadata value of "role" must be a string', msg)

    def test_bad_name(self):
        msg = self._validate_error(SMART.replace('name: web-1',
                                                 'name: "bad name"'))
        self.assertIn('name', msg)


class MachineUpdateTest(sdc_base.SDCTestCase):

    def test_update_in_place(self):
        stack = self.create(SMART)
        machine_id = stack['vm'].resource_id
        new = (SMART.replace('role: web', 'owner: ops')
               .replace('echo hello', 'echo bye')
               .replace('tier: front', 'tier: back')
               .replace('name: web-1', 'name: web-2')
               .replace('firewall_enabled: true', 'firewall_enabled: false'))
        self.update(stack, new)
        self.assertState(stack, 'UPDATE', 'COMPLETE')
        self.assertEqual(machine_id, stack['vm'].resource_id)
        machine = self.sim.machines[machine_id]
        self.assertEqual({'user-script': '#!/bin/sh\necho bye',
                          'owner': 'ops'}, machine['metadata'])
        self.assertEqual({'tier': 'back'}, machine['tags'])
        self.assertEqual('web-2', machine['name'])
        self.assertFalse(machine['firewall_enabled'])
        self.assertEqual(1, len(self.sim.machines))

    def test_update_package_resizes(self):
        self.sim.transition_polls = 2
        stack = self.create(SMART)
        machine_id = stack['vm'].resource_id
        self.update(stack, SMART.replace('g4-highcpu-128M', 'g4-highcpu-1G'))
        self.assertState(stack, 'UPDATE', 'COMPLETE')
        self.assertEqual(machine_id, stack['vm'].resource_id)
        machine = self.sim.machines[machine_id]
        self.assertEqual('g4-highcpu-1G', machine['package'])
        self.assertEqual(1024, machine['memory'])

    def test_update_image_replaces(self):
        stack = self.create(SMART.replace('      name: web-1\n', ''))
        old_id = stack['vm'].resource_id
        self.update(stack, SMART.replace('      name: web-1\n', '').replace(
            'base-64-lts', 'debian-11'))
        self.assertState(stack, 'UPDATE', 'COMPLETE')
        new_id = stack['vm'].resource_id
        self.assertNotEqual(old_id, new_id)
        self.assertEqual('deleted', self.sim.machines[old_id]['state'])
        self.assertEqual('running', self.sim.machines[new_id]['state'])
        self.assertEqual('lx', self.sim.machines[new_id]['brand'])

    def test_kvm_package_change_replaces(self):
        stack = self.create(KVM)
        old_id = stack['vm'].resource_id
        self.update(stack, KVM.replace('k4-highcpu-kvm-1.75G',
                                       'g4-highcpu-1G'))
        self.assertState(stack, 'UPDATE', 'COMPLETE')
        new_id = stack['vm'].resource_id
        self.assertNotEqual(old_id, new_id)
        self.assertEqual('deleted', self.sim.machines[old_id]['state'])
        self.assertEqual('g4-highcpu-1G',
                         self.sim.machines[new_id]['package'])

    def test_update_rejected_by_cloudapi(self):
        stack = self.create(SMART)
        other = self.create(SMART.replace('web-1', 'web-2'))
        self.assertState(other, 'CREATE', 'COMPLETE')
        self.update(stack, SMART.replace('name: web-1', 'name: web-2'))
        self.assertState(stack, 'UPDATE', 'FAILED')
        self.assertIn('name web-2 is already in use', stack.status_reason)


class MachineDeleteTest(sdc_base.SDCTestCase):

    def test_delete(self):
        stack = self.create(SMART)
        machine_id = stack['vm'].resource_id
        stack.delete()
        self.assertState(stack, 'DELETE', 'COMPLETE')
        self.assertEqual('deleted', self.sim.machines[machine_id]['state'])

    def test_delete_already_deleted(self):
        stack = self.create(SMART)
        machine_id = stack['vm'].resource_id
        self.sim.machines[machine_id]['state'] = 'deleted'   # 410 Gone
        stack.delete()
        self.assertState(stack, 'DELETE', 'COMPLETE')

    def test_delete_never_existed(self):
        stack = self.create(SMART)
        del self.sim.machines[stack['vm'].resource_id]        # 404
        stack.delete()
        self.assertState(stack, 'DELETE', 'COMPLETE')

    def test_check_delete_complete(self):
        stack = self.create(SMART)
        rsrc = stack['vm']
        token = rsrc.handle_delete()
        self.assertEqual(rsrc.resource_id, token)
        self.assertTrue(rsrc.check_delete_complete(token))
        self.assertTrue(rsrc.check_delete_complete(None))

    def test_delete_failure_reported(self):
        stack = self.create(SMART)
        self.sim.inject(403, 'NotAuthorized', 'machine is locked', count=1)
        stack.delete()
        self.assertState(stack, 'DELETE', 'FAILED')
        self.assertIn('machine is locked', stack.status_reason)

    def test_delete_without_machine(self):
        stack = self.create(SMART)
        self.sim.stop()    # CloudAPI never contacted
        stack['vm'].resource_id_set(None)
        stack.delete()
        self.assertState(stack, 'DELETE', 'COMPLETE')


class MachineSuspendResumeTest(sdc_base.SDCTestCase):

    def test_suspend_resume(self):
        stack = self.create(SMART)
        machine_id = stack['vm'].resource_id
        stack.suspend()
        self.assertState(stack, 'SUSPEND', 'COMPLETE')
        self.assertEqual('stopped', self.sim.machines[machine_id]['state'])
        stack.resume()
        self.assertState(stack, 'RESUME', 'COMPLETE')
        self.assertEqual('running', self.sim.machines[machine_id]['state'])

    def test_suspend_failed_machine(self):
        stack = self.create(SMART)
        self.sim.machines[stack['vm'].resource_id]['state'] = 'failed'
        stack.suspend()
        self.assertState(stack, 'SUSPEND', 'FAILED')
        self.assertIn('cannot be stopped', stack.status_reason)
