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
"""keystonemiddleware's ``auth_token`` as Hurtle's APIs run it: the
``authtoken`` filter of api-paste.ini (``[DEFAULT] auth_strategy =
keystone``).

* ``[keystone_authtoken] interface``, the catalog interface of the
  identity endpoint auth_token validates tokens at, defaults to
  ``public`` here (keystonemiddleware's own default is ``internal``), as
  devstack configures OpenStack services: a catalog with the identity
  service on the public interface only works as it is. Set ``internal``
  (or ``admin``) when the catalog has that endpoint and it should be used.
* ``[keystone_authtoken] http_connect_timeout``, the seconds one request
  of auth_token to Keystone may take, defaults to
  ``hurtle.conf.service_credentials.DEFAULT_TIMEOUT`` here
  (keystonemiddleware's own default is none: a Keystone that accepts the
  connection and never answers held every request for good). A Keystone
  that does not answer in time is unreachable: auth_token's ``503``,
  after its ``http_request_max_retries`` (3).
* A keystoneauth1 failure escaping auth_token answers ``503`` with a
  sentence naming what to configure, never ``500``: typically
  ``EndpointNotFound``, the catalog has no identity endpoint on that
  interface. (Keystone unreachable is auth_token's own ``503``.) The
  detail goes to the log.
"""
import logging

from keystoneauth1 import exceptions as ks_exc
from keystonemiddleware import auth_token

from hurtle.conf import service_credentials

LOG = logging.getLogger(__name__)

GROUP = 'keystone_authtoken'
#: Hurtle's default of ``[keystone_authtoken] interface`` (devstack's).
DEFAULT_INTERFACE = 'public'

#: Same token as :data:`hurtle.occi.request.SERVER` (GFD.185 3.6.4).
SERVER = 'hurtle OCCI/1.1'


def set_defaults(conf):
    """Register auth_token's options on ``conf`` (the same option objects
    auth_token registers later), default ``interface`` to
    :data:`DEFAULT_INTERFACE` and ``http_connect_timeout`` to
    ``service_credentials.DEFAULT_TIMEOUT`` seconds."""
    for group, opts in auth_token.AUTH_TOKEN_OPTS:
        conf.register_opts(opts, group=group)
    conf.set_default('interface', DEFAULT_INTERFACE, group=GROUP)
    conf.set_default('http_connect_timeout',
                     int(service_credentials.DEFAULT_TIMEOUT), group=GROUP)


def _unavailable(start_response, message):
    body = (message + '\n').encode('utf-8')
    start_response('503 Service Unavailable', [
        ('Content-Type', 'text/plain'), ('Server', SERVER),
        ('Content-Length', str(len(body)))])
    return [body]


class AuthTokenGuard(object):
    """WSGI middleware around auth_token: keystoneauth1 errors escaping
    it become a 503 with a clear message (see the module docstring).

    :param app: auth_token wrapping the application.
    :param interface: the configured interface (said in the message).
    """

    def __init__(self, app, interface):
        self.app = app
        self.interface = interface

    def __call__(self, environ, start_response):
        try:
            return self.app(environ, start_response)
        except ks_exc.EndpointNotFound as exc:
            LOG.error('Cannot validate tokens: no identity endpoint on the '
                      '%r interface in the Keystone catalog (%s); set '
                      '[keystone_authtoken] interface', self.interface, exc)
            return _unavailable(
                start_response,
                'Cannot validate the token: the Keystone catalog has no '
                'identity endpoint on the "%s" interface; the operator '
                'must set [keystone_authtoken] interface to one it has '
                '(public, internal or admin).' % self.interface)
        except ks_exc.ClientException as exc:
            LOG.error('Cannot validate tokens: %s: %s',
                      type(exc).__name__, exc)
            return _unavailable(
                start_response,
                'Cannot validate the token with Keystone now (%s); try '
                'again later.' % type(exc).__name__)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory: auth_token with the ``ConfigOpts`` in
    ``global_conf['oslo_config_config']`` (after :func:`set_defaults`),
    inside :class:`AuthTokenGuard`."""
    conf = global_conf['oslo_config_config']
    set_defaults(conf)
    make_auth_token = auth_token.filter_factory(global_conf, **local_conf)

    def _filter(app):
        return AuthTokenGuard(make_auth_token(app),
                              conf[GROUP].interface)
    return _filter
