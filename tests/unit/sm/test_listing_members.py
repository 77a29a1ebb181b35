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
"""The SM renders ``GET /<kind>/`` from its rows
(``InstanceStore.listing(..., members=True)``, no entity per instance):
the same bytes as the entities give, in every rendering.

Instances of every shape the store keeps (title and summary given at
creation or updated, cleared, a trust, a failure reason, an SO URL, user
mixins, one of them deleted, typed and non-ASCII values) are listed; the
JSON listing is byte for byte the single-instance renderings joined, and
each rendering equals the same collection rendered from entities (a
filtered listing, which builds them). Pages and projects hold as before.
"""
import json

from occi import core_model
import requests
import testtools

from tests.unit.sm import sm_server

JSON = 'application/occi+json'
RENDERINGS = ('text/uri-list', 'text/plain', 'text/occi', JSON,
              'text/html')
KIND_FILTER = 'svc; scheme="http://example.org/occi/sm#"; class="kind"'
MIXIN = 'http://example.org/mine#'


class TestListingFromRows(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sm = self.useFixture(sm_server.SMServer({}))
        self.store = self.sm.store
        for project in ('p1', 'p2'):
            for term in ('fav', 'gone'):
                resp = self.request('POST', '-/', project, {
                    'Content-Type': 'text/occi',
                    'Category': '%s; scheme="%s"; class="mixin"; '
                                'location="/%s/"' % (term, MIXIN, term)})
                self.assertEqual(200, resp.status_code, resp.text)
        self.add('plain', {'n': 1})
        self.add('typed', {'a': 1, 'b': [1, 'x'], 'c': {'d': None},
                           'e': None, 'f': 2.5, 'g': True,
                           '\u00e9': '\u00fc\u2603 "quoted", \\ ;'})
        self.add('titled', {'z': 'last'}, title='T', summary='S')
        self.add('retitled', {}, title='T', summary='S')
        self.store.update('/svc/retitled', self.entity(
            'retitled', title='New', summary=''), {'project': 'p1'})
        self.add('trusted', {'hurtle.trust.id': 'secret', 'k': 'v'})
        self.add('failed', {'k': 'v'})
        self.store.transition('failed', 'failed', reason='it broke')
        self.add('served', {'occi.so.url': None, 'k': 'v'})
        self.store.transition('served', 'active',
                              so_url='http://127.0.0.1:1/',
                              attributes={'mcn.endpoint.x': 'http://e/'})
        self.add('mixed', {'k': 'v'})
        self.store.update('/svc/mixed', self.entity(
            'mixed', mixins=[MIXIN + 'fav', MIXIN + 'gone']),
            {'project': 'p1'})
        self.add('theirs', {'k': 'v'}, project='p2')
        resp = self.request('DELETE', '-/', 'p1', {
            'Content-Type': 'text/occi',
            'Category': 'gone; scheme="%s"; class="mixin"' % MIXIN})
        self.assertEqual(200, resp.status_code, resp.text)
        self.ids = ['plain', 'typed', 'titled', 'retitled', 'trusted',
                    'failed', 'served', 'mixed']

    def entity(self, ident, title=None, summary=None, attributes=None,
               mixins=()):
        key = '/svc/' + ident
        entity = core_model.Resource(key, self.store.kinds['svc'], [
            core_model.Mixin(m.rsplit('#', 1)[0] + '#', m.rsplit('#')[1])
            for m in mixins])
        entity.title = title
        entity.summary = summary
        entity.attributes = dict(attributes or {}, **{'occi.core.id':
                                                      ident})
        return entity

    def add(self, ident, attributes, title=None, summary=None,
            project='p1'):
        self.store.add('/svc/' + ident,
                       self.entity(ident, title, summary, attributes),
                       {'project': project})

    def request(self, method, path, project='p1', headers=None):
        return requests.request(
            method, path if '://' in path else self.sm.url + path,
            headers=dict(headers or {}, **{'X-Project-Id': project}),
            timeout=30)

    def get(self, path, accept, project='p1', headers=None):
        resp = self.request('GET', path, project,
                            dict(headers or {}, Accept=accept))
        self.assertEqual(200, resp.status_code, resp.text)
        return resp

    def test_json_listing_is_the_instances_renderings_joined(self):
        singles = [self.get('svc/' + ident, JSON).content
                   for ident in self.ids]
        self.assertEqual(b'{"resources":[' + b','.join(singles) + b']}',
                         self.get('svc/', JSON).content)
        # what the rows hold and must not show, and what they must
        listed = self.get('svc/', JSON).json()['resources']
        self.assertNotIn('secret', self.get('svc/', JSON).text)
        by_id = {r['id']: r for r in listed}
        self.assertEqual([MIXIN + 'fav'], by_id['mixed']['mixins'])
        self.assertEqual(('New', None), (by_id['retitled'].get('title'),
                                         by_id['retitled'].get('summary')))
        self.assertEqual('it broke', by_id['failed']['attributes'][
            'mcn.service.state.reason'])
        self.assertNotIn('e', by_id['typed']['attributes'])

    def test_every_rendering_equals_the_entities_rendering(self):
        for accept in RENDERINGS:
            from_rows = self.get('svc/', accept)
            # A filter makes the SM build and filter entities.
            from_entities = self.get('svc/', accept,
                                     headers={'Category': KIND_FILTER})
            self.assertEqual(from_entities.content, from_rows.content,
                             accept)
            self.assertEqual(from_entities.headers.get('X-OCCI-Location'),
                             from_rows.headers.get('X-OCCI-Location'),
                             accept)

    def test_pages_join_into_the_whole_listing(self):
        whole = self.get('svc/', JSON).json()['resources']
        pages = []
        url = 'svc/?limit=3'
        while url:
            resp = self.get(url, JSON)
            pages.extend(resp.json()['resources'])
            url = resp.links.get('next', {}).get('url')
        self.assertEqual(whole, pages)
        self.assertEqual(self.ids, [r['id'] for r in whole])

    def test_another_projects_instances_never_appear(self):
        for accept in RENDERINGS:
            mine = self.get('svc/', accept)
            theirs = self.get('svc/', accept, project='p2')
            for text in (mine.text,
                         mine.headers.get('X-OCCI-Location', '')):
                self.assertNotIn('theirs', text, accept)
            for text in (theirs.text,
                         theirs.headers.get('X-OCCI-Location', '')):
                for ident in self.ids:
                    self.assertNotIn('/svc/' + ident, text, accept)
        self.assertEqual(['theirs'], [
            r['id'] for r in self.get('svc/', JSON,
                                      project='p2').json()['resources']])
        self.assertEqual({}, json.loads(self.get(
            'svc/', JSON, project='p3').content))
