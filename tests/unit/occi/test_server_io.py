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
"""``hurtle.occi.server``'s socket handling (real sockets): connections
are non-blocking and polled only when a read or write would block;
pipelined requests, large responses to slow readers and write stalls;
clients that go away are no error; the ``Date`` header."""
import email.utils
import logging
import socket
import struct
import threading
import time

import fixtures
import testtools

from hurtle.occi import server
from tests.unit.occi import base

BIG = 16 * 1024 * 1024


def _app(environ, start_response):
    path = environ['PATH_INFO']
    if path == '/big':
        body = b'x' * BIG
    elif path == '/dated':
        start_response('200 OK', [('Date', 'Mon, 01 Jan 2024 00:00:00 GMT'),
                                  ('Content-Length', '2')])
        return [b'ok']
    else:
        body = path.encode()
    start_response('200 OK', [('Content-Type', 'text/plain'),
                              ('Content-Length', str(len(body)))])
    return [body]


def _read_response(sock):
    """One response (head, Content-Length body) as (head, body), from
    the socket's reader (kept between responses: pipelined ones arrive
    together)."""
    reader = getattr(sock, 'reader', None)
    if reader is None:
        reader = sock.reader = sock.makefile('rb')
    lines = []
    while True:
        line = reader.readline(65537)
        if not line:
            raise AssertionError('closed after %r' % lines)
        if line == b'\r\n':
            break
        lines.append(line)
    head = b''.join(lines).decode('latin-1').rstrip('\r\n')
    length = 0
    for name, value in _headers(head):
        if name.lower() == 'content-length':
            length = int(value)
    return head, reader.read(length)


def _headers(head):
    return [tuple(part.strip() for part in line.split(':', 1))
            for line in head.split('\r\n')[1:]]


class _Socket(socket.socket):
    """A client socket that can carry its reader."""


class ServerIOTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(
            name='hurtle.occi.server', level=logging.DEBUG))

    def serve(self, **options):
        srv = base.serve_for(self, _app, **options)
        self.srv = srv
        return srv.server_port

    def connect(self, port):
        sock = _Socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.settimeout(30)
        sock.connect(('127.0.0.1', port))
        self.addCleanup(sock.close)
        return sock

    def test_pipelined_requests_are_all_answered_in_order(self):
        sock = self.connect(self.serve())
        sock.sendall(b''.join(b'GET /r%d HTTP/1.1\r\nHost: x\r\n\r\n' % i
                              for i in range(20)))
        for i in range(20):
            head, body = _read_response(sock)
            self.assertTrue(head.startswith('HTTP/1.1 200 '), head)
            self.assertEqual(b'/r%d' % i, body)

    def test_many_requests_on_one_connection(self):
        sock = self.connect(self.serve())
        for i in range(200):
            sock.sendall(b'GET /n%d HTTP/1.1\r\nHost: x\r\n\r\n' % i)
            self.assertEqual(b'/n%d' % i, _read_response(sock)[1])

    def test_a_large_response_reaches_a_slow_reader_whole(self):
        sock = self.connect(self.serve(header_timeout=5))
        sock.sendall(b'GET /big HTTP/1.1\r\nHost: x\r\n\r\n')
        time.sleep(1)   # the socket buffers fill, the server's sends wait
        head, body = _read_response(sock)
        self.assertEqual(BIG, len(body))
        # The connection is still good for the next request.
        sock.sendall(b'GET /after HTTP/1.1\r\nHost: x\r\n\r\n')
        self.assertEqual(b'/after', _read_response(sock)[1])

    def test_a_reader_that_stalls_is_given_up_after_the_timeout(self):
        port = self.serve(header_timeout=1, pool_size=2)
        sock = self.connect(port)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.sendall(b'GET /big HTTP/1.1\r\nHost: x\r\n\r\n')
        # Never read: the worker gives up and frees its slot.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.srv._slots._value == 2:
                break
            time.sleep(0.1)
        self.assertEqual(2, self.srv._slots._value)
        other = self.connect(port)
        other.sendall(b'GET /still HTTP/1.1\r\nHost: x\r\n\r\n')
        self.assertEqual(b'/still', _read_response(other)[1])

    def test_date_header_once_and_current(self):
        sock = self.connect(self.serve())
        sock.sendall(b'GET /a HTTP/1.1\r\nHost: x\r\n\r\n')
        head, _body = _read_response(sock)
        names = [name for name, _value in _headers(head)]
        self.assertEqual(1, names.count('Date'))
        # Status line, then Date and Server as wsgiref sends them.
        self.assertEqual(['Date', 'Server'], names[:2])
        sent = email.utils.parsedate_to_datetime(dict(_headers(head))['Date'])
        self.assertLess(abs(sent.timestamp() - time.time()), 5)
        # The application's own Date is kept, not doubled.
        sock.sendall(b'GET /dated HTTP/1.1\r\nHost: x\r\n\r\n')
        head, _body = _read_response(sock)
        dates = [v for n, v in _headers(head) if n.lower() == 'date']
        self.assertEqual(['Mon, 01 Jan 2024 00:00:00 GMT'], dates)

    def test_date_line_follows_the_clock(self):
        clock = [1700000000.2]
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.occi.server.time.time', lambda: clock[0]))
        first = server._date_line()
        self.assertEqual('Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n', first)
        clock[0] += 0.5
        self.assertIs(first, server._date_line())
        clock[0] += 1
        self.assertEqual('Date: Tue, 14 Nov 2023 22:13:21 GMT\r\n',
                         server._date_line())

    def test_clients_resetting_mid_response_are_no_error(self):
        port = self.serve()
        for _ in range(20):
            sock = socket.create_connection(('127.0.0.1', port))
            # Close with RST as soon as the request is out.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                            struct.pack('ii', 1, 0))
            sock.sendall(b'GET /big HTTP/1.1\r\nHost: x\r\n\r\n')
            sock.recv(10)
            sock.close()
        sock = self.connect(port)
        sock.sendall(b'GET /fine HTTP/1.1\r\nHost: x\r\n\r\n')
        self.assertEqual(b'/fine', _read_response(sock)[1])
        self.assertNotIn('Traceback', self.log.output)
        self.assertNotIn('Error serving', self.log.output)

    def test_handle_error_logs_a_gone_client_in_one_debug_line(self):
        self.serve()
        records = []
        handler = logging.Handler()
        handler.emit = records.append
        logger = logging.getLogger('hurtle.occi.server')
        logger.addHandler(handler)
        self.addCleanup(logger.removeHandler, handler)
        for error in (BrokenPipeError(32, 'Broken pipe'),
                      ConnectionResetError(104, 'Connection reset')):
            try:
                raise error
            except OSError:
                self.srv.handle_error(None, ('192.0.2.1', 1))
        self.assertEqual([logging.DEBUG, logging.DEBUG],
                         [record.levelno for record in records])
        self.assertTrue(all(record.exc_info is None for record in records))
        self.assertIn('192.0.2.1 went away: BrokenPipeError',
                      records[0].getMessage())
        # Anything else is an error, with its traceback.
        del records[:]
        try:
            raise ValueError('bug')
        except ValueError:
            self.srv.handle_error(None, ('192.0.2.1', 1))
        self.assertEqual([logging.ERROR], [r.levelno for r in records])
        self.assertIsNotNone(records[0].exc_info)

    def test_served_sockets_are_non_blocking(self):
        seen = []

        def app(environ, start_response):
            seen.append(threading.current_thread())
            start_response('200 OK', [('Content-Length', '0')])
            return []
        srv, thread = server.serve_in_thread(app)
        self.addCleanup(thread.join, 5)
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        handlers = []
        real = server._Handler.setup

        def setup(handler):
            real(handler)
            handlers.append(handler)
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.occi.server._Handler.setup', setup))
        sock = self.connect(srv.server_port)
        sock.sendall(b'GET / HTTP/1.1\r\nHost: x\r\n\r\n')
        _read_response(sock)
        self.assertEqual(1, len(handlers))
        self.assertEqual(0.0, handlers[0].connection.gettimeout())

    def test_request_lines_logged_at_info_without_query_values(self):
        sock = self.connect(self.serve())
        sock.sendall(b'GET /q?token=s3cret&action=start HTTP/1.1\r\n'
                     b'Host: x\r\n\r\n')
        _read_response(sock)
        deadline = time.monotonic() + 5
        while 'GET /q' not in self.log.output and \
                time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertIn('"GET /q?token=...&action=start" 200', self.log.output)
        self.assertNotIn('s3cret', self.log.output)

    def test_no_request_line_work_when_info_is_off(self):
        logging.getLogger('hurtle.occi.server').setLevel(logging.WARNING)
        parsed = []
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.occi.server.urllib.parse.parse_qs',
            lambda *args, **kwargs: parsed.append(args) or {}))
        sock = self.connect(self.serve())
        for _ in range(2):
            # The second answer comes after the first request's log.
            sock.sendall(b'GET /q?token=s3cret HTTP/1.1\r\n'
                         b'Host: x\r\n\r\n')
            self.assertEqual(b'/q', _read_response(sock)[1])
        self.assertEqual([], parsed)
        self.assertNotIn('GET /q', self.log.output)
