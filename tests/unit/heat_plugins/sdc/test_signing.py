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
"""HTTP Signature signing with RSA, ECDSA and Ed25519 keys."""
import base64
import os
import shutil
import subprocess

from cryptography.hazmat.primitives.asymmetric import dsa
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
import fixtures
import testtools

from hurtle.heat_plugins.sdc import exceptions
from hurtle.heat_plugins.sdc import signing
from tests import sdc_signatures

DATE = 'Tue, 29 Nov 2022 12:00:00 GMT'


def _keys():
    return {
        'rsa': rsa.generate_private_key(65537, 2048),
        'p256': ec.generate_private_key(ec.SECP256R1()),
        'p384': ec.generate_private_key(ec.SECP384R1()),
        'p521': ec.generate_private_key(ec.SECP521R1()),
        'ed25519': ed25519.Ed25519PrivateKey.generate(),
    }


KEYS = _keys()


def _auth_params(header):
    return sdc_signatures.parse_authorization(header)


class SignerTest(testtools.TestCase):

    def _check(self, key, algorithm, verify):
        signer = signing.RequestSigner('acme', key)
        headers = signer.headers(DATE)
        self.assertEqual(DATE, headers['Date'])
        params = _auth_params(headers['Authorization'])
        self.assertEqual(algorithm, params['algorithm'])
        self.assertEqual('date', params['headers'])
        self.assertEqual('/acme/keys/%s' % signing.md5_fingerprint(key),
                         params['keyId'])
        signature = base64.b64decode(params['signature'])
        # Verify independently with cryptography's own primitives.
        verify(key.public_key(), signature,
               ('date: %s' % DATE).encode())

    def test_rsa(self):
        self._check(KEYS['rsa'], 'rsa-sha256',
                    lambda pub, sig, data: pub.verify(
                        sig, data, padding.PKCS1v15(), hashes.SHA256()))

    def test_ecdsa_p256(self):
        self._check(KEYS['p256'], 'ecdsa-sha256',
                    lambda pub, sig, data: pub.verify(
                        sig, data, ec.ECDSA(hashes.SHA256())))

    def test_ecdsa_p384(self):
        self._check(KEYS['p384'], 'ecdsa-sha384',
                    lambda pub, sig, data: pub.verify(
                        sig, data, ec.ECDSA(hashes.SHA384())))

    def test_ecdsa_p521(self):
        self._check(KEYS['p521'], 'ecdsa-sha512',
                    lambda pub, sig, data: pub.verify(
                        sig, data, ec.ECDSA(hashes.SHA512())))

    def test_ed25519(self):
        self._check(KEYS['ed25519'], 'ed25519-sha512',
                    lambda pub, sig, data: pub.verify(sig, data))

    def test_named_key_id(self):
        signer = signing.RequestSigner('acme', KEYS['p256'], 'laptop')
        params = _auth_params(signer.headers(DATE)['Authorization'])
        self.assertEqual('/acme/keys/laptop', params['keyId'])

    def test_default_date_is_now(self):
        headers = signing.RequestSigner('acme', KEYS['p256']).headers()
        self.assertTrue(headers['Date'].endswith(' GMT'))

    def test_repr_hides_key(self):
        signer = signing.RequestSigner('acme', KEYS['rsa'])
        self.assertNotIn('PRIVATE', repr(signer))
        self.assertIn('/acme/keys/', repr(signer))

    def test_verify_rejects_other_key_and_algorithm(self):
        data = b'date: x'
        sig = signing.sign(KEYS['p256'], data)
        verify = sdc_signatures.verify
        self.assertTrue(verify(KEYS['p256'].public_key(),
                               'ecdsa-sha256', data, sig))
        self.assertFalse(verify(KEYS['p384'].public_key(),
                                'ecdsa-sha384', data, sig))
        self.assertFalse(verify(KEYS['p256'].public_key(),
                                'rsa-sha256', data, sig))
        self.assertFalse(verify(KEYS['p256'].public_key(),
                                'ecdsa-sha256', b'date: y', sig))


