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
"""What third-party clients (rOCCI/pOCCI lineage) rely on: empty bodies,
Allow on 405, 404 for unknown actions and categories, errors in the
negotiated rendering, category locations as paths or URLs, locations
from a public URL or a valid Host."""

import json

from occi import backend
from occi import core_model

from hurtle.occi import client
from hurtle.occi import errors
from tests import net
from tests.unit.occi import base

NOPUT = core_model.Kind('http://example.com/test#', 'noput',
                        related=[core_model.Resource.kind],
                        attributes={'x': 'mutable'}, location='/noput/')
NOPUT_CAT = 'noput; scheme="http://example.com/test#"; class="kind"'


class NoPutBackend(backend.KindBackend):
    def replace(self, old, new, extras):
        raise errors.MethodNotAllowed('no replace here')


class TestAnswers(base.ServedAppTestCase):

    def setUp(self):
        super().setUp()
        self.app.register_backend(NOPUT, NoPutBackend())
        self.loc = self.create_app()

    def test_empty_collection_in_text_plain_is_an_empty_body(self):
        resp = self.req('GET', '/large/', {'Accept': 'text/plain'})
        self.assertEqual(200, resp.status_code)
        self.assertEqual('', resp.text)
        self.assertEqual([], client.OCCIClient(
            self.base, headers={'X-Project-Id': 'p1'}).list('/large/'))

    def test_every_405_has_allow(self):
        resp = self.req('PATCH', self.loc)
        self.assertError(resp, 405)
        self.assertIn('GET', resp.headers['Allow'])
        created = self.req('POST', '/noput/', {
            'Content-Type': 'text/occi', 'Category': NOPUT_CAT})
        self.assertEqual(201, created.status_code, created.text)
        resp = self.req('PUT', created.headers['Location'], {
            'Content-Type': 'text/occi', 'Category': NOPUT_CAT,
            'X-OCCI-Attribute': 'x="1"'})
        self.assertError(resp, 405)
        allowed = [m.strip() for m in resp.headers['Allow'].split(',')]
        self.assertNotIn('PUT', allowed)
        self.assertIn('POST', allowed)

    def test_unknown_action_is_404(self):
        resp = self.req('POST', self.loc + '?action=foo', {
            'Content-Type': 'text/occi',
            'Category': 'foo; scheme="http://example.com/x#"; '
                        'class="action"'})
        self.assertError(resp, 404)
        # Registered, but not an action of this entity's kind.
        resp = self.req('POST', self.loc + '?action=stop', {
            'Content-Type': 'text/occi', 'Category': base.STOP_CAT})
        self.assertNotEqual(404, resp.status_code)
        other = self.req('POST', '/noput/', {
            'Content-Type': 'text/occi', 'Category': NOPUT_CAT})
        resp = self.req('POST', other.headers['Location'] + '?action=stop',
                        {'Content-Type': 'text/occi',
                         'Category': base.STOP_CAT})
        self.assertError(resp, 404)

    def test_unknown_category_in_a_filter_is_404(self):
        unknown = 'nope; scheme="http://example.com/x#"; class="kind"'
        for path in ('/app/', '/-/', '/'):
            resp = self.req('GET', path, {'Category': unknown})
            self.assertError(resp, 404)
        resp = self.req('GET', '/app/', {'Category': base.APP_CAT,
                                         'Accept': 'text/uri-list'})
        self.assertEqual([self.loc], resp.text.split())

    def test_errors_in_the_negotiated_rendering(self):
        resp = self.req('GET', '/app/none', {'Accept': 'text/occi'})
        self.assertError(resp, 404)
        self.assertEqual('text/occi', resp.headers['Content-Type'])
        resp = self.req('GET', '/app/none',
                        {'Accept': 'application/occi+json'})
        self.assertError(resp, 404)
        self.assertEqual('application/occi+json',
                         resp.headers['Content-Type'])
        self.assertIn('No entity', json.loads(resp.text)['message'])
        resp = self.req('GET', '/app/none', {'Accept': 'text/uri-list'})
        self.assertEqual('text/plain', resp.headers['Content-Type'])


