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
"""``hurtle.wsgi.sm`` / ``hurtle.wsgi.cc`` load as a WSGI server would.

Each runs in a fresh interpreter (they parse the global configuration at
import), with ``HURTLE_CONFIG_FILES`` naming a temporary configuration,
and answers a query-interface request through webob.
"""
import os
import socket
import subprocess
import sys
import textwrap

import fixtures
import testtools

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))

PROBE = textwrap.dedent('''
    import sys
    import webob
    module = __import__('hurtle.wsgi.' + sys.argv[1], fromlist=['x'])
    headers = {'Accept': 'text/plain'}
    if len(sys.argv) > 2:  # the state_path: send the local secret
        from hurtle import local_secret
        headers.update(local_secret.headers(sys.argv[2]))
    resp = webob.Request.blank('/-/', headers=headers
                               ).get_response(module.application)
    print('STATUS %d' % resp.status_int)
    print(resp.text)
''')


class WSGIEntryPointTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        self.conf = os.path.join(self.state, 'hurtle.conf')
        with open(self.conf, 'w') as handle:
            handle.write('[DEFAULT]\nstate_path = %s\n[sm]\nmanifests = %s\n'
                         % (self.state, os.path.join(
                             ROOT, 'samples', 'sample', 'manifest.json')))

    def probe(self, name, config_files, *args):
        env = dict(os.environ, HURTLE_CONFIG_FILES=config_files)
        return subprocess.run([sys.executable, '-c', PROBE, name] +
                              list(args), env=env,
                              cwd=ROOT, capture_output=True, text=True,
                              timeout=120)

    def test_sm_application(self):
        result = self.probe('sm', self.conf)
        self.assertEqual(0, result.returncode, result.stderr)
        body = result.stdout.split('STATUS ', 1)[-1]
        self.assertTrue(body.startswith('200'), result.stdout)
        self.assertIn('http://schemas.hurtle.it/occi/sm#', body)

    def test_cc_application(self):
        result = self.probe('cc', self.conf, self.state)
        self.assertEqual(0, result.returncode, result.stderr)
        body = result.stdout.split('STATUS ', 1)[-1]
        self.assertTrue(body.startswith('200'), result.stdout)
        self.assertIn('http://schemas.ogf.org/occi/platform#', body)

    def test_cc_application_wants_the_local_secret(self):
        result = self.probe('cc', self.conf)
        self.assertEqual(0, result.returncode, result.stderr)
        body = result.stdout.split('STATUS ', 1)[-1]
        self.assertTrue(body.startswith('401'), result.stdout)

    def heat_notifications(self, url):
        with open(self.conf, 'a') as handle:
            handle.write('[heat_notifications]\ntransport_url = %s\n' % url)

    def test_cc_with_an_unreachable_bus_serves(self):
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            port = sock.getsockname()[1]
        self.heat_notifications('rabbit://hurtle:Pw-9x1@127.0.0.1:%d/' % port)
        result = self.probe('cc', self.conf, self.state)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertTrue(result.stdout.split('STATUS ', 1)[-1]
                        .startswith('200'), result.stdout)
        self.assertNotIn('Pw-9x1', result.stdout + result.stderr)

    def test_cc_with_a_bad_transport_url_refuses_to_start(self):
        self.heat_notifications('nosuch://hurtle:Pw-9x1@127.0.0.1/')
        result = self.probe('cc', self.conf, self.state)
        self.assertNotEqual(0, result.returncode)
        # (oslo.log writes the unhandled error to stdout)
        self.assertIn('cannot start: [heat_notifications] transport_url',
                      result.stdout + result.stderr)
        self.assertNotIn('Pw-9x1', result.stdout + result.stderr)

    def test_missing_config_file_fails_with_message(self):
        result = self.probe('sm', os.path.join(self.state, 'nope.conf'))
        self.assertNotEqual(0, result.returncode)
        self.assertIn('nope.conf', result.stderr)
