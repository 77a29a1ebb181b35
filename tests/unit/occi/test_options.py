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
"""OPTIONS on OCCI paths (RFC 9110 9.3.7): 200 without a body and an
``Allow`` naming the path's methods, OPTIONS included; 404 where GET
is; every 405's ``Allow`` names OPTIONS (trial findings)."""

from occi import backend
from occi import core_model

from hurtle.occi import errors
from hurtle.occi import middleware
from tests.unit.occi import base

ALL = 'DELETE, GET, HEAD, OPTIONS, POST, PUT'
NO_PUT = 'DELETE, GET, HEAD, OPTIONS, POST'


class TestOptions(base.ServedAppTestCase):

    def assertOptions(self, path, allow, **kwargs):
        resp = self.req('OPTIONS', path, **kwargs)
        self.assertEqual(200, resp.status_code, (path, resp.text))
        self.assertEqual(allow, resp.headers['Allow'], path)
        self.assertEqual(b'', resp.content)
        self.assertEqual('0', resp.headers['Content-Length'])
        self.assertNotIn('Content-Type', resp.headers)
        self.assertIn('OCCI/1.1', resp.headers['Server'])
        return resp

    def test_query_interface(self):
        for path in ('/-/', '/.well-known/org/ogf/occi/-/'):
            self.assertOptions(path, NO_PUT)

    def test_collections(self):
        self.create_app()
        # PUT is for mixin collections only (405 on the others).
        self.assertOptions('/app/', NO_PUT)
        self.assertOptions('/large/', ALL)
        self.assertOptions('/', NO_PUT)
        # a path prefix above entities is a collection, as for GET
        self.assertEqual(200, self.req('GET', '/app/').status_code)

    def test_an_entity(self):
        loc = self.create_app()
        self.assertOptions(loc, ALL)

    def test_nothing_there_is_404_as_for_get(self):
        loc = self.create_app()
        for path in ('/nothing/', '/app/none', '/nothing'):
            self.assertError(self.req('OPTIONS', path), 404)
            self.assertEqual(404, self.req('GET', path).status_code, path)
        # another project's entity is not there for this one
        self.assertError(self.req('OPTIONS', loc, project='p2'), 404)

    def test_a_backends_refusal_is_answered_as_for_get(self):
        self.app.register_backend(SECRET, _Private())
        resp = self.req('PUT', '/secret/s1', {
            'Content-Type': 'text/occi', 'Category': SECRET_CAT})
        self.assertEqual(201, resp.status_code, resp.text)
        intruder = {'X-User-Id': 'intruder'}
        for path in ('/secret/s1', '/secret/'):
            for method in ('GET', 'OPTIONS'):
                self.assertError(self.req(method, path, intruder), 403)
        self.assertOptions('/secret/s1', ALL)
        self.assertOptions('/secret/', NO_PUT)

    def test_no_negotiation_no_preconditions(self):
        loc = self.create_app()
        # Accept is not negotiated (no representation is sent) and
        # preconditions do not apply to OPTIONS (RFC 9110 13.2.1).
        self.assertOptions(loc, ALL, headers={
            'Accept': 'application/x-unknown', 'If-Match': '"nope"',
            'If-None-Match': '*'})

    def test_read_only_paths(self):
        loc = self.create_app()
        self.app.read_only = ('/app/',)
        for path in ('/app/', loc):
            self.assertOptions(path, 'GET, HEAD, OPTIONS')
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/occi', 'Category': base.APP_CAT})
        self.assertError(resp, 405)
        self.assertEqual('GET, HEAD, OPTIONS', resp.headers['Allow'])
        self.assertError(self.req('OPTIONS', '/app/none'), 404)

    def test_a_405_on_a_collection_allows_what_options_says(self):
        # Trial finding: the 405 of a kind's collection named PUT, which
        # it answered 400.
        loc = self.create_app()
        for path, allow in (('/app/', NO_PUT), ('/', NO_PUT),
                            ('/large/', ALL), (loc, ALL)):
            resp = self.req('PATCH', path)
            self.assertError(resp, 405)
            self.assertEqual(allow, resp.headers['Allow'], path)
        for path in ('/app/', '/'):
            resp = self.req('PUT', path, {'Content-Type': 'text/occi',
                                          'X-OCCI-Location': loc})
            self.assertError(resp, 405)
            self.assertEqual(NO_PUT, resp.headers['Allow'], path)
            self.assertIn('only for mixin collections', resp.text)

    def test_every_405_names_options(self):
        loc = self.create_app()
        for method, path in (('PATCH', '/app/'), ('PATCH', loc),
                             ('PUT', '/-/'), ('TRACE', '/')):
            resp = self.req(method, path)
            self.assertError(resp, 405)
            allowed = [m.strip() for m in resp.headers['Allow'].split(',')]
            self.assertIn('OPTIONS', allowed, (method, path))
            self.assertNotIn(method, allowed)


SECRET = core_model.Kind('http://example.com/test#', 'secret',
                         related=[core_model.Resource.kind],
                         location='/secret/')
SECRET_CAT = 'secret; scheme="http://example.com/test#"; class="kind"'


class _Private(backend.KindBackend):
    """User ``intruder`` may not read."""

    def _check(self, extras):
        if extras['user'] == 'intruder':
            raise errors.Forbidden('Not yours.')

    def authorize_list(self, extras):
        self._check(extras)

    def retrieve(self, entity, extras):
        self._check(extras)


class _Refusing(backend.KindBackend):
    """Answers 405 without an Allow of its own on every write."""

    def create(self, entity, extras):
        raise errors.MethodNotAllowed('No.')


class TestBackend405(base.ServedAppTestCase):

    def test_a_backend_405_gets_an_allow_naming_options(self):
        self.app.register_backend(base.BROKEN, _Refusing())
        resp = self.req('POST', '/broken/', {
            'Content-Type': 'text/occi', 'Category': base.BROKEN_CAT})
        self.assertError(resp, 405)
        self.assertEqual('DELETE, GET, HEAD, OPTIONS',
                         resp.headers['Allow'])


class TestOptionsNeedCredentials(base.ServedAppTestCase):
    """The authentication in front answers OPTIONS as any other method."""

    def wrap(self, app):
        return middleware.NoAuthMiddleware(app)

    def test_no_project_is_401(self):
        self.assertError(self.req('OPTIONS', '/-/', project=None), 401)
        self.assertEqual(200, self.req('OPTIONS', '/-/').status_code)
