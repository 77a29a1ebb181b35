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
"""Manifest loading: the 2016 format loads unchanged; bad ones are named."""
import json
import os

import fixtures
import testtools
import yaml

from hurtle import manifest
from hurtle.occi import errors
from hurtle.sm import attributes as sm_attributes

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
COMPAT = os.path.join(os.path.dirname(ROOT), 'shared', 'compat', '2016')
SAMPLE = os.path.join(ROOT, 'samples', 'sample', 'manifest.json')
COMPOSED = os.path.join(ROOT, 'samples', 'composed', 'manifest.json')

MCN = 'http://schemas.mobile-cloud-networking.eu/occi/sm#'


class ManifestFileTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def write(self, document, name='manifest.json'):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as handle:
            if isinstance(document, str):
                handle.write(document)
            else:
                json.dump(document, handle)
        return path

    def base(self, **changes):
        document = {'service_type': 'http://example.org/occi/sm#svc',
                    'service_description': 'A service',
                    'service_attributes': {'a.b': '', 'c.d': 'immutable'}}
        document.update(changes)
        return document

    def test_minimal_manifest(self):
        m = manifest.load(self.write(self.base()))
        self.assertEqual('http://example.org/occi/sm#', m.scheme)
        self.assertEqual('svc', m.term)
        self.assertEqual('/svc/', m.location)
        self.assertEqual({'a.b': '', 'c.d': 'immutable'}, m.attributes)
        self.assertEqual((), m.depends_on)

    def test_missing_service_type_is_named(self):
        doc = self.base()
        del doc['service_type']
        err = self.assertRaises(manifest.ManifestError, manifest.load,
                                self.write(doc))
        self.assertIn('service_type', str(err))

    def test_bad_attribute_flag_names_the_attribute(self):
        doc = self.base(service_attributes={'x.y': 'sometimes'})
        err = self.assertRaises(manifest.ManifestError, manifest.load,
                                self.write(doc))
        self.assertIn('service_attributes.x.y', str(err))

    def test_typed_attributes(self):
        doc = self.base(service_attributes={
            'a.len': {'mutability': 'mutable',
                      'schema': {'type': 'integer', 'minimum': 3}},
            'a.name': {'mutability': 'required',
                       'schema': {'type': 'string', 'maxLength': 64}},
            'a.out': {'mutability': 'immutable'},
            'a.mode': {'schema': {'enum': ['x', 'y']}},
            'a.old': 'immutable', 'a.free': ''})
        m = manifest.load(self.write(doc))
        self.assertEqual({'a.len': '', 'a.name': 'required',
                          'a.out': 'immutable', 'a.mode': '',
                          'a.old': 'immutable', 'a.free': ''},
                         m.attributes)
        self.assertEqual({'a.len': {'type': 'integer', 'minimum': 3},
                          'a.name': {'type': 'string', 'maxLength': 64},
                          'a.mode': {'enum': ['x', 'y']}}, m.schemas)

    def test_2016_attributes_have_no_schemas(self):
        self.assertEqual({}, manifest.load(self.write(self.base())).schemas)

    def test_descriptions(self):
        doc = self.base(service_attributes={
            'a.len': {'description': 'How long <b>', 'mutability': ''},
            'a.mode': '', 'a.x': {'schema': {'type': 'string'}}})
        m = manifest.load(self.write(doc))
        self.assertEqual({'a.len': 'How long <b>'}, m.descriptions)
        self.assertEqual({}, manifest.load(
            self.write(self.base())).descriptions)

    def test_bad_mutability_names_the_attribute(self):
        doc = self.base(service_attributes={
            'x.y': {'mutability': 'sometimes'}})
        err = self.assertRaises(manifest.ManifestError, manifest.load,
                                self.write(doc))
        self.assertIn('service_attributes.x.y.mutability', str(err))

    def test_unknown_attribute_key_names_the_attribute(self):
        doc = self.base(service_attributes={'x.y': {'type': 'integer'}})
        err = self.assertRaises(manifest.ManifestError, manifest.load,
                                self.write(doc))
        self.assertIn('service_attributes.x.y', str(err))
        self.assertIn("'type' was unexpected", str(err))

    def test_invalid_schema_names_the_attribute_and_rule(self):
        for schema, where in (({'type': 'integr'}, 'schema.type'),
                              ({'maxLength': -1}, 'schema.maxLength'),
                              ({'enum': 'x'}, 'schema.enum')):
            doc = self.base(service_attributes={'x.y': {'schema': schema}})
            err = self.assertRaises(manifest.ManifestError, manifest.load,
                                    self.write(doc))
            self.assertIn('service_attributes.x.y.' + where, str(err))
        doc = self.base(service_attributes={'x.y': {'schema': 'integer'}})
        err = self.assertRaises(manifest.ManifestError, manifest.load,
                                self.write(doc))
        self.assertIn('service_attributes.x.y.schema', str(err))

    def test_service_type_without_term(self):
        err = self.assertRaises(manifest.ManifestError, manifest.load,
                                self.write(self.base(service_type='nohash')))
        self.assertIn('service_type', str(err))

    def test_bad_input_reference(self):
        doc = self.base(depends_on=[{MCN + 'maas': {'inputs': ['noattr']}}])
        err = self.assertRaises(manifest.ManifestError, manifest.load,
                                self.write(doc))
        self.assertIn('depends_on.0', str(err))

    def test_not_json(self):
        err = self.assertRaises(manifest.ManifestError, manifest.load,
                                self.write('{"service_type": '))
        self.assertIn('not valid JSON', str(err))

    def test_missing_file(self):
        err = self.assertRaises(manifest.ManifestError, manifest.load,
                                os.path.join(self.dir, 'nope.json'))
        self.assertIn('cannot read manifest', str(err))

    def test_relative_bundle_and_templates_resolved(self):
        os.mkdir(os.path.join(self.dir, 'so'))
        doc = self.base(so_bundle='so', resources={
            'RegionOne': {'deployment': 'templates/t.yaml',
                          'provision': 'file:///abs/t.yaml'}})
        m = manifest.load(self.write(doc))
        self.assertEqual(os.path.join(self.dir, 'so'), m.so_bundle)
        self.assertEqual({'deployment': os.path.join(self.dir, 'templates',
                                                     't.yaml'),
                          'provision': '/abs/t.yaml'},
                         m.templates('RegionOne'))
        self.assertEqual({}, m.templates('OtherRegion'))

    def regional(self, regions, resources=None):
        resources = resources or {
            name: {'deployment': '%s.yaml' % name} for name in
            ('RegionOne', 'RegionTwo', 'RegionThree')}
        return manifest.load(self.write(self.base(resources=resources,
                                                  regions=regions)))

    def test_single_region_manifest_has_no_regions(self):
        m = manifest.load(self.write(self.base(resources={
            'RegionOne': {'deployment': 'a.yaml'},
            'RegionTwo': {'deployment': 'b.yaml'}})))
        self.assertFalse(m.multi_region)
        self.assertEqual((), m.regions)
        self.assertEqual({}, m.regional_templates())

    def test_regions_in_their_order_with_their_templates(self):
        m = self.regional(['RegionTwo', 'RegionOne'])
        self.assertTrue(m.multi_region)
        self.assertEqual(('RegionTwo', 'RegionOne'), m.regions)
        self.assertEqual(
            {'RegionTwo': {'deployment': os.path.join(self.dir,
                                                      'RegionTwo.yaml')},
             'RegionOne': {'deployment': os.path.join(self.dir,
                                                      'RegionOne.yaml')}},
            m.regional_templates())

    def test_region_without_resources_is_named(self):
        err = self.assertRaises(manifest.ManifestError, self.regional,
                                ['RegionOne', 'RegionNine'])
        self.assertIn('invalid field regions.1: region RegionNine has no '
                      'entry in resources', str(err))

    def test_bad_regions_are_named(self):
        for regions in ([], ['RegionOne', 'RegionOne'], 'RegionOne',
                        ['Region One'], ['Region.One'], [''], [1]):
            err = self.assertRaises(manifest.ManifestError, self.regional,
                                    regions)
            self.assertIn('invalid field regions', str(err))

    def test_missing_bundle_directory_is_named(self):
        err = self.assertRaises(manifest.ManifestError, manifest.load,
                                self.write(self.base(so_bundle='./nope')))
        self.assertIn('so_bundle', str(err))
        self.assertIn('nope', str(err))

    def test_bundle_that_is_no_path_is_an_image_name(self):
        m = manifest.load(self.write(self.base(
            so_bundle='registry.example.org/sample-so:1')))
        self.assertEqual('registry.example.org/sample-so:1', m.so_bundle)

    def test_service_params_file(self):
        self.write({'deploy': [{'name': 'p', 'type': 'number', 'value': 3}]},
                   'params.json')
        m = manifest.load(self.write(self.base(service_params='params.json')))
        self.assertEqual({'p': 3}, m.params_for('deploy'))
        self.assertEqual({}, m.params_for('provision'))

    def test_bad_service_params_phase(self):
        self.write({'later': []}, 'params.json')
        err = self.assertRaises(
            manifest.ManifestError, manifest.load,
            self.write(self.base(service_params='params.json')))
        self.assertIn('params.json', str(err))


