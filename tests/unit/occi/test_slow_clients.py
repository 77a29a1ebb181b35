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
"""The server against slow, stalled and chunking clients (real sockets).

Stalled clients are closed after the read timeouts, normal requests are
answered meanwhile, a full pool answers 503 with Retry-After, chunked
bodies are decoded with the same size limit, keep-alive serves several
requests on one connection.
"""

import http.client
import socket
import threading
import time

import requests
import testtools

from hurtle.occi import server
from tests.unit.occi import base

STALLED = 50
TIMEOUT = 2.0


def _connect(port):
    sock = socket.create_connection(('127.0.0.1', port), timeout=30)
    return sock


def _read_all(sock, limit=30):
    """Everything the server sends until it closes (bounded wait)."""
    sock.settimeout(limit)
    chunks = []
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            break
        if not data:
            break
        chunks.append(data)
    return b''.join(chunks)


def _read_response(sock):
    """One whole response (head and Content-Length body) from a kept-alive
    connection, leaving the connection open."""
    data = b''
    while b'\r\n\r\n' not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _sep, body = data.partition(b'\r\n\r\n')
    length = 0
    for line in head.split(b'\r\n')[1:]:
        name, _colon, value = line.partition(b':')
        if name.strip().lower() == b'content-length':
            length = int(value)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b'\r\n\r\n' + body


def _status(raw):
    return int(raw.split(b' ', 2)[1]) if raw.startswith(b'HTTP/') else None


class ServerTest(testtools.TestCase):

    def serve(self, **options):
        app, _back = base.make_app(broken=False)
        self.app = app
        srv = base.serve_for(self, app, **options)
        self.port = srv.server_port
        self.base = 'http://127.0.0.1:%d' % self.port
        return srv

    def raw(self, data, project=True):
        sock = _connect(self.port)
        self.addCleanup(sock.close)
        sock.sendall(data)
        return sock


