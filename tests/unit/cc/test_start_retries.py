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
"""An SO killed between its start and its first answer is started again
(``[cc] start_retries``, ``start_retry_backoff``): real CC API, runtime,
fork server and SO processes, killed with SIGKILL as an operator (or the
OOM killer) would. Only when every attempt dies does the create fail,
with a 409 that says how (``killed by SIGKILL``), where the log is, and
no secret."""
import json
import os
import signal
import threading
import time

import fixtures
import testtools

from hurtle.cc.runtime import pid_files
from hurtle.occi import errors
from tests.unit.cc import test_app_api

SECRET = 'retry-secret-5678'
#: An SO that takes its time before it listens (the window to kill it
#: in), then is the sample SO.
SLOW_SO = '''import time
time.sleep(%(delay)s)
with open(%(original)r) as _handle:
    exec(compile(_handle.read(), %(original)r, 'exec'))
'''
#: An SO killed (by itself) before it listens, at every start; it prints
#: its secret first, which the CC's message must not repeat.
DYING_SO = '''import os, signal, sys
sys.stdout.write('secret is %s\\n' % os.environ['HURTLE_SO_SECRET'])
sys.stdout.flush()
os.kill(os.getpid(), signal.SIGKILL)
'''


class StartRetriesTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.bundle = self.useFixture(fixtures.TempDir()).path
        test_app_api.serve_cc(self, cc__so_start_timeout=60,
                              cc__allowed_images=[self.bundle],
                              cc__start_retry_backoff=0.1)
        self.workdir = os.path.join(self.conf.state_path, 'so')

    def write_so(self, text):
        with open(os.path.join(self.bundle, 'so.py'), 'w') as handle:
            handle.write(text)

    def create(self, app_id):
        return self.client.put('/app/%s' % app_id, test_app_api.APP, {
            'occi.app.name': 'so-%s' % app_id,
            'occi.app.image': self.bundle,
            'occi.app.env': json.dumps({'HURTLE_SO_SECRET': SECRET,
                                        'HURTLE_INSTANCE_ID': app_id})})

    def kill_first_starts(self, app_id, count):
        """Kill (SIGKILL) the first ``count`` SO processes of ``app_id``
        as soon as the runtime records them; returns the thread and the
        pids killed."""
        killed = []

        def run():
            path = pid_files.path(self.workdir, app_id)
            deadline = time.monotonic() + 60
            while len(killed) < count and time.monotonic() < deadline:
                record = pid_files.read_record(path)
                if record and record[0] and record[0] not in killed:
                    os.kill(record[0], signal.SIGKILL)
                    killed.append(record[0])
                time.sleep(0.005)
        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread, killed

    def so_files(self):
        return sorted(n for n in os.listdir(self.workdir)
                      if n.endswith(('.pid', '.port')))

    def test_an_so_killed_before_it_answers_is_started_again(self):
        self.write_so(SLOW_SO % {'delay': 1.0, 'original': os.path.join(
            test_app_api.BUNDLE, 'so.py')})
        logger = self.useFixture(fixtures.FakeLogger())
        thread, killed = self.kill_first_starts('kill-1', 2)
        location = self.create('kill-1')
        thread.join(10)
        self.assertEqual(2, len(killed))
        app = self.client.get(location)
        self.assertEqual('active', app.attributes['occi.app.state'])
        # One SO runs, the third: the pid file names it, not a dead one.
        record = pid_files.read_record(pid_files.path(self.workdir,
                                                      'kill-1'))
        self.assertNotIn(record[0], killed)
        self.assertTrue(pid_files.alive(*record))
        self.assertEqual(['kill-1.pid', 'kill-1.port'], self.so_files())
        self.assertIn('attempt 1 of 3', logger.output)
        self.assertIn('attempt 2 of 3', logger.output)
        self.assertIn('killed by SIGKILL', logger.output)
        self.client.delete(location)
        test_app_api.wait_removed(self, 'kill-1')
        self.assertEqual([], self.so_files())

    def test_an_so_killed_at_every_attempt_fails_the_start_clearly(self):
        self.write_so(DYING_SO)
        logger = self.useFixture(fixtures.FakeLogger())
        err = self.assertRaises(errors.Conflict, self.create, 'dead-1')
        self.assertIn('killed by SIGKILL before it answered', err.message)
        self.assertIn('3 attempts', err.message)
        self.assertIn(os.path.join(self.workdir, 'dead-1.log'), err.message)
        self.assertIn('secret is ***', err.message)
        self.assertNotIn(SECRET, err.message)
        self.assertNotIn(SECRET, logger.output)
        self.assertEqual([], self.client.list('/app/'))
        self.assertEqual([], self.so_files())
        self.assertEqual(3, logger.output.count('its SO ended before it '
                                                'answered') + 1)

    def test_no_retry_when_it_is_off_or_the_failure_is_no_death(self):
        self.conf.set_override('start_retries', 0, group='cc')
        self.write_so(DYING_SO)
        err = self.assertRaises(errors.Conflict, self.create, 'dead-2')
        self.assertNotIn('attempts', err.message)
        self.conf.set_override('start_retries', 2, group='cc')
        # An SO that does not answer in time is not started thrice.
        self.conf.set_override('so_start_timeout', 1, group='cc')
        self.write_so(SLOW_SO % {'delay': 30, 'original': '/nonexistent'})
        started = time.monotonic()
        err = self.assertRaises(errors.Conflict, self.create, 'slow-1')
        self.assertIn('did not answer within 1 s', err.message)
        self.assertLess(time.monotonic() - started, 15)
        self.assertEqual([], self.so_files())
