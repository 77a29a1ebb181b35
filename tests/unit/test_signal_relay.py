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
"""``hurtle.signal_relay``: a signal's callback runs in the relay thread,
so it may set an event the main thread is waiting on (in a handler,
``Event.set()`` hung ``hurtle-all`` on a SIGTERM in a CI run)."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import testtools

from tests.functional import hurtle_fixture

#: The main thread waits on an event again and again, for ``SECONDS``,
#: while the test sends SIGUSR1 as fast as it can; the callback sets
#: that event. Prints the callbacks' count and the names of the threads
#: they ran in.
CHILD = textwrap.dedent('''
    import signal, sys, threading, time
    from hurtle import signal_relay
    event = threading.Event()
    ran = []

    def callback(signum):
        ran.append((signum, threading.current_thread().name))
        event.set()
    if sys.argv[1] == 'relay':
        signal_relay.handle((signal.SIGUSR1,), callback)
    else:
        signal.signal(signal.SIGUSR1,
                      lambda signum, frame: callback(signum))
    print('ready', flush=True)
    end = time.monotonic() + float(sys.argv[2])
    while time.monotonic() < end:
        event.clear()
        event.wait(0.00001)
    time.sleep(0.5)   # the relay's last callbacks
    print(len(ran), sorted(set(name for _, name in ran)),
          sorted(set(signum for signum, _ in ran)), flush=True)
''')
SECONDS = 3.0
#: More than enough for SECONDS of work: a child past it is hung.
TIMEOUT = 30.0


class RelayTest(testtools.TestCase):

    def run_child(self, mode):
        """Run CHILD, signal it for SECONDS; returns ``(status or None if
        hung, output)``."""
        proc = subprocess.Popen(
            [sys.executable, '-c', CHILD, mode, str(SECONDS)],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            cwd=hurtle_fixture.ROOT)
        self.addCleanup(proc.stdout.close)
        self.assertEqual(b'ready\n', proc.stdout.readline())
        end = time.monotonic() + SECONDS
        while time.monotonic() < end and proc.poll() is None:
            for _ in range(100):
                try:
                    os.kill(proc.pid, signal.SIGUSR1)
                except ProcessLookupError:
                    break
        try:
            proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return None, ''
        return proc.returncode, proc.stdout.read().decode()

    def test_callbacks_set_the_event_the_main_thread_waits_on(self):
        status, output = self.run_child('relay')
        self.assertEqual(0, status, output)
        count, rest = output.split(' ', 1)
        self.assertGreater(int(count), 0)
        self.assertEqual("['signal-relay'] [%d]\n" % signal.SIGUSR1, rest)

    def test_the_same_in_the_signal_handler_fails(self):
        # What the relay is for, and proof that the test above meets the
        # hazard: the handler's Event.set() waits for the event's lock,
        # held by the main thread it interrupted. With one signal that
        # is a hang; with more, each interrupts the wait of the one
        # before, until the recursion limit ends the process.
        status, output = self.run_child('handler')
        if status == 0:
            self.skipTest('no signal came while the lock was held '
                          '(%s)' % output.strip())
        self.assertNotEqual(0, status)
