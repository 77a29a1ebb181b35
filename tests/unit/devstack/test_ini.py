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
"""The ini helpers of stubs.sh behave as devstack's inc/ini-config.

The expectations are devstack's behaviour; with ``HURTLE_TEST_DEVSTACK_DIR``
naming a devstack checkout, the same tests run against its real helpers
(the stubs source them), which checks the stubs' model of them.
"""
import os
import subprocess

import fixtures
from oslo_config import cfg
import testtools

from tests.unit.devstack import harness


class IniTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.path = os.path.join(self.tmp, 'x.conf')

    def write(self, text):
        with open(self.path, 'w') as handle:
            handle.write(text)

    def bash(self, script):
        env = {'PATH': os.environ['PATH'], 'HURTLE_TEST_STUBS': harness.STUBS,
               'HURTLE_TEST_CALLS': os.path.join(self.tmp, 'calls'),
               'F': self.path}
        real = os.environ.get('HURTLE_TEST_DEVSTACK_DIR')
        if real:
            env['HURTLE_TEST_DEVSTACK_DIR'] = real
        proc = subprocess.run(
            ['bash', '-c', 'source "$HURTLE_TEST_STUBS"\n' + script],
            env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(0, proc.returncode, proc.stderr)
        return proc

    def test_iniset_creates_the_file_and_section(self):
        self.bash('iniset $F s o v')
        self.assertEqual('\n[s]\no = v\n', harness.read(self.path))

    def test_iniset_inserts_a_new_option_after_the_header(self):
        self.write('[s]\na = 1\n[t]\nb = 2\n')
        self.bash('iniset $F s o v; iniset $F u o w')
        self.assertEqual('[s]\no = v\na = 1\n[t]\nb = 2\n\n[u]\no = w\n',
                         harness.read(self.path))

    def test_iniset_replaces_every_value_of_the_section_only(self):
        self.write('[s]\no=1\nother = 1\no = 2\n[t]\no = 3\n')
        self.bash('iniset $F s o new')
        self.assertEqual('[s]\no=new\nother = 1\no = new\n[t]\no = 3\n',
                         harness.read(self.path))

    def test_indented_commented_or_longer_names_are_not_the_option(self):
        self.write('[s]\n  o = 1\n#o = 2\no_x = 3\n')
        proc = self.bash('echo "[$(iniget $F s o)]"; iniset $F s o v')
        self.assertEqual('[]\n', proc.stdout)
        self.assertEqual('[s]\no = v\n  o = 1\n#o = 2\no_x = 3\n',
                         harness.read(self.path))

    def test_iniset_squeezes_blanks_in_the_value(self):
        self.bash('iniset $F s o "/a,  /b   c "')
        self.assertEqual('\n[s]\no = /a, /b c\n', harness.read(self.path))

    def test_iniget_strips_and_squeezes(self):
        self.write('[s]\no =  /a, /b  \n[t]\np = 1\n')
        proc = self.bash('echo "[$(iniget $F s o)]"; '
                         'echo "[$(iniget $F s p)]"')
        self.assertEqual('[/a, /b]\n[]\n', proc.stdout)

    def test_iniget_of_a_missing_file(self):
        proc = self.bash('echo "[$(iniget $F s o)]"')
        self.assertEqual('[]\n', proc.stdout)
        self.assertIn("can't read", proc.stderr)

    def test_inicomment_comments_the_section_s_lines(self):
        self.write('[s]\no = 1\np = 2\n[t]\no = 3\n')
        self.bash('inicomment $F s o')
        self.assertEqual('[s]\n#o = 1\np = 2\n[t]\no = 3\n',
                         harness.read(self.path))

    def test_ini_has_option(self):
        self.write('[s]\no = 1\n')
        proc = self.bash('ini_has_option $F s o && echo yes; '
                         'ini_has_option $F s p || echo no; '
                         'ini_has_option $F t o || echo no')
        self.assertEqual('yes\nno\nno\n', proc.stdout)

    def test_iniadd_writes_one_line_per_value(self):
        self.write('[s]\na = 1\no = x\n[t]\no = y\n')
        self.bash('iniadd $F s o "v w" z; iniadd $F u o q')
        self.assertEqual('[s]\no = x\no = v\no = w\no = z\na = 1\n'
                         '[t]\no = y\n\n[u]\no = q\n',
                         harness.read(self.path))
        proc = self.bash('iniget_multiline $F s o')
        self.assertEqual('x v w z\n', proc.stdout)

    def test_iniadd_is_not_for_a_comma_separated_list(self):
        # Why devstack/plugin.sh does not use iniadd for heat.conf's
        # plugin_dirs: a second line replaces the first for oslo.config
        # (only a MultiStrOpt collects them).
        self.write('[DEFAULT]\nplugin_dirs = /opt/a,/opt/b\n')
        self.bash('iniadd $F DEFAULT plugin_dirs /opt/hurtle')
        conf = cfg.ConfigOpts()
        conf.register_opt(cfg.ListOpt('plugin_dirs'))
        conf(['--config-file', self.path], project='heat-test')
        self.addCleanup(conf.reset)
        self.assertEqual(['/opt/hurtle'], conf.plugin_dirs)
