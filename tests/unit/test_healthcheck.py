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
"""``GET /healthcheck``: oslo.middleware's application with Hurtle's
backend (hurtle.healthcheck), loaded from the packaged api-paste.ini."""
import http.server
import os
import threading

import testtools
import webob

from hurtle.db import migration
from hurtle import healthcheck
from hurtle.wsgi import app as wsgi_app
from tests import conf_fixture
from tests import net

SAMPLE_MANIFEST = os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(
        __file__)))), 'samples', 'sample', 'manifest.json')


class _Status(http.server.BaseHTTPRequestHandler):
    """Answers every GET with the server's ``status``."""

    def do_GET(self):
        self.send_response(self.server.status)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, *args):
        pass


class HealthcheckTest(testtools.TestCase):

    def conf(self, **overrides):
        conf = self.useFixture(conf_fixture.HurtleConf(**overrides)).conf
        migration.upgrade(conf.database.connection)
        return conf

    def get(self, conf, path='/healthcheck', name='hurtle-cc'):
        application, _ = wsgi_app.load_app(conf, name)
        return webob.Request.blank(path).get_response(application)

    def http_server(self, status):
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Status)
        server.status = status
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        return 'http://127.0.0.1:%d/' % server.server_address[1]

    def test_the_cc_answers_without_its_secret(self):
        conf = self.conf()
        resp = self.get(conf)
        self.assertEqual(200, resp.status_int, resp.text)
        self.assertEqual('OK', resp.text)
        # the rest of the API still wants the local secret
        self.assertEqual(401, self.get(conf, '/-/').status_int)

    def test_an_unreachable_database_is_503_without_its_password(self):
        url = ('postgresql+psycopg2://hurtle:Sekr1t-pw@127.0.0.1:%d/hurtle'
               % net.held_port(self))
        conf = self.conf()
        application, _ = wsgi_app.load_app(conf, 'hurtle-cc')
        conf.set_override('connection', url, group='database')
        resp = webob.Request.blank('/healthcheck').get_response(application)
        self.assertEqual(503, resp.status_int)
        self.assertIn('database', resp.text)
        self.assertIn('unreachable', resp.text)
        self.assertNotIn('Sekr1t-pw', resp.text)

    def backend(self, cc_url, check=healthcheck.CloudControllerCheck):
        conf = self.conf(sm__cc_url=cc_url)
        return check(conf, {}).healthcheck(0)

    def test_the_sm_is_unavailable_while_its_cc_does_not_answer(self):
        url = 'http://127.0.0.1:%d/' % net.held_port(self)
        result = self.backend(url)
        self.assertFalse(result.available)
        self.assertIn('cloud controller %s unreachable' % url, result.reason)
        # the database check does not look for a CC
        self.assertTrue(
            self.backend(url, check=healthcheck.DatabaseCheck).available)

    def test_the_sm_checks_its_cc_unless_told_otherwise(self):
        url = 'http://127.0.0.1:%d/' % net.held_port(self)
        conf = self.conf(sm__cc_url=url, sm__manifests=[SAMPLE_MANIFEST])
        application, _ = wsgi_app.load_app(conf, 'hurtle-sm')
        resp = webob.Request.blank('/healthcheck').get_response(application)
        self.assertEqual(503, resp.status_int)
        self.assertIn('cloud controller', resp.text)
        conf.set_override('backends', ['hurtle_database'],
                          group='healthcheck')
        application, _ = wsgi_app.load_app(conf, 'hurtle-sm')
        resp = webob.Request.blank('/healthcheck').get_response(application)
        self.assertEqual(200, resp.status_int, resp.text)

    def test_a_cc_answering_5xx_is_unhealthy_but_401_is_up(self):
        result = self.backend(self.http_server(500))
        self.assertFalse(result.available)
        self.assertIn('answered 500', result.reason)
        result = self.backend(self.http_server(401))
        self.assertTrue(result.available, result.reason)
        self.assertEqual('OK', result.reason)
