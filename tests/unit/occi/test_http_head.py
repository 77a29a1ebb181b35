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
"""``hurtle.occi.http_head``: request heads into the WSGI environ, and
each way a head is refused (RFC 9112)."""
import io

import testtools

from hurtle.occi import http_head


def _read(raw, max_line=65536, max_head=65536):
    environ = {}
    result = http_head.read_head(io.BytesIO(raw).readline, max_line,
                                 max_head, environ)
    return result, environ


class TestAccepted(testtools.TestCase):

    def test_origin_form(self):
        result, env = _read(b'GET /a%20b/c?x=1&y=%41 HTTP/1.1\r\n'
                            b'Host: h:1\r\nAccept: text/plain\r\n'
                            b'X-Project-Id: p1\r\n\r\n')
        self.assertEqual(('GET', '/a%20b/c?x=1&y=%41', True), result)
        self.assertEqual('GET', env['REQUEST_METHOD'])
        self.assertEqual('HTTP/1.1', env['SERVER_PROTOCOL'])
        self.assertEqual('/a b/c', env['PATH_INFO'])
        self.assertEqual('x=1&y=%41', env['QUERY_STRING'])
        self.assertEqual('h:1', env['HTTP_HOST'])
        self.assertEqual('text/plain', env['HTTP_ACCEPT'])
        self.assertEqual('p1', env['HTTP_X_PROJECT_ID'])
        # wsgiref's default when the request has none
        self.assertEqual('text/plain', env['CONTENT_TYPE'])
        self.assertNotIn('CONTENT_LENGTH', env)

    def test_content_fields_and_repeats(self):
        _result, env = _read(b'POST /x HTTP/1.1\r\nHost: h\r\n'
                             b'content-type: text/occi\r\n'
                             b'Content-Length: 12\r\n'
                             b'Category: a\r\ncategory:b \t\r\n\r\n')
        self.assertEqual('text/occi', env['CONTENT_TYPE'])
        self.assertEqual('12', env['CONTENT_LENGTH'])
        self.assertNotIn('HTTP_CONTENT_TYPE', env)
        self.assertEqual('a,b', env['HTTP_CATEGORY'])

    def test_names_with_underscores_are_dropped(self):
        _result, env = _read(b'GET / HTTP/1.1\r\nHost: h\r\n'
                             b'X_Project_Id: other\r\n'
                             b'X-Project-Id: mine\r\n'
                             b'X_Forwarded_For: 10.0.0.1\r\n\r\n')
        self.assertEqual('mine', env['HTTP_X_PROJECT_ID'])
        self.assertNotIn('HTTP_X_FORWARDED_FOR', env)
        # Not even alone (a proxy that strips X-Project-Id lets it by).
        _result, env = _read(b'GET / HTTP/1.1\r\nHost: h\r\n'
                             b'X_Project_Id: other\r\n\r\n')
        self.assertNotIn('HTTP_X_PROJECT_ID', env)

    def test_values_are_latin1_and_trimmed(self):
        _result, env = _read(b'GET / HTTP/1.1\r\nHost: h\r\n'
                             b'X-A:   \xc3\xa9t\xe9 \t\r\nX-Empty:\r\n\r\n')
        self.assertEqual('\xc3\xa9t\xe9', env['HTTP_X_A'])
        self.assertEqual('', env['HTTP_X_EMPTY'])

    def test_http10_needs_no_host_and_is_not_persistent(self):
        result, env = _read(b'GET /x HTTP/1.0\r\n\r\n')
        self.assertEqual(('GET', '/x', False), result)
        self.assertEqual('HTTP/1.0', env['SERVER_PROTOCOL'])
        self.assertNotIn('HTTP_HOST', env)

    def test_higher_minor_version_is_served_as_11(self):
        result, _env = _read(b'GET / HTTP/1.7\r\nHost: h\r\n\r\n')
        self.assertTrue(result[2])

    def test_bare_lf_and_one_leading_empty_line(self):
        result, env = _read(b'\r\nGET /x HTTP/1.1\nHost: h\n\n')
        self.assertEqual('/x', env['PATH_INFO'])
        self.assertEqual('h', env['HTTP_HOST'])

    def test_several_leading_empty_lines_are_skipped(self):
        # RFC 9112 2.2 (trial findings: two were refused with 400)
        for empty in (b'\r\n\r\n', b'\n\r\n\n',
                      b'\r\n' * http_head.MAX_EMPTY_LINES):
            result, env = _read(empty + b'GET /x HTTP/1.1\r\nHost: h\r\n\r\n')
            self.assertEqual(('GET', '/x', True), result, empty)
            self.assertEqual('/x', env['PATH_INFO'])

    def test_closed_before_a_request_line(self):
        self.assertEqual((None, {}), _read(b''))
        # after empty lines too: nothing to answer
        self.assertEqual((None, {}), _read(b'\r\n\r\n\n'))

    def test_closed_inside_the_head(self):
        self.assertRaises(http_head.Truncated, _read,
                          b'GET / HTTP/1.1\r\nHost: h\r\nX-A: 1')
        self.assertRaises(http_head.Truncated, _read, b'GET / HTTP/1.1')

    def test_absolute_form_takes_its_host_from_the_target(self):
        # RFC 9112 3.2.2: the target's authority, not the Host field.
        result, env = _read(b'GET http://127.0.0.1:8888/-/?a=1 HTTP/1.1\r\n'
                            b'Host: other.example\r\n\r\n')
        self.assertEqual('/-/', env['PATH_INFO'])
        self.assertEqual('a=1', env['QUERY_STRING'])
        self.assertEqual('127.0.0.1:8888', env['HTTP_HOST'])
        self.assertEqual('http://127.0.0.1:8888/-/?a=1', result[1])
        for target, path, query in ((b'HTTPS://h', '/', ''),
                                    (b'http://h?q', '/', 'q'),
                                    (b'http://h/%2Fa', '//a', '')):
            _result, env = _read(b'GET ' + target + b' HTTP/1.1\r\n'
                                 b'Host: h\r\n\r\n')
            self.assertEqual((path, query, 'h'),
                             (env['PATH_INFO'], env['QUERY_STRING'],
                              env['HTTP_HOST']), target)

    def test_options_asterisk(self):
        result, env = _read(b'OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n')
        self.assertIs(http_head.ASTERISK, env['PATH_INFO'])
        self.assertEqual(('OPTIONS', '*', True), result)

    def test_chunked(self):
        _result, env = _read(b'POST / HTTP/1.1\r\nHost: h\r\n'
                             b'Transfer-Encoding: Chunked\r\n\r\n')
        self.assertEqual('Chunked', env['HTTP_TRANSFER_ENCODING'])


