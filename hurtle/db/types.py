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
"""Column types keeping secrets encrypted at rest (doc/source/contributor/
database.rst).

``sm_instances.so_secret`` (:class:`EncryptedText`) and ``cc_apps.env``
(:class:`EncryptedJSON`) hold the per-SO secrets the SM and the SO must
both know, so they cannot be hashed: they are encrypted with Fernet
(pyca/cryptography: AES-128-CBC + HMAC-SHA256) under a key kept in
``<state_path>/db_key`` (mode 0600, generated at first start, race-safe).

Every process that opens the database calls :func:`configure` with its
``state_path`` (``hurtle.service.prepare_service`` does). Stored values
are ``"fernet1:<token>"``; in a JSON column that string is the JSON value, so
the column stays valid JSON on PostgreSQL. Rows written in clear by an
older Hurtle still read (as they are) and are encrypted when next written.

Errors: reading an encrypted value without :func:`configure`, or with
another key, raises :class:`KeyError_`; so does writing a secret
without a key. ``None`` is stored as NULL either way.
"""
import json
import os
import threading

from cryptography import fernet
import sqlalchemy as sa

from hurtle import state_dir

#: File name of the key under ``state_path``.
KEY_FILENAME = 'db_key'
#: Prefix of encrypted values (version 1: Fernet).
PREFIX = 'fernet1:'

_LOCK = threading.Lock()
_KEY = {}


class KeyError_(Exception):
    """No usable encryption key for a secret column; ``str()`` says why."""


def configure(state_path):
    """Load (or create) the key under ``state_path`` for this process.

    :returns: the key file's path.
    :raises OSError: the key file cannot be read or created.
    """
    key_path = os.path.join(state_path, KEY_FILENAME)
    key = state_dir.read_or_create(
        key_path, lambda: fernet.Fernet.generate_key().decode('ascii'))
    with _LOCK:
        _KEY['fernet'] = fernet.Fernet(key.encode('ascii'))
        _KEY['path'] = key_path
    return key_path


def reset():
    """Forget the key (tests)."""
    with _LOCK:
        _KEY.clear()


def _fernet():
    with _LOCK:
        key = _KEY.get('fernet')
    if key is None:
        raise KeyError_('the database encryption key is not set up '
                        '(hurtle.db.types.configure(state_path))')
    return key


def encrypt(text):
    """``"fernet1:<token>"`` of ``text`` (str)."""
    return PREFIX + _fernet().encrypt(text.encode('utf-8')).decode('ascii')


def decrypt(value):
    """The clear text of ``value``; a value without the prefix (written
    in clear by an older Hurtle) is returned as it is."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return value
    try:
        return _fernet().decrypt(
            value[len(PREFIX):].encode('ascii')).decode('utf-8')
    except fernet.InvalidToken:
        raise KeyError_('a secret in the database was encrypted with '
                        'another key than %s' % _KEY.get('path'))


class EncryptedText(sa.types.TypeDecorator):
    """A string column stored encrypted (``length`` bounds the stored,
    encrypted form: about 100 + 4/3 of the clear length)."""

    impl = sa.String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else encrypt(str(value))

    def process_result_value(self, value, dialect):
        return None if value is None else decrypt(value)


class EncryptedJSON(sa.types.TypeDecorator):
    """A JSON column whose value is stored as one encrypted JSON string."""

    impl = sa.JSON
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return encrypt(json.dumps(value))

    def process_result_value(self, value, dialect):
        if isinstance(value, str) and value.startswith(PREFIX):
            return json.loads(decrypt(value))
        return value  # NULL, or a clear row of an older Hurtle
