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
"""``bundle.json``: the command of an SO in any language, and the SM
refusing to start with a manifest whose bundle has a bad one."""
import json
import os
import shutil
import subprocess
import sys

import fixtures
import testtools

from hurtle import bundle_command
from hurtle import manifest as manifest_mod
from hurtle.sm import service as sm_service
from tests import conf_fixture

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
NODE_BUNDLE = os.path.join(ROOT, 'samples', 'sample-node', 'so')

#: (bundle.json text, what the error must mention)
BAD = [
    ('not json', 'not valid JSON'),
    ('[]', 'is not of type'),
    ('{}', "'command' is a required property"),
    ('{"command": []}', 'command'),
    ('{"command": "node so.js"}', 'is not of type'),
    ('{"command": [1]}', 'command/0'),
    ('{"command": [""]}', 'command/0'),
    ('{"command": ["node"], "comand": ["x"]}', 'comand'),
    ('{"command": ["./missing.sh"]}', 'not an executable file'),
    ('{"command": ["./so.js"]}', 'not an executable file'),
]


class BundleCommandTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.bundle = self.useFixture(fixtures.TempDir()).path

    def write(self, text):
        with open(os.path.join(self.bundle, 'bundle.json'), 'w') as handle:
            handle.write(text)

    def test_no_bundle_json_is_a_python_bundle(self):
        self.assertIsNone(bundle_command.load(self.bundle))

    def test_program_on_path_is_kept_and_arguments_too(self):
        self.write(json.dumps({'command': ['node', 'so.js', '--x=1']}))
        self.assertEqual(['node', 'so.js', '--x=1'],
                         bundle_command.load(self.bundle))

    def test_program_path_is_made_absolute_in_the_bundle(self):
        script = os.path.join(self.bundle, 'run.sh')
        with open(script, 'w') as handle:
            handle.write('#!/bin/sh\n')
        os.chmod(script, 0o755)
        self.write('{"command": ["./run.sh", "a"]}')
        self.assertEqual([script, 'a'], bundle_command.load(self.bundle))

    def test_bad_bundle_json_says_what_is_wrong(self):
        with open(os.path.join(self.bundle, 'so.js'), 'w') as handle:
            handle.write('// not executable\n')
        for text, expected in BAD:
            self.write(text)
            err = self.assertRaises(bundle_command.BundleCommandError,
                                    bundle_command.load, self.bundle)
            self.assertIn(expected, str(err), text)
            self.assertIn('bundle.json', str(err))

    def test_unreadable_bundle_json(self):
        os.mkdir(os.path.join(self.bundle, 'bundle.json'))
        err = self.assertRaises(bundle_command.BundleCommandError,
                                bundle_command.load, self.bundle)
        self.assertIn('cannot read', str(err))

    def test_the_node_sample_bundle_is_valid(self):
        self.assertEqual(['node', 'so.js'],
                         bundle_command.load(NODE_BUNDLE))

    def test_port_contract_environment(self):
        self.assertEqual({'HURTLE_SO_HOST': '127.0.0.1',
                          'HURTLE_SO_PORT': '0',
                          'HURTLE_SO_PORT_FILE': '/s/a.port'},
                         bundle_command.environment('127.0.0.1', 0,
                                                    '/s/a.port'))
        self.assertEqual({'HURTLE_SO_HOST': '0.0.0.0',
                          'HURTLE_SO_PORT': '8080'},
                         bundle_command.environment('0.0.0.0', 8080))
        self.assertEqual({'HURTLE_SO_HOST': '127.0.0.1',
                          'HURTLE_SO_PORT': '0',
                          'HURTLE_SO_PORT_FILE': '/s/a.port',
                          'HURTLE_SO_STATE_FILE': '/s/a.json'},
                         bundle_command.environment('127.0.0.1', 0,
                                                    '/s/a.port', '/s/a.json'))


class SMRefusesBadBundleTest(testtools.TestCase):
    """The SM does not start with a manifest whose bundle has a bad
    ``bundle.json``."""

    def copy_sample(self):
        base = self.useFixture(fixtures.TempDir()).path
        target = os.path.join(base, 'sample-node')
        shutil.copytree(os.path.join(ROOT, 'samples', 'sample-node'), target)
        return target

    def load(self, manifest):
        conf = self.useFixture(conf_fixture.HurtleConf(
            sm__manifests=[manifest])).conf
        return sm_service.load_manifests(conf)

    def test_a_good_command_bundle_loads(self):
        sample = self.copy_sample()
        loaded = self.load(os.path.join(sample, 'manifest.json'))
        self.assertEqual('samplenode', loaded[0].term)

    def test_a_bad_bundle_json_stops_the_sm(self):
        sample = self.copy_sample()
        with open(os.path.join(sample, 'so', 'bundle.json'), 'w') as handle:
            handle.write('{"command": "node so.js"}')
        manifest = os.path.join(sample, 'manifest.json')
        err = self.assertRaises(manifest_mod.ManifestError, self.load,
                                manifest)
        self.assertIn(manifest, str(err))
        self.assertIn('bundle.json', str(err))
        self.assertIn('is not of type', str(err))

    def test_hurtle_sm_exits_with_the_reason(self):
        sample = self.copy_sample()
        with open(os.path.join(sample, 'so', 'bundle.json'), 'w') as handle:
            handle.write('{"command": []}')
        state = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(state, 'hurtle.conf')
        with open(path, 'w') as out:
            out.write('[DEFAULT]\nstate_path = %s\n[sm]\nmanifests = %s\n'
                      % (state, os.path.join(sample, 'manifest.json')))
        result = subprocess.run(
            [sys.executable, '-m', 'hurtle.cmd.sm', '--config-file', path],
            capture_output=True, text=True, timeout=120)
        self.assertNotEqual(0, result.returncode)
        self.assertIn('hurtle-sm: %s: so_bundle: ' % os.path.join(
            sample, 'manifest.json'), result.stderr)
        self.assertIn('bundle.json: invalid command', result.stderr)
        self.assertNotIn('Traceback', result.stderr)
