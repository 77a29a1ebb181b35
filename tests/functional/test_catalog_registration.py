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
"""``[sm] register_service``: the SM's services in a real Keystone's
catalog (tests.keystone_fixture), and composition finding them there."""
import dataclasses
import subprocess
import sys

import testtools

from hurtle import manifest as manifest_mod
from hurtle.sm import catalogue
from hurtle.sm import registration
from tests import conf_fixture
from tests.functional import hurtle_fixture
from tests import keystone_fixture

SAMPLE_TYPE = 'http://schemas.hurtle.it/occi/sm#sample'


class CatalogRegistrationTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.keystone = keystone_fixture.Keystone()
        cls.keystone.setUp()
        cls.addClassCleanup(cls.keystone.cleanUp)
        # Without its service_endpoint, so that the URL is built from
        # [sm] host and port.
        cls.sample = dataclasses.replace(
            manifest_mod.load(hurtle_fixture.SAMPLE_MANIFEST), endpoint='')

    def setUp(self):
        super().setUp()
        # Each test starts from a catalog without the sample service.
        admin = self.keystone.admin()
        for service in admin.services.list(type=self.sample.service_type):
            admin.services.delete(service)

    def conf(self, **overrides):
        overrides.setdefault('auth_strategy', 'keystone')
        overrides.setdefault('sm__register_service', True)
        return self.useFixture(conf_fixture.HurtleConf(**overrides)).conf

    def session(self, user=keystone_fixture.SERVICE_USER, project='service'):
        return self.keystone.session(user, project)

    def register(self, conf, session=None):
        return registration.register_services(
            conf, [self.sample], session or self.session())

    def test_registers_once_and_updates_a_moved_endpoint(self):
        conf = self.conf(sm__port=18888)
        url = 'http://127.0.0.1:18888/sample/'
        self.assertEqual([(SAMPLE_TYPE, url, 'created')], self.register(conf))
        # A second start adds nothing.
        self.assertEqual([(SAMPLE_TYPE, url, 'unchanged')],
                         self.register(conf))
        self.assertEqual([('public', url)],
                         self.keystone.endpoints(SAMPLE_TYPE))
        services = self.keystone.admin().services.list(type=SAMPLE_TYPE)
        self.assertEqual(['sample'], [s.name for s in services])
        # Behind a proxy: the endpoint follows [sm] public_url.
        moved = self.conf(sm__public_url='https://sm.example.org/hurtle')
        self.assertEqual(
            [(SAMPLE_TYPE, 'https://sm.example.org/hurtle/sample/',
              'updated')], self.register(moved))
        self.assertEqual([('public', 'https://sm.example.org/hurtle/sample/')],
                         self.keystone.endpoints(SAMPLE_TYPE))

    def test_the_manifests_service_endpoint_comes_before_host_and_port(self):
        loaded = manifest_mod.load(hurtle_fixture.SAMPLE_MANIFEST)
        self.assertEqual(
            [(SAMPLE_TYPE, loaded.endpoint, 'created')],
            registration.register_services(self.conf(sm__port=18891),
                                           [loaded], self.session()))

    def test_interface_and_region_come_from_config(self):
        conf = self.conf(sm__catalog_interface='internal',
                         sm__region='RegionTwo', sm__port=18889)
        self.register(conf)
        self.assertEqual([('internal', 'http://127.0.0.1:18889/sample/')],
                         self.keystone.endpoints(SAMPLE_TYPE))
        endpoint = self.keystone.admin().endpoints.list(
            interface='internal')
        self.assertIn('RegionTwo', [e.region for e in endpoint])

    def test_composition_finds_the_service_by_type_region_interface(self):
        self.register(self.conf(sm__port=18890))
        # Another SM (serving nothing itself) of the same region finds it.
        other = self.conf(sm__register_service=False)
        found = catalogue.Catalogue(other, [], self.session)
        self.assertEqual('http://127.0.0.1:18890/sample/',
                         found.resolve(SAMPLE_TYPE))
        # Not on another interface, nor in another region.
        for overrides in ({'sm__catalog_interface': 'internal'},
                          {'sm__region': 'RegionTwo'}):
            elsewhere = catalogue.Catalogue(
                self.conf(sm__register_service=False, **overrides), [],
                self.session)
            err = self.assertRaises(LookupError, elsewhere.resolve,
                                    SAMPLE_TYPE)
            self.assertIn(SAMPLE_TYPE, str(err))

    def test_user_not_allowed_to_manage_the_catalog(self):
        err = self.assertRaises(
            registration.RegistrationError, self.register, self.conf(),
            self.keystone.session('demo', 'demo'))
        self.assertIn('cannot register service %s' % SAMPLE_TYPE, str(err))
        self.assertNotIn(keystone_fixture.PASSWORD, str(err))
        self.assertEqual([], self.keystone.endpoints(SAMPLE_TYPE))


class RegistrationNeedsKeystoneTest(testtools.TestCase):

    def test_noauth_sm_refuses_to_start(self):
        conf = self.useFixture(conf_fixture.HurtleConf()).conf
        path = conf.state_path + '.conf'
        with open(path, 'w') as out:
            out.write('[DEFAULT]\nstate_path = %s\n[sm]\nmanifests = %s\n'
                      'register_service = true\n'
                      % (conf.state_path, hurtle_fixture.SAMPLE_MANIFEST))
        result = subprocess.run(
            [sys.executable, '-m', 'hurtle.cmd.sm', '--config-file', path],
            capture_output=True, text=True, timeout=120)
        self.assertNotEqual(0, result.returncode)
        self.assertIn('hurtle-sm: [sm] register_service needs '
                      'auth_strategy = keystone', result.stderr)
        self.assertNotIn('Traceback', result.stderr)
