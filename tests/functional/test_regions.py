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
"""A manifest listing two ``regions`` on the embedded default (Heat, CC
and SM as separate processes): one stack per region, outputs keyed by
region, update and delete in both, and a failure in one region.

The embedded default has one Heat; ``[deployer] heat_region_urls`` maps
both region names to it (spelt differently: 127.0.0.1 and localhost), so
the two stacks differ by name (``hurtle-<id>-<region>``).
"""
import json
import os

import requests

from hurtle import polling
from tests.functional import hurtle_fixture

MANIFEST = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        'regions_service', 'manifest.json')
SCHEME = 'http://schemas.hurtle.it/occi/sm#'
KIND = 'regional; scheme="%s"; class="kind"' % SCHEME
REGIONS = ('RegionOne', 'RegionTwo')
TIMEOUT = 120


class RegionalHurtle(hurtle_fixture.HurtleParts):
    """``HurtleParts`` with the regional service, and ``[deployer]
    heat_region_urls`` sending both regions to its embedded Heat (added
    as extra configuration once the fixture chose Heat's port)."""

    def __init__(self):
        super().__init__(manifests=(MANIFEST,))

    def _write_conf(self):
        super()._write_conf()
        port = int(self.heat_url.rsplit(':', 1)[1])
        with open(self.conf_path, 'a') as handle:
            handle.write(
                '\n[deployer]\nheat_region_urls = '
                'RegionOne:http://127.0.0.1:%d/v1/%%(project)s,'
                'RegionTwo:http://localhost:%d/v1/%%(project)s\n'
                % (port, port))


class RegionsTest(hurtle_fixture.HurtleTestCase):

    @classmethod
    def make_hurtle(cls):
        return RegionalHurtle()

    def setUp(self):
        super().setUp()
        self.client = self.sm_client('demo')
        self.heat = self.stack_client('demo')

    def create(self, *attributes):
        headers = dict(self.headers(), **{'Category': KIND,
                                          'Content-Type': 'text/occi'})
        if attributes:
            headers['X-OCCI-Attribute'] = ', '.join(attributes)
        resp = requests.post(self.hurtle.sm_url + 'regional/',
                             headers=headers, timeout=30)
        self.assertEqual(201, resp.status_code, resp.text)
        return resp.headers['Location']

    def wait_state(self, location, wanted):
        def reached():
            entity = self.client.get(location)
            if entity.attributes['mcn.service.state'] in wanted:
                return entity
            return None
        return polling.poll_until(reached, TIMEOUT, 0.2,
                                  '%s in %s' % (location, sorted(wanted)))

    def delete(self, location):
        """DELETE the instance and wait until the SM no longer has it."""
        resp = requests.delete(location, headers=self.headers(), timeout=30)
        self.assertIn(resp.status_code, (200, 202, 204), resp.text)
        self.wait_instance_gone(location, timeout=TIMEOUT)

    def stacks(self, instance_id):
        """``{region: stack}`` of the instance's stacks in Heat."""
        names = {'hurtle-%s-%s' % (instance_id, r): r for r in REGIONS}
        return {names[s.stack_name]: s for s in self.heat.stacks.list()
                if s.stack_name in names}

    def test_a_stack_per_region_updated_and_deleted_together(self):
        location = self.create('regional.greeting="hi"')
        instance_id = location.rstrip('/').rsplit('/', 1)[1]
        entity = self.wait_state(location, {'active', 'failed'})
        attrs = entity.attributes
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        self.assertEqual('http://one.regional.invalid/?greeting=hi',
                         attrs['RegionOne.url'])
        self.assertEqual('http://two.regional.invalid/?greeting=hi',
                         attrs['RegionTwo.url'])
        self.assertIs(True, attrs['RegionOne.provisioned'])
        self.assertIs(True, attrs['RegionTwo.provisioned'])
        self.assertNotIn('url', attrs)
        self.assertEqual('UPDATE_COMPLETE', attrs['occi.mcn.stack.state'])
        stacks = self.stacks(instance_id)
        self.assertEqual(set(REGIONS), set(stacks))
        self.assertEqual({r: stacks[r].id for r in REGIONS},
                         json.loads(attrs['occi.mcn.stack.id']))

        resp = requests.post(location, headers=dict(self.headers(), **{
            'Category': KIND, 'Content-Type': 'text/occi',
            'X-OCCI-Attribute': 'regional.greeting="bye"'}), timeout=30)
        self.assertIn(resp.status_code, (200, 202), resp.text)
        attrs = self.wait_state(location, {'active', 'failed'}).attributes
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        for region in REGIONS:
            self.assertEqual('bye', attrs['%s.greeting' % region])
            outputs = {o['output_key']: o['output_value'] for o in
                       self.heat.stacks.get(stacks[region].id).outputs}
            self.assertEqual('bye', outputs['greeting'])
        self.assertIn('greeting=bye', attrs['RegionTwo.url'])

        self.delete(location)
        self.wait_stacks_gone([stacks[r].id for r in REGIONS])

    def test_a_failed_region_fails_the_instance_and_delete_cleans_up(self):
        location = self.create('regional.fail_in="RegionTwo"')
        instance_id = location.rstrip('/').rsplit('/', 1)[1]
        attrs = self.wait_state(location, {'active', 'failed'}).attributes
        self.assertEqual('failed', attrs['mcn.service.state'])
        reason = attrs['mcn.service.state.reason']
        self.assertIn('RegionTwo: ', reason)
        self.assertIn('Test Resource failed', reason)
        self.assertNotIn('RegionOne', reason)
        stacks = self.stacks(instance_id)
        self.assertEqual(set(REGIONS), set(stacks))
        self.assertEqual('CREATE_FAILED', self.heat.stacks.get(
            stacks['RegionTwo'].id).stack_status)

        self.delete(location)
        self.wait_stacks_gone([stacks[r].id for r in REGIONS])
