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
"""``hurtle.occi.server`` over real sockets: refused request heads,
request target forms (RFC 9112 3.2), and the PEP 3333 rules of the
responses it writes itself (no wsgiref handler)."""
import http.client
import logging
import os
import socket
import sys

import fixtures
import testtools

from hurtle.wsgi import urlmap
from tests import net
from tests.unit.occi import base


class _Recorder(object):
    """An application answering per path, recording each environ."""

    def __init__(self):
        self.environs = []
        self.closed = []

    def __call__(self, environ, start_response):
        self.environs.append(environ)
        path = environ['PATH_INFO']
        handler = getattr(self, 'do_' + path.strip('/').replace('-', '_'),
                          None) if path.count('/') <= 2 else None
        if handler is None:
            body = ('%s %s' % (environ['REQUEST_METHOD'], path)).encode(
                'latin-1')
            start_response('200 OK', [('Content-Type', 'text/plain'),
                                      ('Content-Length', str(len(body)))])
            return [body]
        return handler(environ, start_response)

    def do_unsized(self, environ, start_response):
        start_response('200 OK', [])
        return iter([b'one', b'', b'two'])

    def do_one_block(self, environ, start_response):
        start_response('200 OK', [])
        return [b'sized']

    def do_write(self, environ, start_response):
        write = start_response('200 OK', [('Content-Length', '9')])
        write(b'via ')
        write(bytearray(b'wri'))
        return [b'te']

    def do_closing(self, environ, start_response):
        recorder = self

        class Result(object):
            def __iter__(self):
                yield b'abc'

            def close(self):
                recorder.closed.append(environ['PATH_INFO'])
        start_response('200 OK', [('Content-Length', '3')])
        return Result()

    def do_fails_before(self, environ, start_response):
        raise ValueError('broken application')

    def do_fails_after(self, environ, start_response):
        start_response('200 OK', [('Content-Length', '10')])

        def body():
            yield b'part'
            raise ValueError('broken mid-body')
        return body()

    def do_error_page(self, environ, start_response):
        start_response('200 OK', [('Content-Length', '2')])
        try:
            raise ValueError('changed my mind')
        except ValueError:
            start_response('503 Service Unavailable',
                           [('Content-Length', '4')], sys.exc_info())
        return [b'busy']

    def do_late_exc_info(self, environ, start_response):
        write = start_response('200 OK', [('Content-Length', '4')])
        write(b'sent')
        try:
            raise ValueError('too late')
        except ValueError:
            start_response('500 Oops', [], sys.exc_info())
        return []

    def do_twice(self, environ, start_response):
        start_response('200 OK', [])
        start_response('200 OK', [])
        return [b'x']

    def do_short(self, environ, start_response):
        start_response('200 OK', [('Content-Length', '10')])
        return [b'short']

    def do_long(self, environ, start_response):
        start_response('200 OK', [('Content-Length', '3')])
        return [b'abc', b'def']

    def do_hop(self, environ, start_response):
        start_response('200 OK', [('Connection', 'close')])
        return [b'x']

    def do_text(self, environ, start_response):
        start_response('200 OK', [])
        return ['not bytes']

    def do_injected(self, environ, start_response):
        start_response('200 OK', [('X-A', 'a\r\nSet-Cookie: x=1')])
        return [b'x']

    def do_no_content(self, environ, start_response):
        start_response('204 No Content', [])
        return []


class ServerCase(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(
            name='hurtle.occi.server', level=logging.INFO))
        self.app = _Recorder()

    def serve(self, app=None, **options):
        srv = base.serve_for(self, app or self.app, **options)
        self.port = srv.server_port
        return srv

    def raw(self, data):
        """Everything answered to ``data`` until the server closes."""
        return net.exchange(self.port, data)

    def conn(self):
        conn = http.client.HTTPConnection('127.0.0.1', self.port,
                                          timeout=10)
        self.addCleanup(conn.close)
        return conn

    def get(self, conn, path, method='GET'):
        conn.request(method, path)
        resp = conn.getresponse()
        return resp, resp.read()


