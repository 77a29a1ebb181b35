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
"""samples/templates/sdc_fabric.yaml on the embedded Heat (``hurtle-heat``)
against the CloudAPI simulator.

The simulator runs in the test process on 127.0.0.1 and checks every
request's HTTP Signature; hurtle-heat gets ``[sdc]`` through its extra
heat.conf and loads Hurtle's plugins through ``plugin_dirs``.
"""
import os
import shutil
import subprocess
import sys
import time

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import serialization
import fixtures
from heatclient import exc as heat_exc
import testtools

from tests.functional import heat_fixture
from tests import sdc_simulator

SAMPLE = os.path.join(heat_fixture.REPO_ROOT, 'samples', 'templates',
                      'sdc_fabric.yaml')
SDC_TYPES = ('SDC::Compute::SmartMachine', 'SDC::Compute::KVM',
             'SDC::Network::FabricNetwork', 'SDC::Network::FirewallRule')


class SDCStackTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = fixtures.TempDir()
        cls.tmp.setUp()
        cls.addClassCleanup(cls.tmp.cleanUp)
        cls.sim = sdc_simulator.CloudAPISimulator(account='hurtle')
        cls.sim.start()
        cls.addClassCleanup(cls.sim.stop)
        key = rsa.generate_private_key(65537, 2048)
        cls.sim.add_key(key.public_key())
        key_file = os.path.join(cls.tmp.path, 'id_rsa')
        with open(key_file, 'wb') as f:
            f.write(key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.TraditionalOpenSSL,
                serialization.NoEncryption()))
        cls.heat = heat_fixture.EmbeddedHeat(extra_conf={
            'sdc': {'url': cls.sim.url, 'account': 'hurtle',
                    'key_file': key_file, 'retries': 1, 'timeout': 10}})
        cls.heat.setUp()
        cls.addClassCleanup(cls.heat.cleanUp)
        cls.client = cls.heat.client()
        with open(SAMPLE) as f:
            cls.template = f.read()

    def _wait(self, stack_id, status, timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            try:
                stack = self.client.stacks.get(stack_id)
            except heat_exc.HTTPNotFound:
                if status == 'DELETE_COMPLETE':
                    return None
                raise
            if stack.stack_status == status:
                return stack
            if (stack.stack_status.endswith('FAILED')
                    or time.monotonic() > deadline):
                self.fail('stack %s is %s (%s), expected %s\n%s' % (
                    stack_id, stack.stack_status,
                    stack.stack_status_reason, status,
                    self.heat.log_tail(40)))
            time.sleep(0.2)

    def test_sdc_resource_types_listed(self):
        types = {t.resource_type for t in self.client.resource_types.list()}
        for name in SDC_TYPES:
            self.assertIn(name, types)

    @testtools.skipUnless(shutil.which('openstack')
                          or os.path.exists(os.path.join(
                              os.path.dirname(sys.executable), 'openstack')),
                          'needs python-openstackclient')
    def test_openstack_cli_lists_sdc_types(self):
        cli = (os.path.join(os.path.dirname(sys.executable), 'openstack')
               if os.path.exists(os.path.join(
                   os.path.dirname(sys.executable), 'openstack'))
               else 'openstack')
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('OS_')}
        out = subprocess.run(
            [cli, '--os-auth-type', 'admin_token',
             '--os-token=' + self.heat.local_secret(),
             '--os-endpoint', self.heat.url,
             '--os-orchestration-api-version', '1',
             'orchestration', 'resource', 'type', 'list', '-f', 'value'],
            capture_output=True, text=True, env=env, timeout=120)
        self.assertEqual(0, out.returncode, out.stderr)
        for name in SDC_TYPES:
            self.assertIn(name, out.stdout.split())

    def test_resource_type_show_reads_well(self):
        schema = self.client.resource_types.get('SDC::Compute::SmartMachine')
        self.assertIn('user-script', schema['properties']['metadata']
                      ['description'])
        self.assertIn('Primary IP', schema['attributes']['primary_ip']
                      ['description'])
        self.assertEqual('SUPPORTED', schema['support_status']['status'])

    def test_sample_create_update_delete(self):
        created = self.client.stacks.create(stack_name='sdc-sample',
                                            template=self.template)
        stack_id = created['stack']['id']
        stack = self._wait(stack_id, 'CREATE_COMPLETE')
        outputs = {o['output_key']: o['output_value']
                   for o in stack.outputs}
        self.assertTrue(outputs['web1_ip'].startswith('10.42.0.'))
        self.assertTrue(outputs['web2_ip'].startswith('10.42.0.'))
        machines = self.sim.live_machines()
        self.assertEqual(2, len(machines))
        self.assertEqual({'running'}, {m['state'] for m in machines})
        self.assertEqual({outputs['network_id']},
                         {n for m in machines for n in m['networks']})
        ids = sorted(m['id'] for m in machines)

        self.client.stacks.update(stack_id, template=self.template,
                                  parameters={'greeting': 'bonjour'})
        self._wait(stack_id, 'UPDATE_COMPLETE')
        machines = self.sim.live_machines()
        self.assertEqual(ids, sorted(m['id'] for m in machines))
        for machine in machines:
            self.assertIn('bonjour', machine['metadata']['user-script'])

        self.client.stacks.delete(stack_id)
        self._wait(stack_id, 'DELETE_COMPLETE')
        self.assertEqual([], self.sim.live_machines())
        self.assertNotIn(outputs['network_id'], self.sim.fabric_networks)
        self.assertEqual({}, self.sim.fwrules)

    def test_unknown_image_rejected_before_create(self):
        exc = self.assertRaises(
            heat_exc.HTTPBadRequest, self.client.stacks.create,
            stack_name='sdc-bad', template=self.template,
            parameters={'image': 'no-such-image'})
        self.assertIn('Image no-such-image not found', str(exc))
        self.assertEqual([], self.sim.live_machines())
