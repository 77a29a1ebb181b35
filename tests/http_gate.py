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
"""An HTTP forwarder in front of a real service (the embedded Heat) that
can hold a request and lose its answer, as a slow or overloaded service
and a broken connection do.

``Gate(upstream)`` serves on a loopback port (``.url``, HTTP/1.0: one
request per connection) and forwards every request to ``upstream``
unchanged (``Host`` too, so the service's redirects point back at the
gate). :meth:`Gate.lose_next` picks one request to come (by method and
path), optionally held (forwarded only once :meth:`Gate.release` is
called), whose answer is lost: the caller's connection is closed without
one ``'after'`` the request was forwarded (the service did the work) or
``'before'`` (closed first, then forwarded: the work is done once the
caller gave up), or forwarded at once and its answer held, then lost
(``'late'``). ``.lost`` counts the answers lost so far.
"""
import http.server
import socket
import threading

import requests

from tests import net

#: Headers not copied between the caller and the upstream service.
HOP_BY_HOP = frozenset(['connection', 'keep-alive', 'transfer-encoding',
                        'content-length', 'proxy-connection', 'te',
                        'trailer', 'upgrade'])


class Gate(object):
    """See the module docstring; stop it with :meth:`stop`."""

    def __init__(self, upstream):
        self.upstream = upstream.rstrip('/')
        self._rule = None
        self._lock = threading.Lock()
        self._open = threading.Event()
        self._picked = threading.Event()   # set: no picked request runs
        self._picked.set()
        self._lost = threading.Semaphore(0)
        self.lost = 0
        gate = self

        class Handler(http.server.BaseHTTPRequestHandler):
            # HTTP/1.0: one request per connection, none kept open.
            protocol_version = 'HTTP/1.0'

            def log_message(self, *args):
                pass

            def _handle(self):
                gate._forward(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = \
                _handle

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                      Handler)
        self.server.daemon_threads = True
        self._stop = net.serve_in_thread(self.server)
        self.url = 'http://127.0.0.1:%d' % self.server.server_port

    def lose_next(self, method, part, when='after', held=False):
        """The next request ``method`` whose path contains ``part`` loses
        its answer ``when`` (``'after'`` or ``'before'``) it is forwarded;
        ``held``: it is forwarded only once :meth:`release` is called.
        ``'late'``: forwarded at once, its answer lost once released."""
        self._open.clear()
        if not held:
            self._open.set()
        self._picked.set()
        self._rule = (method, part, when)

    def release(self):
        """Let a held request go."""
        self._open.set()

    def wait_lost(self, timeout=60):
        """Wait until one more answer was lost; False on timeout."""
        return self._lost.acquire(timeout=timeout)

    def stop(self):
        """Let a held request go and wait until it was forwarded; stop
        serving."""
        self._rule = None
        self.release()
        self._picked.wait(120)
        self._stop()
        self.server.server_close()

    @staticmethod
    def _body(handler):
        length = int(handler.headers.get('Content-Length') or 0)
        return handler.rfile.read(length) if length else None

    def _send(self, handler, body):
        headers = {k: v for k, v in handler.headers.items()
                   if k.lower() not in HOP_BY_HOP}
        return requests.request(handler.command, self.upstream + handler.path,
                                headers=headers, data=body,
                                allow_redirects=False, timeout=60)

    def _forward(self, handler):
        with self._lock:
            rule = self._rule
            if rule and handler.command == rule[0] and \
                    rule[1] in handler.path:
                self._rule = None
                self._picked.clear()
            else:
                rule = None
        if rule:
            try:
                self._lose(handler, rule[2])
            finally:
                self._picked.set()
            return
        resp = self._send(handler, self._body(handler))
        handler.send_response(resp.status_code)
        for name, value in resp.headers.items():
            if name.lower() not in HOP_BY_HOP:
                handler.send_header(name, value)
        handler.send_header('Content-Length', str(len(resp.content)))
        handler.end_headers()
        if handler.command != 'HEAD':
            handler.wfile.write(resp.content)

    def _lose(self, handler, when):
        body = self._body(handler)
        handler.close_connection = True
        if when == 'before':
            handler.connection.shutdown(socket.SHUT_RDWR)
            self._count_lost()
            self._open.wait(120)
            self._send(handler, body)
        elif when == 'late':
            self._send(handler, body)
            self._open.wait(120)
            self._count_lost()
        else:
            self._open.wait(120)
            self._send(handler, body)
            self._count_lost()

    def _count_lost(self):
        self.lost += 1
        self._lost.release()
