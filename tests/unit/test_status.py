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
"""``hurtle-status upgrade check``: the installed console script, run as
a process on a configuration written for each test."""
import json
import os
import subprocess
import sys

import fixtures
import testtools

STATUS = os.path.join(os.path.dirname(sys.executable), 'hurtle-status')
MANAGE = os.path.join(os.path.dirname(sys.executable), 'hurtle-manage')
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SAMPLE_MANIFEST = os.path.join(ROOT, 'samples', 'sample', 'manifest.json')


class UpgradeCheckTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.database = os.path.join(self.tmp, 'state', 'hurtle.sqlite')

    def write_conf(self, manifests=(SAMPLE_MANIFEST,), extra=''):
        path = os.path.join(self.tmp, 'hurtle.conf')
        with open(path, 'w') as handle:
            handle.write('[DEFAULT]\nstate_path = %s\n[sm]\nmanifests = %s\n'
                         '%s' % (os.path.join(self.tmp, 'state'),
                                 ','.join(manifests), extra))
        return path

    def run_command(self, command, conf, *args):
        proc = subprocess.run([command, '--config-file', conf] + list(args),
                              capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
        self.assertNotIn('Traceback', proc.stdout + proc.stderr)
        return proc

    def check(self, conf):
        """Run the check with --json; return (exit status, {check:
        (result, details)})."""
        proc = self.run_command(STATUS, conf, 'upgrade', 'check', '--json')
        checks = json.loads(proc.stdout)['checks']
        return proc.returncode, {c['check']: (c['result'], c['details'])
                                 for c in checks}

    def test_a_database_never_synced_fails_and_is_not_created(self):
        status, checks = self.check(self.write_conf())
        self.assertEqual(2, status)
        result, details = checks['Database schema']
        self.assertEqual(2, result)
        self.assertIn('hurtle-manage db_sync', details)
        self.assertFalse(os.path.exists(self.database))

    def test_a_synced_deployment_passes_every_check(self):
        conf = self.write_conf()
        self.assertEqual(0, self.run_command(MANAGE, conf,
                                             'db_sync').returncode)
        status, checks = self.check(conf)
        self.assertEqual(0, status, checks)
        self.assertEqual({0}, {result for result, _ in checks.values()})
        self.assertEqual(['Database schema', 'Policy File JSON to YAML '
                          'Migration', 'Service manifests'], sorted(checks))
        # the human-readable table says the same
        proc = self.run_command(STATUS, conf, 'upgrade', 'check')
        self.assertEqual(0, proc.returncode)
        self.assertIn('Result: Success', proc.stdout)
        self.assertNotIn('Result: Failure', proc.stdout)

    def test_a_broken_manifest_fails_naming_it(self):
        broken = os.path.join(self.tmp, 'broken.json')
        with open(broken, 'w') as handle:
            handle.write('{"service_type": ')
        conf = self.write_conf(manifests=(SAMPLE_MANIFEST, broken))
        self.run_command(MANAGE, conf, 'db_sync')
        status, checks = self.check(conf)
        self.assertEqual(2, status)
        result, details = checks['Service manifests']
        self.assertEqual(2, result)
        self.assertIn('broken.json', details)

    def test_no_manifest_is_a_warning(self):
        conf = self.write_conf(manifests=())
        self.run_command(MANAGE, conf, 'db_sync')
        status, checks = self.check(conf)
        self.assertEqual(1, status)
        self.assertEqual(1, checks['Service manifests'][0])

    def test_a_json_policy_file_fails(self):
        policy = os.path.join(self.tmp, 'policy.json')
        with open(policy, 'w') as handle:
            json.dump({'hurtle:instance:create': 'role:member'}, handle)
        conf = self.write_conf(
            extra='[oslo_policy]\npolicy_file = %s\n' % policy)
        self.run_command(MANAGE, conf, 'db_sync')
        status, checks = self.check(conf)
        self.assertEqual(2, status)
        self.assertIn('YAML',
                      checks['Policy File JSON to YAML Migration'][1])

    def test_bad_usage_is_status_2_without_traceback(self):
        proc = self.run_command(STATUS, self.write_conf(), 'upgrade')
        self.assertEqual(2, proc.returncode)
