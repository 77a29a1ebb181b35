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
"""``hurtle.request_id`` keeps oslo.middleware ``RequestId``'s contract,
and ``http_proxy_to_wsgi`` in the packaged pipelines follows
``[oslo_middleware] enable_proxy_headers_parsing``."""
import os
import re
import uuid

from oslo_middleware import http_proxy_to_wsgi
from oslo_middleware import request_id as oslo_request_id
import testtools
import webob

from hurtle import request_id
from hurtle.wsgi import app as wsgi_app
from tests import conf_fixture

GLOBAL_ID = 'req-0123abcd-0123-4567-89ab-0123456789ab'


def _echo(headers=()):
    """An app answering the environ keys the middleware sets."""
    def app(environ, start_response):
        start_response('201 Created', [('Content-Type', 'text/plain')] +
                       list(headers))
        return [('%s|%s|%s' % (
            environ.get(request_id.ENV_REQUEST_ID),
            environ.get(request_id.ENV_GLOBAL_REQUEST_ID),
            environ['wsgi.url_scheme'])).encode()]
    return app


class RequestIdTest(testtools.TestCase):

    def _both(self, app, **kwargs):
        """The response of hurtle's and of oslo's middleware."""
        ours = webob.Request.blank('/x', **kwargs).get_response(
            request_id.RequestIdMiddleware(app))
        theirs = webob.Request.blank('/x', **kwargs).get_response(
            oslo_request_id.RequestId(app))
        return ours, theirs

    def test_a_new_id_in_environ_and_in_the_answer(self):
        ours, theirs = self._both(_echo())
        for resp in (ours, theirs):
            header = resp.headers['x-openstack-request-id']
            self.assertRegex(header, oslo_request_id.ID_FORMAT)
            self.assertEqual('%s|None|http' % header, resp.text)
            self.assertEqual(201, resp.status_int)
        self.assertEqual([name for name, _v in theirs.headerlist],
                         [name for name, _v in ours.headerlist])

    def test_every_request_gets_its_own_id(self):
        app = request_id.RequestIdMiddleware(_echo())
        seen = {webob.Request.blank('/').get_response(app)
                .headers['x-openstack-request-id'] for _ in range(5)}
        self.assertEqual(5, len(seen))

    def test_ids_are_random_uuid4s_in_oslos_form(self):
        seen = set()
        for _ in range(2000):
            value = request_id.generate()
            self.assertRegex(value, '^%s$' % oslo_request_id.ID_FORMAT)
            parsed = uuid.UUID(value[len('req-'):])
            self.assertEqual(4, parsed.version)
            self.assertEqual(uuid.RFC_4122, parsed.variant)
            seen.add(value)
        self.assertEqual(2000, len(seen))

    def test_a_forked_child_does_not_repeat_its_parents_ids(self):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:    # pragma: no cover - the child reports by its pipe
            try:
                os.write(write, ' '.join(
                    request_id.generate() for _ in range(5)).encode())
            finally:
                os._exit(0)
        os.close(write)
        child = os.read(read, 4096).decode().split()
        os.close(read)
        os.waitpid(pid, 0)
        parent = [request_id.generate() for _ in range(5)]
        self.assertEqual(5, len(child))
        self.assertEqual(set(), set(child) & set(parent))

    def test_a_valid_global_request_id_is_passed_on(self):
        ours, theirs = self._both(
            _echo(), headers={'X-OpenStack-Request-Id': GLOBAL_ID})
        for resp in (ours, theirs):
            own = resp.headers['x-openstack-request-id']
            self.assertNotEqual(GLOBAL_ID, own)
            self.assertEqual('%s|%s|http' % (own, GLOBAL_ID), resp.text)

    def test_an_invalid_global_request_id_is_ignored(self):
        for bad in ('req-nope', GLOBAL_ID.upper(), 'x' + GLOBAL_ID,
                    GLOBAL_ID + 'x', ''):
            ours, theirs = self._both(
                _echo(), headers={'X-OpenStack-Request-Id': bad})
            for resp in (ours, theirs):
                self.assertTrue(resp.text.endswith('|None|http'), bad)

    def test_an_id_the_application_set_is_kept(self):
        ours, theirs = self._both(
            _echo([('X-OpenStack-Request-Id', 'req-app')]))
        for resp in (ours, theirs):
            self.assertEqual(['req-app'], resp.headers.getall(
                'x-openstack-request-id'))

    def test_the_packaged_pipelines_use_it(self):
        with open(wsgi_app.PACKAGED_PASTE) as handle:
            text = handle.read()
        self.assertRegex(text, re.compile(
            r'^\[filter:request_id\]\npaste.filter_factory = '
            r'hurtle.request_id:filter_factory$', re.M))


class HTTPProxyTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(conf_fixture.HurtleConf()).conf
        self.conf.register_opts(http_proxy_to_wsgi.OPTS,
                                group='oslo_middleware')
        self.app = _echo()

    def _filtered(self, **local_conf):
        return wsgi_app.http_proxy_filter_factory(
            {wsgi_app.CONF_KEY: self.conf}, **local_conf)(self.app)

    def _scheme(self, app):
        resp = webob.Request.blank(
            '/', headers={'X-Forwarded-Proto': 'https'}).get_response(app)
        return resp.text.rsplit('|', 1)[1]

    def test_off_by_default_no_filter_at_all(self):
        filtered = self._filtered()
        self.assertIs(self.app, filtered)
        self.assertEqual('http', self._scheme(filtered))

    def test_on_in_the_configuration(self):
        self.conf.set_override('enable_proxy_headers_parsing', True,
                               group='oslo_middleware')
        self.assertEqual('https', self._scheme(self._filtered()))

    def test_the_filter_section_wins(self):
        self.assertEqual('https', self._scheme(self._filtered(
            enable_proxy_headers_parsing='true')))
        self.conf.set_override('enable_proxy_headers_parsing', True,
                               group='oslo_middleware')
        self.assertIs(self.app, self._filtered(
            enable_proxy_headers_parsing='false'))
