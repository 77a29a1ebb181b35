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
"""Per-SO shared secret check (doc/source/contributor/
security.rst).

The SM generates a secret for each SO and hands it over at start
(environment ``HURTLE_SO_SECRET``); the SM then sends it as ``X-Auth-Token``
on every SO API call, the header 2016 SOs already read, together with
``X-Tenant-Name``. Calls without the right secret get 401.
"""
import hmac

HEADER = 'X-Auth-Token'
ENV_VAR = 'HURTLE_SO_SECRET'


class SecretMiddleware(object):
    """WSGI middleware answering 401 unless ``X-Auth-Token`` == secret."""

    def __init__(self, app, secret):
        if not secret:
            raise ValueError('an SO needs a non-empty secret')
        self.app = app
        self._secret = secret.encode('utf-8')

    def __call__(self, environ, start_response):
        given = environ.get('HTTP_X_AUTH_TOKEN', '').encode('utf-8')
        if not hmac.compare_digest(given, self._secret):
            body = b'Missing or wrong X-Auth-Token for this SO.\n'
            start_response('401 Unauthorized',
                           [('Content-Type', 'text/plain'),
                            ('Content-Length', str(len(body)))])
            return [body]
        environ.setdefault('HTTP_X_PROJECT_ID',
                           environ.get('HTTP_X_TENANT_NAME', 'default'))
        return self.app(environ, start_response)
