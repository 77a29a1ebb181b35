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
"""Checking CloudAPI HTTP Signatures: the server side, for the simulator.

Hurtle only signs (:mod:`hurtle.heat_plugins.sdc.signing`); CloudAPI
verifies. The CloudAPI simulator (``tests/sdc_simulator.py``) uses these
to check every request's ``Authorization`` header against the registered
public keys.
"""
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives import hashes

from hurtle.heat_plugins.sdc import exceptions
from hurtle.heat_plugins.sdc import signing

_VERIFY_HASHES = {
    'rsa-sha256': hashes.SHA256,
    'ecdsa-sha256': hashes.SHA256,
    'ecdsa-sha384': hashes.SHA384,
    'ecdsa-sha512': hashes.SHA512,
}


def verify(public_key, algorithm, data, signature):
    """Check ``signature`` over ``data`` made with ``algorithm``.

    :returns: True when valid; False for a bad signature, an algorithm
        that does not match the key, or a malformed signature.
    """
    try:
        if algorithm != signing.algorithm_for(public_key):
            return False
        if algorithm == 'rsa-sha256':
            public_key.verify(signature, data, padding.PKCS1v15(),
                              hashes.SHA256())
        elif algorithm.startswith('ecdsa-'):
            public_key.verify(signature, data,
                              ec.ECDSA(_VERIFY_HASHES[algorithm]()))
        else:
            public_key.verify(signature, data)
    except (InvalidSignature, ValueError, exceptions.InvalidKey):
        return False
    return True


def parse_authorization(value):
    """Parse a ``Signature k="v",...`` Authorization header value.

    :returns: a dict of its parameters (keyId, algorithm, headers,
        signature).
    :raises ValueError: not a Signature header or malformed.
    """
    scheme, _, params = (value or '').strip().partition(' ')
    if scheme.lower() != 'signature' or not params:
        raise ValueError('Authorization scheme must be Signature')
    result = {}
    rest = params.strip()
    while rest:
        name, eq, rest = rest.partition('=')
        name = name.strip()
        if not eq or not name or not rest.startswith('"'):
            raise ValueError('Malformed Signature parameter %r' % name)
        end = rest.find('"', 1)
        if end < 0:
            raise ValueError('Unterminated quoted value for %r' % name)
        result[name] = rest[1:end]
        rest = rest[end + 1:].lstrip()
        if rest.startswith(','):
            rest = rest[1:].lstrip()
        elif rest:
            raise ValueError('Expected "," after %r' % name)
    return result
