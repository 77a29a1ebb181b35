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
"""Table-driven OCCI conformance tests, one row per specification rule.

Each row cites its rule: GFD.185 (OCCI 1.1 HTTP rendering: 3.4.1 query
interface, 3.4.2 paths, 3.4.3 mixin/kind collections, 3.4.4 resource
instances, 3.4.5 links, 3.5.x syntax, 3.6 content types, return codes and
versioning), GFD.229 (OCCI 1.2 text rendering), GFD.226 (OCCI 1.2 JSON
rendering), GFD.184 (OCCI 1.2 core: attribute properties), RFC 7231.
Every row runs over real HTTP in each rendering it names
(text/plain, text/occi, application/occi+json).
"""

import json

import testscenarios

from hurtle.occi import client
from tests.unit.occi import base
from tests.unit.occi import gfd226
from tests.unit.occi import wire


APP = 'http://schemas.ogf.org/occi/platform#app'
START = 'http://schemas.ogf.org/occi/platform/app/action#start'
STOP = 'http://schemas.ogf.org/occi/platform/app/action#stop'
LARGE = 'http://example.com/test#large'
USES = 'http://example.com/test#uses'
MINE = 'http://example.com/user#mine'
ALL = wire.RENDERINGS
TEXT = (wire.TEXT_PLAIN, wire.TEXT_OCCI)
C = wire.Content
NEW = {'occi.app.name': 'n', 'occi.app.image': 'img'}


# -- checks: f(test, response, mime) ---------------------------------------

def created(test, resp, mime):
    loc = resp.headers['Location']
    test.assertTrue(loc.startswith(test.base + '/'), loc)
    info = test.fetch(loc)
    test.assertEqual(APP, info.kind.id)
    return info


def created_typed(test, resp, mime):
    info = created(test, resp, mime)
    test.assertEqual(3, info.attributes['occi.app.env'])


def created_with_link(test, resp, mime):
    info = created(test, resp, mime)
    test.assertEqual(1, len(info.links))
    link = info.links[0]
    test.assertEqual(test.base + '/app/a', link['target'])
    test.assertIn(USES, link['category'])


def query_lists_app(test, resp, mime):
    ids = test.category_ids(resp, mime)
    test.assertIn(APP, ids)
    test.assertIn(START, ids)
    test.assertIn('http://schemas.ogf.org/occi/core#resource', ids)


def query_only_app(test, resp, mime):
    test.assertEqual([APP], test.category_ids(resp, mime))


def query_has_mine(test, resp, mime):
    listing = test.get('/-/', mime)
    test.assertIn(MINE, test.category_ids(listing, mime))


def mine_gone(test, resp, mime):
    listing = test.get('/-/', mime)
    test.assertNotIn(MINE, test.category_ids(listing, mime))
    test.assertEqual([], test.fetch('/app/b').mixins)


def entity_a(test, resp, mime):
    info = test.parse(resp, '/app/a')
    test.assertEqual(APP, info.kind.id)
    test.assertEqual('a', info.attributes['occi.app.name'])
    test.assertEqual('a', info.id)
    test.assertEqual([START], info.actions)


def entity_b_mixin(test, resp, mime):
    info = test.parse(resp, '/app/b')
    test.assertEqual([LARGE], [m.id for m in info.mixins])
    test.assertEqual(2, info.attributes['size'])


def replaced_a(test, resp, mime):
    info = test.fetch('/app/a')
    test.assertEqual('a2', info.attributes['occi.app.name'])
    test.assertEqual('a', info.id)
    test.assertNotIn('occi.app.env', info.attributes)


def updated_a(test, resp, mime):
    info = test.fetch('/app/a')
    test.assertEqual('E', info.attributes['occi.app.env'])
    test.assertEqual('a', info.attributes['occi.app.name'])


def titled_a(test, resp, mime):
    info = test.fetch('/app/a')
    test.assertEqual('Title, A', info.attributes['occi.core.title'])
    test.assertEqual('a', info.attributes['occi.app.name'])


