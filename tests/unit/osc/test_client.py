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
"""hurtle.osc.client: errors as one line, records, noauth options, and the
plugin's entry points."""
import importlib.metadata
import os
import types

import fixtures
from keystoneauth1 import exceptions as ks_exc
from osc_lib.command import command
from osc_lib import exceptions as osc_exc
import testtools

from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle.osc import client
from hurtle.osc import plugin


class CommandErrorsTest(testtools.TestCase):

    def raised(self, exc, component='SM'):
        def run():
            with client.command_errors(component):
                raise exc
        return str(self.assertRaises(osc_exc.CommandError, run))

    def test_status_and_message_on_one_line(self):
        self.assertEqual(
            '409 Conflict: the instance is busy: state deploy',
            self.raised(errors.Conflict('the instance is busy:\n'
                                        '  state deploy')))

    def test_unknown_status_code(self):
        self.assertEqual('HTTP 599: odd',
                         self.raised(errors.OCCIError('odd', code=599)))

    def test_unreachable_names_the_component(self):
        self.assertEqual(
            'CC unreachable: Cannot reach http://x/: ConnectionError',
            self.raised(errors.ConnectionFailed(
                'Cannot reach http://x/: ConnectionError'), 'CC'))

    def test_no_endpoint_in_the_catalog(self):
        self.assertEqual(
            'the Keystone catalog has no endpoint of the SM',
            self.raised(ks_exc.EndpointNotFound()))

    def test_keystone_refusal(self):
        line = self.raised(ks_exc.Unauthorized('The request you have made '
                                               'requires\nauthentication.'),
                           'Keystone')
        self.assertTrue(line.startswith('Keystone: '), line)
        self.assertNotIn('\n', line)

    def test_other_errors_pass(self):
        def run():
            with client.command_errors():
                raise KeyError('x')
        self.assertRaises(KeyError, run)


class RecordTest(testtools.TestCase):

    def test_flat_record(self):
        info = occi_client.EntityInfo(
            'http://sm/sample/abc', kind=occi_client.CategoryRef(
                'http://schemas.hurtle.it/occi/sm#', 'sample'),
            attributes={'sample.greeting': 'hi', 'mcn.service.state':
                        'active', 'sample.name_length': 8})
        self.assertEqual(
            [('id', 'abc'), ('type', 'sample'),
             ('location', 'http://sm/sample/abc'),
             ('mcn.service.state', 'active'), ('sample.greeting', 'hi'),
             ('sample.name_length', 8)],
            list(client.record(info).items()))


class FromOptionsTest(testtools.TestCase):

    def test_project_header(self):
        hurtle = client.from_options('http://127.0.0.1:8888/', 'p1')
        self.assertEqual({'X-Project-Id': 'p1'}, hurtle.headers)
        self.assertEqual({}, client.from_options('http://h/').headers)

    def test_cc_secret_and_default_project(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, 's')
        with open(path, 'w') as handle:
            handle.write('sekrit\n')
        hurtle = client.from_options('http://h/', None, 'http://cc/', path)
        self.assertEqual({'X-Project-Id': 'service',
                          'X-Auth-Token': 'sekrit'}, hurtle.cc_headers)
        self.assertEqual('http://cc', hurtle.cc().endpoint)

    def test_unreadable_secret(self):
        error = self.assertRaises(osc_exc.CommandError, client.from_options,
                                  'http://h/', None, 'http://cc/',
                                  '/nonexistent/secret')
        self.assertIn('cannot read the local secret /nonexistent/secret',
                      str(error))

    def test_relative_url(self):
        error = self.assertRaises(osc_exc.CommandError, client.from_options,
                                  '127.0.0.1:8888')
        self.assertEqual("--hurtle-url must be an absolute URL, not "
                         "'127.0.0.1:8888'", str(error))

    def test_no_cc(self):
        error = self.assertRaises(osc_exc.CommandError,
                                  client.from_options('http://h/').cc)
        self.assertIn('--hurtle-cc-url', str(error))


class EntryPointsTest(testtools.TestCase):
    """setup.cfg's entry points load (the package must be installed)."""

    def test_plugin_module(self):
        found = [ep for ep in importlib.metadata.entry_points(
            group='openstack.cli.extension') if ep.name == 'hurtle']
        self.assertEqual(1, len(found))
        self.assertIs(plugin, found[0].load())
        self.assertEqual('hurtle', plugin.API_NAME)

    def test_commands(self):
        names = {}
        for ep in importlib.metadata.entry_points(
                group='openstack.hurtle.v1'):
            names[ep.name] = ep.load()
        self.assertEqual(
            {'hurtle_service_list', 'hurtle_service_show',
             'hurtle_instance_create', 'hurtle_instance_list',
             'hurtle_instance_show', 'hurtle_instance_set',
             'hurtle_instance_delete', 'hurtle_app_list'}, set(names))
        for cls in names.values():
            self.assertTrue(issubclass(cls, command.Command), cls)


class AuthRequiredTest(testtools.TestCase):
    """osc authenticates first unless --hurtle-url names the SM."""

    def test_follows_hurtle_url(self):
        from hurtle.osc.v1 import service
        app = types.SimpleNamespace(
            options=types.SimpleNamespace(hurtle_url='http://h/'))
        cmd = service.ListService(app, None)
        self.assertFalse(cmd.auth_required)
        app.options.hurtle_url = None
        self.assertTrue(cmd.auth_required)
