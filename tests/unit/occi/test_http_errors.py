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
"""Error paths of the OCCI WSGI layer over real HTTP (doc/source/
contributor/occi-layer.rst)."""

import json
import socket

from tests import net
from tests.unit.occi import base


class TestErrorPaths(base.ServedAppTestCase):

    def test_unknown_category_is_400(self):
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/occi',
            'Category': 'nope; scheme="http://x.org/y#"; class="kind"'})
        self.assertError(resp, 400)
        self.assertIn('http://x.org/y#nope', resp.text)

    def test_category_without_scheme_is_400(self):
        resp = self.req('POST', '/app/', {'Content-Type': 'text/occi',
                                          'Category': 'app'})
        self.assertError(resp, 400)

    def test_unbalanced_quote_in_category_is_400(self):
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/occi',
            'Category': 'app; scheme="http://schemas.ogf.org/occi/'
                        'platform#; class="kind"'})
        self.assertError(resp, 400)
        self.assertIn('quote', resp.text)

    def test_unbalanced_quote_in_attribute_is_400(self):
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/occi', 'Category': base.APP_CAT,
            'X-OCCI-Attribute': 'occi.app.name="a, occi.app.image="b"'})
        self.assertError(resp, 400)

    def test_unbalanced_quote_in_body_is_400(self):
        body = 'Category: %s\nX-OCCI-Attribute: occi.app.name="x\n' % (
            base.APP_CAT)
        resp = self.req('POST', '/app/', {'Content-Type': 'text/plain'},
                        body)
        self.assertError(resp, 400)

    def test_an_attribute_given_twice_is_400_and_creates_nothing(self):
        # A client cannot mean both values; keeping one would be a guess.
        posts = [
            ({'Content-Type': 'text/occi', 'Category': base.APP_CAT,
              'X-OCCI-Attribute': 'occi.app.name="a", '
                                  'occi.app.image="i", occi.app.name="b"'},
             None),
            ({'Content-Type': 'text/plain'},
             'Category: %s\nX-OCCI-Attribute: occi.app.name="a"\n'
             'X-OCCI-Attribute: occi.app.image="i"\n'
             'X-OCCI-Attribute: occi.app.name="b"\n' % base.APP_CAT),
            ({'Content-Type': 'application/occi+json'},
             '{"kind": "http://schemas.ogf.org/occi/platform#app", '
             '"attributes": {"occi.app.name": "a", "occi.app.image": "i", '
             '"occi.app.name": "b"}}'),
        ]
        for headers, body in posts:
            resp = self.req('POST', '/app/', headers, body)
            self.assertError(resp, 400)
            self.assertIn('occi.app.name', resp.text)
            self.assertIn('more than once', resp.text)
        resp = self.req('GET', '/app/', {'Accept': 'text/uri-list'})
        self.assertEqual('', resp.text.strip())

    def test_delete_of_no_collection_is_404(self):
        loc = self.create_app()
        for path in ('/nonexistent/', loc + '/'):
            resp = self.req('DELETE', path)
            self.assertError(resp, 404)
        self.assertEqual(200, self.req('GET', loc).status_code)

    def test_unknown_id_is_404(self):
        resp = self.req('GET', '/app/does-not-exist')
        self.assertError(resp, 404)
        for method in ('DELETE', 'POST'):
            self.assertError(self.req(method, '/app/does-not-exist',
                                      {'Content-Type': 'text/occi'}), 404)

    def test_an_immutable_attribute_on_create_is_said_set_by_the_service(
            self):
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/occi', 'Category': base.APP_CAT,
            'X-OCCI-Attribute': 'occi.app.name="a", occi.app.image="i", '
                                'occi.app.state="active"'})
        self.assertError(resp, 400)
        self.assertIn('occi.app.state is set by the service', resp.text)
        resp = self.req('GET', '/app/', {'Accept': 'text/uri-list'})
        self.assertEqual('', resp.text.strip())

    def test_an_error_echoes_at_most_1024_characters_of_the_request(self):
        path = '/app/' + 'x' * 5000
        resp = self.req('GET', path)
        self.assertEqual(404, resp.status_code)
        self.assertIn('x' * 900, resp.text)
        self.assertNotIn('x' * 1100, resp.text)
        self.assertIn('more characters)', resp.text)
        self.assertLess(len(resp.text), 1200)

    def test_bad_accept_is_406(self):
        resp = self.req('GET', '/-/', {'Accept': 'image/png'})
        self.assertError(resp, 406)
        resp = self.req('GET', '/app/', {'Accept': 'application/xml'})
        self.assertError(resp, 406)

    def test_a_malformed_accept_weight_is_400(self):
        for accept in ('text/plain;q=abc', 'text/plain;q=1.5',
                       'text/plain;q=nan', 'text/occi, text/plain;q=0.1234'):
            resp = self.req('GET', '/-/', {'Accept': accept})
            self.assertError(resp, 400)
            self.assertIn('is not a number from 0 to 1', resp.text)
        resp = self.req('GET', '/-/', {'Accept': 'text/plain;q=0.500'})
        self.assertEqual(200, resp.status_code)

    def test_accept_with_only_q0_is_406(self):
        resp = self.req('GET', '/-/', {'Accept': 'text/plain;q=0'})
        self.assertError(resp, 406)

    def test_unsupported_content_type_is_415(self):
        resp = self.req('POST', '/app/', {'Content-Type': 'application/xml'},
                        '<app/>')
        self.assertError(resp, 415)

    def test_media_type_parameters_are_ignored(self):
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/occi; charset=utf-8',
            'Accept': 'text/plain; charset=utf-8',
            'Category': base.APP_CAT,
            'X-OCCI-Attribute': 'occi.app.name="n", occi.app.image="i"'})
        self.assertEqual(201, resp.status_code, resp.text)

    def test_empty_content_type_reads_headers(self):
        resp = self.req('POST', '/app/', {
            'Category': base.APP_CAT,
            'X-OCCI-Attribute': 'occi.app.name="n", occi.app.image="i"'})
        self.assertEqual(201, resp.status_code, resp.text)

    def test_project_isolation_is_404(self):
        loc = self.create_app(project='p1')
        self.assertEqual(200, self.req('GET', loc, project='p1').status_code)
        self.assertError(self.req('GET', loc, project='p2'), 404)
        self.assertError(self.req('DELETE', loc, project='p2'), 404)
        listing = self.req('GET', '/app/', {'Accept': 'text/uri-list'},
                           project='p2')
        self.assertEqual(200, listing.status_code)
        self.assertNotIn(loc, listing.text)
        listing = self.req('GET', '/app/', {'Accept': 'text/uri-list'},
                           project='p1')
        self.assertIn(loc, listing.text)

    def test_attribute_error_in_backend_is_500_not_405(self):
        resp = self.req('POST', '/broken/', {
            'Content-Type': 'text/occi', 'Category': base.BROKEN_CAT})
        self.assertEqual(201, resp.status_code, resp.text)
        loc = resp.headers['Location']
        resp = self.req('GET', loc)
        self.assertError(resp, 500)
        self.assertNotIn('no_such_attribute', resp.text)

    def test_key_error_in_backend_is_500_not_404(self):
        resp = self.req('POST', '/broken/', {
            'Content-Type': 'text/occi', 'Category': base.BROKEN_CAT})
        resp = self.req('DELETE', resp.headers['Location'])
        self.assertError(resp, 500)
        self.assertNotIn('boom', resp.text)

    def test_backend_occi_error_keeps_its_status(self):
        resp = self.req('POST', '/broken/', {
            'Content-Type': 'text/occi', 'Category': base.BROKEN_CAT})
        resp = self.req('POST', resp.headers['Location'], {
            'Content-Type': 'text/occi', 'X-OCCI-Attribute': 'x="1"'})
        self.assertError(resp, 409)
        self.assertEqual('Busy, try later.', resp.text)

    def test_method_not_allowed_is_405(self):
        resp = self.req('PATCH', '/app/')
        self.assertError(resp, 405)
        self.assertEqual('DELETE, GET, HEAD, OPTIONS, POST',
                         resp.headers['Allow'])

    def test_error_message_is_json_when_asked(self):
        resp = self.req('GET', '/app/none',
                        {'Accept': 'application/occi+json'})
        self.assertError(resp, 404)
        self.assertEqual('application/occi+json',
                         resp.headers['Content-Type'])
        self.assertIn('message', json.loads(resp.text))

    def test_control_characters_quoted_in_a_message_are_escaped(self):
        resp = self.req('GET', '/app/a%00b%0dc', {'Accept': 'text/plain'})
        self.assertError(resp, 404)
        self.assertIn('/app/a\\x00b\\x0dc', resp.text)
        self.assertNotIn('\x00', resp.text)
        self.assertNotIn('\r', resp.text)

    def test_error_page_names_the_status(self):
        resp = self.req('GET', '/app/none', {'Accept': 'text/html'})
        self.assertEqual(404, resp.status_code)   # a whole page
        self.assertIn('text/html', resp.headers['Content-Type'])
        self.assertIn('<title>404 Not Found</title>', resp.text)
        self.assertIn('<h1>404 Not Found</h1><p>', resp.text)
        # Other renderings keep the bare message.
        resp = self.req('GET', '/app/none', {'Accept': 'text/plain'})
        self.assertNotIn('404 Not Found', resp.text)

    def test_higher_occi_version_is_501(self):
        resp = self.req('GET', '/-/', {'User-Agent': 'curl/8 OCCI/2.0'})
        self.assertError(resp, 501)
        resp = self.req('GET', '/-/', {'User-Agent': 'rOCCI OCCI/1.2'})
        self.assertEqual(200, resp.status_code)

    def test_invalid_utf8_body_is_400(self):
        resp = self.req('POST', '/app/', {'Content-Type': 'text/plain'},
                        b'Category: \xff\xfe')
        self.assertError(resp, 400)

    def test_json_null_where_list_or_object_expected_is_400(self):
        loc = self.create_app()
        kind = base.APP_CAT.split(';')[0]
        scheme = 'http://schemas.ogf.org/occi/platform#'
        cases = (
            ({'kind': scheme + kind, 'attributes': None}, 'attributes'),
            ({'kind': scheme + kind, 'attributes': 'x'}, 'attributes'),
            ({'kind': scheme + kind, 'mixins': None}, 'mixins'),
            ({'kind': scheme + kind, 'links': None}, 'links'),
            ({'kind': scheme + kind, 'actions': None}, 'actions'),
            ({'kind': scheme + kind, 'actions': {}}, 'actions'),
            ({'kind': scheme + kind, 'links': [{
                'kind': 'http://schemas.ogf.org/occi/core#link',
                'target': loc, 'attributes': None}]}, 'attributes'),
            ({'kind': scheme + kind, 'links': [{
                'kind': 'http://schemas.ogf.org/occi/core#link',
                'target': loc, 'mixins': None}]}, 'mixins'),
            ({'action': scheme + 'app/action#start', 'attributes': None},
             'attributes'),
            ({'mixins': None}, 'mixins'),
            ({'actions': None}, 'actions'),
            ({'kinds': None}, 'kinds'),
            ({'mixins': [{'term': 't', 'scheme': 'http://x.org/m#',
                          'depends': None}]}, 'depends'),
            ({'mixins': [{'term': 't', 'scheme': 'http://x.org/m#',
                          'attributes': None}]}, 'attributes'),
            ({'resources': None}, 'resources'),
        )
        for doc, member in cases:
            if 'kind' in doc:
                paths = (loc, '/app/')
            elif 'action' in doc:
                paths = (loc + '?action=start',)
            elif 'resources' in doc:
                paths = ('/app/',)
            else:
                paths = ('/-/',)
            for path in paths:
                resp = self.req('POST', path, {
                    'Content-Type': 'application/occi+json'},
                    json.dumps(doc))
                self.assertError(resp, 400)
                self.assertIn('"%s" must be' % member, resp.text,
                              (doc, path))
        self.assertEqual('stopped', self.req(
            'GET', loc, {'Accept': 'application/occi+json'}).json()[
                'attributes']['occi.app.state'])

    def test_unknown_json_members_are_400_naming_them(self):
        # Trial finding: a misspelt member was dropped silently (the
        # create went on without the attributes meant).
        loc = self.create_app()
        kind = 'http://schemas.ogf.org/occi/platform#app'
        attrs = {'occi.app.name': 'x', 'occi.app.image': 'y'}
        link = {'kind': 'http://schemas.ogf.org/occi/core#link',
                'target': loc}
        cases = (
            ({'kind': kind, 'attributes': attrs, 'atributes': {}},
             'an entity', '"atributes"', ('/app/', loc)),
            ({'kind': kind, 'attributes': attrs, 'links': [
                dict(link, colour='red')]}, 'a link', '"colour"',
             ('/app/',)),
            ({'kind': kind, 'attributes': attrs, 'links': [dict(
                link, target={'location': loc, 'href': loc})]},
             'a link end', '"href"', ('/app/',)),
            ({'action': 'http://schemas.ogf.org/occi/platform/app/'
                        'action#start', 'attrs': {}},
             'an action invocation', '"attrs"', (loc + '?action=start',)),
            ({'attributes': {}, 'state': 'x'}, 'attributes alone',
             '"state"', (loc,)),
            ({'resources': [{'location': loc, 'self': loc}]},
             'a collection member', '"self"', ('/app/',)),
            ({'resources': [{'location': loc}], 'next': 'x'},
             'a collection', '"next"', ('/app/',)),
            ({'mixins': [{'term': 't', 'scheme': 'http://x.org/m#',
                          'location': '/t/', 'parent': 'x'}]},
             'a mixin', '"parent"', ('/-/',)),
            ({'mixins': [{'term': 't', 'scheme': 'http://x.org/m#',
                          'location': '/t/'}], 'extra': 1}, 'categories',
             '"extra"', ('/-/',)),
        )
        before = self.req('GET', '/app/', {'Accept': 'text/uri-list'}).text
        for doc, what, member, paths in cases:
            for path in paths:
                resp = self.req('POST', path, {
                    'Content-Type': 'application/occi+json'},
                    json.dumps(doc))
                self.assertError(resp, 400)
                self.assertIn('Unknown member(s) of %s in the JSON '
                              'rendering (GFD.226): %s' % (what, member),
                              resp.text, (doc, path))
        self.assertEqual(before, self.req('GET', '/app/', {
            'Accept': 'text/uri-list'}).text)
        self.assertEqual(404, self.req('GET', '/t/').status_code)
        # What the JSON rendering renders is read back as it is.
        rendered = self.req('GET', loc, {
            'Accept': 'application/occi+json'}).json()
        resp = self.req('PUT', loc, {
            'Content-Type': 'application/occi+json'}, json.dumps(rendered))
        self.assertEqual(200, resp.status_code, resp.text)

    def test_json_array_of_non_locations_says_what_it_expected(self):
        before = self.req('GET', '/app/', {'Accept': 'text/uri-list'}).text
        resp = self.req('POST', '/app/',
                        {'Content-Type': 'application/occi+json'}, '[1,2]')
        self.assertError(resp, 400)
        self.assertIn('A JSON array is a list of locations (strings); item '
                      '1 is int. An entity is a JSON object.', resp.text)
        self.assertEqual(before, self.req('GET', '/app/', {
            'Accept': 'text/uri-list'}).text)

    def test_a_list_of_locations_sent_to_an_entity_is_400(self):
        # It changes nothing there: a 200 would hide the mistake.
        loc = self.create_app()
        before = self.req('GET', loc, {'Accept': 'text/plain'}).text
        calls = len(self.backend.calls)
        bodies = (('application/occi+json', '[]'),
                  ('application/occi+json', json.dumps([loc])),
                  ('text/uri-list', loc + '\n'),
                  ('text/plain', 'X-OCCI-Location: %s\n' % loc))
        for method in ('POST', 'PUT'):
            for mime, body in bodies:
                resp = self.req(method, loc, {'Content-Type': mime}, body)
                self.assertError(resp, 400)
                self.assertIn("A list of locations is for a mixin's "
                              "collection", resp.text, (method, mime, body))
        self.assertEqual(before, self.req('GET', loc, {
            'Accept': 'text/plain'}).text)
        self.assertEqual(calls, len(self.backend.calls))
        # An empty body is still no change, and an action still runs.
        self.assertEqual(200, self.req('POST', loc, {
            'Content-Type': 'application/occi+json'}, '').status_code)
        self.assertEqual(200, self.req('POST', loc + '?action=start', {
            'Content-Type': 'text/occi',
            'Category': base.START_CAT}).status_code)

    def test_a_list_of_locations_posted_to_a_kind_collection_is_400(self):
        # Even an empty one: it was "No kind given", which misled.
        loc = self.create_app()
        before = self.req('GET', '/app/', {'Accept': 'text/uri-list'}).text
        for mime, body in (('application/occi+json', '[]'),
                           ('application/occi+json', json.dumps([loc])),
                           ('text/uri-list', loc + '\n')):
            resp = self.req('POST', '/app/', {'Content-Type': mime}, body)
            self.assertError(resp, 400)
            self.assertIn('A list of locations adds entities to a mixin '
                          'collection only', resp.text, (mime, body))
        self.assertEqual(before, self.req('GET', '/app/', {
            'Accept': 'text/uri-list'}).text)

    def test_deeply_nested_json_is_400(self):
        body = '[' * 100000 + ']' * 100000
        resp = self.req('POST', '/app/',
                        {'Content-Type': 'application/occi+json'}, body)
        self.assertError(resp, 400)
        self.assertIn('nested too deeply', resp.text)

    def test_malformed_request_lines_get_an_answer(self):
        """http.server answers bad request lines itself (RFC 9112 3);
        the request log must cope with a request that has no path."""
        cases = ((b'GARBAGE\r\n\r\n', b'400'),  # HTTP/0.9: no status line
                 (b'GET / HTTP/9.9\r\n\r\n', b'505'),
                 (b'GET /' + b'a' * 70000 + b' HTTP/1.1\r\n\r\n', b'414'))
        for raw, status in cases:
            with socket.create_connection(
                    ('127.0.0.1', self.server.server_port), timeout=10) as s:
                s.sendall(raw)
                answer = s.recv(400)
            self.assertIn(status, answer, raw[:20])

    def _raw(self, data):
        """Send ``data`` on a new connection; the whole answer (the
        requests below close the connection)."""
        return net.exchange(self.server.server_port, data)

    def _create_raw(self, attribute, version=b'HTTP/1.1',
                    host=b'Host: 127.0.0.1\r\n'):
        return self._raw(
            b'POST /app/ ' + version + b'\r\n' + host +
            b'X-Project-Id: p1\r\nContent-Type: text/occi\r\n'
            b'Connection: close\r\nContent-Length: 0\r\n'
            b'Category: ' + base.APP_CAT.encode() + b'\r\n'
            b'X-OCCI-Attribute: ' + attribute + b'\r\n\r\n')

    def test_non_utf8_header_is_400(self):
        answer = self._create_raw(b'occi.app.name="\xff\xfe\xc3", '
                                  b'occi.app.image="i"')
        self.assertTrue(answer.startswith(b'HTTP/1.1 400 '), answer)
        self.assertIn(b'X-OCCI-Attribute is not UTF-8', answer)
        self.assertEqual(
            '', self.req('GET', '/app/', {'Accept': 'text/uri-list'}).text)
        for name in (b'Category', b'X-OCCI-Location', b'Link',
                     b'X-Project-Id'):
            answer = self._raw(
                b'GET /app/ HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                b'X-Project-Id: p1\r\nConnection: close\r\n' +
                name + b': \xe9t\xe9\r\n\r\n')
            self.assertTrue(answer.startswith(b'HTTP/1.1 400 '), answer)
            self.assertIn(name + b' is not UTF-8', answer)

    def test_non_utf8_query_is_400(self):
        # The trial: a marker %ff%fe was answered with U+FFFD in its
        # place ("no such marker"), not as the bytes it was.
        for query in (b'marker=%ff%fe', b'limit=1&marker=%e9t%e9',
                      b'x%ff=1'):
            answer = self._raw(
                b'GET /app/?' + query + b' HTTP/1.1\r\nHost: 127.0.0.1'
                b'\r\nX-Project-Id: p1\r\nConnection: close\r\n\r\n')
            self.assertTrue(answer.startswith(b'HTTP/1.1 400 '), answer)
            self.assertIn(b'Query string is not UTF-8 once percent-decoded',
                          answer)
        answer = self._raw(
            b'GET /app/?marker=%C3%A9t%C3%A9 HTTP/1.1\r\nHost: 127.0.0.1'
            b'\r\nX-Project-Id: p1\r\nConnection: close\r\n\r\n')
        self.assertIn('marker \xe9t\xe9'.encode('utf-8'), answer)

    def test_utf8_header_is_stored_as_text(self):
        answer = self._create_raw('occi.app.name="h\xe9llo", '
                                  'occi.app.image="i"'.encode('utf-8'))
        self.assertTrue(answer.startswith(b'HTTP/1.1 201 '), answer)
        loc = self.req('GET', '/app/', {'Accept': 'text/uri-list'}).text
        resp = self.req('GET', loc.strip(),
                        {'Accept': 'application/occi+json'})
        self.assertEqual('h\xe9llo',
                         resp.json()['attributes']['occi.app.name'])

    def test_http11_without_host_is_400(self):
        answer = self._create_raw(b'occi.app.name="n", occi.app.image="i"',
                                  host=b'')
        self.assertTrue(answer.startswith(b'HTTP/1.1 400 '), answer)
        self.assertIn(b'Host', answer)
        self.assertEqual(
            '', self.req('GET', '/app/', {'Accept': 'text/uri-list'}).text)
        answer = self._raw(b'GET /-/ HTTP/1.1\r\nX-Project-Id: p1\r\n'
                           b'Connection: close\r\n\r\n')
        self.assertTrue(answer.startswith(b'HTTP/1.1 400 '), answer)

    def test_several_hosts_are_400(self):
        for version in (b'HTTP/1.0', b'HTTP/1.1'):
            answer = self._create_raw(
                b'occi.app.name="n", occi.app.image="i"', version=version,
                host=b'Host: 127.0.0.1\r\nHost: evil.example\r\n')
            self.assertTrue(answer.startswith(b'HTTP/1.1 400 '), answer)

    def test_app_behind_another_server_needs_host_in_http11(self):
        seen = []
        environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/-/',
                   'SERVER_NAME': 'localhost', 'SERVER_PORT': '80',
                   'HTTP_X_PROJECT_ID': 'p1', 'wsgi.url_scheme': 'http'}
        for protocol, status in (('HTTP/1.1', '400 Bad Request'),
                                 ('HTTP/1.0', '200 OK')):
            body = b''.join(self.app(
                dict(environ, SERVER_PROTOCOL=protocol),
                lambda status, headers: seen.append(status)))
            self.assertEqual(status, seen.pop(), body)
        self.assertIn(b'Host', b''.join(self.app(
            dict(environ, SERVER_PROTOCOL='HTTP/1.1'),
            lambda status, headers: None)))

    def test_http10_without_host_uses_the_server_name(self):
        answer = self._create_raw(b'occi.app.name="n", occi.app.image="i"',
                                  version=b'HTTP/1.0', host=b'')
        self.assertTrue(answer.startswith(b'HTTP/1.1 201 '), answer)
        self.assertIn(b'Location: http://', answer)
        self.assertIn(b':%d/app/' % self.server.server_port, answer)

    def test_paths_cannot_forge_log_lines(self):
        with self.assertLogs('hurtle.occi.app', level='INFO') as logs:
            self.req('GET', '/app/x%0aFORGED%00')
        self.assertTrue(logs.output)
        for line in logs.output:
            self.assertNotIn('\n', line)
            self.assertNotIn('\x00', line)
            self.assertIn('\\n', line)

    def test_body_too_large_is_413(self):
        self.app.max_body = 100
        resp = self.req('POST', '/app/', {'Content-Type': 'text/plain'},
                        'X' * 200)
        self.assertError(resp, 413)

    def test_uri_list_on_entity_is_400(self):
        loc = self.create_app()
        resp = self.req('GET', loc, {'Accept': 'text/uri-list'})
        self.assertError(resp, 400)

    def test_missing_required_attribute_is_400(self):
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/occi', 'Category': base.APP_CAT,
            'X-OCCI-Attribute': 'occi.app.name="n"'})
        self.assertError(resp, 400)
        self.assertIn('occi.app.image', resp.text)

    def test_unknown_attribute_is_400(self):
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/occi', 'Category': base.APP_CAT,
            'X-OCCI-Attribute': 'occi.app.name="n", occi.app.image="i", '
                                'bogus.attr="1"'})
        self.assertError(resp, 400)
        self.assertIn('bogus.attr', resp.text)

    def test_immutable_attribute_on_update_is_400(self):
        loc = self.create_app()
        resp = self.req('POST', loc, {
            'Content-Type': 'text/occi',
            'X-OCCI-Attribute': 'occi.app.state="running"'})
        self.assertError(resp, 400)

    def test_action_not_applicable_is_409(self):
        loc = self.create_app()
        resp = self.req('POST', loc + '?action=stop', {
            'Content-Type': 'text/occi', 'Category': base.STOP_CAT})
        self.assertError(resp, 409)

    def test_action_without_category_is_400(self):
        loc = self.create_app()
        resp = self.req('POST', loc + '?action=start',
                        {'Content-Type': 'text/occi'})
        self.assertError(resp, 400)

    def test_action_category_mismatch_is_400(self):
        loc = self.create_app()
        resp = self.req('POST', loc + '?action=start', {
            'Content-Type': 'text/occi', 'Category': base.STOP_CAT})
        self.assertError(resp, 400)


class TestNoAuth(base.ServedAppTestCase):

    def wrap(self, app):
        from hurtle.occi import middleware
        return middleware.NoAuthMiddleware(app)

    def test_no_project_is_401(self):
        resp = self.req('GET', '/-/', project=None)
        self.assertError(resp, 401)

    def test_old_clients_tenant_name(self):
        loc = self.create_app(project='p1')
        resp = self.req('GET', loc, {'X-Auth-Token': 't',
                                     'X-Tenant-Name': 'p1'}, project=None)
        self.assertEqual(200, resp.status_code, resp.text)
        resp = self.req('GET', loc, {'X-Tenant-Name': 'p2'}, project=None)
        self.assertEqual(404, resp.status_code)
