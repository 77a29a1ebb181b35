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
"""Text header grammar (GFD.185 3.5, GFD.229), table-driven."""

import http.client

import testtools

from hurtle.occi import errors
from hurtle.occi import parsing
from hurtle.occi import request as occi_request
from tests.unit.occi import base


SPLIT_CASES = [
    # (rule, raw header value, expected values)
    ('GFD.185 3.5: values are comma separated', 'a, b,c', ['a', 'b', 'c']),
    ('GFD.185 3.5.4: commas inside quotes are data',
     'x="a, b", y=1', ['x="a, b"', 'y=1']),
    ('GFD.229: escaped quotes stay inside the string',
     r'x="say \"hi\", ok", y=2', [r'x="say \"hi\", ok"', 'y=2']),
    ('GFD.185 3.5.2: commas inside <...> are data',
     '</a?x=1,2>; rel="r", </b>; rel="s"',
     ['</a?x=1,2>; rel="r"', '</b>; rel="s"']),
    ('empty items are dropped', 'a,, ,b', ['a', 'b']),
]

ATTRIBUTE_CASES = [
    # (rule, raw, name, typed value)
    ('GFD.185 3.5.4 string', 'a.b="x"', 'a.b', 'x'),
    ('GFD.229 integer', 'n=42', 'n', 42),
    ('GFD.229 negative float', 'f=-2.5', 'f', -2.5),
    ('GFD.229 exponent', 'f=1e3', 'f', 1000.0),
    ('GFD.229 boolean true', 'b=true', 'b', True),
    ('GFD.229 boolean false', 'b=false', 'b', False),
    ('GFD.229 quoted number stays a string', 'n="42"', 'n', '42'),
    ('GFD.229 escapes', r's="a\"b\\c"', 's', 'a"b\\c'),
    ('GFD.185 3.5.4 semicolon in a string', 's="a; b"', 's', 'a; b'),
    ('lenient: bare token is a string', 's=abc', 's', 'abc'),
    ('whitespace around =', ' s = "v" ', 's', 'v'),
]

BAD_ATTRIBUTES = [
    ('no =', 'name'),
    ('unbalanced quote', 'a="x'),
    ('empty value', 'a='),
    ('bad name', '"a"=1'),
    ('quote in the middle only', 'a="x\\"'),
    ('number out of range', 'a=1e400'),
]

BAD_CATEGORIES = [
    ('no scheme', 'app'),
    ('no term', '; scheme="http://x#"'),
    ('unbalanced quote', 'app; scheme="http://x#'),
    ('bad class', 'app; scheme="http://x#"; class="thing"'),
    ('param without =', 'app; scheme'),
]