def _split(answer):
    head, _sep, body = answer.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    fields = {}
    for line in lines[1:]:
        name, _colon, value = line.partition(':')
        fields[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), fields, body


class TestRefusedHeads(ServerCase):
    """Each refusal of the head parser over the wire: its status, a
    plain-text reason, the connection closed, no application called."""

    CASES = (
        (b'GARBAGE\r\n\r\n', 400, b'Bad request line'),
        (b'GET / HTTP/1.1 extra\r\nHost: h\r\n\r\n', 400, b'request line'),
        (b'GET / HTTP/2.0\r\nHost: h\r\n\r\n', 505, b'HTTP/1.0 and'),
        (b'GET / HTTP/1.1\r\nHost: h\r\nNo colon here\r\n\r\n', 400,
         b'without a colon'),
        (b'GET / HTTP/1.1\r\nHost : h\r\n\r\n', 400, b'field name'),
        (b'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1\r\n  folded\r\n\r\n', 400,
         b'line folding'),
        (b'GET / HTTP/1.1\r\nHost: h\r\nX-A: a\rb\r\n\r\n', 400,
         b'Control character'),
        (b'GET / HTTP/1.1\r\nHost: h\r\n' +
         b''.join(b'X-%d: 1\r\n' % i for i in range(101)) + b'\r\n', 431,
         b'More than 100 header fields'),
        (b'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1e3\r\n\r\n', 400,
         b'Invalid Content-Length'),
        (b'POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n', 400,
         b'Invalid Content-Length'),
        (b'POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n'
         b'Content-Length: 3\r\n\r\nabc', 400, b'Both Transfer-Encoding'),
        (b'GET / HTTP/1.1\r\n\r\n', 400, b'Host header missing'),
        (b'GET sample/ HTTP/1.1\r\nHost: h\r\n\r\n', 400,
         b'starting with "/"'),
        (b'GET * HTTP/1.1\r\nHost: h\r\n\r\n', 400, b'OPTIONS only'),
        (b'\r\n' * 9 + b'GET / HTTP/1.1\r\nHost: h\r\n\r\n', 400,
         b'More than 8 empty lines'),
    )

    def test_each_refusal(self):
        self.serve()
        for raw, status, words in self.CASES:
            answer = self.raw(raw)
            code, fields, body = _split(answer)
            self.assertEqual(status, code, answer)
            self.assertEqual('close', fields['connection'], answer)
            self.assertEqual('text/plain; charset=utf-8',
                             fields['content-type'])
            self.assertEqual(str(len(body)), fields['content-length'])
            # The bare reason: the status is the status line's alone.
            self.assertFalse(body[:3].isdigit(), body)
            self.assertIn(words, body)
            # No Python version for a scanner to match.
            self.assertEqual('hurtle', fields['server'])
        self.assertEqual([], self.app.environs)

    def test_a_refusal_states_its_status_once(self):
        # A client showing "<status> <message>" (OCCIClient's str(),
        # the CLI) read "400 400 Bad Request: Invalid Content-Length".
        self.serve()
        answer = self.raw(b'POST / HTTP/1.1\r\nHost: h\r\n'
                          b'Accept: text/plain\r\nContent-Length: x\r\n\r\n')
        self.assertTrue(answer.startswith(b'HTTP/1.1 400 Bad Request\r\n'),
                        answer)
        self.assertEqual(b'Invalid Content-Length.\n', _split(answer)[2])
        self.assertEqual(1, answer.count(b'400'), answer)

    def test_empty_lines_before_a_request_are_skipped(self):
        # RFC 9112 2.2, before the first request of a connection and
        # between requests on a kept-alive one.
        self.serve()
        answer = self.raw(b'\r\n\r\n\r\nGET /a HTTP/1.1\r\nHost: h\r\n'
                          b'\r\n\r\n\n'
                          b'GET /b HTTP/1.1\r\nHost: h\r\n'
                          b'Connection: close\r\n\r\n')
        self.assertEqual(2, answer.count(b'HTTP/1.1 200 '), answer)
        self.assertEqual(['/a', '/b'],
                         [e['PATH_INFO'] for e in self.app.environs])

    def test_refusals_are_logged_without_the_query(self):
        self.serve()
        self.raw(b'GET /x?token=s3cret HTTP/1.1\r\nbad\r\n\r\n')
        self.assertIn('"GET /x?token=..." 400', self.log.output)
        self.assertNotIn('s3cret', self.log.output)


