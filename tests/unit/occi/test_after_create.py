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
"""The backend hook ``after_create``: once per created entity, after the
store keeps it; never for a refused create; a failing hook leaves the
entity stored and the answer 201."""
from occi import backend
from occi import core_model

from hurtle.occi import app as occi_app
from hurtle.occi import errors
from hurtle.occi import registry as occi_registry
from tests.unit.occi import base

THING = core_model.Kind('http://example.com/test#', 'thing',
                        related=[core_model.Resource.kind],
                        attributes={'name': 'mutable'}, location='/thing/')
THING_CAT = 'thing; scheme="http://example.com/test#"; class="kind"'


class _HookedBackend(backend.KindBackend):
    """Refuses ``name="no"``; its hook records what the store holds then
    and raises for ``name="boom"``."""

    def __init__(self, store):
        self.store = store
        self.hooked = []

    def create(self, entity, extras):
        if entity.attributes.get('name') == 'no':
            raise errors.Conflict('refused')

    def after_create(self, entity, extras):
        stored = self.store.get(entity.identifier, extras)
        self.hooked.append((entity.identifier, stored is not None,
                            extras['project']))
        if entity.attributes.get('name') == 'boom':
            raise RuntimeError('the hook failed')


class AfterCreateTest(base.ServedAppTestCase):

    def setUp(self):
        self.store = occi_registry.MemoryStore()
        self.hooks = _HookedBackend(self.store)
        super().setUp()

    def wrap(self, app):
        app = occi_app.Application(occi_registry.Registry(self.store))
        app.register_backend(THING, self.hooks)
        return app

    def post(self, name):
        return self.req('POST', '/thing/', {
            'Content-Type': 'text/occi', 'Category': THING_CAT,
            'X-OCCI-Attribute': 'name="%s"' % name})

    def test_runs_once_after_the_entity_is_stored(self):
        resp = self.post('a')
        self.assertEqual(201, resp.status_code, resp.text)
        key = '/thing/' + resp.headers['Location'].rsplit('/', 1)[-1]
        self.assertEqual([(key, True, 'p1')], self.hooks.hooked)

    def test_runs_for_a_put_on_a_free_location(self):
        resp = self.req('PUT', '/thing/t1', {
            'Content-Type': 'text/occi', 'Category': THING_CAT,
            'X-OCCI-Attribute': 'name="a"'})
        self.assertEqual(201, resp.status_code, resp.text)
        self.assertEqual([('/thing/t1', True, 'p1')], self.hooks.hooked)

    def test_not_run_for_a_refused_create(self):
        self.assertError(self.post('no'), 409)
        resp = self.req('POST', '/thing/', {
            'Content-Type': 'text/occi', 'Category': THING_CAT,
            'X-OCCI-Attribute': 'unknown="x"'})
        self.assertError(resp, 400)
        self.assertEqual([], self.hooks.hooked)
        self.assertEqual([], self.store.keys({'project': 'p1'}))

    def test_failing_hook_keeps_the_entity_and_the_201(self):
        resp = self.post('boom')
        self.assertEqual(201, resp.status_code, resp.text)
        self.assertEqual(1, len(self.hooks.hooked))
        listed = self.req('GET', '/thing/', {'Accept': 'text/uri-list'})
        self.assertEqual(200, listed.status_code)
        self.assertIn(resp.headers['Location'], listed.text)