class TestStalledClients(ServerTest):

    def test_fifty_stalled_connections(self):
        self.serve(header_timeout=TIMEOUT, body_timeout=TIMEOUT,
                   pool_size=STALLED + 10)
        stalled = []
        for index in range(STALLED):
            if index % 2:
                # Partial headers, never finished.
                data = (b'GET /-/ HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                        b'X-Project-Id: p1\r\nAcc')
            else:
                # A body shorter than its Content-Length.
                data = (b'POST /app/ HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                        b'X-Project-Id: p1\r\nContent-Type: text/plain\r\n'
                        b'Content-Length: 1000\r\n\r\nCategory: app')
            stalled.append(self.raw(data))
        # Meanwhile, normal requests are answered.
        for _ in range(5):
            resp = requests.get(self.base + '/-/', timeout=10,
                                headers={'X-Project-Id': 'p1'})
            self.assertEqual(200, resp.status_code)
        # Each stalled connection is answered 408 and closed.
        answers = [_read_all(sock) for sock in stalled]
        self.assertEqual([408] * STALLED, [_status(a) for a in answers])
        for answer in answers:
            self.assertIn(b'connection: close', answer.lower())

    def test_trickling_headers_are_cut_at_the_deadline(self):
        self.serve(header_timeout=TIMEOUT, body_timeout=TIMEOUT)
        sock = self.raw(b'GET /-/ HTTP/1.1\r\n')
        started = time.monotonic()
        # One header byte every 0.3 s would hold a per-read timeout forever.
        closed = False
        while time.monotonic() - started < 20:
            try:
                sock.sendall(b'X')
            except OSError:
                closed = True
                break
            sock.settimeout(0.3)
            try:
                data = sock.recv(4096)
            except socket.timeout:
                continue
            self.assertEqual(408, _status(data))
            closed = True
            break
        self.assertTrue(closed, 'trickling client never cut off')

    def test_saturated_pool_answers_503_with_retry_after(self):
        self.serve(header_timeout=10, body_timeout=10, pool_size=2)
        for _ in range(2):
            self.raw(b'GET /-/ HTTP/1.1\r\nHost: x\r\n')
        time.sleep(0.3)     # let both connections take their workers
        sock = self.raw(b'GET /-/ HTTP/1.1\r\nHost: x\r\n\r\n')
        answer = _read_all(sock)
        self.assertEqual(503, _status(answer))
        self.assertIn(b'retry-after: 1', answer.lower())

    def test_idle_connections_make_room_for_new_ones(self):
        # 150 connections on a pool of 100, idle after a request (kept
        # alive) or before any: a new client is still served, and the
        # connections taken for it were the ones idle longest.
        self.serve(pool_size=100, idle_timeout=60, header_timeout=60)
        kept = []
        for _ in range(75):
            sock = self.raw(b'GET /-/ HTTP/1.1\r\nHost: x\r\n'
                            b'X-Project-Id: p\r\n\r\n')
            sock.settimeout(10)
            self.assertEqual(200, _status(_read_response(sock)))
            kept.append(sock)
        silent = [self.raw(b'') for _ in range(75)]
        for _ in range(5):
            resp = requests.get(self.base + '/-/', timeout=10,
                                headers={'X-Project-Id': 'p'})
            self.assertEqual(200, resp.status_code)
        # The oldest idle connections were closed, quietly.
        self.assertEqual(b'', _read_all(kept[0], limit=10))
        # The newest still serves its next request.
        silent[-1].sendall(b'GET /-/ HTTP/1.1\r\nHost: x\r\n'
                           b'X-Project-Id: p\r\nConnection: close\r\n\r\n')
        self.assertEqual(200, _status(_read_all(silent[-1])))

    def test_connections_within_a_request_are_not_taken(self):
        self.serve(header_timeout=10, body_timeout=10, pool_size=2)
        busy = [self.raw(b'GET /-/ HTTP/1.1\r\nHost: x\r\n')
                for _ in range(2)]
        time.sleep(0.3)     # let both connections take their workers
        sock = self.raw(b'GET /-/ HTTP/1.1\r\nHost: x\r\n\r\n')
        self.assertEqual(503, _status(_read_all(sock)))
        # The partial requests are still being read: they complete.
        busy[0].sendall(b'X-Project-Id: p\r\nConnection: close\r\n\r\n')
        self.assertEqual(200, _status(_read_all(busy[0])))

    def test_listen_backlog_is_at_least_128(self):
        srv = self.serve()
        self.assertGreaterEqual(srv.request_queue_size, 128)


class TestKeepAlive(ServerTest):

    def test_several_requests_on_one_connection(self):
        self.serve()
        sock = self.raw(b'GET /-/ HTTP/1.1\r\nHost: x\r\nX-Project-Id: p\r\n'
                        b'\r\n')
        sock.settimeout(10)
        reader = sock.makefile('rb')
        statuses = []
        for index in range(3):
            line = reader.readline()
            statuses.append(_status(line))
            length = 0
            while True:
                header = reader.readline()
                if header in (b'\r\n', b''):
                    break
                name, _sep, value = header.partition(b':')
                if name.strip().lower() == b'content-length':
                    length = int(value)
            reader.read(length)
            if index < 2:
                sock.sendall(b'GET /-/ HTTP/1.1\r\nHost: x\r\n'
                             b'X-Project-Id: p\r\n\r\n')
        self.assertEqual([200, 200, 200], statuses)

    def test_responses_without_a_body_leave_at_once(self):
        # Responses are buffered and sent in one piece: one without a
        # body (204, HEAD) must be sent too, not wait for the next one.
        def empty(environ, start_response):
            start_response('204 No Content', [])
            return []
        srv, thread = server.serve_in_thread(empty)
        self.addCleanup(thread.join, 5)
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        conn = http.client.HTTPConnection('127.0.0.1', srv.server_port,
                                          timeout=10)
        self.addCleanup(conn.close)
        for method in ('GET', 'HEAD', 'GET'):
            conn.request(method, '/')
            resp = conn.getresponse()
            self.assertEqual(b'', resp.read())
            self.assertEqual(204, resp.status)

    def test_expect_100_continue_is_answered_before_the_body(self):
        self.serve()
        body = b'Category: %s\n' % base.APP_CAT.encode()
        sock = self.raw(b'POST /app/ HTTP/1.1\r\nHost: x\r\n'
                        b'X-Project-Id: p\r\nContent-Type: text/plain\r\n'
                        b'Expect: 100-continue\r\nContent-Length: %d\r\n'
                        b'\r\n' % len(body))
        sock.settimeout(10)
        self.assertEqual(b'HTTP/1.1 100 Continue\r\n\r\n',
                         sock.recv(65536))

    def test_expect_100_continue_refused_at_once_without_a_100(self):
        # A body past max_body is refused before the client sends it:
        # no interim 100 (the client would then send 2 MB for nothing).
        self.serve()
        sock = self.raw(b'POST /app/ HTTP/1.1\r\nHost: x\r\n'
                        b'X-Project-Id: p\r\nContent-Type: text/plain\r\n'
                        b'Expect: 100-continue\r\nContent-Length: 2000000\r\n'
                        b'\r\n')
        answer = _read_all(sock)
        self.assertTrue(answer.startswith(b'HTTP/1.1 413 '), answer[:200])
        self.assertNotIn(b'100 Continue', answer)
        self.assertEqual(1, answer.count(b'HTTP/1.1 '))

    def test_idle_connection_closed_quietly_and_worker_freed(self):
        self.serve(pool_size=1, idle_timeout=0.5, header_timeout=10)
        sock = self.raw(b'GET /-/ HTTP/1.1\r\nHost: x\r\nX-Project-Id: p\r\n'
                        b'\r\n')
        answer = _read_all(sock)    # the answer, then the quiet close
        self.assertEqual(200, _status(answer))
        self.assertEqual(1, answer.count(b'HTTP/1.1 '))
        # the only worker is free again (bounded wait: it is released
        # just after the socket closes)
        deadline = time.monotonic() + 10
        while True:
            resp = requests.get(self.base + '/-/', timeout=10,
                                headers={'X-Project-Id': 'p'})
            if resp.status_code != 503 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        self.assertEqual(200, resp.status_code)

    def test_unread_body_closes_the_connection(self):
        self.serve(keep_alive=True)
        # 413 before the body is read: the connection cannot be reused.
        big = 2 * 1024 * 1024
        sock = self.raw(b'POST /app/ HTTP/1.1\r\nHost: x\r\nX-Project-Id: p'
                        b'\r\nContent-Length: %d\r\n\r\n' % big)
        answer = _read_all(sock)
        self.assertEqual(413, _status(answer))
        self.assertIn(b'connection: close', answer.lower())

    def test_keep_alive_off_closes_after_each_response(self):
        self.serve(keep_alive=False)
        sock = self.raw(b'GET /-/ HTTP/1.1\r\nHost: x\r\nX-Project-Id: p\r\n'
                        b'\r\n')
        answer = _read_all(sock)
        self.assertEqual(200, _status(answer))


class TestChunkedBodies(ServerTest):

    CREATE = (b'Category: app; scheme="http://schemas.ogf.org/occi/'
              b'platform#"; class="kind"\n'
              b'X-OCCI-Attribute: occi.app.name="c1"\n'
              b'X-OCCI-Attribute: occi.app.image="img"\n')

    @staticmethod
    def _chunked(body, size=10):
        out = b''
        for start in range(0, len(body), size):
            piece = body[start:start + size]
            out += b'%x\r\n%s\r\n' % (len(piece), piece)
        return out + b'0\r\n\r\n'

    def _post(self, payload, extra=b''):
        return self.raw(b'POST /app/ HTTP/1.1\r\nHost: x\r\n'
                        b'X-Project-Id: p1\r\nContent-Type: text/plain\r\n'
                        b'Connection: close\r\n' + extra +
                        b'Transfer-Encoding: chunked\r\n\r\n' + payload)

    def test_chunked_create(self):
        self.serve()
        answer = _read_all(self._post(self._chunked(self.CREATE)))
        self.assertEqual(201, _status(answer), answer)
        listing = requests.get(self.base + '/app/', timeout=10, headers={
            'X-Project-Id': 'p1', 'Accept': 'text/uri-list'})
        self.assertEqual(1, len(listing.text.split()))

    def test_chunked_then_keep_alive(self):
        self.serve()
        sock = self.raw(b'POST /app/ HTTP/1.1\r\nHost: x\r\n'
                        b'X-Project-Id: p1\r\nContent-Type: text/plain\r\n'
                        b'Transfer-Encoding: chunked\r\n\r\n' +
                        self._chunked(self.CREATE) +
                        b'GET /app/ HTTP/1.1\r\nHost: x\r\nX-Project-Id: p1'
                        b'\r\nAccept: text/uri-list\r\nConnection: close'
                        b'\r\n\r\n')
        answer = _read_all(sock)
        self.assertEqual(2, answer.count(b'HTTP/1.1 '))
        self.assertIn(b'201 Created', answer)
        self.assertIn(b'200 OK', answer)

    def test_chunked_body_over_the_limit_is_413(self):
        self.serve()
        self.app.max_body = 100
        answer = _read_all(self._post(self._chunked(self.CREATE * 5)))
        self.assertEqual(413, _status(answer))

    def test_malformed_chunks_are_400(self):
        self.serve()
        answer = _read_all(self._post(b'zz\r\nabc\r\n0\r\n\r\n'))
        self.assertEqual(400, _status(answer))

    def test_huge_chunk_size_is_not_buffered(self):
        self.serve(body_timeout=TIMEOUT)
        self.app.max_body = 100
        # announces 1 TiB, sends 200 bytes: 413 once past the limit
        answer = _read_all(self._post(b'10000000000\r\n' + b'x' * 200))
        self.assertEqual(413, _status(answer))

    def test_chunk_size_past_the_body_limit_is_413_at_once(self):
        # default limit (the application's max_body, 1 MiB); the body
        # never comes: the answer must not wait for the body deadline
        # (408 if it does)
        self.serve(body_timeout=10 * TIMEOUT)
        answer = _read_all(self._post(b'FFFFFFFFFFFF\r\nxx'), 5 * TIMEOUT)
        self.assertEqual(413, _status(answer), answer)
        self.assertIn(b'larger than 1048576 bytes', answer)

    def test_chunk_sizes_adding_up_past_the_limit_are_413(self):
        self.serve(body_timeout=10 * TIMEOUT)
        self.app.max_body = 100
        answer = _read_all(self._post(b'32\r\n' + b'x' * 50 +
                                      b'\r\n33\r\nxx'), 5 * TIMEOUT)
        self.assertEqual(413, _status(answer), answer)

    def test_chunk_up_to_the_limit_is_read(self):
        self.serve()
        self.app.max_body = len(self.CREATE)
        answer = _read_all(self._post(self._chunked(self.CREATE,
                                                    len(self.CREATE))))
        self.assertEqual(201, _status(answer), answer)

    def test_chunk_longer_than_its_size_is_400(self):
        self.serve()
        answer = _read_all(self._post(b'2\r\nabc\r\n0\r\n\r\n'))
        self.assertEqual(400, _status(answer))

    def test_both_framings_are_400(self):
        self.serve()
        answer = _read_all(self._post(self._chunked(self.CREATE),
                                      extra=b'Content-Length: 5\r\n'))
        self.assertEqual(400, _status(answer))

    def test_other_transfer_coding_is_501(self):
        self.serve()
        sock = self.raw(b'POST /app/ HTTP/1.1\r\nHost: x\r\n'
                        b'X-Project-Id: p1\r\nTransfer-Encoding: gzip\r\n'
                        b'\r\n')
        self.assertEqual(501, _status(_read_all(sock)))

    def test_stalled_chunked_body_is_408(self):
        self.serve(body_timeout=TIMEOUT)
        answer = _read_all(self._post(b'a\r\n01234'))
        self.assertEqual(408, _status(answer))


class TestHeadSize(ServerTest):
    """The request line and headers together are bounded (431)."""

    HEAD = (b'GET /-/ HTTP/1.1\r\nHost: x\r\nX-Project-Id: p1\r\n'
            b'Connection: close\r\n')

    def test_oversized_head_is_431_without_reading_the_rest(self):
        # 40 headers of 60 KB would be 2.4 MB: the server must answer
        # once past its limit, not wait for (or read) the rest; the end
        # of the head never comes here, so waiting means a 408.
        self.serve(header_timeout=10 * TIMEOUT)
        sock = self.raw(self.HEAD + b'X-Big-0: ' + b'a' * 60000 + b'\r\n' +
                        b'X-Big-1: ' + b'a' * 60000 + b'\r\n')
        sock.settimeout(5 * TIMEOUT)
        answer = sock.recv(65536)
        self.assertEqual(431, _status(answer), answer)
        self.assertIn(b'Connection: close', answer)
        # A short plain-text reason, like the application's own errors
        # (written after the head: read on until the server closes).
        while True:
            more = sock.recv(65536)
            if not more:
                break
            answer += more
        head, _sep, body = answer.partition(b'\r\n\r\n')
        self.assertIn(b'Content-Type: text/plain; charset=utf-8', head)
        self.assertTrue(body.startswith(
            b'Request line and headers larger than'), body)
        self.assertNotIn(b'431', body)
        self.assertNotIn(b'<', body)

    def test_many_big_headers_are_431(self):
        self.serve()
        sock = _connect(self.port)
        self.addCleanup(sock.close)
        sock.sendall(self.HEAD)
        got = []

        def _send():
            try:
                for i in range(40):
                    sock.sendall(b'X-Big-%d: ' % i + b'a' * 60000 + b'\r\n')
                sock.sendall(b'\r\n')
            except OSError:
                pass        # the server closed after its answer
        sender = threading.Thread(target=_send, daemon=True)
        sender.start()
        got.append(_read_all(sock, 5 * TIMEOUT))
        sender.join(5 * TIMEOUT)
        self.assertEqual(431, _status(got[0]), got[0][:200])

    def test_configured_limit(self):
        self.serve(max_header_size=2048)
        small = _read_all(self.raw(self.HEAD + b'X-A: ' + b'a' * 1000 +
                                   b'\r\n\r\n'))
        self.assertEqual(200, _status(small), small[:200])
        big = _read_all(self.raw(self.HEAD + b'X-A: ' + b'a' * 2048 +
                                 b'\r\n\r\n'))
        self.assertEqual(431, _status(big), big[:200])
        line = _read_all(self.raw(b'GET /' + b'a' * 2048 + b' HTTP/1.1\r\n'
                                  b'Host: x\r\n\r\n'))
        self.assertEqual(414, _status(line), line[:200])

    def test_limit_from_hurtle_conf(self):
        from oslo_config import cfg

        from hurtle.conf import wsgi as wsgi_conf
        conf = cfg.ConfigOpts()
        wsgi_conf.register_opts(conf)
        conf([])
        self.assertEqual(65536, conf.wsgi.max_header_size)
        conf.set_override('max_header_size', 2048, group='wsgi')
        srv = self.serve(**wsgi_conf.server_options(conf))
        self.assertEqual(2048, srv.max_header_size)
        big = _read_all(self.raw(self.HEAD + b'X-A: ' + b'a' * 2048 +
                                 b'\r\n\r\n'))
        self.assertEqual(431, _status(big), big[:200])

    def test_default_limit_is_64_kib(self):
        self.serve()
        fits = _read_all(self.raw(self.HEAD + b'X-A: ' + b'a' * 60000 +
                                  b'\r\n\r\n'))
        self.assertEqual(200, _status(fits), fits[:200])
        over = _read_all(self.raw(self.HEAD + b'X-A: ' + b'a' * 40000 +
                                  b'\r\nX-B: ' + b'b' * 40000 +
                                  b'\r\n\r\n'))
        self.assertEqual(431, _status(over), over[:200])


class TestUndecodedChunked(testtools.TestCase):
    """Behind a server that does not decode chunked bodies: 411."""

    def test_length_required(self):
        import io
        app, _back = base.make_app(broken=False)
        seen = []
        app({'REQUEST_METHOD': 'POST', 'PATH_INFO': '/app/',
             'HTTP_TRANSFER_ENCODING': 'chunked',
             'HTTP_X_PROJECT_ID': 'p',
             'wsgi.input': io.BytesIO(b'5\r\nhello\r\n0\r\n\r\n')},
            lambda status, headers: seen.append(status))
        self.assertEqual(['411 Length Required'], seen)
