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
"""User-defined mixins through the query interface (GFD.185 3.4.1)."""

import json

from hurtle.occi import client
from tests.unit.occi import base

MINE = 'mine; scheme="http://example.com/user#"; class="mixin"'
MINE_ID = 'http://example.com/user#mine'


class TestUserMixins(base.ServedAppTestCase):

    def setUp(self):
        super(TestUserMixins, self).setUp()
        self.client = client.OCCIClient(self.base, retries=0,
                                        headers={'X-Project-Id': 'p1'})

    def _define(self, project='p1'):
        resp = self.req('POST', '/-/', {
            'Content-Type': 'text/occi',
            'Category': MINE + '; location="/mine/"'}, project=project)
        self.assertEqual(200, resp.status_code, resp.text)

    def test_lifecycle_and_dissociation(self):
        self._define()
        loc = self.create_app()
        resp = self.req('POST', '/mine/', {'Content-Type': 'text/occi',
                                           'X-OCCI-Location': loc})
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual([MINE_ID], [m.id for m in
                                     self.client.get(loc).mixins])
        self.assertEqual([loc], self.client.list('/mine/'))
        # an entity may also be created with the user mixin
        loc2 = self.client.create('/app/', client.CategoryRef.of(
            base.categories.APP), {'occi.app.name': 'x',
                                   'occi.app.image': 'y'},
            mixins=[client.CategoryRef('http://example.com/user#', 'mine',
                                       'mixin')])
        self.assertEqual(sorted([loc, loc2]),
                         sorted(self.client.list('/mine/')))

        resp = self.req('DELETE', '/-/', {'Content-Type': 'text/occi',
                                          'Category': MINE})
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual([], self.client.get(loc).mixins)
        self.assertEqual([], self.client.get(loc2).mixins)
        self.assertNotIn(MINE_ID, [c.id for c in self.client.query()])
        self.assertEqual(404, self.req('GET', '/mine/').status_code)

    def test_user_mixins_are_per_project(self):
        self._define('p1')
        p2 = client.OCCIClient(self.base, retries=0,
                               headers={'X-Project-Id': 'p2'})
        self.assertIn(MINE_ID, [c.id for c in self.client.query()])
        self.assertNotIn(MINE_ID, [c.id for c in p2.query()])
        self.assertEqual(404, self.req('GET', '/mine/',
                                       project='p2').status_code)
        # p2 may define its own with the same name and location
        self._define('p2')
        resp = self.req('DELETE', '/-/', {'Content-Type': 'text/occi',
                                          'Category': MINE}, project='p2')
        self.assertEqual(200, resp.status_code)
        self.assertIn(MINE_ID, [c.id for c in self.client.query()])

    def test_define_with_json(self):
        resp = self.req('POST', '/-/', {
            'Content-Type': 'application/occi+json',
            'Accept': 'application/occi+json'}, json.dumps({'mixins': [{
                'term': 'mine', 'scheme': 'http://example.com/user#',
                'location': '/mine/', 'title': 'Mine',
                'applies': ['http://schemas.ogf.org/occi/platform#app']}]}))
        self.assertEqual(200, resp.status_code, resp.text)
        resp = self.req('GET', '/-/', {'Accept': 'application/occi+json'})
        mixins = {m['scheme'] + m['term']: m
                  for m in json.loads(resp.text)['mixins']}
        self.assertEqual(['http://schemas.ogf.org/occi/platform#app'],
                         mixins[MINE_ID]['applies'])
        self.assertEqual(self.base + '/mine/', mixins[MINE_ID]['location'])

    def test_related_must_exist(self):
        resp = self.req('POST', '/-/', {
            'Content-Type': 'text/occi',
            'Category': MINE + '; location="/mine/"; '
                               'rel="http://none.example/#x"'})
        self.assertEqual(400, resp.status_code)

    def test_location_must_be_a_collection_path(self):
        for loc in ('/mine', 'mine/', '/-/'):
            resp = self.req('POST', '/-/', {
                'Content-Type': 'text/occi',
                'Category': MINE + '; location="%s"' % loc})
            self.assertEqual(400, resp.status_code, loc)

    def test_location_not_below_the_health_check(self):
        for loc in ('/healthcheck/', '/healthcheck/x/', '/a/../healthcheck/'):
            resp = self.req('POST', '/-/', {
                'Content-Type': 'text/occi',
                'Category': MINE + '; location="%s"' % loc})
            self.assertEqual(400, resp.status_code, loc)
            self.assertIn('is served by the health check', resp.text)
        resp = self.req('POST', '/-/', {
            'Content-Type': 'text/occi',
            'Category': MINE + '; location="/healthchecks/"'})
        self.assertEqual(200, resp.status_code, resp.text)

    def test_kinds_cannot_be_defined(self):
        resp = self.req('POST', '/-/', {
            'Content-Type': 'text/occi',
            'Category': 'k; scheme="http://example.com/user#"; '
                        'class="kind"; location="/k/"'})
        self.assertEqual(400, resp.status_code)

    def test_core_kinds_listed_not_instantiable(self):
        cats = {c.id: c for c in self.client.query()}
        for term in ('entity', 'resource', 'link'):
            core = cats['http://schemas.ogf.org/occi/core#' + term]
            # GFD.223: not instantiable, so bound to no location (issue 7;
            # /entity/, /resource/ and /link/ answered 404 while listed).
            self.assertIsNone(core.location)
            self.assertEqual(404, self.req('GET', '/%s/' % term).status_code)
        resp = self.req('POST', '/resource/', {
            'Content-Type': 'text/occi',
            'Category': 'resource; scheme="http://schemas.ogf.org/occi/'
                        'core#"; class="kind"'})
        self.assertEqual(404, resp.status_code, resp.text)
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/occi',
            'Category': 'resource; scheme="http://schemas.ogf.org/occi/'
                        'core#"; class="kind"'})
        self.assertEqual(400, resp.status_code, resp.text)
