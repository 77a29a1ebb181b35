"""Composition rules: inputs between dependencies, inherited attributes."""
import os

import testtools

from hurtle.sm import lifecycle
from hurtle.sm import manifest

MCN = 'http://schemas.mobile-cloud-networking.eu/occi/sm#'
COMPOSED = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                        '..', '..', '..', 'shared', 'compat', '2016',
                        'composed_manifest.json')


class CompositionTest(testtools.TestCase):

    def test_inputs_taken_from_earlier_dependencies(self):
        dep = manifest.Dependency(MCN + 'dnsaas',
                                  ((MCN + 'maas', 'mcn.endpoint.maas'),))
        created = {MCN + 'maas': {'mcn.endpoint.maas': '10.0.0.1',
                                  'other': 1}}
        self.assertEqual({'mcn.endpoint.maas': '10.0.0.1'},
                         lifecycle.dependency_inputs(dep, created))

    def test_missing_input_names_it(self):
        dep = manifest.Dependency(MCN + 'dnsaas',
                                  ((MCN + 'maas', 'mcn.endpoint.maas'),))
        for created in ({}, {MCN + 'maas': {'something.else': 1}}):
            err = self.assertRaises(lifecycle.PhaseError,
                                    lifecycle.dependency_inputs, dep,
                                    created)
            self.assertIn(MCN + 'maas#mcn.endpoint.maas', str(err))

    def test_declared_attributes_are_inherited(self):
        if not os.path.exists(COMPOSED):
            self.skipTest('shared/compat is not beside the checkout')
        m = manifest.load(COMPOSED)
        created = {MCN + 'maas': {'mcn.endpoint.maas': 'http://maas/',
                                  'mcn.service.state': 'active'},
                   MCN + 'dnsaas': {'mcn.endpoint.dns': '10.0.0.53'}}
        self.assertEqual({'mcn.endpoint.maas': 'http://maas/',
                          'mcn.endpoint.dns': '10.0.0.53'},
                         lifecycle.inherited_attributes(m, created))