class TestTargets(ServerCase):

    def test_absolute_form_is_served_by_its_path_and_authority(self):
        self.serve()
        answer = self.raw(b'GET http://127.0.0.1:%d/-/?q=1 HTTP/1.1\r\n'
                          b'Host: elsewhere.example\r\nConnection: close'
                          b'\r\n\r\n' % self.port)
        self.assertEqual(200, _split(answer)[0], answer)
        environ = self.app.environs[-1]
        self.assertEqual('/-/', environ['PATH_INFO'])
        self.assertEqual('q=1', environ['QUERY_STRING'])
        self.assertEqual('127.0.0.1:%d' % self.port, environ['HTTP_HOST'])

    def test_options_asterisk_is_answered_by_the_server(self):
        self.serve()
        sock = socket.create_connection(('127.0.0.1', self.port), 10)
        self.addCleanup(sock.close)
        sock.sendall(b'OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n'
                     b'GET /after HTTP/1.1\r\nHost: h\r\n'
                     b'Connection: close\r\n\r\n')
        answer = b''
        while True:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
        first, _sep, rest = answer.partition(b'\r\n\r\n')
        code, fields, _body = _split(first + b'\r\n\r\n')
        self.assertEqual(200, code)
        self.assertEqual('0', fields['content-length'])
        self.assertNotIn('connection', fields)
        # kept alive: the next request on the connection is served
        self.assertTrue(rest.startswith(b'HTTP/1.1 200 '), rest)
        self.assertTrue(rest.endswith(b'GET /after'), rest)
        self.assertEqual(['/after'],
                         [e['PATH_INFO'] for e in self.app.environs])

    def test_options_asterisk_with_a_body_closes(self):
        self.serve()
        answer = self.raw(b'OPTIONS * HTTP/1.1\r\nHost: h\r\n'
                          b'Content-Length: 5\r\n\r\nGET /')
        code, fields, body = _split(answer)
        self.assertEqual((200, 'close', b''),
                         (code, fields['connection'], body))
        self.assertEqual([], self.app.environs)

    def test_options_asterisk_checks_the_host_as_the_application(self):
        # An invalid Host is the 400 an OCCI application answers for it
        # (trial findings: OPTIONS * was 200 whatever Host said).
        self.serve()
        for host in (b'bad host!', b'h:99999', b'a..b', b'x' * 300):
            code, fields, body = _split(self.raw(
                b'OPTIONS * HTTP/1.1\r\nHost: %s\r\n\r\n' % host))
            self.assertEqual((400, 'close'), (code, fields['connection']),
                             host)
            self.assertIn(b'Invalid Host header', body)
        # HTTP/1.0 may leave Host out
        code, _fields, _body = _split(self.raw(b'OPTIONS * HTTP/1.0\r\n\r\n'))
        self.assertEqual(200, code)
        self.assertEqual([], self.app.environs)

    def test_options_asterisk_runs_the_host_check(self):
        from hurtle.occi import hosts
        self.serve(host_check=hosts.HostGuard(option='[sm] allowed_hosts'))
        code, _fields, body = _split(self.raw(
            b'OPTIONS * HTTP/1.1\r\nHost: rebound.example:80\r\n\r\n'))
        self.assertEqual(400, code)
        self.assertIn(b'[sm] allowed_hosts', body)
        for host in (b'127.0.0.1:8888', b'localhost'):
            code, _fields, body = _split(self.raw(
                b'OPTIONS * HTTP/1.1\r\nHost: %s\r\n'
                b'Connection: close\r\n\r\n' % host))
            self.assertEqual((200, b''), (code, body), host)
        self.assertEqual([], self.app.environs)

    def test_repeated_slashes_are_collapsed_by_urlmap(self):
        # GET // is GET / (as Paste's urlmap had it): an empty path
        # segment names nothing else here.
        mapped = urlmap.URLMap({'/': self.app})
        self.serve(app=mapped)
        conn = self.conn()
        for path, seen in (('//', '/'), ('//-//', '/-/'),
                           ('/sample//x', '/sample/x')):
            resp, body = self.get(conn, path)
            self.assertEqual(200, resp.status)
            self.assertEqual(seen, self.app.environs[-1]['PATH_INFO'])
            self.assertEqual(b'GET ' + seen.encode(), body)


