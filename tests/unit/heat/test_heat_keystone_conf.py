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
"""``[embedded_heat] auth_strategy = keystone``: the heat.conf of an
embedded Heat that checks Keystone tokens (its behaviour against a real
Keystone: tests.functional.test_keystone_heat)."""
import configparser
import os

import fixtures
import testtools

from hurtle.cmd import heat
from hurtle.heat import heatconf

KEYSTONE = """
[keystone_authtoken]
auth_type = password
auth_url = http://ks:5000
www_authenticate_uri = http://ks:5000/v3
username = hurtle
password = secret
user_domain_id = default
project_name = service
project_domain_id = default
token_cache_time = 2

[embedded_heat]
auth_strategy = keystone
trustee_username = heat
trustee_password = heat-secret
stack_domain_admin_password = domain-secret
"""


class KeystoneHeatConfTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def settings(self, text):
        path = os.path.join(self.dir, 'hurtle.conf')
        with open(path, 'w') as handle:
            handle.write(text)
        argv = ['--config-file', path]
        return heat.keystone_settings(heat.load_conf(argv), argv)

    def render(self, keystone):
        text = heatconf.render(
            self.dir, ['/plugins'], 'k' * 32,
            api_paste_config=os.path.join(self.dir, 'api-paste.ini'),
            keystone=keystone)
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(text)
        return parser

    def test_noauth_by_default(self):
        self.assertEqual({}, self.settings('[DEFAULT]\ndebug = true\n'))
        conf = self.render(None)
        self.assertEqual('noauth', conf['paste_deploy']['flavor'])
        self.assertEqual(heatconf.FAKE_KEYSTONE,
                         conf['DEFAULT']['keystone_backend'])
        self.assertEqual('password', conf['DEFAULT']['deferred_auth_method'])
        self.assertNotIn('reauthentication_auth_method', conf['DEFAULT'])
        self.assertNotIn('allow_trusts_redelegation', conf['DEFAULT'])

    def test_keystone_copies_authtoken_and_sets_trustee_and_domain(self):
        conf = self.render(self.settings(KEYSTONE))
        # Heat's default pipeline (authtoken) and its real keystone client.
        self.assertNotIn('flavor', conf['paste_deploy'])
        self.assertNotIn('keystone_backend', conf['DEFAULT'])
        default = conf['DEFAULT']
        self.assertEqual('trusts', default['deferred_auth_method'])
        self.assertEqual('trusts', default['reauthentication_auth_method'])
        self.assertEqual('true', default['allow_trusts_redelegation'])
        self.assertEqual('heat', default['stack_user_domain_name'])
        self.assertEqual('heat_domain_admin', default['stack_domain_admin'])
        self.assertEqual('domain-secret',
                         default['stack_domain_admin_password'])
        authtoken = conf['keystone_authtoken']
        self.assertEqual('password', authtoken['auth_type'])
        self.assertEqual('http://ks:5000', authtoken['auth_url'])
        self.assertEqual('hurtle', authtoken['username'])
        self.assertEqual('2', authtoken['token_cache_time'])
        # Hurtle's default interface, written explicitly.
        self.assertEqual('public', authtoken['interface'])
        self.assertEqual('http://ks:5000/v3',
                         conf['clients_keystone']['auth_uri'])
        trustee = {'auth_type': 'password', 'auth_url': 'http://ks:5000',
                   'username': 'heat', 'password': 'heat-secret',
                   'user_domain_id': 'default'}
        self.assertEqual(trustee, {k: conf['trustee'][k] for k in trustee})

    def test_trustee_defaults_to_the_authtoken_user(self):
        text = KEYSTONE.replace('trustee_username = heat\n', '').replace(
            'trustee_password = heat-secret\n', '')
        trustee = self.render(self.settings(text))['trustee']
        self.assertEqual(('hurtle', 'secret'),
                         (trustee['username'], trustee['password']))

    def test_missing_values_are_named(self):
        for remove, named in (
                ('auth_url = http://ks:5000\n', 'auth_url'),
                ('stack_domain_admin_password = domain-secret\n',
                 'stack_domain_admin_password')):
            error = self.assertRaises(heatconf.ConfigError, self.settings,
                                      KEYSTONE.replace(remove, ''))
            self.assertIn(named, str(error))
