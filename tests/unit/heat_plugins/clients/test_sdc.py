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
"""The ``sdc`` client plugin builds its CloudAPI client from ``[sdc]``."""
import os

from cryptography.hazmat.primitives import serialization
import fixtures
from oslo_config import cfg

from hurtle.conf import sdc as sdc_conf
from hurtle.heat_plugins.clients import sdc as sdc_plugin
from hurtle.heat_plugins.sdc import exceptions
from tests.unit.heat_plugins.sdc import test_client


class FromConfTest(test_client.ClientTestBase):

    def setUp(self):
        super().setUp()
        self.conf = cfg.ConfigOpts()
        sdc_conf.register_opts(self.conf)
        self.conf([], project='hurtle-test')
        self.key_file = os.path.join(
            self.useFixture(fixtures.TempDir()).path, 'id_ed25519')
        self.sim.add_key(test_client.ED_KEY.public_key())
        with open(self.key_file, 'wb') as f:
            f.write(test_client.ED_KEY.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.OpenSSH,
                serialization.NoEncryption()))

    def test_defaults(self):
        self.assertEqual('~9||~8', self.conf.sdc.api_version)
        self.assertFalse(self.conf.sdc.insecure)
        self.assertIsNone(self.conf.sdc.key_id)
        self.assertEqual({'sdc': sdc_conf.sdc_opts}, sdc_conf.list_opts())

    def test_not_configured(self):
        exc = self.assertRaises(exceptions.NotConfigured,
                                sdc_plugin.client_from_conf, self.conf)
        self.assertIn('set url, account, key_file in the [sdc] section',
                      str(exc))

    def test_builds_working_client(self):
        self.conf.set_override('url', self.sim.url, group='sdc')
        self.conf.set_override('account', 'acme', group='sdc')
        self.conf.set_override('key_file', self.key_file, group='sdc')
        client = sdc_plugin.client_from_conf(self.conf)
        self.assertIs(True, client.verify)
        self.assertTrue(client.list_images())
        self.conf.set_override('insecure', True, group='sdc')
        self.assertIs(False, sdc_plugin.client_from_conf(self.conf).verify)

    def test_key_id_and_bad_key(self):
        self.conf.set_override('url', self.sim.url, group='sdc')
        self.conf.set_override('account', 'acme', group='sdc')
        self.conf.set_override('key_file', self.key_file, group='sdc')
        self.conf.set_override('key_id', 'deploy', group='sdc')
        client = sdc_plugin.client_from_conf(self.conf)
        self.assertEqual('/acme/keys/deploy', client.signer.key_id)
        self.assertRaises(exceptions.InvalidCredentials, client.list_images)
        with open(self.key_file, 'w') as f:
            f.write('garbage')
        self.assertRaises(exceptions.InvalidKey,
                          sdc_plugin.client_from_conf, self.conf)
