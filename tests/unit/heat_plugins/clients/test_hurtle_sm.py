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
"""The ``hurtle_sm`` client plugin: registration and Heat's conventions.

The resource tests (``tests/unit/heat_plugins/resources/
test_service_instance.py``) drive auth, the catalogue and discovery
against a real OCCI SM double; these check what Heat relies on.
"""
from heat.common import exception
from heat.engine import clients
from heat.tests import utils
from stevedore import extension
import testtools

from hurtle.heat_plugins.clients import hurtle_sm
from hurtle.heat_plugins.clients import sdc
from hurtle.occi import errors as occi_errors
from tests.unit.heat_plugins.clients import registry


class EntryPointsTest(testtools.TestCase):

    def test_client_plugins_and_constraints_are_registered(self):
        plugins = extension.ExtensionManager('heat.clients')
        names = {e.name: e.plugin for e in plugins}
        if 'hurtle_sm' not in names:
            self.skipTest('hurtle is not installed (no entry points)')
        self.assertIs(hurtle_sm.HurtleSMClientPlugin, names['hurtle_sm'])
        self.assertIs(sdc.SDCClientPlugin, names['sdc'])
        constraints = {e.name: e.plugin for e in
                       extension.ExtensionManager('heat.constraints')}
        self.assertIs(sdc.ImageConstraint, constraints['sdc.image'])
        self.assertIs(sdc.PackageConstraint, constraints['sdc.package'])
        self.assertIs(sdc.NetworkConstraint, constraints['sdc.network'])


class PluginTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        registry.use_client_plugin(self, hurtle_sm.CLIENT_NAME,
                                   hurtle_sm.HurtleSMClientPlugin)
        self.ctx = utils.dummy_context()
        self.plugin = clients.Clients(self.ctx).client_plugin(
            hurtle_sm.CLIENT_NAME)

    def test_loaded_by_name(self):
        self.assertIsInstance(self.plugin, hurtle_sm.HurtleSMClientPlugin)
        self.assertIsInstance(self.plugin.client(), hurtle_sm.SMClient)
        self.assertIs(self.plugin.client(), self.plugin.client())

    def test_error_classes(self):
        not_found = occi_errors.error_for_status(404, 'gone')
        conflict = occi_errors.error_for_status(409, 'busy')
        unavailable = occi_errors.error_for_status(503, 'later')
        internal = occi_errors.error_for_status(500, 'oops')
        self.assertTrue(self.plugin.is_not_found(not_found))
        self.assertFalse(self.plugin.is_not_found(unavailable))
        self.assertTrue(self.plugin.is_conflict(conflict))
        self.assertFalse(self.plugin.is_conflict(not_found))
        for ex in (unavailable, internal):
            self.assertTrue(self.plugin.is_transient(ex))
        self.assertFalse(self.plugin.is_transient(not_found))
        self.assertTrue(self.plugin.is_client_exception(not_found))

    def test_ignore_not_found(self):
        with self.plugin.ignore_not_found:
            raise occi_errors.error_for_status(404, 'gone')

        def unavailable():
            with self.plugin.ignore_not_found:
                raise occi_errors.error_for_status(503, 'later')
        self.assertRaises(occi_errors.ServiceUnavailable, unavailable)

    def test_split_url(self):
        self.assertEqual(('http://h:8888', '/sample/'),
                         hurtle_sm.split_url('http://h:8888/sample'))
        self.assertEqual(('https://h', '/'),
                         hurtle_sm.split_url('https://h'))

    def test_failure_names_the_sm(self):
        ex = hurtle_sm.failure('delete instance x', 'http://h/x',
                               occi_errors.error_for_status(500, 'boom'))
        self.assertIsInstance(ex, exception.Error)
        self.assertIn('Hurtle service manager at http://h/x failed to '
                      'delete instance x', str(ex))
