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
"""Composition through the CC's design service (``[sm] design = cc``) on
the embedded default (``hurtle-all``): the SM asks the CC's ``service``
kind for the SM of each ``depends_on`` type; the CC knows the services of
``[sm] manifests`` (the configuration it shares with the SM) and ``[design]
services``. A type the CC does not know fails the composed instance with
the design service's message."""
import json
import os
import shutil
import tempfile

from hurtle.occi import client as occi_client
from tests.functional import hurtle_fixture

SCHEME = 'http://schemas.hurtle.it/occi/sm#'
MISSING = SCHEME + 'missing'


def orphan_manifest(directory):
    """The composed sample as service ``orphan``, depending on a type
    nobody serves; returns its path."""
    base = os.path.dirname(hurtle_fixture.COMPOSED_MANIFEST)
    with open(hurtle_fixture.COMPOSED_MANIFEST) as handle:
        doc = json.load(handle)
    doc['service_type'] = SCHEME + 'orphan'
    doc['service_endpoint'] = 'http://127.0.0.1:8888/orphan/'
    doc['depends_on'] = [{MISSING: {'inputs': []}}]
    doc['so_bundle'] = os.path.join(base, doc['so_bundle'])
    for templates in doc['resources'].values():
        for phase, path in list(templates.items()):
            templates[phase] = os.path.join(base, path)
    path = os.path.join(directory, 'manifest.json')
    with open(path, 'w') as handle:
        json.dump(doc, handle)
    return path


class DesignCompositionTest(hurtle_fixture.HurtleTestCase):

    @classmethod
    def make_hurtle(cls):
        directory = tempfile.mkdtemp(prefix='hurtle-design-')
        cls.addClassCleanup(shutil.rmtree, directory)
        return hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,
                       hurtle_fixture.COMPOSED_MANIFEST,
                       orphan_manifest(directory)),
            extra_conf='[sm]\ndesign = cc\n')

    def setUp(self):
        super().setUp()
        self.client = self.sm_client('demo')

    def test_the_cc_design_service_lists_the_sms_services(self):
        cc = self.hurtle.cc_client('service')
        attrs = cc.get(self.hurtle.cc_url + 'service/sample').attributes
        self.assertEqual(SCHEME + 'sample', attrs['hurtle.service.type'])
        self.assertEqual(self.hurtle.sm_url + 'sample/',
                         attrs['hurtle.service.endpoint'])

    def test_composed_service_resolves_its_dependency_through_the_cc(self):
        before = set(self.client.list('/sample/'))
        location = self.client.create(
            '/composed/', occi_client.CategoryRef(SCHEME, 'composed',
                                                  'kind'),
            {'composed.label': 'edge'})
        attrs = self.wait_settled(self.client, location).attributes
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        new = set(self.client.list('/sample/')) - before
        self.assertEqual(1, len(new), 'one sample instance created first')
        self.assertTrue(new.pop().startswith(self.hurtle.sm_url + 'sample/'))
        self.delete_and_wait(self.client, location)
        self.assertEqual(before, set(self.client.list('/sample/')))

    def test_a_type_the_cc_does_not_know_fails_with_its_message(self):
        location = self.client.create(
            '/orphan/', occi_client.CategoryRef(SCHEME, 'orphan', 'kind'),
            {'composed.label': 'x'})
        attrs = self.wait_settled(self.client, location).attributes
        self.assertEqual('failed', attrs['mcn.service.state'])
        self.assertIn("the CC's design service knows no SM for service "
                      "type " + MISSING,
                      attrs['mcn.service.state.reason'])
        self.delete_and_wait(self.client, location)
