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
"""``hurtle-all`` starts its three children together, and a child that
exits at start makes it stop the others and exit 1 with that child's
log tail (issue 12: start until the SM answers)."""
import os
import subprocess
import sys

import testtools

from tests.functional import hurtle_fixture

TIMEOUT = 240


class AllStartTest(testtools.TestCase):

    def run_all(self, extra_conf):
        """Run hurtle-all on a new state directory until it exits;
        returns ``(fixture, exit status, output)``."""
        setup = self.useFixture(hurtle_fixture.HurtleConfig(
            extra_conf=extra_conf))
        done = subprocess.run(
            [sys.executable, '-P', '-m', 'hurtle.cmd.all',
             '--config-file', setup.conf_path],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, cwd=hurtle_fixture.ROOT,
            timeout=TIMEOUT)
        return setup, done.returncode, done.stdout.decode('utf-8',
                                                          'replace')

    def test_heat_exiting_at_start_stops_the_cc_and_sm_started_with_it(self):
        # The CC and the SM do not wait for Heat to answer: they were
        # started before Heat gave up, and are stopped with it.
        setup, status, output = self.run_all(
            '[embedded_heat]\nheat_config = /nonexistent/heat.conf\n')
        self.assertEqual(1, status, output)
        self.assertIn('hurtle-all: hurtle-heat exited with status 2', output)
        self.assertIn('heat_config file /nonexistent/heat.conf does not '
                      'exist', output)
        for name in ('hurtle-cc', 'hurtle-sm'):
            self.assertIn('starting %s' % name, output)
            self.assertTrue(os.path.exists(os.path.join(
                setup.state, 'log', '%s.log' % name)), name)
        self.assertNotIn('Hurtle serves', output)
        self.assertEqual([], setup.pids())

    def test_the_sm_exiting_at_start_fails_hurtle_all_with_its_log(self):
        setup, status, output = self.run_all(
            '[sm]\nmanifests = /nonexistent/manifest.json\n')
        self.assertEqual(1, status, output)
        self.assertIn('hurtle-all: hurtle-sm exited with status 1', output)
        # The SM's own message, from its log's tail.
        self.assertIn('hurtle-sm: ', output)
        self.assertIn('/nonexistent/manifest.json', output)
        self.assertNotIn('Hurtle serves', output)
        self.assertEqual([], setup.pids())
