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
"""Collections rendered from :class:`hurtle.occi.members.Member` records.

Each rendering gives a collection of members the bytes it gives the same
entities; the default store lists members of its entities; a backend
whose ``retrieve`` does work (of the kind or of a member's mixin) still
gets to do it before a listing renders.
"""
from occi import backend
from occi import core_model
import testtools

from hurtle.occi import categories
from hurtle.occi import members
from hurtle.occi import registry
from hurtle.occi import renderings
from tests.unit.occi import base

KIND = core_model.Kind('http://example.org/t#', 'thing', location='/thing/')
MIX = core_model.Mixin('http://example.org/t#', 'tag', location='/tag/')
ACTION = core_model.Action('http://example.org/t/action#', 'go')
JSON = 'application/occi+json'


def _entities():
    plain = core_model.Resource('/thing/a', KIND, [])
    plain.attributes = {'x': 1}
    full = core_model.Resource('/thing/b', KIND, [MIX], summary='S')
    full.title = 'T'
    full.attributes = {'occi.core.id': 'b', 'y': None, 'z': [1, {'q': 'r'}],
                       '\u00e9': '\u2603'}
    full.actions = [ACTION]
    odd = core_model.Resource('/thing/c', KIND, [])
    odd.attributes = {'occi.core.title': '', 'occi.core.id': None}
    return [plain, full, odd]


class TestRenderingsOfMembers(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.registry = registry.Registry()
        self.registry.set_hostname('http://h:1')

    def test_each_rendering_renders_members_as_their_entities(self):
        entities = _entities()
        records = [members.of_entity(e) for e in entities]
        for cls in renderings.RENDERINGS:
            rendering = cls(self.registry)
            self.assertEqual(rendering.collection(entities, '/thing/'),
                             rendering.members(records, '/thing/'),
                             cls.mime_type)
            self.assertEqual(rendering.collection([], '/thing/'),
                             rendering.members([], '/thing/'),
                             cls.mime_type)

    def test_json_members_are_the_entities_documents(self):
        rendering = renderings.JsonRendering(self.registry)
        entities = _entities()
        _headers, body = rendering.members(
            [members.of_entity(e) for e in entities], '/thing/')
        self.assertEqual(
            '{"resources":[%s]}' % ','.join(rendering.entity(e)[1]
                                            for e in entities), body)

    def test_rendered_attributes_order_and_nones(self):
        self.assertEqual(
            [('occi.core.id', 'b'), ('occi.core.title', 'T'),
             ('occi.core.summary', 'S'), ('z', 1), ('a', 2)],
            list(members.rendered_attributes(
                'x', 'T', 'S', {'z': 1, 'occi.core.id': 'b', 'n': None,
                                'a': 2}).items()))
        self.assertEqual({'occi.core.id': 'x'},
                         members.rendered_attributes(
                             'x', '', None, {'occi.core.id': None}))

    def test_long_location_lists_split_as_before(self):
        locations = ['http://h:1/thing/%05d%s' % (i, 'x' * (i % 50))
                     for i in range(3000)]
        occi = renderings.TextOcciRendering(self.registry)
        headers, body = occi.locations(locations)
        self.assertEqual(occi._emit([('X-OCCI-Location', loc)
                                     for loc in locations]),
                         (headers, body))
        self.assertGreater(len(headers), 10)
        self.assertTrue(all(len(v) <= occi.max_line for _n, v in headers))
        plain = renderings.TextPlainRendering(self.registry)
        self.assertEqual(plain._emit([('X-OCCI-Location', loc)
                                      for loc in locations]),
                         plain.locations(locations))
        self.assertEqual(([], ''), plain.locations([]))
        uris = renderings.UriListRendering(self.registry)
        self.assertEqual(''.join(loc + '\r\n' for loc in locations),
                         uris.locations(locations)[1])
        self.assertEqual(([], ''), uris.locations([]))


class TestDefaultStoreMembers(testtools.TestCase):

    def test_members_of_the_default_store(self):
        store = registry.MemoryStore()
        for entity in _entities():
            store.add(entity.identifier, entity, {'project': 'p1'})
        linked = core_model.Resource('/thing/d', KIND, [], links=[
            core_model.Link('/link/1', core_model.Link.kind, [],
                            '/thing/d', '/thing/a')])
        store.add('/thing/d', linked, {'project': 'p1'})
        items, more = store.listing({'project': 'p1'}, KIND, limit=3,
                                    members=True)
        self.assertEqual([members.of_entity(e) for e in _entities()],
                         items)
        self.assertTrue(more)
        items, _more = store.listing({'project': 'p1'}, KIND,
                                     marker='c', members=True)
        self.assertEqual([linked], items)    # with links: the entity
        self.assertEqual(([], False), store.listing({'project': 'p2'}, KIND,
                                                    members=True))


class _Retrieving(backend.KindBackend):
    """A kind whose ``retrieve`` does work (refreshes a value)."""

    def retrieve(self, entity, extras):
        entity.attributes['seen'] = 'retrieved'


class _TagBackend(backend.MixinBackend):

    def retrieve(self, entity, extras):
        entity.attributes['tag.seen'] = 'retrieved'


class TestListingsRetrieve(base.ServedAppTestCase):

    def setUp(self):
        super().setUp()
        self.app.register_backend(KIND, _Retrieving())
        self.app.register_backend(MIX, _TagBackend())
        for ident in ('a', 'b'):
            entity = core_model.Resource('/thing/' + ident, KIND, [])
            self.app.registry.add_resource(entity.identifier, entity,
                                           {'project': 'p1'})

    def listing(self, path):
        resp = self.req('GET', path, {'Accept': JSON})
        self.assertEqual(200, resp.status_code, resp.text)
        return resp.json()['resources']

    def test_a_kind_whose_retrieve_works_is_retrieved(self):
        self.assertEqual(['retrieved', 'retrieved'],
                         [r['attributes'].get('seen')
                          for r in self.listing('/thing/')])

    def test_a_members_mixin_whose_retrieve_works_is_retrieved(self):
        resp = self.req('POST', self.create_app(), {
            'Content-Type': 'text/occi',
            'Category': 'tag; scheme="http://example.org/t#"; '
                        'class="mixin"'})
        self.assertEqual(200, resp.status_code, resp.text)
        listed = self.listing('/app/')
        self.assertEqual(['retrieved'],
                         [r['attributes'].get('tag.seen') for r in listed])
        self.assertEqual([str(MIX)], listed[0]['mixins'])

    def test_no_retrieve_no_mixin_lists_members(self):
        self.create_app()
        listed = self.listing('/app/')
        self.assertEqual([str(categories.APP)], [r['kind'] for r in listed])
        self.assertNotIn('mixins', listed[0])
