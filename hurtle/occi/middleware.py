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

For the embedded default (DESIGN.md section 8), as OpenStack noauth modes
do.  It sets the headers keystonemiddleware's ``auth_token`` would set,
after removing any such header the client sent itself:

* ``X-Project-Id`` from ``X-Project-Id``, else ``X-Tenant-Id``, else
  ``X-Tenant-Name``, else ``X-Auth-Project`` (old clients send
  ``X-Auth-Token`` + ``X-Tenant-Name``), else ``default_project``;
  no project at all -> ``401`` with a short message;
* ``X-User-Id`` from ``X-User-Id`` or ``X-Auth-User`` when present;
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


def _clean(value):
    value = (value or '').strip()
    if not value or len(value) > 255 or any(
            ord(ch) < 32 or ch in ',;"' for ch in value):
        return None
    return value


class NoAuthMiddleware(object):
    """Trust the project named by the client (embedded default only).

    :param app: the WSGI application to wrap.
    :param default_project: project used when the request names none
        (``None``: such requests get 401).
    """

    def __init__(self, app, default_project=None):
        self.app = app
        self.default_project = default_project or None

    def __call__(self, environ, start_response):
        project = None
        for name in _PROJECT_SOURCES:
            project = _clean(environ.get(name))
            if project:
                break
        if project is None:
            project = self.default_project
        user = None
        for name in _USER_SOURCES:
            user = _clean(environ.get(name))
            if user:
                break
        for name in _IDENTITY_HEADERS + _PROJECT_SOURCES + _USER_SOURCES:
            environ.pop(name, None)
        if project is None:
            body = (b'Authentication required: send X-Project-Id (or '
                    b'X-Tenant-Name).\n')
            start_response('401 Unauthorized', [
                ('Content-Type', 'text/plain'),
                ('Server', SERVER),
                ('Content-Length', str(len(body))),
                ('WWW-Authenticate', 'Keystone uri="noauth"')])
            return [body]
        environ['HTTP_X_PROJECT_ID'] = project
        environ['HTTP_X_TENANT_ID'] = project
        if user:
            environ['HTTP_X_USER_ID'] = user
        environ['HTTP_X_ROLES'] = 'admin'
        environ['HTTP_X_IDENTITY_STATUS'] = 'Confirmed'
        return self.app(environ, start_response)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (``default_project`` from the section)."""
    conf = dict(global_conf or {})
    conf.update(local_conf)
    default_project = conf.get('default_project') or None

    def _filter(app):
        return NoAuthMiddleware(app, default_project=default_project)
    return _filter
