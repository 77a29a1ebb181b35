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
"""The SM deletes the stacks of a lost multi-region SO itself, each in
its region (``Phases._dispose_stack`` with the ``heat`` deployer), on a
real embedded Heat reached only through ``[deployer] heat_region_urls``
(``heat_url`` names no Heat)."""
import types

import testtools

from hurtle import polling
from hurtle.sdk import deployer as deployers
from hurtle.sdk import regions
from hurtle.sm import peers
from hurtle.sm import phases
from hurtle.sm import scheduling
from tests import conf_fixture
from tests.functional import heat_fixture
from tests import net

TEMPLATE = '''heat_template_version: 2018-08-31
resources:
  nothing:
    type: OS::Heat::None
'''
REGIONS = ('RegionOne', 'RegionTwo')


class DisposeRegionsTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.heat = heat_fixture.for_class(cls)

    def setUp(self):
        super().setUp()
        url = self.heat.api_url + '/v1/%(project)s'
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            state_path=self.heat.state_path, deployer__driver='heat',
            deployer__heat_url='http://127.0.0.1:%d/v1/%%(project)s'
            % net.held_port(self),
            deployer__heat_region_urls={r: url for r in REGIONS},
            sm__phase_timeout=60, sm__poll_interval=0.2)).conf
        self.phases = phases.Phases(self.conf, None, {},
                                    peers.Peers(self.conf), None)

    def deploy(self, instance_id):
        ids = {}
        for region in REGIONS:
            deployer = deployers.load(self.conf, 'admin', region=region)
            ids[region] = deployer.deploy(
                'hurtle-%s-%s' % (instance_id, region), TEMPLATE)
            polling.poll_until(
                lambda: deployer.details(ids[region]).complete or None,
                60, 0.2, 'stack in ' + region)
        return ids

    def row(self, instance_id, ids):
        return types.SimpleNamespace(
            id=instance_id, project='admin', so_secret=None, app_url=None,
            attributes={'occi.mcn.stack.id': regions.encode_ids(ids)})

    def live(self):
        return {s.id for s in self.heat.client().stacks.list()
                if s.stack_status != 'DELETE_COMPLETE'}

    def test_every_regions_stack_is_deleted(self):
        ids = self.deploy('r1')
        self.assertLessEqual(set(ids.values()), self.live())
        self.phases._dispose_stack(self.row('r1', ids))
        self.assertEqual(set(), set(ids.values()) & self.live())

    def test_a_region_whose_heat_is_unreachable_is_named(self):
        ids = self.deploy('r2')
        ids['RegionNine'] = 'no-such-stack'   # goes to heat_url: no Heat
        err = self.assertRaises(scheduling.PhaseError,
                                self.phases._dispose_stack,
                                self.row('r2', ids))
        self.assertIn('RegionNine: orchestration service unreachable',
                      str(err))
        self.assertEqual(set(), {ids[r] for r in REGIONS} & self.live())
