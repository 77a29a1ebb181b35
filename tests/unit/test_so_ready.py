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
"""The SO's readiness notice (:mod:`hurtle.so_ready`) on real pipes and
processes: the line gives the port, an end of file without one is an
exit, junk is no notice, the SO's children never get the descriptor."""
import os
import subprocess
import sys
import time

import testtools

from hurtle import so_ready


class NoticeTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.notice = so_ready.Notice()
        self.addCleanup(self.notice.close)

    def test_both_ends_are_close_on_exec(self):
        self.assertFalse(os.get_inheritable(self.notice.read_fd))
        self.assertFalse(os.get_inheritable(self.notice.write_fd))

    def test_the_line_gives_the_port(self):
        os.write(self.notice.write_fd, b'81')
        self.assertEqual(so_ready.Notice.NOTHING, self.notice.wait(0.05))
        os.write(self.notice.write_fd, b'23\n')
        self.assertEqual(8123, self.notice.wait(1))
        self.notice.sent()
        self.assertTrue(self.notice.wait_closed(1))

    def test_nothing_in_time(self):
        started = time.monotonic()
        self.assertEqual(so_ready.Notice.NOTHING, self.notice.wait(0.2))
        self.assertGreaterEqual(time.monotonic() - started, 0.19)

    def test_end_of_file_without_a_line_is_closed(self):
        self.notice.sent()
        self.assertEqual(so_ready.Notice.CLOSED, self.notice.wait(5))
        self.assertEqual(so_ready.Notice.CLOSED, self.notice.wait(5))

    def test_junk_is_no_notice(self):
        for junk in (b'http\n', b'0\n', b'70000\n', b'1' * 40):
            notice = so_ready.Notice()
            self.addCleanup(notice.close)
            os.write(notice.write_fd, junk)
            self.assertEqual(so_ready.Notice.CLOSED, notice.wait(1), junk)

    def test_an_so_sends_it_and_its_children_never_get_it(self):
        # A real process: takes the descriptor the variable names, runs
        # a child (which must not have it), then notifies.
        code = (
            'import os, subprocess, sys\n'
            'from hurtle import so_ready\n'
            'fd = so_ready.take(os.environ)\n'
            'assert so_ready.ENV not in os.environ\n'
            'out = subprocess.run([sys.executable, "-c", "import os; '
            'print(sorted(os.listdir(\'/proc/self/fd\')))"],'
            ' capture_output=True, text=True, close_fds=False).stdout\n'
            'sys.stdout.write(out)\n'
            'so_ready.notify(fd, 4242)\n')
        env = dict(os.environ, **{so_ready.ENV: str(self.notice.write_fd)})
        proc = subprocess.Popen([sys.executable, '-c', code], env=env,
                                pass_fds=(self.notice.write_fd,),
                                stdout=subprocess.PIPE, text=True)
        self.notice.sent()
        self.assertEqual(4242, self.notice.wait(30))
        out, _ = proc.communicate(timeout=30)
        self.assertEqual(0, proc.returncode)
        # The grandchild had 0, 1, 2 and its listdir's own descriptor.
        self.assertEqual(4, len(eval(out)), out)
        self.assertTrue(self.notice.wait_closed(1))


class TakeTest(testtools.TestCase):

    def test_no_or_bad_variable_is_none(self):
        self.assertIsNone(so_ready.take({}))
        for value in ('x', '-1', '99999', '99999999999999999999999'):
            environ = {so_ready.ENV: value}
            self.assertIsNone(so_ready.take(environ), value)
            self.assertEqual({}, environ)

    def test_a_descriptor_that_is_no_pipe_is_refused(self):
        with open(os.devnull) as handle:
            self.assertIsNone(so_ready.take(
                {so_ready.ENV: str(handle.fileno())}))

    def test_notify_without_a_descriptor_does_nothing(self):
        so_ready.notify(None, 1)

    def test_notify_to_a_cc_gone_is_quiet(self):
        read_fd, write_fd = os.pipe()
        os.close(read_fd)
        so_ready.notify(write_fd, 1)   # EPIPE (SIGPIPE ignored in Python)
        self.assertRaises(OSError, os.fstat, write_fd)
