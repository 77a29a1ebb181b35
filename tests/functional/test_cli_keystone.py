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
"""``openstack hurtle ...`` with Keystone: the usual ``OS_*`` variables,
the SM (``service-manager``) and the CC (``cloud-controller``) found in
the catalog, against a real Keystone (tests.keystone_fixture) and
``hurtle-all`` in Keystone mode (one each for the class; the same set-up
as tests.functional.test_keystone_mode).
"""
import json

from hurtle.occi import errors
from tests.functional import cli_runner
from tests.functional import test_keystone_mode
from tests import keystone_fixture


class CLIKeystoneTest(test_keystone_mode.KeystoneTestCase):

    @classmethod
    def setUpClass(cls):
        cli_runner.require()
        super().setUpClass()

    def env(self, user='demo', project='demo', **extra):
        """``OS_*`` of ``user`` in ``project`` (and no ``HURTLE_*``)."""
        settings = dict(
            OS_AUTH_URL=self.keystone.url + '/v3',
            OS_IDENTITY_API_VERSION='3', OS_USERNAME=user,
            OS_PASSWORD=keystone_fixture.PASSWORD, OS_PROJECT_NAME=project,
            OS_USER_DOMAIN_ID='default', OS_PROJECT_DOMAIN_ID='default',
            OS_REGION_NAME=keystone_fixture.REGION, OS_INTERFACE='public')
        settings.update(extra)
        return cli_runner.clean_env(**settings)

    def ok(self, *args, env=None):
        result = cli_runner.run(args, env or self.env())
        self.assertEqual(0, result.code, result.err + result.out)
        return json.loads(result.out), result.err

    def fails(self, *args, env=None):
        result = cli_runner.run(args, env or self.env())
        self.assertEqual(1, result.code, result.err + result.out)
        lines = cli_runner.error_lines(result.err)
        self.assertEqual(1, len(lines), result.err)
        self.assertNotIn('Traceback', result.err)
        return lines[0]

    def delete_if_left(self, location):
        """Cleanup through the SM's API (the test deletes it with the
        command itself; this only runs after a failure before that)."""
        try:
            self.client('demo', 'demo').delete(location)
        except errors.NotFound:
            pass

    def test_member_runs_an_instance_found_through_the_catalog(self):
        services, _err = self.ok('hurtle', 'service', 'list', '-f', 'json')
        self.assertEqual(['sample'], [s['Name'] for s in services])
        self.assertEqual(self.hurtle.sm_url + 'sample/',
                         services[0]['Location'])
        created, err = self.ok('hurtle', 'instance', 'create', 'sample',
                               '--attribute', 'sample.greeting=hello',
                               '--wait', '--timeout', '240', '-f', 'json')
        ident = created['id']
        self.addCleanup(self.delete_if_left, created['location'])
        self.assertEqual('active', created['mcn.service.state'])
        self.assertIn('sample/%s: active' % ident,
                      cli_runner.error_lines(err))
        listed, _err = self.ok('hurtle', 'instance', 'list', '-f', 'json')
        self.assertEqual([ident], [row['ID'] for row in listed])
        # The reader of demo sees it; alt_demo does not.
        shown, _err = self.ok('hurtle', 'instance', 'show', ident, '-f',
                              'json', env=self.env('demo_reader'))
        self.assertEqual('hello', shown['sample.greeting'])
        line = self.fails('hurtle', 'instance', 'show', ident,
                          env=self.env('alt_demo', 'alt_demo'))
        self.assertEqual('404 Not Found: no instance %s in this project'
                         % ident, line)
        # The reader may not change it: the SM's 403 and its reason.
        line = self.fails('hurtle', 'instance', 'set', ident, '--attribute',
                          'sample.greeting=hi', env=self.env('demo_reader'))
        self.assertTrue(line.startswith('403 Forbidden: '), line)

        # Admins list the CC's apps (the SM's SOs run in its service
        # project); a member may not.
        apps, _err = self.ok('hurtle', 'app', 'list', '-f', 'json',
                             env=self.env(keystone_fixture.SERVICE_USER,
                                          'service'))
        self.assertIn(created['occi.so.url'], [a['URL'] for a in apps])
        line = self.fails('hurtle', 'app', 'list')
        self.assertTrue(line.startswith('403 Forbidden: '), line)

        out, err = cli_runner.run(['hurtle', 'instance', 'delete', ident,
                                   '--wait', '--timeout', '240'],
                                  self.env())[1:]
        self.assertEqual('', out)
        self.assertEqual('sample/%s: deleted' % ident,
                         cli_runner.error_lines(err)[-1])
        listed, _err = self.ok('hurtle', 'instance', 'list', '-f', 'json')
        self.assertEqual([], listed)

    def test_bad_password(self):
        line = self.fails('hurtle', 'service', 'list',
                          env=self.env(OS_PASSWORD='wrong'))
        self.assertIn('401', line)

    def test_no_sm_in_the_region(self):
        line = self.fails('hurtle', 'service', 'list',
                          env=self.env(OS_REGION_NAME='nowhere'))
        self.assertEqual('the Keystone catalog has no endpoint of the SM',
                         line)
