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
