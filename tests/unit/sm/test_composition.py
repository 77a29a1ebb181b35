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
"""Composition rules: inputs between dependencies, inherited attributes."""
import os

import testtools

from hurtle import manifest
from hurtle.sm import catalogue
from hurtle.sm import composition
from hurtle.sm import peers
from hurtle.sm import scheduling
from tests import conf_fixture
from tests import net

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
                         composition.dependency_inputs(dep, created))

    def test_missing_input_names_it(self):
        dep = manifest.Dependency(MCN + 'dnsaas',
                                  ((MCN + 'maas', 'mcn.endpoint.maas'),))
        for created in ({}, {MCN + 'maas': {'something.else': 1}}):
            err = self.assertRaises(scheduling.PhaseError,
                                    composition.dependency_inputs, dep,
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
                         composition.inherited_attributes(m, created))


class _Session(object):
    """A keystoneauth1 session's endpoint look-up, from a dict."""

    def __init__(self, endpoints):
        self.endpoints = endpoints

    def get_endpoint(self, service_type, interface, region_name):
        return self.endpoints.get((service_type, interface, region_name))


class CatalogueResolveTest(testtools.TestCase):

    def catalogue(self, sessions, **overrides):
        conf = self.useFixture(conf_fixture.HurtleConf(**overrides)).conf

        def session():
            sessions.append(1)
            return _Session(
                {(MCN + 'dns', 'public', 'RegionOne'): 'http://ks/dns'})
        return catalogue.Catalogue(conf, [], session)

    def test_configured_entry_needs_no_keystone(self):
        sessions = []
        cat = self.catalogue(sessions, auth_strategy='keystone',
                             sm__service_catalogue=[MCN + 'dns=http://x/'])
        self.assertEqual('http://x/', cat.resolve(MCN + 'dns'))
        self.assertEqual([], sessions)

    def test_keystone_catalog_through_the_given_session(self):
        sessions = []
        cat = self.catalogue(sessions, auth_strategy='keystone')
        self.assertEqual('http://ks/dns/', cat.resolve(MCN + 'dns'))
        self.assertEqual([1], sessions)
        self.assertRaises(LookupError, cat.resolve, MCN + 'maas')

    def test_noauth_never_asks_keystone(self):
        sessions = []
        cat = self.catalogue(sessions)
        self.assertRaises(LookupError, cat.resolve, MCN + 'dns')
        self.assertEqual([], sessions)


class CatalogueThroughTheCCTest(testtools.TestCase):
    """``[sm] design = cc`` when the CC cannot answer: a LookupError
    saying so (composition makes it the instance's reason)."""

    def test_cc_unreachable(self):
        conf = self.useFixture(conf_fixture.HurtleConf(
            sm__design='cc', sm__call_retries=0, sm__phase_timeout=5,
            sm__cc_url='http://127.0.0.1:%d/' % net.held_port(self))).conf
        cat = catalogue.Catalogue(conf, [], None, peers.Peers(conf).cc)
        exc = self.assertRaises(LookupError, cat.resolve, MCN + 'dns')
        self.assertEqual("cannot ask the CC's design service for service "
                         "type %sdns: cloud controller (CC) unreachable"
                         % MCN, str(exc))

    def test_the_local_services_are_not_looked_at(self):
        conf = self.useFixture(conf_fixture.HurtleConf(
            sm__design='cc', sm__service_catalogue=[MCN + 'dns=http://x/'],
            sm__cc_url='http://127.0.0.1:%d/' % net.held_port(self),
            sm__call_retries=0, sm__phase_timeout=5)).conf
        cat = catalogue.Catalogue(conf, [], None, peers.Peers(conf).cc)
        self.assertRaises(LookupError, cat.resolve, MCN + 'dns')
