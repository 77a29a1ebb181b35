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
"""``samples/templates/composed_services.yaml`` on the embedded Heat.

Real processes on 127.0.0.1: ``hurtle-all`` (SM with the sample service,
CC, the Heat the SOs deploy on) and a second embedded Heat
(``hurtle-heat``) that loads ``Hurtle::Service::Instance`` through
``plugin_dirs``.  The stack composes two sample-service instances: the
first one's endpoint output feeds the second one's attribute.  The test
creates, updates (in place) and deletes the stack and checks each step on
the SM's OCCI API.
"""

import os
import time

from heatclient import exc as heat_exc
import testtools

from hurtle.occi import client as occi_client
from hurtle.occi import errors
from tests.functional import heat_fixture
from tests.functional import hurtle_fixture

TEMPLATE = os.path.join(hurtle_fixture.ROOT, 'samples', 'templates',
                        'composed_services.yaml')
TIMEOUT = 300
PROJECT = 'admin'   # the project of the embedded Heat's noauth client


class ComposedServicesStackTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hurtle = hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,))
        cls.hurtle.setUp()
        cls.addClassCleanup(cls.hurtle.cleanUp)
        cls.heat = heat_fixture.EmbeddedHeat()
        cls.heat.setUp()
        cls.addClassCleanup(cls.heat.cleanUp)

    def setUp(self):
        super().setUp()
        self.hc = self.heat.client()
        self.sm = occi_client.OCCIClient(
            self.hurtle.sm_url, headers={'X-Project-Id': PROJECT})
        with open(TEMPLATE) as f:
            self.template = f.read()

    def params(self, **extra):
        endpoint = self.hurtle.sm_url + 'sample/'
        params = {'backend_endpoint': endpoint,
                  'frontend_endpoint': endpoint, 'timeout': TIMEOUT}
        params.update(extra)
        return params

    def wait_stack(self, stack_id, wanted):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                stack = self.hc.stacks.get(stack_id)
            except heat_exc.HTTPNotFound:
                if wanted == 'DELETE_COMPLETE':
                    return None
                raise
            if stack.stack_status == wanted:
                return stack
            if stack.stack_status.endswith('FAILED'):
                self.fail('stack %s: %s\n%s' % (
                    stack.stack_status, stack.stack_status_reason,
                    self.heat.log_tail()))
            time.sleep(0.5)
        self.fail('stack never reached %s (last %s)'
                  % (wanted, stack.stack_status))

    def outputs(self, stack_id):
        stack = self.hc.stacks.get(stack_id)
        return {o['output_key']: o['output_value'] for o in stack.outputs}

    def test_resource_type_is_listed_and_documented(self):
        names = [t.resource_type for t in self.hc.resource_types.list()]
        self.assertIn('Hurtle::Service::Instance', names)
        schema = self.hc.resource_types.get('Hurtle::Service::Instance')
        self.assertEqual({'endpoint', 'service_type', 'attributes',
                          'timeout'}, set(schema['properties']))
        self.assertEqual({'url', 'state', 'attributes', 'show'},
                         set(schema['attributes']))
        for prop in schema['properties'].values():
            self.assertTrue(prop['description'])
        self.assertTrue(schema['properties']['attributes']['update_allowed'])

    def test_create_update_delete(self):
        # create: backend first, then frontend fed by backend's output
        created = self.hc.stacks.create(
            stack_name='composed', template=self.template,
            parameters=self.params())
        stack_id = created['stack']['id']
        self.wait_stack(stack_id, 'CREATE_COMPLETE')
        out = self.outputs(stack_id)
        backend = self.sm.get(out['backend_url'])
        frontend = self.sm.get(out['frontend_url'])
        self.assertTrue(out['backend_url'].startswith(
            self.hurtle.sm_url + 'sample/'))
        self.assertEqual('active', backend.attributes['mcn.service.state'])
        self.assertEqual('active', out['frontend_state'])
        self.assertEqual('hello', backend.attributes['sample.greeting'])
        endpoint = backend.attributes['mcn.endpoint.sample']
        self.assertIn('greeting=hello', endpoint)
        self.assertEqual(endpoint, out['backend_endpoint'])
        self.assertEqual(endpoint, out['frontend_input'])
        self.assertEqual(endpoint, frontend.attributes['sample.greeting'])

        # update in place: a new greeting changes backend's endpoint,
        # which flows into frontend's attribute; no instance is replaced
        self.hc.stacks.update(stack_id, template=self.template,
                              parameters=self.params(greeting='bonjour'))
        self.wait_stack(stack_id, 'UPDATE_COMPLETE')
        out2 = self.outputs(stack_id)
        self.assertEqual(out['backend_url'], out2['backend_url'])
        self.assertEqual(out['frontend_url'], out2['frontend_url'])
        backend = self.sm.get(out['backend_url'])
        self.assertEqual('bonjour', backend.attributes['sample.greeting'])
        self.assertEqual('active', backend.attributes['mcn.service.state'])
        new_endpoint = backend.attributes['mcn.endpoint.sample']
        self.assertIn('greeting=bonjour', new_endpoint)
        frontend = self.sm.get(out['frontend_url'])
        self.assertEqual(new_endpoint,
                         frontend.attributes['sample.greeting'])

        # delete: both instances are disposed and gone from the SM
        self.hc.stacks.delete(stack_id)
        self.wait_stack(stack_id, 'DELETE_COMPLETE')
        for url in (out['backend_url'], out['frontend_url']):
            self.assertRaises(errors.NotFound, self.sm.get, url)
