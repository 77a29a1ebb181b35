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
"""hurtle.occi.client against a server that is not ours: canned answers
in the other header styles the specifications allow (repeated headers,
comma-joined values, relative locations, text/plain bodies, GFD.226 JSON,
text/uri-list) and foreign error bodies."""

import json

import testtools

from hurtle.occi import client
from hurtle.occi import errors
from hurtle.occi import server

APP_CAT = ('app; scheme="http://schemas.ogf.org/occi/platform#"; '
           'class="kind"; title="App, the kind"')
MIXIN_CAT = 'tpl; scheme="http://x.example/tpl#"; class="mixin"'


def _answers():
    text_plain = '\r\n'.join([
        'Category: ' + APP_CAT,
        'Category: ' + MIXIN_CAT,
        'Link: </x/2?action=start>; '
        'rel="http://schemas.ogf.org/occi/platform/app/action#start"',
        'Link: </net/9>; rel="http://x.example/infra#network"; '
        'self="/link/7"; category="http://x.example/infra#nic"; '
        'nic.mac="aa:bb"',
        'X-OCCI-Attribute: occi.app.name="two, with comma", '
        'occi.app.replicas=3',
        'X-OCCI-Attribute: occi.app.ready=true',
        'X-OCCI-Attribute: occi.core.id="2"',
        '']).encode()
    resource_json = json.dumps({
        'kind': 'http://schemas.ogf.org/occi/platform#app',
        'mixins': ['http://x.example/tpl#tpl'],
        'id': '3', 'title': 'three',
        'attributes': {'occi.app.name': 'three', 'occi.app.cpu': 1.5,
                       'occi.app.ready': False},
        'actions': ['http://schemas.ogf.org/occi/platform/app/action#stop'],
        'links': [{'kind': 'http://x.example/infra#nic', 'id': 'l1',
                   'attributes': {'nic.mac': 'cc'},
                   'source': {'location': '/x/3'},
                   'target': {'location': '/net/9',
                              'kind': 'http://x.example/infra#network'}}],
    }).encode()
    query_plain = '\n'.join([
        'Category: ' + APP_CAT + '; rel="http://schemas.ogf.org/occi/core'
        '#resource"; location="/x/"; attributes="occi.app.name{required} '
        'occi.app.state{immutable} occi.app.env"; actions="http://schemas.'
        'ogf.org/occi/platform/app/action#start"',
        'Category: start; scheme="http://schemas.ogf.org/occi/platform/app/'
        'action#"; class="action"',
    ]).encode()
    query_json = json.dumps({
        'kinds': [{'term': 'app', 'scheme':
                   'http://schemas.ogf.org/occi/platform#',
                   'location': '/x/', 'parent':
                   'http://schemas.ogf.org/occi/core#resource',
                   'attributes': {'occi.app.name': {
                       'mutable': True, 'required': True,
                       'type': 'string'}}}]}).encode()
    return {
        ('GET', '/x/1'): ('200 OK', [
            ('Content-Type', 'text/occi'),
            ('Category', APP_CAT), ('Category', MIXIN_CAT),
            ('Link', '</x/1?action=start>; rel="http://schemas.ogf.org/occi/'
                     'platform/app/action#start"'),
            ('X-OCCI-Attribute', 'occi.app.name="one"'),
            ('X-OCCI-Attribute', 'occi.app.cpu=0.5, occi.app.on=false'),
        ], b'OK'),
        ('GET', '/x/2'): ('200 OK', [('Content-Type', 'text/plain')],
                          text_plain),
        ('GET', '/x/3'): ('200 OK', [
            ('Content-Type', 'application/occi+json')], resource_json),
        ('GET', '/x/'): ('200 OK', [('Content-Type', 'text/plain')],
                         b'X-OCCI-Location: /x/1\nX-OCCI-Location: '
                         b'/x/2, http://other.example/x/3\n'),
        ('GET', '/y/'): ('200 OK', [('Content-Type', 'text/uri-list')],
                         b'# uri:/y/\r\n/y/1\r\nhttp://h.example/y/2\r\n'),
        ('GET', '/-/'): ('200 OK', [('Content-Type', 'text/plain')],
                         query_plain),
        ('GET', '/j/-/'): ('200 OK', [
            ('Content-Type', 'application/occi+json')], query_json),
        ('POST', '/x/'): ('201 Created', [('Location', '/x/new'),
                                          ('Content-Type', 'text/plain')],
                          b'OK'),
        ('POST', '/z/'): ('201 Created', [('Content-Type', 'text/plain')],
                          b'X-OCCI-Location: /z/new\n'),
        ('GET', '/gone'): ('404 Not Found', [
            ('Content-Type', 'application/json')],
            b'{"code": 404, "message": "gone away"}'),
        ('GET', '/html'): ('400 Bad Request', [
            ('Content-Type', 'text/html')], b'<html>bad</html>'),
        ('GET', '/conflict'): ('409 Conflict', [
            ('Content-Type', 'text/plain')], b'busy\n'),
        ('GET', '/prefixed'): ('400 Bad Request', [
            ('Content-Type', 'text/plain; charset=utf-8')],
            b'400 Bad Request: Invalid Content-Length.\n'),
        ('GET', '/webob'): ('400 Bad Request', [
            ('Content-Type', 'text/plain; charset=UTF-8')],
            b'400 Bad Request\n\nThe server could not comply.\n\n'),
        ('GET', '/bare'): ('400 Bad Request', [
            ('Content-Type', 'text/plain')], b'400 Bad Request'),
        ('GET', '/teapot'): ('418 I\'m a teapot', [
            ('Content-Type', 'text/plain')], b'short and stout'),
    }


