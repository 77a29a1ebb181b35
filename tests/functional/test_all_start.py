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
log tail (issue 12: start until the SM answers). A SIGTERM or a Ctrl-C
(SIGINT to the terminal's whole process group) during start-up ends the
start-up and stops every child, the CC's SOs too (trial findings)."""
import os
import signal
import subprocess
import sys

import testtools

from hurtle.occi import client as occi_client
from tests.functional import hurtle_fixture
from tests.functional import test_all_stop

TIMEOUT = 240
SAMPLE = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                                 'sample', 'kind')


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


class StopDuringStartTest(testtools.TestCase):
    """A stop request at several points of hurtle-all's start-up: it
    exits without serving, and none of the processes it started (nor the
    SOs its CC started) is left."""

    def wait_for(self, probe, what):
        return hurtle_fixture.wait_for(self, probe, what, TIMEOUT, 0.1)

    def start(self, setup):
        """hurtle-all on ``setup``'s configuration, in a session of its
        own (as a shell runs it: a Ctrl-C signals its whole process
        group); returns ``(proc, output path)``."""
        out_path = os.path.join(setup.state, 'start-%d.out' % os.getpid())
        out = open(out_path, 'wb')
        self.addCleanup(out.close)
        # PYTHONFAULTHANDLER: a hung hurtle-all shows its threads'
        # stacks on the SIGABRT of :meth:`stop`.
        proc = subprocess.Popen(
            [sys.executable, '-P', '-m', 'hurtle.cmd.all',
             '--config-file', setup.conf_path],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=hurtle_fixture.ROOT, start_new_session=True,
            env=dict(os.environ, PYTHONFAULTHANDLER='1'))
        self.addCleanup(self._kill_all, setup, proc)
        return proc, out_path

    @staticmethod
    def _kill_all(setup, proc):
        """Whatever a failed test left: hurtle-all, its children, SOs."""
        for pid in setup.pids() + setup.so_pids() + [proc.pid]:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        proc.wait()

    @staticmethod
    def output(path):
        with open(path, 'rb') as handle:
            return handle.read().decode('utf-8', 'replace')

    def stop(self, setup, proc, out_path, signum):
        """Send ``signum`` (SIGINT: to the process group, as Ctrl-C does)
        and check that hurtle-all exits without serving and leaves no
        process behind."""
        if signum == signal.SIGINT:
            os.killpg(proc.pid, signum)
        else:
            proc.send_signal(signum)
        try:
            status = proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGABRT)
            proc.wait()
            self.fail('hurtle-all did not exit within %d s of signal %d; '
                      'its output and stacks:\n%s'
                      % (TIMEOUT, signum, self.output(out_path)))
        output = self.output(out_path)
        self.assertEqual(0, status, output)
        self.assertIn('hurtle-all: stop requested during start-up', output)
        self.assertNotIn('Hurtle serves', output)
        self.assertNotIn('Traceback', output)
        self.assertEqual([], [p for p in setup.pids() + setup.so_pids()
                              if test_all_stop._alive(p)])

    def stop_while_heat_starts(self, signum):
        setup = self.useFixture(hurtle_fixture.HurtleConfig(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,)))
        proc, out_path = self.start(setup)
        # All three started; the embedded Heat takes seconds to answer.
        self.wait_for(lambda: 'starting hurtle-sm' in self.output(out_path)
                      or None, 'hurtle-sm started')
        self.stop(setup, proc, out_path, signum)

    def test_sigterm_while_heat_starts(self):
        self.stop_while_heat_starts(signal.SIGTERM)

    def test_ctrl_c_while_heat_starts(self):
        self.stop_while_heat_starts(signal.SIGINT)

    def stop_while_the_cc_restarts_sos(self, signum):
        hurtle = self.useFixture(hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,)))
        sm = hurtle.sm_client('demo')
        location = sm.create('/sample/', SAMPLE, {})
        attrs = self.wait_for(hurtle_fixture.settled(sm, location),
                              'instance settled')
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        instance_id = attrs['occi.core.id']
        self.assertEqual(0, hurtle.stop())
        self.assertEqual([], hurtle.so_pids(instance_id))
        # Started again, the CC restarts the instance's SO before it
        # serves, while the embedded Heat is still starting.
        proc, out_path = self.start(hurtle)
        self.wait_for(lambda: hurtle.so_pids(instance_id) or None,
                      'SO restarted by the CC')
        self.stop(hurtle, proc, out_path, signum)

    def test_sigterm_while_the_cc_restarts_sos(self):
        self.stop_while_the_cc_restarts_sos(signal.SIGTERM)

    def test_ctrl_c_while_the_cc_restarts_sos(self):
        self.stop_while_the_cc_restarts_sos(signal.SIGINT)
