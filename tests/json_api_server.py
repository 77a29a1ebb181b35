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
"""A loopback JSON API server for the simulators of OpenStack REST APIs
(tests/aodh_simulator.py, monasca_simulator.py, designate_simulator.py).

A simulator subclasses :class:`JSONAPIServer`, lists its routes as
``(method, path regex, handler name)`` and raises :class:`Reply` for
errors. Every request must carry ``X-Auth-Token`` equal to ``token``
(401 otherwise); request bodies must be JSON objects (400 otherwise).
``requests`` keeps ``(method, path, body)`` of every request.
"""
import http.server
import json
import re
import threading
from urllib import parse


class Reply(Exception):
    """Answer ``status`` with ``body`` (a JSON-able value or None)."""

    def __init__(self, status, body=None):
        super().__init__(status)
        self.status = status
        self.body = body


class JSONAPIServer(object):
    """Base of the simulators; ``url`` is ``http://127.0.0.1:<port>``."""

    #: ``[(method, regex, handler name)]``; groups become arguments.
    ROUTES = []

    def __init__(self, token='sim-token'):
        self.token = token
        self.requests = []
        self.lock = threading.RLock()
        self._server = None
        self._routes = [(m, re.compile('^%s$' % r), h)
                        for m, r, h in self.ROUTES]

    def error(self, status, message):
        """The service's error body for ``status`` (override)."""
        return {'error': message}

    def start(self, port=0):
        """Listen on 127.0.0.1:``port`` (0: a free one; give the old
        ``port`` to start a stopped simulator again at the same URL)."""
        sim = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def _handle(self):
                if sim._server is None:
                    # Stopped: a keep-alive connection opened before is
                    # dropped unanswered, as a dead service's would be.
                    self.close_connection = True
                    return
                sim._dispatch(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

        self._server = http.server.ThreadingHTTPServer(('127.0.0.1', port),
                                                       Handler)
        self._server.daemon_threads = True
        self._port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever,
                         daemon=True).start()
        return self

    @property
    def running(self):
        """Whether it listens (started and not stopped)."""
        return self._server is not None

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self._port

    def stop(self):
        """Stop listening and drop the connections kept alive."""
        server, self._server = self._server, None
        if server:
            server.shutdown()
            server.server_close()

    def _send(self, handler, status, body):
        data = b'' if body is None else json.dumps(body).encode('utf-8')
        handler.send_response(status)
        if data:
            handler.send_header('Content-Type', 'application/json')
        handler.send_header('Content-Length', str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    def _dispatch(self, handler):
        url = parse.urlsplit(handler.path)
        length = int(handler.headers.get('Content-Length') or 0)
        raw = handler.rfile.read(length) if length else b''
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = ValueError
        with self.lock:
            self.requests.append((handler.command, url.path, body))
        try:
            if handler.headers.get('X-Auth-Token') != self.token:
                raise Reply(401, self.error(401, 'authentication required'))
            if body is ValueError:
                raise Reply(400, self.error(400, 'the body is not JSON'))
            query = parse.parse_qs(url.query)
            for method, regex, name in self._routes:
                match = regex.match(url.path)
                if match and method == handler.command:
                    with self.lock:
                        status, out = getattr(self, name)(
                            query, body, *match.groups())
                    break
            else:
                raise Reply(404, self.error(404, 'no route %s %s'
                                            % (handler.command, url.path)))
        except Reply as reply:
            status, out = reply.status, reply.body
        self._send(handler, status, out)
