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
"""Fuzz the OCCI layer with hypothesis: arbitrary header values, query
strings and bodies.  Never a 5xx, never a traceback, one correct
Content-Length, and a rejected request leaves the store unchanged."""

import http.client
import io
import wsgiref.util

import hypothesis
from hypothesis import strategies as st
import testtools

from tests.unit.occi import base

# Fragments of valid OCCI text so the fuzzer reaches deep parser paths.
TOKENS = [
    'app', 'large', 'start', 'stop', 'uses', 'broken', ';', ',', '"', '=',
    '\\', '<', '>', ' ', 'scheme=', 'class=', 'location=', 'rel=', 'self=',
    'category=', 'attributes=', '"http://schemas.ogf.org/occi/platform#"',
    '"http://schemas.ogf.org/occi/platform/app/action#"',
    '"http://example.com/test#"', 'http://example.com/test#uses',
    '"kind"', '"mixin"', '"action"', '/app/a', '/app/', '/large/', '/m/',
    'http://localhost/app/a', 'occi.app.name', 'occi.app.image',
    'occi.app.env', 'occi.app.state', 'occi.core.id', 'size', 'x', '1',
    '-2.5', '1e400', 'true', 'false', 'null', '{', '}', '[', ']', ':',
    '"kind":', '"attributes":', '"action":', '"mixins":', '"resources":',
    '"id":', '"links":', '"target":', '"location":', 'Category: ',
    'X-OCCI-Attribute: ', 'Link: ', 'X-OCCI-Location: ', '\n', '\t',
    '\u00e9', '\u2603', '\x00', '%', '?action=start',
]
HEADER_CHARS = st.characters(min_codepoint=32, max_codepoint=255)


def _joined(alphabet_text):
    return st.one_of(
        st.lists(st.sampled_from(TOKENS), max_size=25).map(''.join),
        alphabet_text)


HEADER_VALUE = _joined(st.text(HEADER_CHARS, max_size=60)).map(
    lambda v: v.replace('\n', ' ').replace('\r', ' ').encode(
        'utf-8').decode('latin-1'))
BODY = st.one_of(
    _joined(st.text(max_size=200)).map(lambda v: v.encode('utf-8')),
    st.binary(max_size=100))
MEDIA = st.one_of(
    st.sampled_from(['', 'text/plain', 'text/occi', 'text/uri-list',
                     'application/occi+json', 'application/json',
                     'text/html', 'application/xml', '*/*',
                     'text/plain; charset=utf-8', 'text/occi;q=0.5, */*',
                     'application/x-www-form-urlencoded', 'text/*;q=0']),
    HEADER_VALUE)
QUERY = st.one_of(
    st.sampled_from(['', 'action=start', 'action=stop', 'action=',
                     'action=start&action=stop', 'page=1&number=1',
                     'page=x', 'number=-1', 'page=0', '%ff%fe', 'a=b=c']),
    st.text(HEADER_CHARS, max_size=30).map(
        lambda v: v.encode('utf-8').decode('latin-1')))
PATH = st.one_of(
    st.sampled_from(['/-/', '/.well-known/org/ogf/occi/-/', '/', '/app/',
                     '/app/a', '/app/b', '/app/none', '/large/',
                     '/broken/', '/uses/', '/app/a/', '//', '/app/%',
                     '/resource/', '/entity/']),
    st.text(HEADER_CHARS, max_size=20).map(
        lambda v: '/' + v.encode('utf-8').decode('latin-1')))
METHOD = st.sampled_from(['GET', 'HEAD', 'POST', 'PUT', 'DELETE',
                          'PATCH', 'OPTIONS'])
OCCI_HEADERS = st.dictionaries(
    st.sampled_from(['HTTP_CATEGORY', 'HTTP_LINK', 'HTTP_X_OCCI_ATTRIBUTE',
                     'HTTP_X_OCCI_LOCATION', 'HTTP_USER_AGENT',
                     'HTTP_HOST']),
    HEADER_VALUE, max_size=4)