class FingerprintTest(testtools.TestCase):

    def test_format(self):
        fp = signing.md5_fingerprint(KEYS['rsa'])
        self.assertEqual(16, len(fp.split(':')))
        self.assertEqual(fp, signing.md5_fingerprint(
            KEYS['rsa'].public_key()))

    @testtools.skipUnless(shutil.which('ssh-keygen'), 'needs ssh-keygen')
    def test_matches_ssh_keygen(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        for name in ('rsa', 'p256', 'ed25519'):
            path = os.path.join(tmp, name + '.pub')
            with open(path, 'w') as f:
                f.write(signing.openssh_public_key(KEYS[name]) + '\n')
            out = subprocess.check_output(
                ['ssh-keygen', '-l', '-E', 'md5', '-f', path], text=True)
            self.assertEqual('MD5:' + signing.md5_fingerprint(KEYS[name]),
                             out.split()[1])


class LoadKeyTest(testtools.TestCase):

    def _pem(self, key, fmt):
        return key.private_bytes(serialization.Encoding.PEM, fmt,
                                 serialization.NoEncryption())

    def test_pkcs8_traditional_and_openssh(self):
        for name, key in KEYS.items():
            formats = [serialization.PrivateFormat.PKCS8,
                       serialization.PrivateFormat.OpenSSH]
            if name != 'ed25519':
                formats.append(serialization.PrivateFormat.TraditionalOpenSSL)
            for fmt in formats:
                loaded = signing.load_private_key(self._pem(key, fmt))
                self.assertEqual(signing.md5_fingerprint(key),
                                 signing.md5_fingerprint(loaded))

    def test_file(self):
        path = os.path.join(self.useFixture(fixtures.TempDir()).path, 'k')
        with open(path, 'wb') as f:
            f.write(self._pem(KEYS['rsa'],
                              serialization.PrivateFormat.PKCS8))
        key = signing.load_private_key_file(path)
        self.assertEqual('rsa-sha256', signing.algorithm_for(key))

    def test_missing_file(self):
        exc = self.assertRaises(exceptions.InvalidKey,
                                signing.load_private_key_file,
                                '/nonexistent/id_rsa')
        self.assertIn('/nonexistent/id_rsa cannot be read', str(exc))

    def test_garbage(self):
        exc = self.assertRaises(exceptions.InvalidKey,
                                signing.load_private_key, b'not a key')
        self.assertIn('unencrypted RSA, ECDSA or Ed25519', str(exc))

    def test_encrypted_key_refused(self):
        data = KEYS['p256'].private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b'secret-pass'))
        exc = self.assertRaises(exceptions.InvalidKey,
                                signing.load_private_key, data)
        self.assertNotIn('secret-pass', str(exc))

    def test_unsupported_types(self):
        key = dsa.generate_private_key(1024)
        self.assertRaises(exceptions.InvalidKey, signing.load_private_key,
                          self._pem(key, serialization.PrivateFormat.PKCS8))
        key = ec.generate_private_key(ec.SECP256K1())
        exc = self.assertRaises(
            exceptions.InvalidKey, signing.load_private_key,
            self._pem(key, serialization.PrivateFormat.PKCS8))
        self.assertIn('secp256k1', str(exc))


class ParseAuthorizationTest(testtools.TestCase):

    def test_parse(self):
        self.assertEqual(
            {'keyId': '/a/keys/b', 'algorithm': 'rsa-sha256',
             'signature': 'x=='},
            sdc_signatures.parse_authorization(
                'Signature keyId="/a/keys/b", algorithm="rsa-sha256",'
                'signature="x=="'))

    def test_malformed(self):
        for bad in ('', 'Basic abc', 'Signature keyId=/a', 'Signature a="b',
                    'Signature a="b" c="d"'):
            self.assertRaises(ValueError,
                              sdc_signatures.parse_authorization, bad)
