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
"""The per-SO secret: calls without it get 401 and never reach the SO."""
import testtools
import webob

from hurtle.so import secret


def _inner(environ, start_response):
    body = environ.get('HTTP_X_PROJECT_ID', '').encode()
    start_response('200 OK', [('Content-Length', str(len(body)))])
    return [body]


class SecretMiddlewareTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.app = secret.SecretMiddleware(_inner, 's3cr3t')

    def test_right_secret_passes_with_project(self):
        req = webob.Request.blank('/-/', headers={'X-Auth-Token': 's3cr3t',
                                                  'X-Tenant-Name': 'p1'})
        resp = req.get_response(self.app)
        self.assertEqual(200, resp.status_int)
        self.assertEqual(b'p1', resp.body)

    def test_missing_secret(self):
        resp = webob.Request.blank('/-/').get_response(self.app)
        self.assertEqual(401, resp.status_int)
        self.assertIn(b'X-Auth-Token', resp.body)

    def test_wrong_secret(self):
        req = webob.Request.blank('/-/', headers={'X-Auth-Token': 'guess'})
        self.assertEqual(401, req.get_response(self.app).status_int)

    def test_empty_secret_refused(self):
        self.assertRaises(ValueError, secret.SecretMiddleware, _inner, '')