def a_has_mixin(test, resp, mime):
    test.assertEqual([LARGE], [m.id for m in test.fetch('/app/a').mixins])


def b_no_mixin(test, resp, mime):
    test.assertEqual([], test.fetch('/app/b').mixins)


def only_a_large(test, resp, mime):
    test.assertEqual([LARGE], [m.id for m in test.fetch('/app/a').mixins])
    test.assertEqual([], test.fetch('/app/b').mixins)


def started(test, resp, mime):
    info = test.fetch('/app/a')
    test.assertEqual('running', info.attributes['occi.app.state'])
    test.assertEqual([STOP], info.actions)


def all_started(test, resp, mime):
    for path in ('/app/a', '/app/b'):
        info = test.fetch(path)
        test.assertEqual('running', info.attributes['occi.app.state'])


def a_deleted(test, resp, mime):
    test.assertEqual(404, test.get('/app/a', mime).status_code)
    test.assertEqual(200, test.get('/app/b', mime).status_code)


def all_deleted(test, resp, mime):
    test.assertEqual([], test.locations(test.get('/app/', wire.TEXT_PLAIN),
                                        wire.TEXT_PLAIN))


def lists(*paths):
    def check(test, resp, mime):
        got = sorted(test.locations(resp, mime))
        test.assertEqual(sorted(test.base + p for p in paths), got)
    return check


def count(number):
    def check(test, resp, mime):
        test.assertEqual(number, len(test.locations(resp, mime)))
    return check


def unchanged(test, resp, mime):
    test.assertEqual(test.snapshot_before, test.snapshot())


def content_type(expected):
    def check(test, resp, mime):
        test.assertEqual(expected, resp.headers['Content-Type'])
    return check


def body_ok(test, resp, mime):
    test.assertIn('OK', resp.text)


# -- the table ---------------------------------------------------------------
# (rule cited, name, renderings, method, path, content, headers, status,
#  check)

