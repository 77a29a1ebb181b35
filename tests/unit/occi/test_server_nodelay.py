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
"""The OCCI server's connections send without Nagle's delay
(``TCP_NODELAY``): the headers and the body are separate sends."""
import socket
import threading

import requests
import testtools

from hurtle.occi import server


class NoDelayTest(testtools.TestCase):

    def test_served_connection_has_tcp_nodelay(self):
        sockets = {}

        def app(environ, start_response):
            conn = sockets[threading.current_thread()]
            body = b'%d' % conn.getsockopt(socket.IPPROTO_TCP,
                                           socket.TCP_NODELAY)
            start_response('200 OK', [('Content-Length', str(len(body)))])
            return [body]
        srv = server.make_server(app, '127.0.0.1', 0, keep_alive=True)
        finish = srv.finish_request

        def finish_request(request, client_address):
            sockets[threading.current_thread()] = request
            finish(request, client_address)
        srv.finish_request = finish_request
        thread = threading.Thread(target=srv.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        resp = requests.get('http://127.0.0.1:%d/' % srv.server_port,
                            timeout=10)
        self.assertEqual(200, resp.status_code)
        self.assertNotEqual('0', resp.text)
