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
"""A small multi-threaded WSGI server (stdlib ``wsgiref``).

Each request runs in its own daemon thread.  Request lines are logged at
INFO through :mod:`logging` (logger ``hurtle.occi.server``) without the
query string values, so no secret passed in a query reaches the logs.
"""

import logging
import socketserver
import threading
import urllib.parse
from wsgiref import simple_server

LOG = logging.getLogger(__name__)


class _Handler(simple_server.WSGIRequestHandler):

    def log_request(self, code='-', size='-'):
        # A request line that did not parse (sent back as 400/414/505 by
        # http.server) leaves no path and no command.
        path = getattr(self, 'path', None) or ''
        parsed = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        shown = parsed.path
        if query:
            shown += '?' + '&'.join('%s=...' % k if k != 'action' else
                                    'action=%s' % v[-1][:40]
                                    for k, v in query.items())
        LOG.info('%s "%s %s" %s %s', self.client_address[0],
                 getattr(self, 'command', None) or '-', shown, code, size)

    def log_message(self, fmt, *args):
        LOG.debug('%s %s', self.client_address[0], fmt % args)

    def get_stderr(self):
        # wsgiref writes tracebacks of broken apps here: send them to the
        # log instead of the client or stderr.
        return _LogStream()


class _LogStream(object):
    def write(self, text):
        if text.strip():
            LOG.error('%s', text.rstrip())

    def flush(self):
        pass


class ThreadingWSGIServer(socketserver.ThreadingMixIn,
                          simple_server.WSGIServer):
    """``wsgiref`` server, one daemon thread per request."""

    daemon_threads = True
    allow_reuse_address = True


def make_server(app, host='127.0.0.1', port=0):
    """Create (bind, not start) a threaded WSGI server for ``app``.

    :param port: TCP port; 0 picks a free one (see ``server.server_port``).
    :returns: server with ``serve_forever()``, ``shutdown()``,
        ``server_close()`` and ``server_port``.
    """
    return simple_server.make_server(host, port, app,
                                     server_class=ThreadingWSGIServer,
                                     handler_class=_Handler)


def serve_in_thread(app, host='127.0.0.1', port=0):
    """Start serving ``app`` in a daemon thread (for tests and tools).

    :returns: ``(server, thread)``; stop with ``server.shutdown()`` then
        ``server.server_close()``.
    """
    server = make_server(app, host, port)
    thread = threading.Thread(target=server.serve_forever,
                              kwargs={'poll_interval': 0.05},
                              name='occi-server-%d' % server.server_port,
                              daemon=True)
    thread.start()
    return server, thread
