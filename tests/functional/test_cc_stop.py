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
"""A real ``hurtle-cc`` stopping (SIGTERM) with SOs that do not exit
(stopped with SIGSTOP): one ``[cc] so_stop_grace`` covers them all.

Before, the CC gave each SO its grace of 10 s one after the other, so
``hurtle-all`` took 10 s more per stopped SO to stop (a trial measured
22 s); now every SO gets SIGTERM at once and SIGKILL when the one grace
is over.
"""
import os
import signal
import time

import fixtures
import testtools

from hurtle.cc.runtime import pid_files
from tests.functional import cc_process
from tests.functional import test_cc_liveness

GRACE = 4
#: Seconds the CC may take beyond the grace (its watcher and server
#: stopping, the SIGKILLed SOs reaped) on a busy machine.
MARGIN = 3
STOPPED = 3

#: [cc] options (tests.functional.cc_process).
CC_OPTIONS = """allowed_images = {bundle}
so_stop_grace = %d
# The stopped SOs are not restarted meanwhile.
so_liveness_failures = 0
""" % GRACE


class StopGraceTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        cc = self.useFixture(cc_process.CCProcess(
            self.state, CC_OPTIONS, bundle=test_cc_liveness.BUNDLE))
        self.cc, self.client, self.cc_log = cc.child, cc.client, cc.log

    def test_one_grace_covers_every_so_that_does_not_exit(self):
        pids = {}
        for n in range(STOPPED + 1):
            _url, pids['so-%d' % n] = test_cc_liveness.create_app(
                self, self.client, self.state, 'so-%d' % n,
                test_cc_liveness.BUNDLE)
        for app_id, pid in pids.items():
            if app_id != 'so-0':    # so-0 exits on its SIGTERM
                os.kill(pid, signal.SIGSTOP)
                self.addCleanup(_cont, pid)
        start = time.monotonic()
        self.cc.stop()
        took = time.monotonic() - start
        self.assertEqual(0, self.cc.proc.returncode, self.cc_log())
        print('CC stopped in %.1f s with %d stopped SOs (grace %d s)'
              % (took, STOPPED, GRACE))
        self.assertGreaterEqual(took, GRACE)
        self.assertLess(took, GRACE + MARGIN)
        for app_id, pid in pids.items():
            self.assertFalse(test_cc_liveness.is_so(pid, app_id), app_id)
            self.assertFalse(os.path.exists(pid_files.path(
                os.path.join(self.state, 'so'), app_id)))


def _cont(pid):
    try:
        os.kill(pid, signal.SIGCONT)
    except ProcessLookupError:
        pass