CASES = [
    ('GFD.185 3.4.1 query interface lists kinds, mixins and actions',
     'query', ALL, 'GET', '/-/', None, {}, 200, query_lists_app),
    ('GFD.185 3.4.1 query interface also at /.well-known/org/ogf/occi/-/',
     'query_well_known', ALL, 'GET', '/.well-known/org/ogf/occi/-/', None,
     {}, 200, query_lists_app),
    ('GFD.185 3.4.1 query interface filtered by Category',
     'query_filter', ALL, 'GET', '/-/', None,
     {'Category': 'app; scheme="http://schemas.ogf.org/occi/platform#"; '
                  'class="kind"'}, 200, query_only_app),
    ('GFD.185 3.4.1 adding a user-defined mixin (location required)',
     'mixin_add', ALL, 'POST', '/-/',
     C(mixin_defs=[{'id': MINE, 'location': '/mine/'}]), {}, 200,
     query_has_mine),
    ('GFD.185 3.4.1 user mixin without a location is rejected',
     'mixin_add_no_location', ALL, 'POST', '/-/',
     C(mixin_defs=[{'id': MINE}]), {}, 400, unchanged),
    ('GFD.185 3.4.1 user mixin colliding with a category: 409',
     'mixin_add_collision', ALL, 'POST', '/-/',
     C(mixin_defs=[{'id': LARGE, 'location': '/other/'}]), {}, 409,
     unchanged),
    ('GFD.185 3.4.1 user mixin colliding with a location: 409',
     'mixin_add_location_taken', ALL, 'POST', '/-/',
     C(mixin_defs=[{'id': MINE, 'location': '/app/'}]), {}, 409,
     unchanged),
    ('GFD.185 3.4.1 provider mixins cannot be removed: 403',
     'mixin_delete_provider', TEXT, 'DELETE', '/-/',
     C(mixins=[LARGE]), {}, 403, unchanged),
    ('GFD.185 3.4.1 removing an unknown mixin: 404',
     'mixin_delete_unknown', TEXT, 'DELETE', '/-/',
     C(mixins=['http://example.com/none#x']), {}, 404, unchanged),
    ('GFD.185 3.4.2 GET on a path lists the entities below it',
     'path_list', ALL, 'GET', '/app/', None, {}, 200,
     lists('/app/a', '/app/b')),
    ('GFD.185 3.4.2 DELETE on a path deletes the entities below it',
     'path_delete', ALL, 'DELETE', '/app/', None, {}, 200, all_deleted),
    ('GFD.185 3.4.3 mixin collection lists its members',
     'mixin_collection', ALL, 'GET', '/large/', None, {}, 200,
     lists('/app/b')),
    ('GFD.185 3.4.3 collection filtered by attribute',
     'filter_attribute', TEXT, 'GET', '/app/', None,
     {'X-OCCI-Attribute': 'occi.app.name="a"'}, 200, lists('/app/a')),
    ('GFD.185 3.4.3 collection filtered by Category (mixin)',
     'filter_category', TEXT, 'GET', '/app/', None,
     {'Category': 'large; scheme="http://example.com/test#"; '
                  'class="mixin"'}, 200, lists('/app/b')),
    ('GFD.185 3.4.3 associate entities with a mixin (POST locations)',
     'mixin_associate', ALL, 'POST', '/large/', C(locations=['/app/a']),
     {}, 200, a_has_mixin),
    ('GFD.185 3.4.3 full update of a mixin collection (PUT locations)',
     'mixin_replace', ALL, 'PUT', '/large/', C(locations=['/app/a']), {},
     200, only_a_large),
    ('GFD.185 3.4.3 dissociate entities from a mixin (DELETE locations)',
     'mixin_dissociate', TEXT, 'DELETE', '/large/', C(locations=['/app/b']),
     {}, 200, b_no_mixin),
    ('GFD.185 3.4.3 associating an unknown entity is rejected',
     'mixin_associate_unknown', ALL, 'POST', '/large/',
     C(locations=['/app/none']), {}, 400, unchanged),
    ('GFD.185 3.4.3 triggering an action on a kind collection',
     'collection_action', ALL, 'POST', '/app/?action=start',
     C(action=START), {}, 200, all_started),
    ('GFD.185 3.4.3 collection action: nothing runs unless all may: 409',
     'collection_action_409', ALL, 'POST', '/app/?action=stop',
     C(action=STOP), {}, 409, unchanged),
    ('GFD.185 3.4.4 create by POST to the kind location: 201 + Location',
     'create', ALL, 'POST', '/app/', C(kind=APP, attributes=NEW), {}, 201,
     created),
    ('GFD.229 attribute values are typed (bare number kept a number)',
     'create_typed', ALL, 'POST', '/app/',
     C(kind=APP, attributes=dict(NEW, **{'occi.app.env': 3})), {}, 201,
     created_typed),
    ('GFD.185 3.4.4 create with a kind not served at that location: 400',
     'create_wrong_location', ALL, 'POST', '/large/',
     C(kind=APP, attributes=NEW), {}, 400, unchanged),
    ('GFD.185 3.4.4 create with an unregistered kind: 400',
     'create_unknown_kind', ALL, 'POST', '/app/',
     C(kind='http://example.com/none#x', attributes=NEW), {}, 400,
     unchanged),
    ('GFD.185 3.4.4 create without a kind: 400',
     'create_no_kind', TEXT, 'POST', '/app/', C(attributes=NEW), {}, 400,
     unchanged),
    ('GFD.184 attribute properties: required attribute missing: 400',
     'create_missing_required', ALL, 'POST', '/app/',
     C(kind=APP, attributes={'occi.app.name': 'x'}), {}, 400, unchanged),
    ('GFD.184 attribute names come from the kind and mixins: 400',
     'create_unknown_attribute', ALL, 'POST', '/app/',
     C(kind=APP, attributes=dict(NEW, bogus=1)), {}, 400, unchanged),
    ('GFD.184 immutable attributes cannot be set by clients: 400',
     'create_immutable', ALL, 'POST', '/app/',
     C(kind=APP, attributes=dict(NEW, **{'occi.app.state': 'x'})), {}, 400,
     unchanged),
    ('GFD.185 3.4.4 create with a mixin: mixin attributes allowed',
     'create_mixin', ALL, 'POST', '/app/',
     C(kind=APP, mixins=[LARGE], attributes=dict(NEW, size=1)), {}, 201,
     created),
    ('GFD.185 3.4.5 links can be created inline on create',
     'create_inline_link', ALL, 'POST', '/app/',
     C(kind=APP, attributes=NEW,
       links=[{'target': '/app/a', 'kind': USES, 'rel': APP}]), {}, 201,
     created_with_link),
    ('GFD.185 3.4.5 inline link to an unknown target: 400',
     'create_inline_link_bad', ALL, 'POST', '/app/',
     C(kind=APP, attributes=NEW,
       links=[{'target': '/app/none', 'kind': USES, 'rel': APP}]), {}, 400,
     unchanged),
    ('GFD.185 3.4.4 retrieve a resource instance',
     'get', ALL, 'GET', '/app/a', None, {}, 200, entity_a),
    ('GFD.185 3.4.4 retrieve shows its mixins and their attributes',
     'get_mixin', ALL, 'GET', '/app/b', None, {}, 200, entity_b_mixin),
    ('GFD.185 return codes: unknown resource instance: 404',
     'get_unknown', ALL, 'GET', '/app/none', None, {}, 404, None),
    ('GFD.185 3.4.4 partial update by POST',
     'update', ALL, 'POST', '/app/a',
     C(kind=APP, attributes={'occi.app.env': 'E'}), {}, 200, updated_a),
    ('GFD.184 occi.core.title is mutable: partial update sets it',
     'update_title', ALL, 'POST', '/app/a',
     C(kind=APP, attributes={'occi.core.title': 'Title, A'}), {}, 200,
     titled_a),
    ('GFD.184 immutable attribute on update: 400',
     'update_immutable', ALL, 'POST', '/app/a',
     C(kind=APP, attributes={'occi.app.state': 'running'}), {}, 400,
     unchanged),
    ('GFD.184 unknown attribute on update: 400',
     'update_unknown', ALL, 'POST', '/app/a',
     C(kind=APP, attributes={'bogus': 'x'}), {}, 400, unchanged),
    ('GFD.185 3.4.4 full update by PUT replaces, keeps the id (200)',
     'replace', ALL, 'PUT', '/app/a',
     C(kind=APP, attributes={'occi.app.name': 'a2',
                             'occi.app.image': 'img'}), {}, 200,
     replaced_a),
    ('GFD.185 3.4.4 full update missing a required attribute: 400',
     'replace_missing_required', ALL, 'PUT', '/app/a',
     C(kind=APP, attributes={'occi.app.name': 'a2'}), {}, 400, unchanged),
    ('GFD.185 3.4.4 create by PUT at a chosen location: 201',
     'put_create', ALL, 'PUT', '/app/chosen', C(kind=APP, attributes=NEW),
     {}, 201, created),
    ('GFD.185 3.4.4 delete a resource instance',
     'delete', ALL, 'DELETE', '/app/a', None, {}, 200, a_deleted),
    ('GFD.185 3.4.4 trigger an action with its Category',
     'action', ALL, 'POST', '/app/a?action=start', C(action=START), {}, 200,
     started),
    ('GFD.185 3.4.4 action not applicable now: 409',
     'action_not_applicable', ALL, 'POST', '/app/a?action=stop',
     C(action=STOP), {}, 409, unchanged),
    ('GFD.185 3.4.4 action without its Category: 400',
     'action_missing_category', ALL, 'POST', '/app/a?action=start', C(),
     {}, 400, unchanged),
    ('GFD.185 3.4.4 action Category not matching ?action=: 400',
     'action_wrong_category', ALL, 'POST', '/app/a?action=start',
     C(action=STOP), {}, 400, unchanged),
    ('GFD.185 3.4.4 action not defined for the kind: 400',
     'action_undefined', TEXT, 'POST', '/app/a?action=start',
     C(kind=APP), {}, 400, unchanged),
    ('Paging: a page of a collection (?page=&number=)',
     'paging', ALL, 'GET', '/app/?page=2&number=1', None, {}, 200,
     count(1)),
    ('Paging: number above the limit: 413',
     'paging_too_large', ALL, 'GET', '/app/?page=1&number=100000', None,
     {}, 413, None),
    ('Paging: page past the end: 413',
     'paging_past_end', ALL, 'GET', '/app/?page=9&number=1', None, {}, 413,
     None),
    ('Paging: non-numeric page: 400',
     'paging_bad', ALL, 'GET', '/app/?page=x', None, {}, 400, None),
    ('GFD.185 3.6 text/uri-list renders collections',
     'uri_list', (wire.TEXT_PLAIN,), 'GET', '/app/', None,
     {'Accept': 'text/uri-list'}, 200, content_type('text/uri-list')),
    ('GFD.185 3.6 text/uri-list is for collections only: 400',
     'uri_list_entity', (wire.TEXT_PLAIN,), 'GET', '/app/a', None,
     {'Accept': 'text/uri-list'}, 400, None),
    ('GFD.185 3.6 / RFC 7231 5.3.2 no Accept: text/plain',
     'accept_default', (wire.TEXT_PLAIN,), 'GET', '/app/a', None,
     {'Accept': None}, 200, content_type('text/plain')),
    ('RFC 7231 5.3.2 Accept */*: text/plain',
     'accept_any', (wire.TEXT_PLAIN,), 'GET', '/app/a', None,
     {'Accept': '*/*'}, 200, content_type('text/plain')),
    ('RFC 7231 5.3.2 q-values choose the rendering',
     'accept_q', (wire.TEXT_PLAIN,), 'GET', '/app/a', None,
     {'Accept': 'text/plain;q=0.2, application/occi+json;q=0.9, '
                'text/occi;q=0.5'}, 200,
     content_type('application/occi+json')),
    ('RFC 7231 5.3.2 media-type parameters are ignored',
     'accept_params', (wire.TEXT_PLAIN,), 'GET', '/app/a', None,
     {'Accept': 'text/occi; charset=utf-8'}, 200, content_type('text/occi')),
    ('RFC 7231 5.3.2 text/html for browsers',
     'accept_html', (wire.TEXT_PLAIN,), 'GET', '/app/a', None,
     {'Accept': 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8'}, 200,
     content_type('text/html; charset=utf-8')),
    ('RFC 7231 6.5.6 unrenderable Accept: 406',
     'accept_406', (wire.TEXT_PLAIN,), 'GET', '/app/a', None,
     {'Accept': 'application/xml'}, 406, None),
    ('RFC 7231 6.5.13 unsupported Content-Type: 415',
     'content_type_415', (wire.TEXT_PLAIN,), 'POST', '/app/',
     C(kind=APP, attributes=NEW), {'Content-Type': 'application/xml'}, 415,
     unchanged),
    ('GFD.185 3.6 versioning: higher OCCI version in User-Agent: 501',
     'version_501', (wire.TEXT_PLAIN,), 'GET', '/-/', None,
     {'User-Agent': 'client/1.0 OCCI/1.3'}, 501, None),
    ('GFD.185 3.2 unsupported method: 405',
     'method_405', (wire.TEXT_PLAIN,), 'PATCH', '/app/a', None, {}, 405,
     unchanged),
    ('GFD.185 3.5 text/occi answers carry OK as body',
     'text_occi_ok_body', (wire.TEXT_OCCI,), 'POST', '/large/',
     C(locations=['/app/a']), {}, 200, body_ok),
]


def _scenarios():
    result = []
    for cite, name, mimes, method, path, content, headers, status, check \
            in CASES:
        for mime in mimes:
            short = {wire.TEXT_PLAIN: 'plain', wire.TEXT_OCCI: 'occi',
                     wire.JSON: 'json'}[mime]
            result.append(('%s-%s' % (name, short), {
                'cite': cite, 'mime': mime, 'method': method, 'path': path,
                'content': content, 'headers': headers, 'status': status,
                'check': check}))
    return result


class TestConformance(testscenarios.WithScenarios, base.ServedAppTestCase):

    scenarios = _scenarios()

    def setUp(self):
        super(TestConformance, self).setUp()
        put = wire.Content(kind=APP, attributes={
            'occi.app.name': 'a', 'occi.app.image': 'img'})
        headers, body = put.encode(wire.TEXT_OCCI)
        self.assertEqual(201, self.req('PUT', '/app/a', headers,
                                       body).status_code)
        put = wire.Content(kind=APP, mixins=[LARGE], attributes={
            'occi.app.name': 'b', 'occi.app.image': 'img', 'size': 2})
        headers, body = put.encode(wire.TEXT_OCCI)
        self.assertEqual(201, self.req('PUT', '/app/b', headers,
                                       body).status_code)
        self.client = client.OCCIClient(self.base, retries=0,
                                        headers={'X-Project-Id': 'p1'})

    # helpers used by the checks -------------------------------------------
    def get(self, path, mime):
        return self.req('GET', path, {'Accept': mime})

    def parse(self, resp, path):
        return self.client.parse_entity(resp, self.base + path)

    def fetch(self, path):
        return self.client.get(path)

    def snapshot(self):
        out = []
        for entity in self.app.registry.get_resources({'project': 'p1'}):
            out.append((entity.identifier, str(entity.kind),
                        sorted(str(m) for m in entity.mixins),
                        sorted((k, repr(v)) for k, v in
                               entity.attributes.items()),
                        sorted(str(a) for a in entity.actions)))
        cats = sorted(str(c) for c in
                      self.app.registry.get_categories({'project': 'p1'}))
        return sorted(out), cats

    def category_ids(self, resp, mime):
        if mime == wire.JSON:
            doc = json.loads(resp.text)
            gfd226.validate(doc, gfd226.MODEL)
            return [c['scheme'] + c['term'] for key in
                    ('kinds', 'mixins', 'actions') for c in doc.get(key, [])]
        return [c.id for c in self.client.query.__func__(
            _Canned(self.client, resp))]

    def locations(self, resp, mime):
        if mime == wire.JSON:
            doc = json.loads(resp.text)
            gfd226.validate(doc, gfd226.COLLECTION)
        return self.client._locations(resp)

    # the test ------------------------------------------------------------
    def test_rule(self):
        self.snapshot_before = self.snapshot()
        headers = {'Accept': self.mime}
        body = None
        if self.content is not None:
            ctype_headers, body = self.content.encode(self.mime)
            headers.update(ctype_headers)
        for name, value in self.headers.items():
            if value is None:
                headers.pop(name, None)
            else:
                headers[name] = value
        resp = self.req(self.method, self.path, headers, body)
        self.assertEqual(self.status, resp.status_code,
                         '%s: %s' % (self.cite, resp.text[:300]))
        self.assertEqual(str(len(resp.content)),
                         resp.headers['Content-Length'])
        self.assertIn('OCCI/1.1', resp.headers['Server'])
        self.assertNotIn('Traceback', resp.text)
        if resp.status_code >= 400:
            self.assertLess(len(resp.text), 500)
            if resp.headers['Content-Type'] == wire.JSON:
                self.assertIn('message', json.loads(resp.text))
        elif resp.headers['Content-Type'] == wire.JSON and \
                self.method in ('GET', 'POST', 'PUT') and resp.text and \
                self.path not in ('/-/', '/.well-known/org/ogf/occi/-/'):
            doc = json.loads(resp.text)
            if isinstance(doc, list):
                gfd226.validate(doc, gfd226.LOCATIONS)
            elif self.path.endswith('/') and self.method == 'GET':
                gfd226.validate(doc, gfd226.COLLECTION)
            elif 'kind' in doc:
                gfd226.validate(doc, gfd226.ENTITY)
        if self.check is not None:
            self.check(self, resp, self.mime)


class _Canned(object):
    """Makes ``OCCIClient.query`` parse an already fetched response."""

    def __init__(self, real, resp):
        self._real = real
        self._resp = resp

    def request(self, *args, **kwargs):
        return self._resp

    def __getattr__(self, name):
        return getattr(self._real, name)
