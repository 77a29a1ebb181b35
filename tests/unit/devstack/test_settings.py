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
"""devstack/settings: a default for every variable, each documented; the
shell files pass bashate."""
import os
import re
import subprocess
import sys

import testtools

from tests.unit.devstack import harness
from tests.unit.devstack.harness import read

SETTINGS = os.path.join(harness.DEVSTACK, 'settings')
README = os.path.join(harness.DEVSTACK, 'README.rst')
DOC = os.path.join(harness.ROOT, 'doc', 'source', 'install', 'devstack.rst')
ASSIGNMENT = re.compile(r'^([A-Z][A-Z_]*)=(.*)$', re.MULTILINE)


def settings_variables():
    return ASSIGNMENT.findall(read(SETTINGS))


class SettingsTest(harness.PluginCase):

    def test_every_variable_defaults_to_itself(self):
        variables = settings_variables()
        self.assertIn('HURTLE_HEAT_PLUGIN_DIR', [v for v, _ in variables])
        for name, value in variables:
            self.assertTrue(value.startswith('${%s:-' % name),
                            '%s=%s has no ${%s:-default}'
                            % (name, value, name))

    def test_defaults_under_nounset(self):
        names = [name for name, _ in settings_variables()]
        script = ('set -o errexit -o nounset; source "$HURTLE_TEST_STUBS"; '
                  'source "$HURTLE_TEST_DEVSTACK/settings"; ' +
                  '; '.join('echo "%s=${%s}"' % (n, n) for n in names))
        env = dict(self.env)
        del env['HEAT_CONF']
        proc = subprocess.run(['bash', '-c', script], env=env,
                              capture_output=True, text=True, timeout=60)
        self.assertEqual(0, proc.returncode, proc.stderr)
        values = dict(line.split('=', 1) for line in proc.stdout.split('\n')
                      if line)
        self.assertEqual(self.plugins_dir, values['HURTLE_HEAT_PLUGIN_DIR'])
        self.assertEqual('/etc/heat/heat.conf', values['HURTLE_HEAT_CONF'])
        self.assertEqual('', values['SDC_URL'])
        self.assertEqual([('plugin_requires', 'hurtle', 'heat')],
                         self.calls())
        # A value from local.conf wins.
        proc = subprocess.run(
            ['bash', '-c', script],
            env=dict(env, HURTLE_HEAT_PLUGIN_DIR='/opt/plugins'),
            capture_output=True, text=True, timeout=60)
        self.assertIn('HURTLE_HEAT_PLUGIN_DIR=/opt/plugins\n', proc.stdout)

    def test_every_variable_is_documented(self):
        readme = read(README)
        doc = read(DOC)
        for name, _ in settings_variables():
            self.assertIn('``%s``' % name, readme, README)
            self.assertIn('``%s``' % name, doc, DOC)


class BashateTest(testtools.TestCase):

    def test_bashate_passes(self):
        try:
            import bashate  # noqa: F401
        except ImportError:
            self.skipTest('bashate is not installed (tox -e pep8 runs it)')
        proc = subprocess.run(
            [sys.executable, '-m', 'bashate.bashate', '-v', '-e', 'E*',
             os.path.join(harness.DEVSTACK, 'plugin.sh'), SETTINGS,
             harness.STUBS, harness.FAKE_HEAT],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(0, proc.returncode, proc.stdout + proc.stderr)
