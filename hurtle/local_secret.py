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
"""The local secret of the embedded default (doc/source/contributor/
security.rst).

With ``auth_strategy = noauth`` anyone on the machine can reach the CC and
the embedded Heat on 127.0.0.1. Both therefore answer only callers that
send the *local secret* as ``X-Auth-Token``: a random token generated at
first start into ``<state_path>/local_secret`` (mode 0600, in a 0700
directory), which only the user running Hurtle can read. The SM sends it
on every CC call, SOs (started by the CC with the same configuration) and
Hurtle's own tools send it to the embedded Heat. It is never sent to other
SMs or to SOs.

* :func:`load_or_create` returns the secret, creating the file if needed
  (race-safe: SM, CC and Heat may start together);
* :class:`LocalSecretMiddleware` is the WSGI filter checking it.

With curl::

    curl -H "X-Auth-Token: $(cat state/local_secret)" \\
         -H 'X-Project-Id: service' http://127.0.0.1:8887/app/
"""
import hashlib
import hmac
import os
import secrets

from hurtle import state_dir

#: File name under ``state_path``.
FILENAME = 'local_secret'
#: Request header carrying the secret.
HEADER = 'X-Auth-Token'
_ENVIRON_KEY = 'HTTP_X_AUTH_TOKEN'


class LocalSecretError(Exception):
    """The secret file cannot be read or created; ``str()`` says why."""


def path(state_path):
    """Return ``<state_path>/local_secret``."""
    return os.path.join(state_path, FILENAME)


def load_or_create(state_path):
    """Return the local secret of ``state_path`` (a str of 64 hexadecimal
    digits, 256 random bits), generating it on first use.

    Hexadecimal rather than URL-safe base64: a secret starting with ``-``
    would be read as an option by command-line tools given it as
    ``--os-token <secret>``.

    Race-safe (see ``hurtle.state_dir.read_or_create``): processes
    starting together all get the same secret. The directory is created
    0700 if missing, the file 0600.

    :raises LocalSecretError: the file cannot be read or created.
    """
    target = path(state_path)
    try:
        return state_dir.read_or_create(
            target, lambda: secrets.token_hex(32))
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        raise LocalSecretError('cannot read or create the local secret '
                               '%s: %s' % (target, exc))


def derived(secret, purpose):
    """A token for one ``purpose`` (str) only, derived from the local
    ``secret``: HMAC-SHA256 keyed with the secret, 64 hexadecimal digits.

    Given where the secret itself must not go (the embedded Heat's
    stack events to the CC, ``hurtle.heat.notifier``): whoever reads
    the token can do that one thing, and cannot call the CC or Heat.
    """
    return hmac.new(secret.encode('utf-8'),
                    ('hurtle:%s' % purpose).encode('utf-8'),
                    hashlib.sha256).hexdigest()


def headers(state_path):
    """``{'X-Auth-Token': <secret>}`` for a call to the CC or the embedded
    Heat (see :func:`load_or_create` for errors)."""
    return {HEADER: load_or_create(state_path)}


class LocalSecretMiddleware(object):
    """WSGI filter: 401 unless ``X-Auth-Token`` equals the local secret.

    The comparison is constant-time (``hmac.compare_digest``). A request
    that passes has its ``X-Auth-Token`` replaced by ``replacement`` (None:
    removed), so the application behind never sees or stores the secret.

    :param app: the WSGI application to protect.
    :param secret: the local secret (str, non-empty).
    :param realm: named in the 401's ``WWW-Authenticate`` header.
    :param replacement: value the application sees as ``X-Auth-Token``.
    """

    def __init__(self, app, secret, realm='hurtle', replacement=None):
        if not secret:
            raise ValueError('the local secret must not be empty')
        self.app = app
        self._secret = secret.encode('utf-8')
        self.realm = realm
        self.replacement = replacement

    def __call__(self, environ, start_response):
        given = environ.get(_ENVIRON_KEY, '').encode('utf-8', 'replace')
        if not hmac.compare_digest(given, self._secret):
            body = ('Authentication required: send the local secret '
                    '(<state_path>/%s) as %s.\n' % (FILENAME, HEADER)
                    ).encode('utf-8')
            start_response('401 Unauthorized', [
                ('Content-Type', 'text/plain; charset=utf-8'),
                ('Content-Length', str(len(body))),
                ('WWW-Authenticate',
                 'X-Auth-Token realm="%s"' % self.realm)])
            return [body]
        if self.replacement is None:
            environ.pop(_ENVIRON_KEY, None)
        else:
            environ[_ENVIRON_KEY] = self.replacement
        return self.app(environ, start_response)
