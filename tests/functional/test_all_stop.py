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
"""How ``hurtle-all`` and its children end (trial findings).

* killed with SIGKILL, it takes its children along: each stops as on a
  clean stop (the CC stops its SOs), and the next ``hurtle-all`` on the
  same state serves the instances again;
* a child whose parent died before the child could ask to be told
  exits at once (``hurtle.parent_death``);
* a stop signals every child at once (``hurtle.cmd.all.stop_all``):
  here each child exits only once every other one got SIGTERM too, which
  one child at a time would never see.
"""
import os
import signal
import subprocess
import sys
import types

import fixtures
import testtools

from hurtle.cmd import all as all_cmd
from hurtle.occi import client as occi_client
from hurtle import parent_death
from hurtle import polling
from tests.functional import hurtle_fixture

SAMPLE = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                                 'sample', 'kind')
TIMEOUT = 120

#: A child that, once it got SIGTERM, leaves a mark in $MARKS and exits
#: only when $EXPECTED marks are there (status 0), or after 60 s (3).
WAITS_FOR_THE_OTHERS = '''
import os, signal, sys, time
marks, name = os.environ['MARKS'], sys.argv[1]
def stop(signum, frame):
    open(os.path.join(marks, name), 'w').close()
    deadline = time.monotonic() + 60
    while len(os.listdir(marks)) < int(os.environ['EXPECTED']):
        if time.monotonic() > deadline:
            sys.exit(3)
        time.sleep(0.05)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
print('ready', flush=True)
while True:
    time.sleep(1)
'''


def _alive(pid):
    """Whether ``pid`` runs (a zombie does not count)."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            return handle.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except OSError:
        return False


class AllStopTest(testtools.TestCase):

    def wait_for(self, probe, what, timeout=TIMEOUT):
        return hurtle_fixture.wait_for(self, probe, what, timeout)

    def test_killed_hurtle_all_takes_its_children_along(self):
        hurtle = self.useFixture(hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,)))
        self.addOnException(lambda exc_info: hurtle.keep_logs(self.id()))
        # The CC starts its SO fork server with it, before any SO.
        self.wait_for(lambda: hurtle.fork_server_pids() or None,
                      'the SO fork server started with the CC', 30)
        sm = hurtle.sm_client('demo')
        location = sm.create('/sample/', SAMPLE, {})
        settled = hurtle_fixture.settled(sm, location)
        attrs = self.wait_for(settled, 'instance settled')
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        instance_id = attrs['occi.core.id']
        children = [pid for pid in hurtle.pids() if pid != hurtle.proc.pid]
        self.assertEqual(3, len(children), children)
        sos = hurtle.so_pids(instance_id)
        self.assertEqual(1, len(sos), sos)

        servers = hurtle.fork_server_pids()
        self.assertEqual(1, len(servers), servers)
        hurtle.proc.kill()
        hurtle.proc.wait()
        # Heat, CC and SM stop; the CC stops the SO on its way out.
        self.wait_for(lambda: not [p for p in children + sos + servers
                                   if _alive(p)]
                      or None, 'children of the killed hurtle-all gone')
        for name in ('hurtle-sm', 'hurtle-cc'):
            with open(os.path.join(hurtle.state, 'log',
                                   '%s.log' % name)) as handle:
                self.assertIn('%s: signal 15, stopping' % name,
                              handle.read())
        # The next hurtle-all on the same state serves the instance again,
        # its SO started again by the CC.
        hurtle._start()
        attrs = self.wait_for(settled, 'instance settled again')
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        self.wait_for(lambda: hurtle.so_pids(instance_id) or None,
                      'SO started again')
        self.assertNotIn(sos[0], hurtle.so_pids(instance_id))

    def test_a_child_whose_parent_is_gone_already_exits(self):
        # As if the parent died between fork and prctl: the child's
        # parent is not the one the call expects.
        gone = subprocess.Popen([sys.executable, '-c', 'pass'])
        gone.wait()
        proc = subprocess.Popen(
            [sys.executable, '-c', 'print("ran")'], stdout=subprocess.PIPE,
            preexec_fn=parent_death.preexec(parent=gone.pid))
        out, _ = proc.communicate(timeout=60)
        self.assertEqual(parent_death.ORPHANED_STATUS, proc.returncode)
        self.assertEqual(b'', out)
        # With its own parent it runs.
        proc = subprocess.Popen(
            [sys.executable, '-c', 'print("ran")'], stdout=subprocess.PIPE,
            preexec_fn=parent_death.preexec())
        out, _ = proc.communicate(timeout=60)
        self.assertEqual((0, b'ran\n'), (proc.returncode, out))

    def test_stop_signals_every_child_before_waiting_for_one(self):
        state = self.useFixture(fixtures.TempDir()).path
        marks = os.path.join(state, 'marks')
        os.mkdir(marks)
        self.useFixture(fixtures.EnvironmentVariable('MARKS', marks))
        self.useFixture(fixtures.EnvironmentVariable('EXPECTED', '3'))
        script = os.path.join(state, 'waits.py')
        with open(script, 'w') as handle:
            handle.write(WAITS_FOR_THE_OTHERS)
        children = []
        for name in ('heat', 'cc', 'sm'):
            child = all_cmd.Child(name, None, None, types.SimpleNamespace(
                state_path=state, config_file=[]))
            child.args = [sys.executable, script, name]
            child.start()
            self.addCleanup(child.proc.kill)
            children.append(child)
        for child in children:
            self.wait_for(lambda: 'ready' in child.tail() or None,
                          '%s ready' % child.name)
        all_cmd.stop_all(children)
        self.assertEqual({'heat': 0, 'cc': 0, 'sm': 0},
                         {c.name: c.proc.returncode for c in children})
        self.assertEqual(['cc', 'heat', 'sm'], sorted(os.listdir(marks)))


class ChildStopTest(testtools.TestCase):
    """``Child.stop`` of one child still works as before."""

    def test_a_child_that_ignores_sigterm_is_killed(self):
        state = self.useFixture(fixtures.TempDir()).path
        child = all_cmd.Child('stubborn', None, None, types.SimpleNamespace(
            state_path=state, config_file=[]))
        child.args = [sys.executable, '-c',
                      'import signal, time\n'
                      'signal.signal(signal.SIGTERM, signal.SIG_IGN)\n'
                      'print("ready", flush=True)\n'
                      'time.sleep(120)\n']
        child.start()
        self.addCleanup(child.proc.kill)
        polling.poll_until(lambda: 'ready' in child.tail() or None, 60, 0.1,
                           'ready')
        child.stop(grace=0.5)
        self.assertEqual(-signal.SIGKILL, child.proc.returncode)
        self.assertFalse(_alive(child.proc.pid))
