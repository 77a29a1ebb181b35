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
"""CloudAPIClient against the CloudAPI simulator over real HTTP(S)."""
import logging
import socket
import time
import warnings

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import rsa
import fixtures
import testtools

from hurtle.heat_plugins.sdc import client as sdc_client
from hurtle.heat_plugins.sdc import exceptions
from hurtle.heat_plugins.sdc import signing
from tests import sdc_signatures
from tests import sdc_simulator

RSA_KEY = rsa.generate_private_key(65537, 2048)
EC_KEY = ec.generate_private_key(ec.SECP256R1())
ED_KEY = ed25519.Ed25519PrivateKey.generate()


class SkewedSigner(signing.RequestSigner):
    def __init__(self, account, key, skew):
        super().__init__(account, key)
        self.skew = skew

    def headers(self, date=None):
        return super().headers(signing.http_date(time.time() + self.skew))


class TamperingSigner(signing.RequestSigner):
    def headers(self, date=None):
        headers = super().headers(date)
        headers['Date'] = signing.http_date(time.time() - 1)
        return headers


class ClientTestBase(testtools.TestCase):

    sim_kwargs = {}

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.FakeLogger(level=logging.INFO))
        self.sim = sdc_simulator.CloudAPISimulator(account='acme',
                                                   **self.sim_kwargs)
        self.sim.start()
        self.addCleanup(self.sim.stop)
        self.sim.add_key(EC_KEY.public_key())

    def client(self, key=EC_KEY, signer=None, account='acme', **kwargs):
        kwargs.setdefault('backoff', 0.01)
        kwargs.setdefault('timeout', 5)
        signer = signer or signing.RequestSigner('acme', key)
        return sdc_client.CloudAPIClient(self.sim.url, account, signer,
                                         **kwargs)


class AuthTest(ClientTestBase):

    def test_each_key_type(self):
        for key in (RSA_KEY, EC_KEY, ED_KEY):
            self.sim.add_key(key.public_key())
            images = self.client(key).list_images()
            self.assertEqual(4, len(images))

    def test_named_key(self):
        self.sim.add_key(RSA_KEY.public_key(), name='laptop')
        signer = signing.RequestSigner('acme', RSA_KEY, 'laptop')
        self.assertTrue(self.client(signer=signer).get_package(
            'g4-highcpu-128M'))
        self.assertIn('keyId="/acme/keys/laptop"',
                      self.sim.requests[-1][2]['authorization'])

    def test_unknown_key(self):
        exc = self.assertRaises(exceptions.InvalidCredentials,
                                self.client(RSA_KEY).list_images)
        self.assertEqual(401, exc.status)
        self.assertIn('Unknown key', exc.message)

    def test_bad_signature(self):
        signer = TamperingSigner('acme', EC_KEY)
        exc = self.assertRaises(exceptions.InvalidCredentials,
                                self.client(signer=signer).list_images)
        self.assertEqual('Invalid signature', exc.message)

    def test_skewed_date(self):
        for skew in (-400, 400):
            signer = SkewedSigner('acme', EC_KEY, skew)
            exc = self.assertRaises(exceptions.InvalidCredentials,
                                    self.client(signer=signer).list_images)
            self.assertIn('too skewed', exc.message)
        signer = SkewedSigner('acme', EC_KEY, -200)   # within 300 s
        self.assertTrue(self.client(signer=signer).list_images())

    def test_other_account(self):
        exc = self.assertRaises(exceptions.NotAuthorized,
                                self.client(account='other').list_images)
        self.assertEqual(403, exc.status)

    def test_accept_version_on_every_request(self):
        client = self.client()
        client.list_images()
        client.get_package('g4-highcpu-128M')
        self.assertRaises(exceptions.ResourceNotFound, client.get_machine,
                          'nope')
        self.assertEqual(3, len(self.sim.requests))
        for _method, _path, headers in self.sim.requests:
            self.assertEqual('~9||~8', headers['accept-version'])
            self.assertIn('date', headers)

    def test_unsupported_version(self):
        exc = self.assertRaises(exceptions.InvalidVersion,
                                self.client(api_version='~7').list_images)
        self.assertEqual(449, exc.status)


