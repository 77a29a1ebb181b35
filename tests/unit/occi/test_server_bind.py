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
"""``hurtle.occi.server.make_server``: bind now, listen later (the
embedded Heat binds before loading Heat, listens once its app is ready);
IPv6 addresses."""
import errno
import socket

import requests
import testtools

from hurtle.occi import server
from tests import net


def _hello(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain'),
                              ('Content-Length', '5')])
    return [b'hello']


class BindTest(testtools.TestCase):

    def start(self, srv):
        self.addCleanup(net.serve_in_thread(srv))

    def test_bound_not_listening_refuses_until_activated(self):
        srv = server.make_server(None, '127.0.0.1', 0, listen=False)
        self.addCleanup(srv.server_close)
        port = srv.server_port
        self.assertNotEqual(0, port)
        err = self.assertRaises(OSError, socket.create_connection,
                                ('127.0.0.1', port), 5)
        self.assertEqual(errno.ECONNREFUSED, err.errno)
        srv.set_app(_hello)
        srv.server_activate()
        self.start(srv)
        resp = requests.get('http://127.0.0.1:%d/' % port, timeout=10)
        self.assertEqual((200, 'hello'), (resp.status_code, resp.text))

    def test_a_port_listened_on_is_in_use_at_bind(self):
        taken = server.make_server(_hello, '127.0.0.1', 0)
        self.addCleanup(taken.server_close)
        err = self.assertRaises(OSError, server.make_server, None,
                                '127.0.0.1', taken.server_port, listen=False)
        self.assertEqual(errno.EADDRINUSE, err.errno)

    def test_ipv6_loopback(self):
        srv = server.make_server(_hello, '::1', 0)
        self.addCleanup(srv.server_close)
        self.assertEqual(socket.AF_INET6, srv.socket.family)
        self.start(srv)
        resp = requests.get('http://[::1]:%d/' % srv.server_port, timeout=10)
        self.assertEqual((200, 'hello'), (resp.status_code, resp.text))