class TestRefused(testtools.TestCase):

    def assertRefused(self, status, raw, words=None, **limits):
        error = self.assertRaises(http_head.HeadError, _read, raw, **limits)
        self.assertEqual(status, error.status, error.explain)
        if words:
            self.assertIn(words, error.explain)
        self.assertNotIn('\n', error.explain)
        self.assertNotIn('\r', error.explain)
        return error

    def test_an_endless_stream_of_empty_lines_is_refused(self):
        many = b'\r\n' * (http_head.MAX_EMPTY_LINES + 1)
        self.assertRefused(400, many + b'GET / HTTP/1.1\r\nHost: h\r\n\r\n',
                           'empty lines')
        # refused as soon as there are too many, the rest is not read
        self.assertRefused(400, many, 'empty lines')

    def test_bad_request_lines(self):
        for line in (b'GARBAGE', b'GET /', b'GET  / HTTP/1.1',
                     b'GET / HTTP/1.1 ', b'GET /\t HTTP/1.1',
                     b'GET\t/ HTTP/1.1', b'G(T / HTTP/1.1',
                     b'GET /a\x00 HTTP/1.1', b'GET /a\x7f HTTP/1.1',
                     b'GET /a#frag HTTP/1.1', b' GET / HTTP/1.1'):
            self.assertRefused(400, line + b'\r\nHost: h\r\n\r\n',
                               'request line')

    def test_bad_versions(self):
        for version in (b'HTTP/1', b'HTTP/1.1.1', b'HTTP/11', b'http/1.1',
                        b'HTTP/1.x'):
            self.assertRefused(400, b'GET / ' + version + b'\r\n\r\n',
                               'HTTP version')
        for version in (b'HTTP/2.0', b'HTTP/0.9', b'HTTP/9.9'):
            self.assertRefused(505, b'GET / ' + version + b'\r\n\r\n')

    def test_request_line_too_long_is_414(self):
        self.assertRefused(414, b'GET /' + b'a' * 100 + b' HTTP/1.1\r\n\r\n',
                           max_line=50)

    def test_targets_other_than_a_path_are_400(self):
        for target in (b'sample/', b'a', b'-/', b'?x', b'127.0.0.1:80',
                       b'mailto:x@example.org', b'ftp://h/x', b'http://',
                       b'http:///x', b'http://user@h/x', b'http://h:1x'):
            error = self.assertRefused(
                400, b'GET ' + target + b' HTTP/1.1\r\nHost: h\r\n\r\n')
            self.assertIn('target', error.explain.lower())

    def test_asterisk_is_for_options_only(self):
        for method in (b'GET', b'HEAD', b'POST', b'DELETE'):
            self.assertRefused(400, method + b' * HTTP/1.1\r\nHost: h\r\n\r\n',
                               'OPTIONS only')

    def test_header_without_colon(self):
        self.assertRefused(400, b'GET / HTTP/1.1\r\nHost: h\r\nNoColon\r\n'
                                b'\r\n', 'without a colon')

    def test_space_before_colon_and_bad_names(self):
        for line in (b'Host : h', b'X-A\t: 1', b': empty', b'X(A): 1',
                     b'X-\xe9: 1'):
            self.assertRefused(400, b'GET / HTTP/1.0\r\n' + line +
                               b'\r\n\r\n', 'field name')

    def test_obsolete_line_folding(self):
        for fold in (b' more', b'\tmore', b' X-B: 2'):
            self.assertRefused(400, b'GET / HTTP/1.1\r\nHost: h\r\n'
                                    b'X-A: 1\r\n' + fold + b'\r\n\r\n',
                               'line folding')

    def test_control_characters_in_values(self):
        for value in (b'a\rb', b'a\x00b', b'a\x1bb', b'a\x7f'):
            self.assertRefused(400, b'GET / HTTP/1.1\r\nHost: h\r\nX-A: ' +
                               value + b'\r\n\r\n', 'Control character')

    def test_too_many_fields_is_431(self):
        fields = b''.join(b'X-%d: 1\r\n' % i
                          for i in range(http_head.MAX_FIELDS))
        _read(b'GET / HTTP/1.0\r\n' + fields + b'\r\n')
        self.assertRefused(431, b'GET / HTTP/1.0\r\n' + fields +
                           b'X-Last: 1\r\n\r\n', 'More than 100')

    def test_head_over_its_budget_is_431(self):
        raw = b'GET / HTTP/1.1\r\nHost: h\r\nX-A: ' + b'a' * 100 + b'\r\n\r\n'
        _read(raw, max_head=len(raw))
        self.assertRefused(431, raw, max_head=len(raw) - 1)

    def test_host_missing_in_http11_or_repeated(self):
        self.assertRefused(400, b'GET / HTTP/1.1\r\nX-A: 1\r\n\r\n',
                           'Host header missing')
        # absolute-form too (RFC 9112 3.2.2: a client sends Host anyway)
        self.assertRefused(400, b'GET http://h/ HTTP/1.1\r\n\r\n',
                           'Host header missing')
        for version in (b'1.0', b'1.1'):
            self.assertRefused(400, b'GET / HTTP/' + version + b'\r\n'
                                    b'Host: a\r\nhost: b\r\n\r\n',
                               'Several Host')

    def test_bad_content_length(self):
        for value in (b'abc', b'-1', b'+5', b' ', b'1 2', b'0x10', b'1_0',
                      b'\xd9\xa5', b'9' * 19, b'5, 5'):
            self.assertRefused(400, b'POST / HTTP/1.1\r\nHost: h\r\n'
                                    b'Content-Length: ' + value +
                               b'\r\n\r\n', 'Content-Length')
        self.assertRefused(400, b'POST / HTTP/1.1\r\nHost: h\r\n'
                                b'Content-Length: 5\r\nContent-Length: 5'
                                b'\r\n\r\n', 'Several Content-Length')

    def test_both_framings_are_400(self):
        # RFC 9112 6.3: a request smuggling vector.
        self.assertRefused(400, b'POST / HTTP/1.1\r\nHost: h\r\n'
                                b'Transfer-Encoding: chunked\r\n'
                                b'Content-Length: 5\r\n\r\n',
                           'Both Transfer-Encoding and Content-Length')

    def test_transfer_encoding_in_http10_is_400(self):
        self.assertRefused(400, b'POST / HTTP/1.0\r\n'
                                b'Transfer-Encoding: chunked\r\n\r\n',
                           'HTTP/1.0')

    def test_other_transfer_codings_are_501(self):
        for coding in (b'gzip', b'gzip, chunked', b'chunked, chunked'):
            self.assertRefused(501, b'POST / HTTP/1.1\r\nHost: h\r\n'
                                    b'Transfer-Encoding: ' + coding +
                               b'\r\n\r\n', 'not supported')
