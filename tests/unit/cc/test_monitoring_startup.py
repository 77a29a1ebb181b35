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
"""Start-up with the monitoring and DNS drivers: an unknown name stops
``hurtle-cc`` / ``hurtle-so`` with the installed ones; the monitoring
service is mounted at ``/monitoring`` outside the local-secret check
(webhooks carry their own token, SOs their own secret)."""
import os
import subprocess
import sys

import testtools
import webob

from hurtle.cc.monitoring import service
from hurtle.db import migration
from hurtle import drivers
from hurtle.wsgi import app as wsgi_app
from tests import conf_fixture

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BUNDLE = os.path.join(ROOT, 'samples', 'sample', 'so')


class StartUpTest(testtools.TestCase):

    def write_conf(self, text):
        state = self.useFixture(conf_fixture.HurtleConf()).state
        path = os.path.join(state, 'hurtle.conf')
        with open(path, 'w') as handle:
            handle.write('[DEFAULT]\nstate_path = %s\n[database]\n'
                         'connection = sqlite:///%s/h.sqlite\n%s'
                         % (state, state, text))
        return path

    def run_cmd(self, module, path, *args, env=None):
        return subprocess.run(
            [sys.executable, '-m', module, '--config-file', path] +
            list(args), capture_output=True, text=True, timeout=120,
            env=dict(os.environ, **(env or {})))

    def test_hurtle_cc_stops_on_an_unknown_monitoring_driver(self):
        path = self.write_conf('[cc]\nport = 1\n[monitoring]\n'
                               'driver = nagios\n')
        result = self.run_cmd('hurtle.cmd.cc', path)
        self.assertEqual(1, result.returncode, result.stderr)
        self.assertIn('hurtle-cc: [monitoring] driver = nagios: no such '
                      'driver; installed drivers in hurtle.cc.monitoring: '
                      'aodh, monasca, none', result.stderr)
        self.assertNotIn('Traceback', result.stderr)

    def test_hurtle_so_stops_on_an_unknown_dns_driver(self):
        path = self.write_conf('[dns]\ndriver = bind9\n')
        result = self.run_cmd('hurtle.cmd.so', path, '--bundle', BUNDLE,
                              env={'HURTLE_SO_SECRET': 's',
                                   'HURTLE_CC_URL': 'http://127.0.0.1:1/',
                                   'HURTLE_APP_ID': 'app-1'})
        self.assertEqual(1, result.returncode, result.stderr)
        self.assertIn('hurtle-so: [dns] driver = bind9: no such driver; '
                      'installed drivers in hurtle.sdk.dns: designate, none',
                      result.stderr)
        self.assertNotIn('Traceback', result.stderr)


class MountTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(conf_fixture.HurtleConf()).conf
        migration.upgrade(self.conf.database.connection)

    def test_unknown_driver_fails_load_app(self):
        self.conf.set_override('driver', 'nagios', group='monitoring')
        self.assertRaises(drivers.UnknownDriver, wsgi_app.load_app,
                          self.conf, 'hurtle-cc')

    def test_monitoring_is_mounted_beside_the_occi_api(self):
        application, _ = wsgi_app.load_app(self.conf, 'hurtle-cc')
        # No local secret asked: the service checks its own tokens.
        resp = webob.Request.blank('/monitoring/alarms').get_response(
            application)
        self.assertEqual(401, resp.status_int)
        self.assertIn('X-Hurtle-Instance', resp.json['error'])
        resp = webob.Request.blank(
            '/monitoring/hooks/app-1/a/%s' % service.hook_token('s', 'a'),
            method='POST').get_response(application)
        self.assertEqual(404, resp.status_int)
        # The OCCI API still wants the local secret.
        self.assertEqual(401, webob.Request.blank('/-/').get_response(
            application).status_int)
