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
"""Authentication of SOs to the CC (doc/source/contributor/cc-api.rst).

An SO calls the CC's ``stack`` kind with its own secret and app id::

    X-Auth-Token: <HURTLE_SO_SECRET>
    X-Hurtle-App-Id: <HURTLE_APP_ID>

:class:`SOAuthMiddleware` (paste filter ``so_auth``, first in both CC
pipelines, before ``local_secret`` and ``authtoken``) checks such a
request against the secret stored (encrypted) in the app's environment,
comparing in constant time; a request for ``/stack/...`` without an app
id, with an unknown app or with a wrong or missing secret gets ``401``
with ``WWW-Authenticate: Hurtle-SO``. An authenticated SO reaches only
``/stack/...``, the design service's ``/service/...`` (read-only,
:mod:`hurtle.cc.design`) and the query interface (else ``403``); its
request goes straight to the OCCI application with :data:`ENVIRON_KEY`
set to its :class:`SOCaller` and no project (so it lists no app).
Requests without ``X-Hurtle-App-Id`` to other paths (the SM's) go on
through the rest of the pipeline unchanged.
"""
import dataclasses
import hmac
import logging

from hurtle.cc import store as app_store

LOG = logging.getLogger(__name__)

APP_HEADER = 'X-Hurtle-App-Id'
TOKEN_HEADER = 'X-Auth-Token'
#: WSGI environ key of the authenticated :class:`SOCaller`.
ENVIRON_KEY = 'hurtle.so.caller'
CHALLENGE = 'Hurtle-SO'
STACK_PREFIX = '/stack'
#: The design service (hurtle.cc.design), which SOs may read.
SERVICE_PREFIX = '/service'
#: Query interface paths an SO may read (its categories).
QUERY_PATHS = ('/-/', '/.well-known/org/ogf/occi/-/')
SERVER = 'hurtle OCCI/1.1'

_APP_ENVIRON = 'HTTP_X_HURTLE_APP_ID'
_TOKEN_ENVIRON = 'HTTP_X_AUTH_TOKEN'
#: Identity headers no SO may pass on to the application.
_IDENTITY = ('HTTP_X_PROJECT_ID', 'HTTP_X_TENANT_ID', 'HTTP_X_TENANT_NAME',
             'HTTP_X_AUTH_PROJECT', 'HTTP_X_USER_ID', 'HTTP_X_AUTH_USER',
             'HTTP_X_ROLES', 'HTTP_X_ROLE', 'HTTP_X_IDENTITY_STATUS',
             'HTTP_X_SERVICE_ROLES', 'HTTP_X_SERVICE_IDENTITY_STATUS')
#: Compared against when the app is unknown, so that the time taken does
#: not tell apps that exist from apps that do not.
_NO_SECRET = b'\0' * 43


@dataclasses.dataclass(frozen=True)
class SOCaller:
    """An authenticated SO: its app id, the project its instance belongs
    to (``HURTLE_PROJECT``) and the instance's Keystone trust
    (``HURTLE_TRUST_ID``, None without)."""

    app_id: str
    project: str
    trust_id: str = None


def caller_of(extras):
    """The :class:`SOCaller` of a request (from the backend ``extras``),
    or None when no SO authenticated it."""
    environ = (extras or {}).get('environ') or {}
    return environ.get(ENVIRON_KEY)


def _answer(start_response, status, text, headers=()):
    body = (text + '\n').encode('utf-8')
    start_response(status, [('Content-Type', 'text/plain'),
                            ('Server', SERVER),
                            ('Content-Length', str(len(body)))]
                   + list(headers))
    return [body]


class SOAuthMiddleware(object):
    """WSGI filter authenticating SOs by their secret.

    :param app: the rest of the pipeline (other callers go there).
    :param application: the OCCI application itself (authenticated SOs
        go there).
    :param lookup: ``lookup(app_id)`` → ``(secret, project, trust_id)``
        of the app, or None when there is no such app.
    """

    def __init__(self, app, application, lookup):
        self.app = app
        self.application = application
        self.lookup = lookup

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO') or '/'
        app_id = environ.get(_APP_ENVIRON)
        if app_id is None and not path.startswith(STACK_PREFIX):
            return self.app(environ, start_response)
        caller = self._authenticate(app_id, environ.get(_TOKEN_ENVIRON))
        if caller is None:
            return _answer(
                start_response, '401 Unauthorized',
                'Authentication required: an SO sends its secret as %s '
                'and its app id as %s.' % (TOKEN_HEADER, APP_HEADER),
                [('WWW-Authenticate', CHALLENGE)])
        if not (path.startswith((STACK_PREFIX, SERVICE_PREFIX)) or
                path in QUERY_PATHS):
            return _answer(start_response, '403 Forbidden',
                           'An SO may use only /stack/ and /service/ on '
                           'the CC.')
        for name in _IDENTITY + (_TOKEN_ENVIRON,):
            environ.pop(name, None)
        environ[ENVIRON_KEY] = caller
        return self.application(environ, start_response)

    def _authenticate(self, app_id, token):
        """The :class:`SOCaller` if ``token`` is the secret of app
        ``app_id``, else None."""
        found = self.lookup(app_id) if app_id else None
        secret = (found[0] if found else '') or ''
        expected = secret.encode('utf-8') if secret else _NO_SECRET
        given = (token or '').encode('latin-1', 'replace')
        if not hmac.compare_digest(given, expected) or not secret:
            LOG.info('SO authentication refused for app %r',
                     str(app_id)[:64] if app_id else None)
            return None
        return SOCaller(app_id=app_id, project=found[1],
                        trust_id=found[2] or None)


def app_lookup(store):
    """A ``lookup`` for :class:`SOAuthMiddleware` over the CC's
    ``hurtle.cc.store.AppStore``: the app's ``HURTLE_SO_SECRET``,
    ``HURTLE_PROJECT`` and ``HURTLE_TRUST_ID``."""
    def lookup(app_id):
        if len(app_id) > 36:
            return None
        row = store.row(app_id)
        if row is None or row.state == app_store.DELETING:
            # An app being deleted: its SO is stopping, not served.
            return None
        env = row.env or {}
        return (env.get('HURTLE_SO_SECRET'), env.get('HURTLE_PROJECT'),
                env.get('HURTLE_TRUST_ID'))
    return lookup