class ResourceTest(ClientTestBase):

    def test_machine_lifecycle(self):
        client = self.client()
        image = client.find_image('base-64-lts@19.4.0')
        self.assertEqual('19.4.0', image['version'])
        machine = client.create_machine(
            image['id'], 'g4-highcpu-128M', name='m1',
            metadata={'user-script': 'echo'}, tags={'a': 'b'},
            firewall_enabled=True)
        self.assertEqual('provisioning', machine['state'])
        sent = self.sim.requests[-1]
        self.assertEqual('POST', sent[0])
        self.assertEqual('provisioning',
                         client.get_machine(machine['id'])['state'])
        self.assertEqual('running',
                         client.get_machine(machine['id'])['state'])
        self.assertIsNone(client.stop_machine(machine['id']))
        self.assertEqual({'user-script': 'echo', 'k': 'v'},
                         client.update_machine_metadata(machine['id'],
                                                        {'k': 'v'}))
        self.assertEqual({'x': 'y'},
                         client.replace_machine_tags(machine['id'],
                                                     {'x': 'y'}))
        self.assertIsNone(client.delete_machine(machine['id']))
        self.assertRaises(exceptions.Gone, client.get_machine,
                          machine['id'])

    def test_create_errors(self):
        client = self.client()
        exc = self.assertRaises(exceptions.InvalidArgument,
                                client.create_machine,
                                '00000000-0000-0000-0000-000000000000',
                                'g4-highcpu-128M')
        self.assertIn('image', exc.message)
        exc = self.assertRaises(exceptions.MissingParameter,
                                client.create_machine, '', '')
        self.assertEqual(409, exc.status)

    def test_find_network(self):
        client = self.client()
        self.assertEqual(self.sim.default_fabric_network_id,
                         client.find_network('default')['id'])
        client.create_fabric_network(2, 'default2', '10.1.0.0/24',
                                     '10.1.0.5', '10.1.0.9')
        self.sim.fabric_networks[
            client.find_network('default2')['id']]['name'] = 'default'
        self.assertRaises(exceptions.InvalidArgument, client.find_network,
                          'default')
        self.assertRaises(exceptions.ResourceNotFound, client.find_network,
                          'nope')

    def test_find_image_missing(self):
        self.assertRaises(exceptions.ResourceNotFound,
                          self.client().find_image, 'base-64-lts@1.0')

    def test_firewall_rules(self):
        client = self.client()
        rule = client.create_firewall_rule('FROM any TO all vms ALLOW tcp '
                                           'PORT 22', enabled=True)
        updated = client.update_firewall_rule(rule['id'], rule=rule['rule'],
                                              enabled=False)
        self.assertFalse(updated['enabled'])
        client.delete_firewall_rule(rule['id'])
        self.assertRaises(exceptions.ResourceNotFound,
                          client.get_firewall_rule, rule['id'])


class RetryTest(ClientTestBase):

    def test_503_retried_then_succeeds(self):
        self.sim.inject(503, 'ServiceUnavailable', 'maintenance', count=2)
        self.assertTrue(self.client(retries=3).list_images())
        self.assertEqual(3, len(self.sim.requests))

    def test_503_gives_up(self):
        self.sim.inject(503, 'ServiceUnavailable', 'maintenance', count=5)
        exc = self.assertRaises(exceptions.ServiceUnavailable,
                                self.client(retries=2).list_images)
        self.assertEqual('maintenance', exc.message)
        self.assertEqual(3, len(self.sim.requests))

    def test_other_errors_not_retried(self):
        self.sim.inject(500, 'InternalError', 'oops')
        self.assertRaises(exceptions.InternalError,
                          self.client(retries=3).list_images)
        self.assertEqual(1, len(self.sim.requests))
        self.sim.inject(404, 'ResourceNotFound', 'no')
        self.assertRaises(exceptions.ResourceNotFound,
                          self.client(retries=3).list_images)
        self.assertEqual(2, len(self.sim.requests))

    def test_dropped_get_retried(self):
        self.sim.inject(drop=True)
        self.assertTrue(self.client(retries=1).list_images())
        self.assertEqual(2, len(self.sim.requests))

    def test_dropped_post_not_resent(self):
        # The request may have been acted upon: never create twice.
        self.sim.inject(drop=True)
        self.assertRaises(exceptions.ConnectionFailed,
                          self.client(retries=3).create_firewall_rule,
                          'FROM any TO all vms ALLOW tcp PORT 22')
        self.assertEqual(1, len(self.sim.requests))
        self.assertEqual({}, self.sim.fwrules)

    def test_connection_refused_retried(self):
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
        sock.close()
        client = sdc_client.CloudAPIClient(
            'http://127.0.0.1:%d' % port, 'acme',
            signing.RequestSigner('acme', EC_KEY), retries=2, backoff=0.01)
        calls = []
        client.session.hooks = {}
        orig = client._send

        def counting(*args):
            calls.append(args)
            return orig(*args)
        client._send = counting
        exc = self.assertRaises(exceptions.ConnectionFailed,
                                client.create_firewall_rule, 'FROM x')
        self.assertEqual(3, len(calls))   # never sent: safe to retry POST
        self.assertIn('Cannot reach CloudAPI', str(exc))


class LoggingTest(ClientTestBase):

    def test_no_secret_in_logs(self):
        logger = self.useFixture(fixtures.FakeLogger(level=logging.DEBUG))
        client = self.client(retries=1)
        self.sim.inject(503, 'ServiceUnavailable', 'busy')
        client.list_images()
        self.assertRaises(exceptions.ResourceNotFound, client.get_machine,
                          'x')
        self.sim.inject(drop=True)
        client.get_package('g4-highcpu-128M')
        output = logger.output
        self.assertIn('CloudAPI GET /acme/images', output)
        for _m, _p, headers in self.sim.requests:
            signature = sdc_signatures.parse_authorization(
                headers['authorization'])['signature']
            self.assertNotIn(signature, output)
        self.assertNotIn('Signature keyId', output)
        self.assertNotIn('PRIVATE KEY', output)


class TLSTest(ClientTestBase):

    sim_kwargs = {'tls': True}

    def test_verification_on_by_default(self):
        exc = self.assertRaises(exceptions.ConnectionFailed,
                                self.client().list_images)
        self.assertIn('TLS failure', str(exc))

    def test_insecure(self):
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            self.assertTrue(self.client(verify=False).list_images())

    def test_ca_file(self):
        self.assertTrue(self.client(verify=self.sim.ca_file).list_images())
