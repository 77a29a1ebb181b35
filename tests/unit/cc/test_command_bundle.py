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
"""The CC's ``local`` runtime running an SO bundle's ``bundle.json``
command (an SO in any language) over real HTTP, with real processes, and
refusing a bad ``bundle.json`` with 409."""
import json
import os
import sys

import fixtures
import requests
import testtools

from hurtle.cc.runtime import local
from hurtle.cc import store as app_store
from hurtle.occi import errors
from tests.unit.cc import test_app_api

#: A stand-in SO in "another language": a program that follows the port
#: contract (HURTLE_SO_HOST, HURTLE_SO_PORT, HURTLE_SO_PORT_FILE) and
#: answers every GET with what it was given.
SERVER = r'''
import http.server, json, os, sys

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({'argv': sys.argv[1:], 'cwd': os.getcwd(),
                           'env': dict(os.environ)}).encode()
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

srv = http.server.HTTPServer((os.environ['HURTLE_SO_HOST'],
                              int(os.environ['HURTLE_SO_PORT'])), Handler)
port_file = os.environ['HURTLE_SO_PORT_FILE']
with open(port_file + '.tmp', 'w') as handle:
    handle.write(str(srv.server_port))
os.replace(port_file + '.tmp', port_file)
srv.serve_forever()
'''


class CommandBundleTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.bundle = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(self.bundle, 'server.py'), 'w') as handle:
            handle.write(SERVER)
        test_app_api.serve_cc(self, cc__so_start_timeout=30,
                              cc__allowed_images=[self.bundle])

    def write_bundle_json(self, text):
        with open(os.path.join(self.bundle, 'bundle.json'), 'w') as handle:
            handle.write(text)

    def create(self, app_id='cmd-1'):
        return self.client.put('/app/%s' % app_id, test_app_api.APP, {
            'occi.app.name': 'so-cmd', 'occi.app.image': self.bundle,
            'occi.app.env': json.dumps({'HURTLE_SO_SECRET': 's3cret',
                                        'HURTLE_INSTANCE_ID': 'i1'})})

    def test_the_command_runs_in_the_bundle_with_the_so_environment(self):
        self.write_bundle_json(json.dumps(
            {'command': [sys.executable, 'server.py', 'an-arg']}))
        location = self.create()
        app = self.client.get(location)
        self.assertEqual('active', app.attributes['occi.app.state'])
        seen = requests.get(app.attributes['occi.app.url'],
                            timeout=5).json()
        self.assertEqual(['an-arg'], seen['argv'])
        self.assertEqual(os.path.realpath(self.bundle),
                         os.path.realpath(seen['cwd']))
        env = seen['env']
        self.assertEqual('s3cret', env['HURTLE_SO_SECRET'])
        self.assertEqual('i1', env['HURTLE_INSTANCE_ID'])
        self.assertEqual('cmd-1', env['HURTLE_APP_ID'])
        self.assertIn('HURTLE_CC_URL', env)
        self.assertEqual('0', env['HURTLE_SO_PORT'])
        self.assertEqual(self.conf.cc.so_host, env['HURTLE_SO_HOST'])
        self.assertEqual(os.path.join(self.conf.state_path, 'so',
                                      'cmd-1.port'),
                         env['HURTLE_SO_PORT_FILE'])
        # Where it keeps its state across restarts (as hurtle-so does).
        self.assertEqual(os.path.join(self.conf.state_path, 'so',
                                      'cmd-1.json'),
                         env['HURTLE_SO_STATE_FILE'])
        self.assertEqual([], [k for k in env if k.startswith('OS_')])
        # The runtime knows it runs, also as a CC restarted (pid only),
        # and a reused pid of another program is not taken for it.
        ref = app_store.to_entity(self.backend.store.row('cmd-1')).runtime_ref
        self.assertTrue(self.backend.runtime.is_running(ref))
        runtime = local.LocalRuntime(self.conf)
        self.assertTrue(runtime.is_running(ref))
        self.assertFalse(runtime.is_running(dict(ref, app='other')))
        # Nor by the runtime that started it: an earlier CC process may
        # have recorded this pid for another app, whose SO is not this
        # one, and stopping that other app must not stop this SO.
        runtime = self.backend.runtime
        for other in (dict(ref, app='other'), dict(ref, start=1)):
            self.assertFalse(runtime.is_running(other))
            runtime.stop(other)
            self.assertTrue(runtime.is_running(ref))
            self.assertEqual(200, requests.get(
                app.attributes['occi.app.url'], timeout=5).status_code)
        self.client.delete(location)
        test_app_api.wait_removed(self, 'cmd-1')
        self.assertRaises(requests.ConnectionError, requests.get,
                          app.attributes['occi.app.url'], timeout=5)
        self.assertFalse(runtime.is_running(ref))

    def test_a_command_may_send_the_readiness_notice_instead(self):
        # No port file: the notice alone tells the CC it listens.
        with open(os.path.join(self.bundle, 'server.py'), 'w') as handle:
            head, _ = SERVER.split('port_file =')
            handle.write(head + (
                "fd = int(os.environ['HURTLE_SO_READY_FD'])\n"
                "os.write(fd, b'%d\\n' % srv.server_port)\n"
                "os.close(fd)\n"
                "srv.serve_forever()\n"))
        self.write_bundle_json(json.dumps(
            {'command': [sys.executable, 'server.py']}))
        app = self.client.get(self.create())
        self.assertEqual('active', app.attributes['occi.app.state'])
        seen = requests.get(app.attributes['occi.app.url'],
                            timeout=5).json()
        self.assertIn('HURTLE_SO_READY_FD', seen['env'])
        self.assertFalse(os.path.exists(os.path.join(
            self.conf.state_path, 'so', 'cmd-1.port')))

    def assertRefused(self, expected):
        err = self.assertRaises(errors.Conflict, self.create)
        self.assertIn(expected, err.message)
        self.assertEqual([], self.client.list('/app/'))
        self.assertFalse(os.path.exists(os.path.join(
            self.conf.state_path, 'so', 'cmd-1.port')))
        return err

    def test_bad_bundle_json_is_409_and_starts_nothing(self):
        for text, expected in (
                ('{"command": "python server.py"}', 'is not of type'),
                ('{"command": []}', 'command'),
                ('{broken', 'not valid JSON'),
                ('{"command": ["./server.py"]}', 'not an executable')):
            self.write_bundle_json(text)
            err = self.assertRefused(expected)
            self.assertIn('bundle.json', err.message)
        self.assertFalse(os.path.exists(os.path.join(
            self.conf.state_path, 'so', 'cmd-1.log')))

    def test_a_program_that_is_not_installed_is_409(self):
        self.write_bundle_json('{"command": ["hurtle-no-such-program-x"]}')
        self.assertRefused('cannot run hurtle-no-such-program-x')

    def test_a_command_that_exits_is_409_with_its_output(self):
        self.write_bundle_json(json.dumps({'command': [
            sys.executable, '-c',
            'import sys; sys.exit("no port for me")']}))
        err = self.assertRefused('exited with code 1')
        self.assertIn('no port for me', err.message)

    def test_an_so_that_cannot_be_recorded_is_409_and_stopped(self):
        self.write_bundle_json(json.dumps(
            {'command': [sys.executable, 'server.py']}))
        workdir = os.path.join(self.conf.state_path, 'so')
        # A directory where the pid file goes: it cannot be written.
        os.makedirs(os.path.join(workdir, 'cmd-1.pid'))
        self.assertRefused('cannot record the SO process in %s' % workdir)
        self.assertEqual({}, self.backend.runtime._children)
        self.assertEqual({}, self.backend.runtime._refs)
        # Nothing half-written (no temporary file) is left behind.
        self.assertEqual(['cmd-1.log', 'cmd-1.pid'],
                         sorted(os.listdir(workdir)))