class CompatManifestTest(testtools.TestCase):
    """The 2016 manifests in shared/compat load unchanged."""

    def setUp(self):
        super().setUp()
        if not os.path.isdir(COMPAT):
            self.skipTest('shared/compat/2016 is not beside the checkout')

    def test_sample(self):
        m = manifest.load(os.path.join(COMPAT, 'sample_manifest.json'))
        self.assertEqual('sample_so', m.term)
        self.assertEqual(MCN, m.scheme)
        self.assertEqual('immutable', m.attributes['mcn.endpoint.p3'])

    def test_composed(self):
        m = manifest.load(os.path.join(COMPAT, 'composed_manifest.json'))
        self.assertEqual(5, len(m.depends_on))
        dnsaas = m.depends_on[3]
        self.assertEqual(MCN + 'dnsaas', dnsaas.service_type)
        self.assertEqual(((MCN + 'maas', 'mcn.endpoint.maas'),),
                         dnsaas.inputs)

    def test_regions(self):
        m = manifest.load(os.path.join(COMPAT, 'regions_manifest.json'))
        self.assertEqual(
            '/opt/app-root/src/data/wordpress/wordpress_v2.yaml',
            m.templates('RegionOne')['deployment'])
        self.assertEqual('', m.attributes['mcn.endpoint.p2'])

    def test_service_params_file_loads(self):
        src = os.path.join(COMPAT, 'sample_manifest.json')
        with open(src) as handle:
            doc = json.load(handle)
        doc['service_params'] = os.path.join(COMPAT, 'service_params.json')
        tmp = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tmp, 'm.json')
        with open(path, 'w') as handle:
            json.dump(doc, handle)
        m = manifest.load(path)
        self.assertEqual({'activate.integer': 1,
                          'activate.string': 'immutable_init_value',
                          'activate.float': 0.11}, m.params_for('activate'))

    def test_hurtle_sample_manifest(self):
        m = manifest.load(SAMPLE)
        self.assertEqual('sample', m.term)
        self.assertEqual('http://schemas.hurtle.it/occi/sm#', m.scheme)
        self.assertTrue(os.path.isfile(os.path.join(m.so_bundle, 'so.py')))
        self.assertTrue(os.path.isfile(m.templates('RegionOne')['deployment']))

    def test_composed_label_is_one_dns_label_as_in_its_template(self):
        m = manifest.load(COMPOSED)
        with open(m.templates('RegionOne')['deployment']) as handle:
            label = yaml.safe_load(handle)['parameters']['label']
        pattern = label['constraints'][0]['allowed_pattern']
        # Heat matches the whole value; the schema anchors the same rule.
        self.assertEqual('^%s$' % pattern,
                         m.schemas['composed.label']['pattern'])
        checker = sm_attributes.AttributeChecker(m)
        for good in ('edge', 'x', 'a-1', 'A' * 63):
            self.assertEqual({'composed.label': good},
                             checker.check({'composed.label': good}))
        for bad in ('user:pw@evil.example/x?', 'a.b', '-a', 'a-', '',
                    'A' * 64, 'line\nbreak', 'edge\n', '\u0663'):
            err = self.assertRaises(errors.BadRequest, checker.check,
                                    {'composed.label': bad})
            self.assertIn('composed.label', str(err))

    def test_hurtle_sample_types_match_its_template(self):
        m = manifest.load(SAMPLE)
        with open(m.templates('RegionOne')['deployment']) as handle:
            params = yaml.safe_load(handle)['parameters']
        greeting = params['greeting']['constraints'][0]['length']
        self.assertEqual({'type': 'string', 'minLength': greeting['min'],
                          'maxLength': greeting['max']},
                         m.schemas['sample.greeting'])
        length = params['name_length']['constraints'][0]['range']
        self.assertEqual({'type': 'integer', 'minimum': length['min'],
                          'maximum': length['max']},
                         m.schemas['sample.name_length'])
        self.assertEqual({'type': 'boolean'},
                         m.schemas['sample.provisioned'])
        self.assertEqual('immutable', m.attributes['sample.provisioned'])
        self.assertEqual('', m.attributes['sample.greeting'])
