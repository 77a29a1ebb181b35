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
"""``hurtle.sm.peers.ServiceTokenClient``: the SM's token refused with 401
(revoked) makes it authenticate again and repeat the request once (on a
real Keystone: tests/functional/test_keystone_mode.py)."""
import testtools

from hurtle.occi import errors
from hurtle.occi import server
from hurtle.sm import peers


class Tokens(object):
    """Stands in for the keystoneauth1 session: issues t1, t2, ..."""

    def __init__(self):
        self.issued = 0
        self.token = None

    def get_token(self):
        if self.token is None:
            self.issued += 1
            self.token = 't%d' % self.issued
        return self.token

    def invalidate(self):
        self.token = None
        return True


class ServiceTokenClientTest(testtools.TestCase):

    def serve(self, accepted):
        """A peer accepting only the tokens in ``accepted``; returns the
        list of tokens it received."""
        seen = []

        def app(environ, start_response):
            token = environ.get('HTTP_X_AUTH_TOKEN')
            seen.append(token)
            if token not in accepted:
                start_response('401 Unauthorized',
                               [('Content-Type', 'text/plain')])
                return [b'Authentication required\n']
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return [b'']
        srv, _thread = server.serve_in_thread(app)
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        self.url = 'http://127.0.0.1:%d/' % srv.server_port
        return seen

    def client(self, tokens):
        return peers.ServiceTokenClient(
            'cloud controller (CC)', tokens, self.url, retries=0,
            headers={'X-Auth-Token': tokens.get_token()})

    def test_a_refused_token_is_replaced_once(self):
        seen = self.serve({'t2'})
        tokens = Tokens()
        client = self.client(tokens)
        self.assertEqual(200, client.request('GET', '/app/').status_code)
        self.assertEqual(['t1', 't2'], seen)
        # The new token is kept for the next requests.
        client.request('GET', '/app/')
        self.assertEqual(['t1', 't2', 't2'], seen)

    def test_a_second_refusal_is_the_callers(self):
        seen = self.serve(set())
        client = self.client(Tokens())
        self.assertRaises(errors.Unauthorized, client.request, 'GET',
                          '/app/')
        self.assertEqual(['t1', 't2'], seen)
