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
"""Shared fixture: a real OCCI app served on 127.0.0.1 (free port)."""

import threading

from occi import backend
from occi import core_model
import requests
import testtools

from hurtle.occi import app as occi_app
from hurtle.occi import categories
from hurtle.occi import errors
from hurtle.occi import server

APP_CAT = ('app; scheme="http://schemas.ogf.org/occi/platform#"; '
           'class="kind"')
START_CAT = ('start; scheme="http://schemas.ogf.org/occi/platform/app/'
             'action#"; class="action"')
STOP_CAT = ('stop; scheme="http://schemas.ogf.org/occi/platform/app/'
            'action#"; class="action"')

BROKEN = core_model.Kind('http://example.com/test#', 'broken',
                         related=[core_model.Resource.kind],
                         attributes={'x': 'mutable'}, location='/broken/')
BROKEN_CAT = 'broken; scheme="http://example.com/test#"; class="kind"'

USES = core_model.Kind('http://example.com/test#', 'uses',
                       related=[core_model.Link.kind],
                       attributes={'weight': 'mutable'}, location='/uses/')

SIZE = core_model.Mixin('http://example.com/test#', 'large',
                        attributes={'size': 'mutable'}, location='/large/')


class AppBackend(backend.MixinBackend, backend.ActionBackend):
    """Copies attributes; start/stop toggle ``occi.app.state``."""

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()

    def _log(self, *what):
        with self.lock:
            self.calls.append(what)

    def create(self, entity, extras):
        self._log('create', entity.identifier, extras['project'])
        if repr(entity.kind) == 'kind' and entity.kind == categories.APP:
            entity.attributes['occi.app.state'] = 'stopped'
            entity.actions = [categories.APP_START]

    def update(self, old, new, extras):
        self._log('update', old.identifier)
        old.attributes.update(new.attributes)

    def replace(self, old, new, extras):
        self._log('replace', old.identifier)
        keep = {k: v for k, v in old.attributes.items()
                if k in ('occi.app.state', 'occi.app.url')}
        old.attributes = dict(new.attributes, **keep)

    def delete(self, entity, extras):
        self._log('delete', entity.identifier)

    def action(self, entity, action, attributes, extras):
        self._log('action', entity.identifier, action.term)
        if action == categories.APP_START:
            entity.attributes['occi.app.state'] = 'running'
            entity.actions = [categories.APP_STOP]
        else:
            entity.attributes['occi.app.state'] = 'stopped'
            entity.actions = [categories.APP_START]


class BrokenBackend(backend.KindBackend):
    """A buggy backend: AttributeError on retrieve, KeyError on delete."""

    def retrieve(self, entity, extras):
        return entity.no_such_attribute

    def delete(self, entity, extras):
        raise KeyError('boom')

    def update(self, old, new, extras):
        raise errors.Conflict('Busy, try later.')


def make_app(broken=True):
    """The test app; ``broken=False`` leaves out :class:`BrokenBackend`."""
    app = occi_app.Application()
    back = AppBackend()
    app.register_backend(categories.APP, back)
    app.register_backend(categories.APP_START, back)
    app.register_backend(categories.APP_STOP, back)
    app.register_backend(SIZE, back)
    app.register_backend(USES, back)
    if broken:
        app.register_backend(BROKEN, BrokenBackend())
    return app, back


class ServedAppTestCase(testtools.TestCase):
    """Serves :func:`make_app` over real HTTP for each test."""

    def setUp(self):
        super(ServedAppTestCase, self).setUp()
        self.app, self.backend = make_app()
        self.server, self.thread = server.serve_in_thread(self.wrap(
            self.app))
        self.addCleanup(self._stop)
        self.base = 'http://127.0.0.1:%d' % self.server.server_port
        self.http = requests.Session()
        self.addCleanup(self.http.close)

    def wrap(self, app):
        return app

    def _stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def req(self, method, path, headers=None, body=None, project='p1'):
        all_headers = {'X-Project-Id': project} if project else {}
        all_headers.update(headers or {})
        url = path if '://' in path else self.base + path
        return self.http.request(method, url, headers=all_headers,
                                 data=body, allow_redirects=False)

    def create_app(self, project='p1', name='a1', extra=''):
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/occi', 'Category': APP_CAT,
            'X-OCCI-Attribute': 'occi.app.name="%s", occi.app.image="img"'
                                % name + extra}, project=project)
        self.assertEqual(201, resp.status_code, resp.text)
        return resp.headers['Location']

    def assertError(self, resp, code):
        """An error answer: status, one length, short message, Server."""
        self.assertEqual(code, resp.status_code, resp.text)
        self.assertEqual(str(len(resp.content)),
                         resp.headers['Content-Length'])
        self.assertNotIn(',', resp.headers['Content-Length'])
        self.assertIn('OCCI/1.1', resp.headers['Server'])
        self.assertNotIn('Traceback', resp.text)
        self.assertTrue(resp.text.strip())
        self.assertLess(len(resp.text), 500)


def serve_for(test, app, **options):
    """Serve ``app`` with :func:`hurtle.occi.server.serve_in_thread` on
    127.0.0.1 for the life of ``test`` (stopped, closed and joined in
    its cleanup); returns the server."""
    srv, thread = server.serve_in_thread(app, **options)

    def _stop():
        srv.shutdown()
        srv.server_close()
        thread.join(5)
    test.addCleanup(_stop)
    return srv
