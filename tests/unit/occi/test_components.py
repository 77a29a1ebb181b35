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
"""Middleware, registry/store, categories and errors of hurtle.occi."""

import io
import wsgiref.util

from occi import backend
from occi import core_model
import testtools

from hurtle.occi import categories
from hurtle.occi import errors
from hurtle.occi import middleware
from hurtle.occi import registry
from tests.unit.occi import base


def _call(app, path='/-/', method='GET', **environ_extra):
    environ = {}
    wsgiref.util.setup_testing_defaults(environ)
    environ.update({'REQUEST_METHOD': method, 'PATH_INFO': path,
                    'wsgi.input': io.BytesIO(b''), 'CONTENT_LENGTH': '0'})
    environ.update(environ_extra)
    out = {}

    def start_response(status, headers, exc_info=None):
        out['status'] = int(status.split()[0])
        out['headers'] = dict(headers)
    body = b''.join(app(environ, start_response)).decode()
    return out['status'], out['headers'], body


class _Echo(object):
    """Records the environ the wrapped app sees."""

    def __call__(self, environ, start_response):
        self.environ = dict(environ)
        start_response('200 OK', [('Content-Length', '0')])
        return [b'']


class TestNoAuthMiddleware(testtools.TestCase):

    def test_project_sources_in_order(self):
        echo = _Echo()
        mw = middleware.NoAuthMiddleware(echo)
        for headers, project in (
                ({'HTTP_X_PROJECT_ID': 'a', 'HTTP_X_TENANT_NAME': 'b'}, 'a'),
                ({'HTTP_X_TENANT_ID': 'c', 'HTTP_X_TENANT_NAME': 'b'}, 'c'),
                ({'HTTP_X_TENANT_NAME': 'b', 'HTTP_X_AUTH_TOKEN': 't'}, 'b'),
                ({'HTTP_X_AUTH_PROJECT': 'd'}, 'd')):
            status, _h, _b = _call(mw, **headers)
            self.assertEqual(200, status)
            self.assertEqual(project, echo.environ['HTTP_X_PROJECT_ID'])
            self.assertEqual('admin', echo.environ['HTTP_X_ROLES'])

    def test_default_project_from_paste(self):
        echo = _Echo()
        mw = middleware.filter_factory({}, default_project='dflt')(echo)
        status, _h, _b = _call(mw)
        self.assertEqual(200, status)
        self.assertEqual('dflt', echo.environ['HTTP_X_PROJECT_ID'])

    def test_no_project_401(self):
        status, headers, body = _call(middleware.NoAuthMiddleware(_Echo()))
        self.assertEqual(401, status)
        self.assertIn('X-Project-Id', body)
        self.assertIn('OCCI/1.1', headers['Server'])

    def test_spoofed_identity_headers_removed(self):
        echo = _Echo()
        mw = middleware.NoAuthMiddleware(echo)
        _call(mw, HTTP_X_PROJECT_ID='p', HTTP_X_ROLES='superuser',
              HTTP_X_IDENTITY_STATUS='Invalid', HTTP_X_SERVICE_CATALOG='x',
              HTTP_X_AUTH_USER='bob')
        self.assertEqual('admin', echo.environ['HTTP_X_ROLES'])
        self.assertEqual('Confirmed', echo.environ['HTTP_X_IDENTITY_STATUS'])
        self.assertNotIn('HTTP_X_SERVICE_CATALOG', echo.environ)
        self.assertEqual('bob', echo.environ['HTTP_X_USER_ID'])

    def test_bad_project_values_refused(self):
        # Issue 7: an invalid id was replaced by the default project; it
        # is a 400 naming the rule now, never another project.
        echo = _Echo()
        mw = middleware.NoAuthMiddleware(echo, default_project='d')
        for headers in ({'HTTP_X_PROJECT_ID': 'a,b',
                         'HTTP_X_TENANT_NAME': 'q'},
                        {'HTTP_X_TENANT_NAME': '"q"'},
                        {'HTTP_X_PROJECT_ID': 'x' * 256},
                        {'HTTP_X_PROJECT_ID': 'a\x01b'},
                        {'HTTP_X_PROJECT_ID': 'a\x85b'.encode(
                            'utf-8').decode('latin-1')},
                        {'HTTP_X_PROJECT_ID': '\xff\xfe'},
                        {'HTTP_X_PROJECT_ID': '   '},
                        {'HTTP_X_PROJECT_ID': 'p', 'HTTP_X_USER_ID': 'u;v'}):
            echo.environ = None
            status, _h, body = _call(mw, **headers)
            self.assertEqual(400, status, headers)
            self.assertIn(middleware.ID_RULE, body)
            self.assertIsNone(echo.environ)

    def test_longest_and_utf8_ids_pass(self):
        echo = _Echo()
        mw = middleware.NoAuthMiddleware(echo)
        wire = 'Zürich-团队'.encode('utf-8').decode('latin-1')
        for given in ('x' * 255, wire, ' padded '):
            status, _h, _b = _call(mw, HTTP_X_PROJECT_ID=given)
            self.assertEqual(200, status)
            self.assertEqual(given.strip(),
                             echo.environ['HTTP_X_PROJECT_ID'])

    def test_extras_reach_backends(self):
        app, back = base.make_app()
        mw = middleware.NoAuthMiddleware(app)
        status, _h, body = _call(
            mw, path='/app/', method='POST', HTTP_X_TENANT_NAME='proj',
            HTTP_CATEGORY=base.APP_CAT, CONTENT_TYPE='text/occi',
            HTTP_X_OCCI_ATTRIBUTE='occi.app.name="n", occi.app.image="i"')
        self.assertEqual(201, status, body)
        self.assertEqual('proj', back.calls[0][2])


