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
"""HTTP Signature authentication for Joyent CloudAPI.

CloudAPI authenticates every request with the ``Authorization`` header of
the (Joyent) HTTP Signature scheme, signing the ``Date`` header only::

    Authorization: Signature keyId="/<login>/keys/<key id>",
        algorithm="<alg>",headers="date",signature="<base64>"

where the signed string is ``date: <value of the Date header>`` and
``<key id>`` is the MD5 fingerprint of the SSH public key
(``aa:bb:...``) or the key's name on the account.

Algorithms by key type (node-http-signature / sshpk names):

- RSA: ``rsa-sha256`` (PKCS#1 v1.5);
- ECDSA: ``ecdsa-sha256`` (P-256), ``ecdsa-sha384`` (P-384),
  ``ecdsa-sha512`` (P-521); the signature is the DER (ASN.1) encoding;
- Ed25519: ``ed25519-sha512``; the 64-byte raw signature.

Keys are read with pyca/cryptography from PEM (PKCS#1, SEC1, PKCS#8) or
OpenSSH private key files. The key material never appears in ``repr`` or
logs. Checking signatures is CloudAPI's job (the tests' simulator does it
with ``tests/sdc_signatures.py``).
"""
import base64
import email.utils
import hashlib

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import ed25519
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization

from hurtle.heat_plugins.sdc import exceptions

_EC_HASHES = {
    'secp256r1': ('ecdsa-sha256', hashes.SHA256),
    'secp384r1': ('ecdsa-sha384', hashes.SHA384),
    'secp521r1': ('ecdsa-sha512', hashes.SHA512),
}


def load_private_key(data):
    """Load an unencrypted private key.

    :param data: the key file's bytes (PEM or OpenSSH format).
    :returns: a cryptography private key object (RSA, EC or Ed25519).
    :raises hurtle.heat_plugins.sdc.exceptions.InvalidKey: unreadable,
        encrypted or of an unsupported type (the message never contains
        key material).
    """
    if isinstance(data, str):
        data = data.encode('ascii', 'replace')
    for loader in (serialization.load_pem_private_key,
                   serialization.load_ssh_private_key):
        try:
            key = loader(data, password=None)
        except (ValueError, TypeError, NotImplementedError):
            continue
        algorithm_for(key)
        return key
    raise exceptions.InvalidKey(
        'The SDC signing key cannot be read: it must be an unencrypted RSA, '
        'ECDSA or Ed25519 private key in PEM or OpenSSH format')


def load_private_key_file(path):
    """Read and load the private key at ``path`` (see load_private_key).

    :raises hurtle.heat_plugins.sdc.exceptions.InvalidKey: missing or
        unreadable file.
    """
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as exc:
        raise exceptions.InvalidKey(
            'The SDC signing key file %s cannot be read: %s'
            % (path, exc.strerror or exc))
    return load_private_key(data)


def algorithm_for(key):
    """HTTP Signature algorithm name for a private or public key.

    :raises hurtle.heat_plugins.sdc.exceptions.InvalidKey: unsupported
        key type/curve.
    """
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return 'rsa-sha256'
    if isinstance(key, (ec.EllipticCurvePrivateKey,
                        ec.EllipticCurvePublicKey)):
        try:
            return _EC_HASHES[key.curve.name][0]
        except KeyError:
            raise exceptions.InvalidKey(
                'Unsupported ECDSA curve %s (P-256, P-384 or P-521 only)'
                % key.curve.name)
    if isinstance(key, (ed25519.Ed25519PrivateKey,
                        ed25519.Ed25519PublicKey)):
        return 'ed25519-sha512'
    raise exceptions.InvalidKey(
        'Unsupported key type %s (RSA, ECDSA or Ed25519 only)'
        % type(key).__name__)


def openssh_public_key(key):
    """The OpenSSH one-line public key (``ssh-rsa AAAA...``) as str."""
    if hasattr(key, 'public_key'):
        key = key.public_key()
    return key.public_bytes(serialization.Encoding.OpenSSH,
                            serialization.PublicFormat.OpenSSH).decode()


def md5_fingerprint(key):
    """MD5 fingerprint of the SSH public key blob, ``aa:bb:...:ff``.

    This is the form CloudAPI accepts in a signature's keyId (and that
    ``ssh-keygen -l -E md5`` prints without its ``MD5:`` prefix).
    """
    blob = base64.b64decode(openssh_public_key(key).split()[1])
    digest = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    return ':'.join(digest[i:i + 2] for i in range(0, len(digest), 2))


def http_date(timestamp=None):
    """An RFC 7231 (IMF-fixdate) date for the ``Date`` header."""
    return email.utils.formatdate(timestamp, usegmt=True)


def signing_string(date):
    """The string CloudAPI verifies: ``date: <Date header value>``."""
    return 'date: %s' % date


def sign(key, data):
    """Sign ``data`` (bytes) with ``key``; returns raw signature bytes."""
    algorithm = algorithm_for(key)
    if algorithm == 'rsa-sha256':
        return key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    if algorithm.startswith('ecdsa-'):
        return key.sign(data, ec.ECDSA(_EC_HASHES[key.curve.name][1]()))
    return key.sign(data)


class RequestSigner(object):
    """Builds the ``Date`` and ``Authorization`` headers of a request.

    :param account: CloudAPI login (``/<account>/keys/...``).
    :param key: a cryptography private key (see :func:`load_private_key`).
    :param key_id: key name or fingerprint for the keyId; default: the
        key's MD5 fingerprint.
    """

    def __init__(self, account, key, key_id=None):
        self.account = account
        self._key = key
        self.algorithm = algorithm_for(key)
        self.fingerprint = md5_fingerprint(key)
        self.key_id = '/%s/keys/%s' % (account, key_id or self.fingerprint)

    def __repr__(self):
        return '<RequestSigner keyId=%s algorithm=%s>' % (
            self.key_id, self.algorithm)

    def headers(self, date=None):
        """Return ``{'Date': ..., 'Authorization': ...}`` for one request.

        :param date: the Date header value; default: now.
        """
        date = date or http_date()
        signature = sign(self._key, signing_string(date).encode('utf-8'))
        authorization = (
            'Signature keyId="%s",algorithm="%s",headers="date",'
            'signature="%s"' % (self.key_id, self.algorithm,
                                base64.b64encode(signature).decode('ascii')))
        return {'Date': date, 'Authorization': authorization}
