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
"""The backend hook ``check_update``: asked before the attributes of a
``POST``/``PUT`` on an entity are checked, so its refusal (a 409 by
state) comes before a 400 for an immutable value sent back stale."""
from occi import backend
from occi import core_model

from hurtle.occi import app as occi_app
from hurtle.occi import errors
from hurtle.occi import registry as occi_registry
from tests.unit.occi import base

THING = core_model.Kind('http://example.com/test#', 'thing',
                        related=[core_model.Resource.kind],
                        attributes={'name': 'mutable',
                                    'state': 'immutable'},
                        location='/thing/')
THING_CAT = 'thing; scheme="http://example.com/test#"; class="kind"'


class _StatefulBackend(backend.KindBackend):
    """Sets ``state``; refuses updates of the keys in ``busy`` (409)."""

    def __init__(self):
        self.busy = set()
        self.checked = []
        self.updated = []

    def create(self, entity, extras):
        entity.attributes['state'] = 'idle'

    def check_update(self, entity, extras, full=False):
        self.checked.append((entity.identifier, full))
        if entity.identifier in self.busy:
            raise errors.Conflict('%s is busy' % entity.identifier)

    def update(self, old, new, extras):
        self.updated.append(('update', old.identifier))

    def replace(self, old, new, extras):
        self.updated.append(('replace', old.identifier))


class CheckUpdateTest(base.ServedAppTestCase):

    def setUp(self):
        self.store = occi_registry.MemoryStore()
        self.things = _StatefulBackend()
        super().setUp()
        resp = self.req('PUT', '/thing/t1', self.headers('name="a"'))
        self.assertEqual(201, resp.status_code, resp.text)

    def wrap(self, app):
        app = occi_app.Application(occi_registry.Registry(self.store))
        app.register_backend(THING, self.things)
        return app

    @staticmethod
    def headers(attributes):
        return {'Content-Type': 'text/occi', 'Category': THING_CAT,
                'X-OCCI-Attribute': attributes}

    def test_a_refusal_comes_before_the_attribute_checks(self):
        self.things.busy.add('/thing/t1')
        for method in ('POST', 'PUT'):
            resp = self.req(method, '/thing/t1',
                            self.headers('name="a", state="running"'))
            self.assertError(resp, 409)
            self.assertIn('/thing/t1 is busy', resp.text)
        self.assertEqual([('/thing/t1', False), ('/thing/t1', True)],
                         self.things.checked)
        self.assertEqual([], self.things.updated)

    def test_accepted_then_attributes_checked_as_before(self):
        for method, full in (('POST', False), ('PUT', True)):
            resp = self.req(method, '/thing/t1',
                            self.headers('name="b", state="running"'))
            self.assertError(resp, 400)
            self.assertIn('Attribute state is set by the service; a '
                          'client cannot give it.', resp.text)
            self.assertEqual(('/thing/t1', full), self.things.checked[-1])
            resp = self.req(method, '/thing/t1',
                            self.headers('name="b", state="idle"'))
            self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual([('update', '/thing/t1'), ('replace', '/thing/t1')],
                         self.things.updated)


class _MixinCheckingBackend(_StatefulBackend):
    """Refuses mixin changes of the keys in ``busy`` (409) and of the
    keys in ``forbidden`` (403)."""

    def __init__(self):
        super().__init__()
        self.forbidden = set()

    def check_mixins(self, entity, extras):
        self.checked.append(entity.identifier)
        if entity.identifier in self.forbidden:
            raise errors.Forbidden('not yours to tag')
        if entity.identifier in self.busy:
            raise errors.Conflict('%s is busy' % entity.identifier)