class TestRegistry(testtools.TestCase):

    def test_memory_store_scopes_by_project(self):
        store = registry.MemoryStore()
        ent = core_model.Resource('/x/1', categories.APP, [])
        store.add('/x/1', ent, {'project': 'a'})
        self.assertIs(ent, store.get('/x/1', {'project': 'a'}))
        self.assertIsNone(store.get('/x/1', {'project': 'b'}))
        self.assertEqual([], store.keys({'project': 'b'}))
        self.assertEqual(['/x/1'], store.keys({'project': 'a'}))
        self.assertEqual([ent], store.values({'project': 'a'}))
        store.delete('/x/1', {'project': 'b'})
        self.assertEqual([ent], store.values({'project': 'a'}))
        store.delete('/x/1', {'project': 'a'})
        self.assertEqual([], store.values({'project': 'a'}))

    def test_registry_uses_store_and_raises_key_error(self):
        store = registry.MemoryStore()
        reg = registry.Registry(store)
        ent = core_model.Resource('/x/1', categories.APP, [])
        reg.add_resource('/x/1', ent, {'project': 'a'})
        self.assertIs(ent, store.get('/x/1', {'project': 'a'}))
        self.assertRaises(KeyError, reg.get_resource, '/x/1',
                          {'project': 'b'})

    def test_hostname_is_per_thread(self):
        import threading
        reg = registry.Registry()
        reg.set_hostname('http://main')
        seen = []
        thread = threading.Thread(target=lambda: (
            reg.set_hostname('http://other'),
            seen.append(reg.get_hostname())))
        thread.start()
        thread.join()
        self.assertEqual(['http://other'], seen)
        self.assertEqual('http://main', reg.get_hostname())

    def test_guarded_backend(self):
        class Bad(backend.KindBackend):
            def create(self, entity, extras):
                raise AttributeError('x')

            def retrieve(self, entity, extras):
                raise errors.Conflict('busy')
        reg = registry.Registry()
        reg.set_backend(categories.APP, Bad(), None)
        back = reg.get_backend(categories.APP, None)
        self.assertRaises(errors.InternalError, back.create, None, None)
        self.assertRaises(errors.Conflict, back.retrieve, None, None)
        self.assertRaises(AttributeError, reg.get_backend,
                          categories.APP_START, None)