class TestResponses(ServerCase):
    """PEP 3333 and HTTP/1.1 rules of the responses the server writes."""

    def test_environ(self):
        self.useFixture(fixtures.EnvironmentVariable('HURTLE_SECRET_X',
                                                     'hidden'))
        self.serve()
        resp, _body = self.get(self.conn(), '/a%2Fb?x=%20')
        environ = self.app.environs[-1]
        self.assertEqual('/a/b', environ['PATH_INFO'])
        self.assertEqual('x=%20', environ['QUERY_STRING'])
        self.assertEqual('', environ['SCRIPT_NAME'])
        self.assertEqual(str(self.port), environ['SERVER_PORT'])
        self.assertEqual('127.0.0.1', environ['REMOTE_ADDR'])
        self.assertEqual('CGI/1.1', environ['GATEWAY_INTERFACE'])
        self.assertEqual((1, 0), environ['wsgi.version'])
        self.assertEqual('http', environ['wsgi.url_scheme'])
        self.assertTrue(environ['wsgi.multithread'])
        self.assertFalse(environ['wsgi.multiprocess'])
        self.assertFalse(environ['wsgi.run_once'])
        self.assertIn('hurtle.holds', environ)
        self.assertEqual(b'', environ['wsgi.input'].read())
        # no process environment variable reaches a request
        self.assertIn('HURTLE_SECRET_X', os.environ)
        self.assertNotIn('HURTLE_SECRET_X', environ)
        self.assertNotIn('PATH', environ)

    def test_head_has_no_body(self):
        self.serve()
        conn = self.conn()
        for path in ('/x', '/one-block', '/write', '/no-content'):
            resp, body = self.get(conn, path, method='HEAD')
            self.assertEqual(b'', body)
            self.assertIn(resp.status, (200, 204))
        # the connection is still in step
        resp, body = self.get(conn, '/x')
        self.assertEqual(b'GET /x', body)
        answer = self.raw(b'HEAD /x HTTP/1.1\r\nHost: h\r\n'
                          b'Connection: close\r\n\r\n')
        code, fields, body = _split(answer)
        self.assertEqual(str(len(b'HEAD /x')), fields['content-length'])
        self.assertEqual(b'', body)

    def test_one_block_gets_a_content_length(self):
        self.serve()
        resp, body = self.get(self.conn(), '/one-block')
        self.assertEqual('5', resp.getheader('Content-Length'))
        self.assertEqual(b'sized', body)
        self.assertIsNone(resp.getheader('Connection'))

    def test_unsized_body_closes_the_connection(self):
        self.serve()
        answer = self.raw(b'GET /unsized HTTP/1.1\r\nHost: h\r\n\r\n')
        code, fields, body = _split(answer)
        self.assertEqual('close', fields['connection'])
        self.assertNotIn('content-length', fields)
        self.assertEqual(b'onetwo', body)

    def test_no_content_keeps_the_connection_without_a_length(self):
        self.serve()
        conn = self.conn()
        resp, body = self.get(conn, '/no-content')
        self.assertEqual(204, resp.status)
        self.assertIsNone(resp.getheader('Content-Length'))
        self.assertEqual(b'GET /x', self.get(conn, '/x')[1])

    def test_write_callable(self):
        self.serve()
        resp, body = self.get(self.conn(), '/write')
        self.assertEqual(b'via write', body)

    def test_close_is_called(self):
        self.serve()
        conn = self.conn()
        self.assertEqual(b'abc', self.get(conn, '/closing')[1])
        self.get(conn, '/x')    # served after the first one's close()
        self.assertEqual(['/closing'], self.app.closed)

    def test_exception_before_the_head_is_500(self):
        self.serve()
        answer = self.raw(b'GET /fails-before HTTP/1.1\r\nHost: h\r\n\r\n')
        code, fields, body = _split(answer)
        self.assertEqual(500, code)
        self.assertEqual('close', fields['connection'])
        self.assertNotIn(b'broken application', body)
        self.assertIn('broken application', self.log.output)

    def test_exception_after_the_head_closes_the_connection(self):
        self.serve()
        answer = self.raw(b'GET /fails-after HTTP/1.1\r\nHost: h\r\n\r\n')
        code, fields, body = _split(answer)
        self.assertEqual(200, code)
        self.assertEqual(b'part', body)
        self.assertIn('broken mid-body', self.log.output)

    def test_exc_info_replaces_a_head_not_sent_yet(self):
        self.serve()
        resp, body = self.get(self.conn(), '/error-page')
        self.assertEqual(503, resp.status)
        self.assertEqual(b'busy', body)

    def test_exc_info_after_the_head_is_raised(self):
        self.serve()
        answer = self.raw(b'GET /late-exc-info HTTP/1.1\r\nHost: h\r\n\r\n')
        code, _fields, body = _split(answer)
        self.assertEqual((200, b'sent'), (code, body))
        self.assertIn('too late', self.log.output)

    def test_application_errors_are_500(self):
        self.serve()
        for path in (b'/twice', b'/hop', b'/text', b'/injected'):
            answer = self.raw(b'GET ' + path + b' HTTP/1.1\r\nHost: h\r\n'
                              b'\r\n')
            code, fields, body = _split(answer)
            self.assertEqual(500, code, answer)
            self.assertNotIn('set-cookie', fields)

    def test_body_shorter_than_its_length_closes(self):
        self.serve()
        answer = self.raw(b'GET /short HTTP/1.1\r\nHost: h\r\n\r\n')
        code, fields, body = _split(answer)
        self.assertEqual((200, b'short'), (code, body))
        self.assertIn('sent 5 of its 10 body bytes', self.log.output)

    def test_body_longer_than_its_length_is_cut_and_closes(self):
        self.serve()
        answer = self.raw(b'GET /long HTTP/1.1\r\nHost: h\r\n\r\n')
        code, fields, body = _split(answer)
        self.assertEqual((200, b'abc'), (code, body))
        self.assertIn('more than its Content-Length', self.log.output)

    def test_persistence_by_version_and_connection(self):
        self.serve()
        cases = ((b'HTTP/1.0', b'', 'close'),
                 (b'HTTP/1.0', b'Connection: keep-alive\r\n', 'keep-alive'),
                 (b'HTTP/1.1', b'Connection: close\r\n', 'close'),
                 (b'HTTP/1.1', b'Connection: x, Close\r\n', 'close'),
                 (b'HTTP/1.1', b'', None))
        for version, field, expected in cases:
            sock = socket.create_connection(('127.0.0.1', self.port), 10)
            self.addCleanup(sock.close)
            sock.sendall(b'GET /x ' + version + b'\r\nHost: h\r\n' + field +
                         b'\r\n')
            answer = b''
            while b'GET /x' not in answer:
                answer += sock.recv(65536)
            _code, fields, _body = _split(answer)
            self.assertEqual(expected, fields.get('connection'),
                             (version, field))
            sock.settimeout(0.3)
            try:
                closed = sock.recv(1) == b''
            except socket.timeout:
                closed = False
            self.assertEqual(expected == 'close', closed, (version, field))

    def test_keep_alive_off(self):
        self.serve(keep_alive=False)
        answer = self.raw(b'GET /x HTTP/1.1\r\nHost: h\r\n\r\n')
        self.assertEqual('close', _split(answer)[1]['connection'])

    def test_expect_100_continue_only_for_http11(self):
        self.serve()
        answer = self.raw(b'POST /x HTTP/1.0\r\nExpect: 100-continue\r\n'
                          b'Content-Length: 2\r\n\r\nab')
        self.assertTrue(answer.startswith(b'HTTP/1.1 200 '), answer)