class CheckMixinsTest(base.ServedAppTestCase):
    """The backend hook ``check_mixins``: asked for every entity a mixin
    collection's POST, PUT or DELETE names (or a PUT removes) before any
    changes; refusals leave every entity as it was."""

    def setUp(self):
        self.store = occi_registry.MemoryStore()
        self.things = _MixinCheckingBackend()
        super().setUp()
        for key in ('/thing/t1', '/thing/t2', '/thing/t3'):
            resp = self.req('PUT', key, CheckUpdateTest.headers('name="a"'))
            self.assertEqual(201, resp.status_code, resp.text)
        resp = self.req('POST', '/-/', {
            'Content-Type': 'text/occi',
            'Category': 'mine; scheme="http://example.com/user#"; '
                        'class="mixin"; location="/mine/"'})
        self.assertEqual(200, resp.status_code, resp.text)

    wrap = CheckUpdateTest.wrap

    def change(self, method, *keys):
        return self.req(method, '/mine/', {
            'Content-Type': 'text/occi',
            'X-OCCI-Location': ', '.join(keys)})

    def members(self):
        return sorted(key for key in ('/thing/t1', '/thing/t2', '/thing/t3')
                      if self.store.get(key, {'project': 'p1'}).mixins)

    def test_a_member_on_another_service_is_refused(self):
        # The trial: a URL of another host was cut to its path, and the
        # entity at that path here joined the mixin.
        port = self.server.server_port
        for method in ('POST', 'PUT', 'DELETE'):
            for loc in ('http://evil.example/thing/t1',
                        'http://evil.example:%d/thing/t1' % port,
                        'http://127.0.0.1:1/thing/t1'):
                resp = self.change(method, loc)
                self.assertError(resp, 400)
                self.assertIn('Location %s is not on this service' % loc,
                              resp.text)
        self.assertEqual([], self.members())
        own = 'http://127.0.0.1:%d/thing/t1' % port
        self.assertEqual(200, self.change('POST', own).status_code)
        self.assertEqual(['/thing/t1'], self.members())

    def test_an_empty_uri_list_is_an_empty_list(self):
        # The re-check trial: an empty text/uri-list POSTed to a mixin
        # collection was answered "Entities are created at the location
        # of their kind."
        self.assertEqual(200, self.change('POST', '/thing/t1').status_code)
        for body in ('', '\n', '# a comment only\n'):
            resp = self.req('POST', '/mine/', {
                'Content-Type': 'text/uri-list'}, body=body)
            self.assertEqual(200, resp.status_code, resp.text)
            self.assertEqual(['/thing/t1'], self.members())
            resp = self.req('POST', '/thing/', {
                'Content-Type': 'text/uri-list'}, body=body)
            self.assertError(resp, 400)
            self.assertIn('adds entities to a mixin collection only',
                          resp.text)

    def test_a_delete_of_an_empty_list_deletes_nothing(self):
        # The re-check trial: DELETE with an empty text/uri-list or a JSON
        # [] was taken for a DELETE without a body, and deleted every
        # member of the collection.
        self.assertEqual(200, self.change('POST', '/thing/t1').status_code)
        keys = ['/thing/t1', '/thing/t2', '/thing/t3']
        for content_type, body in (('text/uri-list', ''),
                                   ('text/uri-list', '\n'),
                                   ('application/occi+json', '[]')):
            resp = self.req('DELETE', '/mine/', {
                'Content-Type': content_type}, body=body)
            self.assertEqual(200, resp.status_code, resp.text)
            self.assertEqual(['/thing/t1'], self.members())
            resp = self.req('DELETE', '/thing/', {
                'Content-Type': content_type}, body=body)
            self.assertError(resp, 400)
            self.assertIn('only from a mixin collection', resp.text)
            self.assertEqual(keys, sorted(
                k for k in keys if self.store.get(k, {'project': 'p1'})))

    def test_every_entity_is_checked_before_any_changes(self):
        self.assertEqual(200, self.change('POST', '/thing/t1').status_code)
        self.things.busy.update(['/thing/t2', '/thing/t3'])
        del self.things.checked[:]
        for method, keys in (('POST', ('/thing/t1', '/thing/t2',
                                       '/thing/t3')),
                             ('DELETE', ('/thing/t1', '/thing/t2')),
                             ('PUT', ('/thing/t2',))):
            resp = self.change(method, *keys)
            self.assertError(resp, 409)
            self.assertIn('nothing was changed; ', resp.text)
            self.assertEqual(['/thing/t1'], self.members())
        self.assertIn('2 of 3 refused: /thing/t2: /thing/t2 is busy; '
                      '/thing/t3: /thing/t3 is busy', self.change(
                          'POST', '/thing/t1', '/thing/t2',
                          '/thing/t3').text)
        # The PUT checks the entity it names and the member it removes.
        self.assertEqual(['/thing/t1', '/thing/t2', '/thing/t3'] +
                         ['/thing/t1', '/thing/t2'] +
                         ['/thing/t2', '/thing/t1'] +
                         ['/thing/t1', '/thing/t2', '/thing/t3'],
                         self.things.checked)

    def test_other_refusals_pass_through(self):
        self.things.forbidden.add('/thing/t2')
        resp = self.change('POST', '/thing/t1', '/thing/t2')
        self.assertError(resp, 403)
        self.assertIn('not yours to tag', resp.text)
        self.assertEqual([], self.members())

    def test_accepted_changes(self):
        self.assertEqual(200, self.change('POST', '/thing/t1',
                                          '/thing/t1').status_code)
        self.assertEqual(['/thing/t1'], self.members())
        self.assertEqual(200, self.change('PUT', '/thing/t2',
                                          '/thing/t3').status_code)
        self.assertEqual(['/thing/t2', '/thing/t3'], self.members())
        self.assertEqual(200, self.change('DELETE', '/thing/t3').status_code)
        self.assertEqual(['/thing/t2'], self.members())
        self.assertEqual(['/thing/t1', '/thing/t2', '/thing/t3', '/thing/t1',
                          '/thing/t3'], self.things.checked)
