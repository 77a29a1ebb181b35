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
"""``[deployer]`` options, and the ``[cc]`` names they had before.

A hurtle.conf of an older Hurtle sets the deployer in ``[cc]``
(``deployer``, ``heat_url``, ``heat_user``, ``heat_project``): those
values still reach the deployer an SO loads, and the log says which
option replaces each. The check runs in a fresh interpreter (oslo.log
reports each deprecation once per process), against a recording HTTP
server on 127.0.0.1 standing in for Heat.
"""
import http.server
import os
import subprocess
import sys
import textwrap
import threading

import fixtures
import testtools

from hurtle.sdk import deployer as deployers
from tests import conf_fixture
from tests import http_answers

LOAD = textwrap.dedent('''
    import sys
    from hurtle import service
    from hurtle.sdk import deployer as deployers
    conf = service.prepare_service(['--config-file', sys.argv[1]], 'test')
    deployer = deployers.load(conf, 'ignored-in-noauth')
    print('GONE %s' % deployer.is_gone('stack-1'))
''')

#: What every process (hurtle-sm, hurtle-cc, ...) does first.
PREPARE = textwrap.dedent('''
    import sys
    from hurtle import service
    service.prepare_service(['--config-file', sys.argv[1]], 'test')
''')


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Answers every GET 404 as Heat does for an unknown stack."""

    def do_GET(self):
        self.server.requests.append((self.path, dict(self.headers)))
        http_answers.send_json(self, 404, {'error': {'message': 'not found'}})

    def log_message(self, *args):
        pass


class OldOptionNamesTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.heat = http.server.HTTPServer(('127.0.0.1', 0), _Recorder)
        self.heat.requests = []
        thread = threading.Thread(target=self.heat.serve_forever,
                                  daemon=True)
        thread.start()
        self.addCleanup(self.heat.server_close)
        self.addCleanup(self.heat.shutdown)
        self.state = self.useFixture(fixtures.TempDir()).path

    def load(self, text, script=LOAD):
        path = os.path.join(self.state, 'hurtle.conf')
        with open(path, 'w') as handle:
            handle.write('[DEFAULT]\nstate_path = %s\n' % self.state + text)
        return subprocess.run([sys.executable, '-c', script, path],
                              capture_output=True, text=True, timeout=120)

    def test_old_names_are_reported_when_any_process_starts(self):
        # Not only when a deployer is loaded (in the SOs' own logs): the
        # start-up of hurtle-sm and hurtle-cc reports them too.
        result = self.load('[cc]\ndeployer = heat\nheat_url = http://h/\n'
                           'heat_user = u\nheat_project = p\n'
                           'insecure = true\n', script=PREPARE)
        self.assertEqual(0, result.returncode, result.stderr)
        log = result.stdout + result.stderr
        for old, new in (('deployer', 'driver'), ('heat_url', 'heat_url'),
                         ('heat_user', 'heat_user'),
                         ('heat_project', 'heat_project'),
                         ('insecure', 'insecure')):
            self.assertIn('Option "%s" from group "cc" is deprecated. Use '
                          'option "%s" from group "deployer".' % (old, new),
                          log)

    def test_cc_group_values_reach_the_deployer_with_a_warning(self):
        result = self.load(
            '[cc]\ndeployer = heat\n'
            'heat_url = http://127.0.0.1:%d/v1/%%(project)s\n'
            'heat_user = old-user\nheat_project = old-project\n'
            % self.heat.server_port)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertIn('GONE True', result.stdout)
        [(path, headers)] = self.heat.requests
        self.assertEqual('/v1/old-project/stacks/stack-1',
                         path.split('?')[0])
        self.assertEqual('old-user', headers['X-Auth-User'])
        self.assertEqual('old-project', headers['X-Auth-Project'])
        log = result.stdout + result.stderr
        for old, new in (('deployer', 'driver'), ('heat_url', 'heat_url'),
                         ('heat_user', 'heat_user'),
                         ('heat_project', 'heat_project')):
            self.assertIn('Option "%s" from group "cc" is deprecated. Use '
                          'option "%s" from group "deployer".' % (old, new),
                          log)

    def test_deployer_group_values_reach_the_deployer_silently(self):
        result = self.load(
            '[deployer]\ndriver = heat\n'
            'heat_url = http://127.0.0.1:%d/v1/%%(project)s\n'
            'heat_user = new-user\nheat_project = new-project\n'
            % self.heat.server_port)
        self.assertEqual(0, result.returncode, result.stderr)
        [(path, headers)] = self.heat.requests
        self.assertEqual('/v1/new-project/stacks/stack-1',
                         path.split('?')[0])
        self.assertEqual('new-user', headers['X-Auth-User'])
        self.assertNotIn('is deprecated', result.stdout + result.stderr)


class LoadTest(testtools.TestCase):

    def test_unknown_driver_is_a_runtime_error_naming_it(self):
        conf = self.useFixture(conf_fixture.HurtleConf(
            deployer__driver='no-such-driver')).conf
        err = self.assertRaises(RuntimeError, deployers.load, conf, 'p1')
        self.assertIn('[deployer] driver = no-such-driver: no such driver; '
                      'installed drivers in hurtle.so.deployers: cc, heat',
                      str(err))
