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
"""The templates the SM gives an SO (``hurtle.sm.phases.templates_env``):
``HURTLE_SO_TEMPLATES`` as before for every manifest, and
``HURTLE_SO_REGIONS`` for a manifest listing ``regions``."""
import json
import os

import fixtures
import testtools

from hurtle import manifest
from hurtle.sm import phases


class TemplatesEnvTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def load(self, **more):
        document = {'service_type': 'http://example.org/occi/sm#svc',
                    'service_description': 'A service',
                    'resources': {r: {'deployment': '%s.yaml' % r}
                                  for r in ('RegionOne', 'RegionTwo')}}
        document.update(more)
        path = os.path.join(self.dir, 'manifest.json')
        with open(path, 'w') as handle:
            json.dump(document, handle)
        return manifest.load(path)

    def path(self, region):
        return {'deployment': os.path.join(self.dir, '%s.yaml' % region)}

    def test_single_region_manifest_as_before(self):
        env = phases.templates_env(self.load(), 'RegionTwo')
        self.assertEqual({'HURTLE_SO_TEMPLATES': json.dumps(
            self.path('RegionTwo'))}, env)
        self.assertEqual({'HURTLE_SO_TEMPLATES': '{}'},
                         phases.templates_env(self.load(), 'RegionNine'))

    def test_regions_in_order_and_the_sm_region_for_older_sos(self):
        m = self.load(regions=['RegionTwo', 'RegionOne'])
        env = phases.templates_env(m, 'RegionOne')
        self.assertEqual(self.path('RegionOne'),
                         json.loads(env['HURTLE_SO_TEMPLATES']))
        regions = json.loads(env['HURTLE_SO_REGIONS'])
        self.assertEqual(['RegionTwo', 'RegionOne'], list(regions))
        self.assertEqual(self.path('RegionTwo'), regions['RegionTwo'])

    def test_sm_region_not_listed_gives_the_first_listed(self):
        m = self.load(regions=['RegionTwo'])
        env = phases.templates_env(m, 'RegionOne')
        self.assertEqual(self.path('RegionTwo'),
                         json.loads(env['HURTLE_SO_TEMPLATES']))
        self.assertEqual({'RegionTwo': self.path('RegionTwo')},
                         json.loads(env['HURTLE_SO_REGIONS']))
