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
"""The SM's peer clients share one keep-alive HTTP session per thread and
take no cookies."""
import http.server
import os
import threading
import types

import testtools

from hurtle.sm import peers
from tests import conf_fixture
from tests import proc_sockets


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers 200 with a cookie; records each request's client port and
    Cookie header on the server."""

    protocol_version = 'HTTP/1.1'

    def do_GET(self):
        self.server.seen.append((self.client_address[1],
                                 self.headers.get('Cookie')))
        body = b'ok'
        self.send_response(200)
        self.send_header('Set-Cookie', 'peer=evil; Path=/')
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class PeerSessionTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      _Recorder)
        self.server.seen = []
        thread = threading.Thread(target=self.server.serve_forever,
                                  daemon=True)
        thread.start()
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        conf = self.useFixture(conf_fixture.HurtleConf()).conf
        self.peers = peers.Peers(conf)
        self.row = types.SimpleNamespace(
            so_url='http://127.0.0.1:%d/' % self.server.server_port,
            so_secret='s3cret', project='p1', attributes={})

    def get(self):
        self.peers.so(self.row).request('GET', '/orchestrator/default')

    def test_calls_of_one_thread_reuse_the_connection_without_cookies(self):
        for _ in range(3):
            self.get()
        ports = {port for port, _cookie in self.server.seen}
        self.assertEqual(1, len(ports), self.server.seen)
        self.assertEqual([None] * 3,
                         [cookie for _port, cookie in self.server.seen])

    def test_each_thread_has_its_own_session(self):
        sessions = []

        def run():
            sessions.append(self.peers.http_session())
            self.get()
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertIsNot(sessions[0], sessions[1])
        self.assertIs(self.peers.http_session(), self.peers.http_session())

    def _tcp_states(self):
        """TCP states of this process's sockets open to the server."""
        return proc_sockets.open_connections(os.getpid(),
                                             self.server.server_port)

    def test_a_forgotten_endpoint_is_let_go_by_every_thread(self):
        other_ready = threading.Event()
        go_on = threading.Event()

        def other():
            self.get()
            other_ready.set()
            go_on.wait(10)      # idle, holding its kept-alive connection
            self.get()
        thread = threading.Thread(target=other)
        thread.start()
        self.addCleanup(thread.join)
        self.addCleanup(go_on.set)
        self.get()
        other_ready.wait(10)
        # Two kept-alive connections (ESTABLISHED: 01), one per thread.
        self.assertEqual(['01', '01'], self._tcp_states())
        self.peers.forget_endpoint(
            'http://127.0.0.1:%d/orchestrator/' % self.server.server_port)
        # Both closed at once, the idle thread's too.
        self.assertEqual([], self._tcp_states())
        # Calls go on, on a new connection.
        go_on.set()
        thread.join()
        self.get()
        self.assertEqual(['01'], self._tcp_states())

    def test_close_pools_leaves_other_ports_alone(self):
        session = self.peers.http_session()
        self.get()
        peers.close_pools(session, '127.0.0.1', self.server.server_port + 1)
        self.assertEqual(['01'], self._tcp_states())
        peers.close_pools(session, '127.0.0.1', self.server.server_port)
        self.assertEqual([], self._tcp_states())