class TestFuzz(testtools.TestCase):

    def fresh(self):
        """A new app with two entities (hypothesis runs many examples in
        one test method: each starts from the same state)."""
        self.app, _back = base.make_app(broken=False)
        large = ', large; scheme="http://example.com/test#"; class="mixin"'
        for name, mixin in (('a', ''), ('b', large)):
            status, _h, body = self.call('PUT', '/app/' + name, {
                'HTTP_CATEGORY': base.APP_CAT + mixin,
                'HTTP_X_OCCI_ATTRIBUTE': 'occi.app.name="%s", '
                                         'occi.app.image="i"' % name,
                'CONTENT_TYPE': 'text/occi'})
            self.assertEqual(201, status, body)

    def call(self, method, path, extra, body=b'', query=''):
        environ = {}
        wsgiref.util.setup_testing_defaults(environ)
        environ.update({'REQUEST_METHOD': method, 'PATH_INFO': path,
                        'QUERY_STRING': query,
                        'CONTENT_LENGTH': str(len(body)),
                        'wsgi.input': io.BytesIO(body),
                        'HTTP_X_PROJECT_ID': 'p1'})
        environ.update(extra)
        out = {}

        def start_response(status, headers, exc_info=None):
            out['status'] = status
            out['headers'] = headers
        chunks = self.app(environ, start_response)
        data = b''.join(chunks)
        status = int(out['status'].split()[0])
        headers = out['headers']
        lengths = [v for k, v in headers if k.lower() == 'content-length']
        self.assertEqual(1, len(lengths))
        if method != 'HEAD':
            self.assertEqual(str(len(data)), lengths[0])
        for name, value in headers:
            self.assertIsInstance(value, str)
            self.assertNotIn('\n', value)
            value.encode('latin-1')
        return status, headers, data.decode('utf-8')

    def snapshot(self):
        out = []
        for entity in self.app.registry.get_resources({'project': 'p1'}):
            out.append((entity.identifier, str(entity.kind),
                        sorted(str(m) for m in entity.mixins),
                        sorted((k, repr(v)) for k, v in
                               entity.attributes.items()),
                        sorted(str(a) for a in entity.actions),
                        len(getattr(entity, 'links', []))))
        cats = sorted(str(c) for c in
                      self.app.registry.get_categories({'project': 'p1'}))
        return sorted(out), cats

    @hypothesis.settings(max_examples=400, deadline=None, database=None,
                         suppress_health_check=list(
                             hypothesis.HealthCheck))
    @hypothesis.given(method=METHOD, path=PATH, headers=OCCI_HEADERS,
                      ctype=MEDIA, accept=MEDIA, query=QUERY, body=BODY)
    def test_never_5xx_and_rejections_change_nothing(
            self, method, path, headers, ctype, accept, query, body):
        self.fresh()
        extra = dict(headers)
        if ctype:
            extra['CONTENT_TYPE'] = ctype
        if accept:
            extra['HTTP_ACCEPT'] = accept
        before = self.snapshot()
        status, _headers, text = self.call(method, path, extra, body, query)
        self.assertLess(status, 500, text)
        self.assertNotIn('Traceback', text)
        if status >= 400:
            self.assertLess(len(text), 800)
            self.assertEqual(before, self.snapshot(),
                             'rejected request changed the store')


class TestFuzzOverHTTP(base.ServedAppTestCase):
    """The same properties through the threaded wsgiref server and real
    sockets (raw header bytes, repeated headers)."""

    @hypothesis.settings(max_examples=60, deadline=None, database=None,
                         suppress_health_check=list(
                             hypothesis.HealthCheck))
    @hypothesis.given(method=METHOD, path=st.sampled_from(
        ['/-/', '/app/', '/app/a', '/large/', '/app/none']),
        headers=st.lists(st.tuples(st.sampled_from(
            ['Category', 'Link', 'X-OCCI-Attribute', 'X-OCCI-Location',
             'Accept', 'Content-Type', 'User-Agent']), HEADER_VALUE),
            max_size=5),
        body=BODY)
    def test_http_never_5xx(self, method, path, headers, body):
        conn = http.client.HTTPConnection('127.0.0.1',
                                          self.server.server_port,
                                          timeout=10)
        try:
            conn.putrequest(method, path)
            conn.putheader('X-Project-Id', 'p1')
            for name, value in headers:
                conn.putheader(name, value.encode('latin-1'))
            conn.putheader('Content-Length', str(len(body)))
            conn.endheaders(body)
            resp = conn.getresponse()
            data = resp.read()
        finally:
            conn.close()
        self.assertLess(resp.status, 500, data[:300])
        self.assertNotIn(b'Traceback', data)
        lengths = resp.msg.get_all('Content-Length')
        self.assertEqual(1, len(lengths))
        if method != 'HEAD':
            self.assertEqual(str(len(data)), lengths[0])