class _Canned(object):

    def __init__(self):
        self.answers = _answers()
        self.seen = []

    def __call__(self, environ, start_response):
        key = (environ['REQUEST_METHOD'], environ['PATH_INFO'])
        self.seen.append((key, environ.get('HTTP_CATEGORY'),
                          environ.get('HTTP_X_OCCI_ATTRIBUTE'),
                          environ.get('HTTP_X_AUTH_TOKEN')))
        status, headers, body = self.answers.get(
            key, ('404 Not Found', [('Content-Type', 'text/plain')],
                  b'nope'))
        start_response(status, headers + [('Content-Length',
                                           str(len(body)))])
        return [body]


class TestForeignServer(testtools.TestCase):

    def setUp(self):
        super(TestForeignServer, self).setUp()
        self.canned = _Canned()
        self.server, self.thread = server.serve_in_thread(self.canned)
        self.addCleanup(self.server.server_close)
        self.addCleanup(self.server.shutdown)
        self.base = 'http://127.0.0.1:%d' % self.server.server_port
        self.client = client.OCCIClient(self.base, retries=0,
                                        headers={'X-Auth-Token': 'tok'})

    def test_repeated_headers(self):
        info = self.client.get('/x/1')
        self.assertEqual('app', info.kind.term)
        self.assertEqual(['tpl'], [m.term for m in info.mixins])
        self.assertEqual({'occi.app.name': 'one', 'occi.app.cpu': 0.5,
                          'occi.app.on': False}, info.attributes)
        self.assertEqual(self.base + '/x/1?action=start', info.action_urls[
            'http://schemas.ogf.org/occi/platform/app/action#start'])
        self.assertEqual('1', info.id)

    def test_text_plain_body_with_relative_links(self):
        info = self.client.get('/x/2')
        self.assertEqual('two, with comma',
                         info.attributes['occi.app.name'])
        self.assertEqual(3, info.attributes['occi.app.replicas'])
        self.assertIs(True, info.attributes['occi.app.ready'])
        self.assertTrue(info.has_action('start'))
        self.assertEqual(1, len(info.links))
        self.assertEqual(self.base + '/net/9', info.links[0]['target'])
        self.assertEqual(self.base + '/link/7', info.links[0]['self'])
        self.assertEqual({'nic.mac': 'aa:bb'},
                         info.links[0]['attributes'])

    def test_json_resource(self):
        info = self.client.get('/x/3')
        self.assertEqual('http://schemas.ogf.org/occi/platform#app',
                         info.kind.id)
        self.assertEqual('3', info.id)
        self.assertEqual('three', info.attributes['occi.core.title'])
        self.assertEqual(1.5, info.attributes['occi.app.cpu'])
        self.assertIs(False, info.attributes['occi.app.ready'])
        self.assertTrue(info.has_action('stop'))
        self.assertEqual(self.base + '/net/9', info.links[0]['target'])

    def test_lists(self):
        self.assertEqual([self.base + '/x/1', self.base + '/x/2',
                          'http://other.example/x/3'],
                         self.client.list('/x/'))
        self.assertEqual([self.base + '/y/1', 'http://h.example/y/2'],
                         self.client.list('/y/'))

    def test_query(self):
        cats = {c.id: c for c in self.client.query()}
        app = cats['http://schemas.ogf.org/occi/platform#app']
        self.assertEqual('App, the kind', app.title)
        self.assertEqual(self.base + '/x/', app.location)
        self.assertEqual({'occi.app.name': 'required',
                          'occi.app.state': 'immutable',
                          'occi.app.env': 'mutable'}, app.attributes)
        json_client = client.OCCIClient(self.base + '/j', retries=0)
        cats = json_client.query()
        self.assertEqual('required', cats[0].attributes['occi.app.name'])
        self.assertEqual(self.base + '/x/', cats[0].location)

    def test_create_locations(self):
        kind = client.CategoryRef('http://schemas.ogf.org/occi/platform#',
                                  'app')
        self.assertEqual(self.base + '/x/new', self.client.create(
            '/x/', kind, {'occi.app.name': 'n', 'occi.app.replicas': 2}))
        self.assertEqual(self.base + '/z/new',
                         self.client.create('/z/', kind))
        _key, category, attrs, token = self.canned.seen[0]
        self.assertEqual(str(kind), category)
        self.assertEqual('occi.app.name="n", occi.app.replicas=2', attrs)
        self.assertEqual('tok', token)

    def test_errors(self):
        err = self.assertRaises(errors.NotFound, self.client.get, '/gone')
        self.assertEqual('gone away', err.message)
        err = self.assertRaises(errors.BadRequest, self.client.get, '/html')
        self.assertEqual('Bad Request', err.message)
        err = self.assertRaises(errors.Conflict, self.client.get,
                                '/conflict')
        self.assertEqual('busy', err.message)
        err = self.assertRaises(errors.OCCIError, self.client.get, '/teapot')
        self.assertEqual(418, err.code)
        self.assertEqual('short and stout', err.message)

    def test_a_status_in_the_body_is_not_repeated(self):
        # The status is the error's code: a body starting with it (older
        # Hurtle servers, WebOb) gave "400 400 Bad Request: ...".
        for path, message in (('/prefixed', 'Invalid Content-Length.'),
                              ('/webob', 'The server could not comply.'),
                              ('/bare', '400 Bad Request')):
            err = self.assertRaises(errors.BadRequest, self.client.get, path)
            self.assertEqual(message, err.message)
            self.assertEqual('400 ' + message, str(err))
