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
"""``noauth`` WSGI middleware: the project from request headers.

For the embedded default (doc/source/contributor/security.rst), as OpenStack
noauth modes do.  It sets the headers keystonemiddleware's ``auth_token`` would
set, after removing any such header the client sent itself:

* ``X-Project-Id`` from ``X-Project-Id``, else ``X-Tenant-Id``, else
  ``X-Tenant-Name``, else ``X-Auth-Project`` (old clients send
  ``X-Auth-Token`` + ``X-Tenant-Name``), else ``default_project``;
  no project at all -> ``401`` with a short message;
* ``X-User-Id`` from ``X-User-Id`` or ``X-Auth-User`` when present;
* a project or user id given but invalid -> ``400`` naming the rule
  (:data:`ID_RULE`), never another project: 1 to 255 characters of UTF-8
  text (leading and trailing blanks ignored), no control characters and
  none of ``,`` ``;`` ``"``.  Ids are passed on as PEP 3333 native
  strings (the UTF-8 bytes decoded as latin-1, as keystonemiddleware
  does); :class:`hurtle.occi.request.Request` decodes them, so
  ``Zürich-团队`` reaches backends as sent;
* ``X-Roles: admin``; ``X-Identity-Status: Confirmed``.

Paste::

    [filter:noauth]
    paste.filter_factory = hurtle.occi.middleware:filter_factory
    default_project = admin
"""

import logging

LOG = logging.getLogger(__name__)

#: Same token as :data:`hurtle.occi.request.SERVER` (GFD.185 3.6.4).
SERVER = 'hurtle OCCI/1.1'

# Headers keystonemiddleware sets: never trust a client's values.
_IDENTITY_HEADERS = (
    'HTTP_X_IDENTITY_STATUS', 'HTTP_X_SERVICE_IDENTITY_STATUS',
    'HTTP_X_ROLES', 'HTTP_X_ROLE', 'HTTP_X_SERVICE_ROLES',
    'HTTP_X_DOMAIN_ID', 'HTTP_X_DOMAIN_NAME', 'HTTP_X_PROJECT_DOMAIN_ID',
    'HTTP_X_PROJECT_DOMAIN_NAME', 'HTTP_X_USER_DOMAIN_ID',
    'HTTP_X_USER_DOMAIN_NAME', 'HTTP_X_PROJECT_NAME', 'HTTP_X_USER_NAME',
    'HTTP_X_USER', 'HTTP_X_TENANT', 'HTTP_X_IS_ADMIN_PROJECT',
    'HTTP_X_SERVICE_CATALOG', 'HTTP_X_AUTH_TOKEN_INFO',
)

_PROJECT_SOURCES = ('HTTP_X_PROJECT_ID', 'HTTP_X_TENANT_ID',
                    'HTTP_X_TENANT_NAME', 'HTTP_X_AUTH_PROJECT')
_USER_SOURCES = ('HTTP_X_USER_ID', 'HTTP_X_AUTH_USER')
#: What is removed from every request before the middleware sets its own
#: (a set: most requests carry none of them, and one intersection with
#: the environ's keys finds those that do).
_STRIPPED = frozenset(_IDENTITY_HEADERS + _PROJECT_SOURCES + _USER_SOURCES)


#: The rule a project or user id must follow (said in the 400).
ID_RULE = ('1 to 255 characters of UTF-8 text without control characters '
           'or any of , ; "')

#: Longest id, in characters (the SM's ``project`` column).
MAX_ID = 255


class InvalidId(ValueError):
    """A project or user id breaks :data:`ID_RULE`."""


def _clean(value):
    """The id in a header value (native string), or ``None`` if absent.

    :returns: the id as a native string (UTF-8 bytes as latin-1).
    :raises InvalidId: present but invalid.
    """
    if value is None:
        return None
    try:
        text = value.encode('latin-1').decode('utf-8').strip()
    except UnicodeError:
        raise InvalidId('not UTF-8')
    if not text:
        raise InvalidId('empty')
    if len(text) > MAX_ID:
        raise InvalidId('longer than %d characters' % MAX_ID)
    if any(ord(ch) < 32 or 127 <= ord(ch) < 160 or ch in ',;"'
           or ch in '\u2028\u2029' for ch in text):
        raise InvalidId('a control character or one of , ; "')
    return text.encode('utf-8').decode('latin-1')


def _respond(start_response, status, body, extra=()):
    body = body.encode('utf-8')
    headers = [('Content-Type', 'text/plain'), ('Server', SERVER),
               ('Content-Length', str(len(body)))]
    start_response(status, headers + list(extra))
    return [body]


class NoAuthMiddleware(object):
    """Trust the project named by the client (embedded default only).

    :param app: the WSGI application to wrap.
    :param default_project: project used when the request names none
        (``None``: such requests get 401).
    """

    def __init__(self, app, default_project=None):
        self.app = app
        self.default_project = _clean(default_project or None)

    def __call__(self, environ, start_response):
        try:
            project = self._first(environ, _PROJECT_SOURCES)
            user = self._first(environ, _USER_SOURCES)
        except InvalidId as exc:
            return _respond(start_response, '400 Bad Request',
                            'Invalid %s (%s): a project or user id is %s.\n'
                            % (exc.args[1], exc.args[0], ID_RULE))
        if project is None:
            project = self.default_project
        for name in _STRIPPED.intersection(environ):
            del environ[name]
        if project is None:
            return _respond(
                start_response, '401 Unauthorized',
                'Authentication required: send X-Project-Id (or '
                'X-Tenant-Name).\n',
                [('WWW-Authenticate', 'Keystone uri="noauth"')])
        environ['HTTP_X_PROJECT_ID'] = project
        environ['HTTP_X_TENANT_ID'] = project
        if user:
            environ['HTTP_X_USER_ID'] = user
        environ['HTTP_X_ROLES'] = 'admin'
        environ['HTTP_X_IDENTITY_STATUS'] = 'Confirmed'
        return self.app(environ, start_response)

    @staticmethod
    def _first(environ, sources):
        """The id of the first source header present.

        :raises InvalidId: with ``(reason, header name)``.
        """
        for name in sources:
            value = environ.get(name)
            if value is None:
                continue
            try:
                value = _clean(value)
            except InvalidId as exc:
                header = '-'.join(p.capitalize() for p in
                                  name[5:].split('_'))
                raise InvalidId(exc.args[0], header)
            if value is not None:
                return value
        return None


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``default_project`` from the section)."""
    conf = dict(global_conf or {})
    conf.update(local_conf)
    default_project = conf.get('default_project') or None

    def _filter(app):
        return NoAuthMiddleware(app, default_project=default_project)
    return _filter
