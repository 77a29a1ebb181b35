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
"""User mixins: locations normalised and kept inside the root and away
from kinds' locations, a per-project limit, terms and schemes checked,
definitions kept by the registry's mixin store."""

from hurtle.occi import client
from hurtle.occi import registry as occi_registry
from tests.unit.occi import base

SCHEME = 'http://example.com/user#'


def _cat(term, location, scheme=SCHEME):
    return '%s; scheme="%s"; class="mixin"; location="%s"' % (
        term, scheme, location)


class TestMixinRules(base.ServedAppTestCase):

    def define(self, term, location, project='p1', scheme=SCHEME):
        return self.req('POST', '/-/', {
            'Content-Type': 'text/occi',
            'Category': _cat(term, location, scheme)}, project=project)

    def locations(self, project='p1'):
        occi = client.OCCIClient(self.base, retries=0,
                                 headers={'X-Project-Id': project})
        return {c.term: c.location for c in occi.query()
                if c.scheme == SCHEME}

    def test_locations_escaping_the_root_are_400(self):
        for loc in ('/../x/', '/a/../../x/', '/./../x/', '/a/%2e%2e/x/'):
            self.assertError(self.define('m', loc), 400)
        self.assertEqual({}, self.locations())

    def test_locations_are_normalised(self):
        self.assertEqual(200, self.define('m', '/a/./b//c/../d/').status_code)
        self.assertEqual(self.base + '/a/b/d/', self.locations()['m'])
        # the same place written differently is taken
        self.assertEqual(409, self.define('n', '//a/b/d/').status_code)

    def test_locations_inside_or_around_a_kind_are_400(self):
        for loc in ('/app/x/', '/app/x/y/', '/uses/a/'):
            self.assertError(self.define('m', loc), 400)
        self.assertEqual(409, self.define('m', '/app/').status_code)
        self.assertEqual({}, self.locations())

    def test_terms_and_schemes_checked(self):
        self.assertError(self.define('Big', '/big/'), 400)
        self.assertError(self.define('m', '/m/', scheme='nohash'), 400)
        self.assertError(self.define('m', '/m/',
                                     scheme='x' * 300 + '://a#'), 400)

    def test_per_project_limit_is_403(self):
        self.app.registry.max_user_mixins = 3
        for index in range(3):
            self.assertEqual(200, self.define('m%d' % index,
                                              '/m%d/' % index).status_code)
        resp = self.define('m9', '/m9/')
        self.assertError(resp, 403)
        self.assertIn('At most 3', resp.text)
        # another project has its own allowance, and its own locations
        self.assertEqual(200, self.define('m0', '/m0/',
                                          project='p2').status_code)
        # deleting one makes room
        self.assertEqual(200, self.req('DELETE', '/-/', {
            'Content-Type': 'text/occi',
            'Category': 'm1; scheme="%s"; class="mixin"' % SCHEME})
            .status_code)
        self.assertEqual(200, self.define('m9', '/m9/').status_code)

    def test_other_projects_neither_see_nor_use(self):
        self.assertEqual(200, self.define('m', '/m/').status_code)
        self.assertEqual({}, self.locations('p2'))
        loc = self.create_app(project='p2')
        resp = self.req('POST', '/m/', {'Content-Type': 'text/occi',
                                        'X-OCCI-Location': loc},
                        project='p2')
        self.assertEqual(404, resp.status_code)
        resp = self.req('POST', loc, {
            'Content-Type': 'text/occi',
            'Category': 'm; scheme="%s"; class="mixin"' % SCHEME},
            project='p2')
        self.assertEqual(400, resp.status_code)

    def test_definitions_live_in_the_mixin_store(self):
        store = occi_registry.MemoryMixinStore()
        self.app.registry.mixin_store = store
        self.assertEqual(200, self.define('m', '/m/').status_code)
        self.assertEqual([{'scheme': SCHEME, 'term': 'm', 'title': '',
                           'location': '/m/', 'related': []}],
                         store.list('p1'))

    def test_related_categories_are_kept(self):
        self.assertEqual(200, self.define('base', '/base/').status_code)
        resp = self.req('POST', '/-/', {
            'Content-Type': 'text/occi',
            'Category': _cat('child', '/child/') +
            '; rel="%sbase http://schemas.ogf.org/occi/platform#app"'
            % SCHEME})
        self.assertEqual(200, resp.status_code, resp.text)
        occi = client.OCCIClient(self.base, retries=0,
                                 headers={'X-Project-Id': 'p1'})
        child = [c for c in occi.query() if c.term == 'child'][0]
        self.assertEqual(sorted([SCHEME + 'base',
                                 'http://schemas.ogf.org/occi/platform#app']),
                         sorted(child.related))

    def test_absolute_locations_must_be_on_this_service(self):
        # Trial findings: a foreign URL was silently cut to its path.
        port = self.server.server_port
        for loc in ('http://evil.example/x/',
                    'http://evil.example:%d/x/' % port,
                    'https://127.0.0.1:%d/x/' % port,
                    'http://127.0.0.1:1/x/',
                    'http://127.0.0.1:99999/x/',
                    'ftp://127.0.0.1:%d/x/' % port,
                    'http://user@127.0.0.1:%d/x/' % port,
                    self.base + '/x/?a=b', self.base + '/x/#f'):
            resp = self.define('m', loc)
            self.assertError(resp, 400)
            self.assertIn('not on this service', resp.text)
        self.assertEqual({}, self.locations())
        # this service's own URLs are taken, written in any case
        self.assertEqual(200, self.define('m', self.base + '/own/')
                         .status_code)
        self.assertEqual(200, self.define(
            'n', 'HTTP://127.0.0.1:%d/own2/' % port).status_code)
        self.assertEqual({'m': self.base + '/own/',
                          'n': self.base + '/own2/'}, self.locations())

    def test_absolute_locations_under_the_public_url(self):
        self.app.public_url = 'https://cloud.example/sm'
        for loc in ('https://cloud.example/other/x/',
                    'https://cloud.example/smx/',
                    'http://cloud.example/sm/x/', self.base + '/x/'):
            self.assertError(self.define('m', loc), 400)
        self.assertEqual(200, self.define(
            'm', 'https://cloud.example:443/sm/x/').status_code)
        self.assertEqual({'m': 'https://cloud.example/sm/x/'},
                         self.locations())

    def test_provider_schemes_are_refused(self):
        # a user mixin must not pass for one of the provider's categories
        for scheme in ('http://example.com/test#',       # kinds, a mixin
                       'http://schemas.ogf.org/occi/platform#',
                       'HTTP://schemas.ogf.org/occi/PLATFORM#',
                       'http://schemas.ogf.org/occi/platform/app/action#',
                       'http://schemas.ogf.org/occi/core#'):
            resp = self.define('m', '/m/', scheme=scheme)
            self.assertError(resp, 403)
            self.assertIn(scheme, resp.text)
        self.assertEqual([], [c for c in client.OCCIClient(
            self.base, retries=0, headers={'X-Project-Id': 'p1'}).query()
            if c.term == 'm'])
        # another scheme of the same host is the user's to take
        self.assertEqual(200, self.define(
            'm', '/m/', scheme='http://example.com/test/mine#').status_code)