class TestCategories(testtools.TestCase):

    def test_service_kind(self):
        kind = categories.service_kind(
            'http://schemas.hurtle.it/occi/sm#sample', 'Sample service',
            {'p.a': 'immutable', 'p.b': 'required', 'p.c': ''})
        self.assertEqual('http://schemas.hurtle.it/occi/sm#', kind.scheme)
        self.assertEqual('sample', kind.term)
        self.assertEqual('/sample/', kind.location)
        self.assertEqual('Sample service', kind.title)
        self.assertEqual([core_model.Resource.kind], kind.related)
        self.assertEqual('immutable', kind.attributes['p.a'])
        self.assertEqual('required', kind.attributes['p.b'])
        self.assertEqual('mutable', kind.attributes['p.c'])
        for name in ('mcn.service.state', 'occi.so.url', 'occi.core.id'):
            self.assertEqual('immutable', kind.attributes[name])

    def test_service_kind_errors(self):
        self.assertRaises(ValueError, categories.service_kind, 'nohash')
        self.assertRaises(ValueError, categories.service_kind, 'x#')
        self.assertRaises(ValueError, categories.service_kind, 'a#b',
                          attributes={'x': 'sometimes'})

    def test_fixed_categories(self):
        self.assertEqual('http://schemas.mobile-cloud-networking.eu/occi/'
                         'service#orchestrator', str(categories.ORCHESTRATOR))
        self.assertEqual([categories.DEPLOY, categories.PROVISION,
                          categories.NOTIFY],
                         categories.ORCHESTRATOR.actions)
        self.assertEqual('/app/', categories.APP.location)
        self.assertEqual('required',
                         categories.APP.attributes['occi.app.image'])
        self.assertEqual('http://schemas.ogf.org/occi/platform/app/action#'
                         'stop', str(categories.APP_STOP))


class TestErrors(testtools.TestCase):

    def test_error_for_status(self):
        for code, cls in ((400, errors.BadRequest), (401, errors.Unauthorized),
                          (403, errors.Forbidden), (404, errors.NotFound),
                          (405, errors.MethodNotAllowed),
                          (406, errors.NotAcceptable), (409, errors.Conflict),
                          (413, errors.RequestEntityTooLarge),
                          (415, errors.UnsupportedMediaType),
                          (500, errors.InternalError),
                          (501, errors.NotImplementedYet),
                          (503, errors.ServiceUnavailable)):
            err = errors.error_for_status(code, 'm')
            self.assertIsInstance(err, cls)
            self.assertEqual((code, 'm'), (err.code, err.message))
        err = errors.error_for_status(418)
        self.assertEqual(418, err.code)
        self.assertEqual("I'm a Teapot", err.message)
        self.assertEqual(503, errors.ConnectionFailed('x').code)


class TestMountedUnderPrefix(testtools.TestCase):

    def test_script_name_prefix_in_locations(self):
        app, _back = base.make_app()
        status, headers, body = _call(
            app, path='/app/', method='POST', SCRIPT_NAME='/occi',
            HTTP_HOST='h.example', HTTP_X_PROJECT_ID='p',
            HTTP_CATEGORY=base.APP_CAT, CONTENT_TYPE='text/occi',
            HTTP_X_OCCI_ATTRIBUTE='occi.app.name="n", occi.app.image="i"')
        self.assertEqual(201, status, body)
        self.assertTrue(headers['Location'].startswith(
            'http://h.example/occi/app/'), headers['Location'])
        status, headers, body = _call(
            app, path='/large/', method='POST', SCRIPT_NAME='/occi',
            HTTP_HOST='h.example', HTTP_X_PROJECT_ID='p',
            CONTENT_TYPE='text/occi',
            HTTP_X_OCCI_LOCATION=headers['Location'])
        self.assertEqual(200, status, body)