class TestGrammar(testtools.TestCase):

    def test_split(self):
        for rule, raw, expected in SPLIT_CASES:
            self.assertEqual(expected, parsing.split_values(raw), rule)

    def test_attributes(self):
        for rule, raw, name, value in ATTRIBUTE_CASES:
            got = parsing.parse_attribute(raw)
            self.assertEqual((name, value), got, rule)
            self.assertIs(type(value), type(got[1]), rule)

    def test_bad_attributes(self):
        for rule, raw in BAD_ATTRIBUTES:
            self.assertRaises(errors.BadRequest, parsing.parse_attribute,
                              raw)

    def test_only_ascii_digits_are_numbers(self):
        # Python's int() and float() read other scripts' digits; OCCI's
        # bare numbers are ASCII (kept as bare text, like other tokens).
        for raw in ('\uff15', '\u0663', '-\uff11\uff12', '1\u0663',
                    '\uff11.5'):
            self.assertEqual(('n', raw), parsing.parse_attribute(
                'n=%s' % raw), raw)
        self.assertEqual(('n', 15), parsing.parse_attribute('n=15'))
        self.assertEqual(-3, parsing.ascii_int('-3'))
        for text in ('\uff15', '\u0663', ' 5', '5\n', '+5', '', None):
            self.assertRaises(ValueError, parsing.ascii_int, text)

    def test_typed_render_round_trip(self):
        for value in ('x', 'a "q" \\ b', '', 0, -7, 2.5, 1e-7, True,
                      False, 'true', '12'):
            raw = parsing.render_attribute('n', value)
            self.assertEqual(('n', value), parsing.parse_attribute(raw))

    def test_category(self):
        cat = parsing.parse_category(
            'app; scheme="http://s#"; class="kind"; title="A; B, C"; '
            'rel="http://o#resource"; location="/app/"; '
            'attributes="a{required} b{immutable} c"; actions="http://s/a#x"')
        self.assertEqual('app', cat['term'])
        self.assertEqual('http://s#', cat['scheme'])
        self.assertEqual('A; B, C', cat['title'])
        self.assertEqual({'a': 'required', 'b': 'immutable',
                          'c': 'mutable'}, cat['attributes'])
        self.assertEqual(['http://s/a#x'], cat['actions'])

    def test_category_attribute_properties(self):
        cat = parsing.parse_category(
            'k; scheme="http://s#"; attributes="a{required immutable} '
            'b{immutable}  c{} d"')
        self.assertEqual({'a': 'required', 'b': 'immutable',
                          'c': 'mutable', 'd': 'mutable'},
                         cat['attributes'])

    def test_bad_categories(self):
        for rule, raw in BAD_CATEGORIES:
            self.assertRaises(errors.BadRequest, parsing.parse_category,
                              raw)

    def test_link(self):
        link = parsing.parse_link(
            '</net/1>; rel="http://s#network"; self="/link/1"; '
            'category="http://s#nic http://m#x"; a.b="v, w"; n=3')
        self.assertEqual('/net/1', link['target'])
        self.assertEqual(['http://s#nic', 'http://m#x'], link['category'])
        self.assertEqual({'a.b': 'v, w', 'n': 3}, link['attributes'])
        self.assertRaises(errors.BadRequest, parsing.parse_link, 'x; y=1')

    def test_body_lines(self):
        found = parsing.header_lines_from_body(
            'category: a; scheme="s#"\r\nX-OCCI-Attribute: x=1\n'
            '# comment\nUnknown: zz\n\nX-OCCI-Attribute: y="2", z=3\n')
        values = parsing.collect(found)
        self.assertEqual(['a; scheme="s#"'], values['Category'])
        self.assertEqual(['x=1', 'y="2"', 'z=3'],
                         values['X-OCCI-Attribute'])

    def test_body_lines_strict_refuses_junk(self):
        body = 'Category: a; scheme="s#"\nnot a header\n'
        self.assertEqual(['a; scheme="s#"'], parsing.header_lines_from_body(
            body)['Category'])
        exc = self.assertRaises(errors.BadRequest,
                                parsing.header_lines_from_body, body,
                                strict=True)
        self.assertIn('line 2 is not a header line', exc.message)
        for junk in ('a=b&c=d', ': no name', 'two words: x'):
            self.assertRaises(errors.BadRequest,
                              parsing.header_lines_from_body, junk,
                              strict=True)
        # Other header names, comments and blank lines stay allowed.
        found = parsing.header_lines_from_body(
            '# c\n\nUser-Agent: x\nX-OCCI-Attribute: a=1\n', strict=True)
        self.assertEqual(['a=1'], found['X-OCCI-Attribute'])

    def test_accept_order(self):
        self.assertEqual(
            ['text/occi', 'application/occi+json', 'text/*', '*/*'],
            occi_request.parse_accept('*/*;q=0.1, text/*;q=0.5, text/occi, '
                                      'application/occi+json;q=0.9, '
                                      'text/plain;q=0'))


class TestRepeatedHeaders(base.ServedAppTestCase):
    """GFD.185 3.5: a header may repeat or carry comma-joined values."""

    def test_repeated_and_joined_headers(self):
        conn = http.client.HTTPConnection('127.0.0.1',
                                          self.server.server_port,
                                          timeout=10)
        self.addCleanup(conn.close)
        conn.putrequest('POST', '/app/')
        conn.putheader('X-Project-Id', 'p1')
        conn.putheader('Content-Type', 'text/occi')
        conn.putheader('Category', base.APP_CAT)
        conn.putheader('Category', 'large; scheme="http://example.com/'
                                   'test#"; class="mixin"')
        conn.putheader('X-OCCI-Attribute', 'occi.app.name="n, m"')
        conn.putheader('X-OCCI-Attribute', 'occi.app.image="i", size=4')
        conn.putheader('Content-Length', '0')
        conn.endheaders()
        resp = conn.getresponse()
        resp.read()
        self.assertEqual(201, resp.status)
        loc = resp.getheader('Location')
        got = self.req('GET', loc, {'Accept': 'text/occi'})
        self.assertIn('occi.app.name="n, m"', got.headers['X-OCCI-Attribute'])
        self.assertIn('size=4', got.headers['X-OCCI-Attribute'])
        self.assertIn('large;', got.headers['Category'])

    def test_head_has_length_of_get_and_no_body(self):
        get = self.req('GET', '/-/')
        head = self.req('HEAD', '/-/')
        self.assertEqual(200, head.status_code)
        self.assertEqual(b'', head.content)
        self.assertEqual(get.headers['Content-Length'],
                         head.headers['Content-Length'])
