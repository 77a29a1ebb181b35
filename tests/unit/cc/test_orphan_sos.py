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
"""A CC that starts again finds the SOs an earlier CC left running
(``AppBackend.recover`` → ``LocalRuntime.reconcile``): recorded SOs are
adopted and stopped with the CC, orphans (no record names them) are
stopped, and a pid file naming another program is only removed.

Real SO processes; "the CC starts again" is a second ``AppBackend`` (a
new runtime) on the same configuration, as ``hurtle-cc`` builds it
(tests/functional/test_cc_orphans.py kills a real ``hurtle-cc``).
"""
import json
import logging
import os
import signal
import subprocess

import fixtures
import testtools

from hurtle.cc import api
from hurtle.cc.runtime import pid_files
from hurtle import polling
from tests import net
from tests.unit.cc import test_app_api

SECRET = 'orphan-secret-4711'
WAIT = 60


class OrphanSOTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        test_app_api.serve_cc(self, cc__so_start_timeout=60,
                              cc__allowed_images=[test_app_api.BUNDLE])
        self.first = self.backend.runtime      # the CC that "dies"
        self.workdir = os.path.join(self.conf.state_path, 'so')
        self.log = self.useFixture(fixtures.FakeLogger(level=logging.INFO))

    def restarted_cc(self):
        """The backend of a CC started again on the same state."""
        _application, backend = api.make_application(self.conf)
        self.addCleanup(backend.runtime.stop_all)
        return backend

    def create(self, app_id):
        self.client.put('/app/%s' % app_id, test_app_api.APP, {
            'occi.app.name': app_id, 'occi.app.image': test_app_api.BUNDLE,
            'occi.app.env': json.dumps({'HURTLE_SO_SECRET': SECRET})})
        return self.client.get('/app/%s' % app_id).attributes

    def start_unrecorded(self, app_id):
        """Start an SO as the runtime does, without an app record (the
        CC died before recording it); returns its process."""
        _url, ref = self.first.start(app_id, test_app_api.BUNDLE,
                                     {'HURTLE_SO_SECRET': SECRET})
        return self.first._children[ref['pid']]

    def serves(self, url):
        return net.so_serves(url, SECRET)

    def pid_file(self, app_id):
        return pid_files.path(self.workdir, app_id)

    def other_program(self, **env):
        proc = subprocess.Popen(['sleep', '300'], env=dict(os.environ, **env))
        self.addCleanup(proc.wait)
        self.addCleanup(proc.kill)
        return proc

    def test_the_runtime_records_each_so_privately(self):
        attrs = self.create('recorded-1')
        pid = next(iter(self.first._children))
        path = self.pid_file('recorded-1')
        self.assertEqual(pid, pid_files.read(path))
        self.assertEqual(0o600, os.stat(path).st_mode & 0o777)
        self.assertTrue(self.serves(attrs['occi.app.url']))
        self.client.delete('/app/recorded-1')
        # Removed once the SO exited (the CC waits for it on a thread).
        polling.poll_until(lambda: not os.path.exists(path) or None, WAIT,
                           0.02, 'pid file removed')
        self.assertIsNone(self.first._children.get(pid))

    def test_orphan_so_is_stopped_at_the_next_cc_start(self):
        orphan = self.start_unrecorded('orphan-1')
        self.assertEqual(orphan.pid, pid_files.read(
            self.pid_file('orphan-1')))
        self.assertEqual(0, self.restarted_cc().recover())
        self.assertIsNotNone(orphan.wait(WAIT))
        self.assertFalse(os.path.exists(self.pid_file('orphan-1')))
        self.assertFalse(os.path.exists(
            os.path.join(self.workdir, 'orphan-1.port')))
        lines = [line for line in self.log.output.splitlines()
                 if 'orphan SO' in line]
        self.assertEqual(1, len(lines), self.log.output)
        self.assertIn('orphan-1', lines[0])
        self.assertIn(str(orphan.pid), lines[0])
        self.assertNotIn(SECRET, self.log.output)

    def test_recorded_so_is_adopted_then_stopped_with_the_cc(self):
        attrs = self.create('kept-1')
        proc = next(iter(self.first._children.values()))
        cc = self.restarted_cc()
        self.assertEqual(0, cc.recover())
        # Kept, not restarted: same process, same address, still serving.
        self.assertIsNone(proc.poll())
        self.assertTrue(self.serves(attrs['occi.app.url']))
        self.assertEqual(attrs['occi.app.url'], self.client.get(
            '/app/kept-1').attributes['occi.app.url'])
        self.assertEqual(proc.pid, pid_files.read(self.pid_file('kept-1')))
        self.assertNotIn('orphan SO', self.log.output)
        # A clean stop of the new CC stops the SO it adopted.
        cc.runtime.stop_all()
        self.assertIsNotNone(proc.wait(WAIT))
        self.assertFalse(self.serves(attrs['occi.app.url']))
        self.assertFalse(os.path.exists(self.pid_file('kept-1')))

    def test_so_other_than_the_recorded_one_is_stopped(self):
        # The CC died restarting the app: the new SO was started, the
        # record still names the old one (which runs on).
        attrs = self.create('twice-1')
        recorded = next(iter(self.first._children.values()))
        newer = self.start_unrecorded('twice-1')
        self.assertEqual(newer.pid, pid_files.read(self.pid_file('twice-1')))
        self.assertEqual(0, self.restarted_cc().recover())
        self.assertIsNotNone(newer.wait(WAIT))
        self.assertIsNone(recorded.poll())
        self.assertTrue(self.serves(attrs['occi.app.url']))
        self.assertEqual(recorded.pid,
                         pid_files.read(self.pid_file('twice-1')))

    def test_pid_file_naming_another_program_is_never_signalled(self):
        os.makedirs(self.workdir, exist_ok=True)
        plain = self.other_program()
        other_app = self.other_program(HURTLE_APP_ID='someone-else')
        # The control: a process with the app's id is taken for its SO.
        posing = self.other_program(HURTLE_APP_ID='ghost-4')
        for app_id, pid in (('ghost-1', plain.pid),
                            ('ghost-2', other_app.pid),
                            ('ghost-3', os.getpid()),
                            ('ghost-4', posing.pid)):
            pid_files.write(self.workdir, app_id, pid)
        self.restarted_cc().recover()
        self.assertIsNone(plain.poll())
        self.assertIsNone(other_app.poll())
        self.assertEqual(-signal.SIGTERM, posing.wait(WAIT))
        self.assertEqual([], pid_files.records(self.workdir))
        self.assertEqual(1, self.log.output.count('orphan SO'),
                         self.log.output)

    def test_stale_and_unreadable_pid_files_are_removed(self):
        os.makedirs(self.workdir, exist_ok=True)
        dead = subprocess.Popen(['true'])
        dead.wait()
        pid_files.write(self.workdir, 'dead-1', dead.pid)
        with open(self.pid_file('junk-1'), 'w') as handle:
            handle.write('not a pid\n')
        with open(self.pid_file('zero-1'), 'w') as handle:
            handle.write('0\n')
        os.mkdir(self.pid_file('odd-1'))   # cannot be removed: a warning
        self.assertEqual([('dead-1', dead.pid, None),
                          ('junk-1', None, None), ('odd-1', None, None),
                          ('zero-1', None, None)],
                         pid_files.records(self.workdir))
        self.assertEqual(0, self.restarted_cc().recover())
        self.assertEqual([('odd-1', None, None)],
                         pid_files.records(self.workdir))
        self.assertIn('cannot remove %s' % self.pid_file('odd-1'),
                      self.log.output)
        self.assertNotIn('orphan SO', self.log.output)