class TestLocations(base.ServedAppTestCase):

    def _kind_locations(self, accept):
        resp = self.req('GET', '/-/', {'Accept': accept})
        self.assertEqual(200, resp.status_code)
        if 'json' in accept:
            return [k['location'] for k in json.loads(resp.text)['kinds']
                    if 'location' in k]
        text = resp.text + resp.headers.get('Category', '')
        return [part.split('"')[1] for part in text.split('location=')[1:]]

    def test_category_locations_absolute_by_default(self):
        for accept in ('text/plain', 'text/occi', 'application/occi+json'):
            locs = self._kind_locations(accept)
            self.assertIn(self.base + '/app/', locs)
            self.assertTrue(all(loc.startswith(self.base) for loc in locs))

    def test_category_locations_as_paths(self):
        self.app.category_locations = 'path'
        for accept in ('text/plain', 'text/occi', 'application/occi+json'):
            locs = self._kind_locations(accept)
            self.assertIn('/app/', locs, accept)
            self.assertTrue(all(loc.startswith('/') for loc in locs))
        # endpoint + location, as rOCCI/pOCCI clients build it
        self.assertEqual(200, self.req('GET', self.base + '/app/').status_code)
        # entity locations stay absolute
        loc = self.create_app()
        self.assertTrue(loc.startswith(self.base + '/app/'))
        listing = self.req('GET', '/app/', {'Accept': 'text/plain'})
        self.assertIn('X-OCCI-Location: ' + loc, listing.text)
        # the client resolves either form
        occi = client.OCCIClient(self.base, headers={'X-Project-Id': 'p1'})
        self.assertEqual(self.base + '/app/',
                         occi.kind_locations()['http://schemas.ogf.org/occi/'
                                               'platform#app'])

    def test_bad_category_locations_mode(self):
        self.assertRaises(ValueError, setattr, self.app,
                          'category_locations', 'relative')

    def test_malformed_host_is_400(self):
        for host in ('exa mple', 'a/b', 'x:99999', 'x:port', 'a"b',
                     'evil.example/<script>', '[zz', ''):
            resp = self.req('GET', '/-/', {'Host': host})
            self.assertError(resp, 400)
        resp = self.req('GET', '/-/', {'Host': '[::1]:8080'})
        self.assertEqual(200, resp.status_code)


class TestPublicUrl(base.ServedAppTestCase):

    def wrap(self, app):
        app.public_url = 'https://cloud.example/occi'
        return app

    def test_locations_from_the_public_url(self):
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/occi', 'Category': base.APP_CAT,
            'Host': 'attacker.example',
            'X-OCCI-Attribute': 'occi.app.name="a", occi.app.image="i"'})
        self.assertEqual(201, resp.status_code, resp.text)
        loc = resp.headers['Location']
        self.assertTrue(loc.startswith('https://cloud.example/occi/app/'))
        # locations under the public URL name entities of this service
        resp = self.req('POST', '/large/', {
            'Content-Type': 'text/occi', 'X-OCCI-Location': loc})
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertNotIn('attacker', self.req('GET', '/app/').text)

    def _raw(self, data):
        """Send ``data`` on a new connection; the whole answer (the
        requests below close the connection)."""
        return net.exchange(self.server.server_port, data)

    def test_host_rules_stay_with_a_public_url(self):
        create = (b' /app/ %s\r\nX-Project-Id: p1\r\n'
                  b'Content-Type: text/occi\r\nConnection: close\r\n'
                  b'Content-Length: 0\r\nCategory: ' +
                  base.APP_CAT.encode() + b'\r\nX-OCCI-Attribute: '
                  b'occi.app.name="a", occi.app.image="i"\r\n\r\n')
        answer = self._raw(b'POST' + create % b'HTTP/1.1')
        self.assertTrue(answer.startswith(b'HTTP/1.1 400 '), answer)
        answer = self._raw(b'POST' + create % b'HTTP/1.0')
        self.assertTrue(answer.startswith(b'HTTP/1.1 201 '), answer)
        self.assertIn(b'Location: https://cloud.example/occi/app/', answer)

    def test_public_url_checked(self):
        from hurtle.occi import app as occi_app
        for bad in ('ftp://x/', 'http://a b/', 'http://x/?q=1'):
            self.assertRaises(ValueError, occi_app.Application,
                              public_url=bad)


class TestProjectIds(base.ServedAppTestCase):

    PROJECT = 'Zürich-团队'

    def wrap(self, app):
        from hurtle.occi import middleware
        return middleware.NoAuthMiddleware(app, default_project='dflt')

    def test_utf8_project_round_trip(self):
        wire = self.PROJECT.encode('utf-8')
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/occi', 'Category': base.APP_CAT,
            'X-OCCI-Attribute': 'occi.app.name="a", occi.app.image="i"'},
            project=wire)
        self.assertEqual(201, resp.status_code, resp.text)
        self.assertEqual(('create', resp.headers['Location'][len(self.base):],
                          self.PROJECT), self.backend.calls[0])
        listing = self.req('GET', '/app/', {'Accept': 'text/uri-list'},
                           project=wire)
        self.assertEqual([resp.headers['Location']], listing.text.split())
        # the client sends such ids too
        occi = client.OCCIClient(self.base,
                                 headers={'X-Project-Id': self.PROJECT})
        self.assertEqual([resp.headers['Location']],
                         occi.list('/app/'))
        self.assertEqual([], self.req('GET', '/app/', project='dflt').text
                         .split())

    def test_invalid_project_is_400_not_the_default(self):
        for project in ('x' * 256, 'a\tb', 'a,b'):
            resp = self.req('GET', '/app/', project=project)
            self.assertError(resp, 400)
            self.assertIn('255 characters', resp.text)
