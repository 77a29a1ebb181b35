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
"""A real ``hurtle-cc`` deleting apps whose SOs are real processes (issue
12): the DELETE answers once the app is recorded as being deleted and
its SO was sent SIGTERM; the CC waits for the SO's exit on a thread of
its own, and a CC killed (SIGKILL) meanwhile finishes the stop at its
next start.

The slow SO (:mod:`tests.slow_so`) keeps serving for :data:`SLOW_EXIT`
seconds after a SIGTERM, so that the CC can be killed while it waits.
"""
import json
import os
import signal
import time

import fixtures
import requests
import testtools

from hurtle.cc.runtime import pid_files
from hurtle.cc import store as app_store
from hurtle.occi import errors
from tests.functional import cc_process
from tests.functional import test_cc_orphans
from tests import net
from tests import slow_so

BUNDLE = test_cc_orphans.BUNDLE
APP = test_cc_orphans.APP
SECRET = 'delete-functional-secret'
TIMEOUT = 60
#: Seconds the slow SO serves on after a SIGTERM.
SLOW_EXIT = 4.0

CC_OPTIONS = """allowed_images = {bundle},{slow}
watch_interval = 0.5
"""


class AppDeleteTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        self.slow = self.useFixture(fixtures.TempDir()).path
        slow_so.write_bundle(self.slow, SLOW_EXIT)
        cc = self.useFixture(cc_process.CCProcess(
            self.state, CC_OPTIONS, bundle=BUNDLE, slow=self.slow))
        self.client, self.cc_log, self.url = cc.client, cc.log, cc.url
        self.start_cc, self.kill_cc = cc.start, cc.kill
        self.workdir = os.path.join(self.state, 'so')

    def create(self, app_id, image=BUNDLE):
        """Create app ``app_id``; returns ``(url, pid)`` of its SO."""
        self.client.put('/app/%s' % app_id, APP, {
            'occi.app.name': app_id, 'occi.app.image': image,
            'occi.app.env': json.dumps({'HURTLE_SO_SECRET': SECRET})})
        url = self.client.get('/app/%s' % app_id).attributes['occi.app.url']
        pid = pid_files.read(pid_files.path(self.workdir, app_id))
        self.assertTrue(self.is_so(pid, app_id))
        self.addCleanup(self.kill_so, pid, app_id)
        return url, pid

    def is_so(self, pid, app_id):
        environ = test_cc_orphans._environ(pid)
        return bool(environ) and environ.get(
            b'HURTLE_APP_ID') == app_id.encode()

    def kill_so(self, pid, app_id):
        if self.is_so(pid, app_id):
            os.kill(pid, signal.SIGKILL)

    def wait_gone(self, pid, app_id, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        while self.is_so(pid, app_id):
            if time.monotonic() > deadline:
                self.fail('SO %d of %s still runs' % (pid, app_id))
            time.sleep(0.02)

    def rows(self):
        store = app_store.AppStore('sqlite:///%s/hurtle.sqlite' % self.state)
        return {row.id: row.state for row in store.states()}

    def stack_kind_refuses(self, app_id):
        """True if the CC refuses the SO's secret for app ``app_id``."""
        resp = requests.get(self.url + 'stack/', timeout=10, headers={
            'X-Hurtle-App-Id': app_id, 'X-Auth-Token': SECRET})
        return resp.status_code == 401

    def test_delete_answers_404_at_once_and_the_so_is_gone_soon(self):
        url, pid = self.create('quick')
        self.assertFalse(self.stack_kind_refuses('quick'))
        self.client.delete('/app/quick')
        self.assertRaises(errors.NotFound, self.client.get, '/app/quick')
        self.assertEqual([], self.client.list('/app/'))
        self.wait_gone(pid, 'quick', timeout=10)
        self.assertFalse(net.so_serves(url, SECRET))
        deadline = time.monotonic() + TIMEOUT
        while self.rows():
            self.assertLess(time.monotonic(), deadline, self.rows())
            time.sleep(0.02)
        self.assertFalse(os.path.exists(pid_files.path(self.workdir,
                                                       'quick')))
        self.assertIn('app quick: its SO stopped', self.cc_log())
        # The id is free again.
        self.create('quick')

    def test_while_the_so_stops_the_app_is_404_its_id_taken(self):
        url, pid = self.create('slow', image=self.slow)
        began = time.monotonic()
        self.client.delete('/app/slow')
        # Answered long before the SO's exit.
        self.assertLess(time.monotonic() - began, SLOW_EXIT / 2)
        self.assertTrue(self.is_so(pid, 'slow'))
        self.assertEqual({'slow': app_store.DELETING}, self.rows())
        self.assertRaises(errors.NotFound, self.client.get, '/app/slow')
        self.assertRaises(errors.NotFound, self.client.delete, '/app/slow')
        self.assertEqual([], self.client.list('/app/'))
        # Its SO's secret no longer opens the CC; its id is not free.
        self.assertTrue(self.stack_kind_refuses('slow'))
        err = self.assertRaises(errors.Conflict, self.client.put,
                                '/app/slow', APP, {
                                    'occi.app.name': 'slow',
                                    'occi.app.image': BUNDLE})
        self.assertIn('already in use', err.message)
        self.wait_gone(pid, 'slow')
        deadline = time.monotonic() + TIMEOUT
        while self.rows():
            self.assertLess(time.monotonic(), deadline, self.rows())
            time.sleep(0.05)
        self.create('slow')

    def test_a_cc_killed_while_the_so_stops_finishes_at_its_start(self):
        url, pid = self.create('interrupted', image=self.slow)
        kept_url, kept_pid = self.create('kept')
        self.client.delete('/app/interrupted')
        self.kill_cc()
        # The SO outlived the CC, its app recorded as being deleted.
        self.assertTrue(self.is_so(pid, 'interrupted'))
        self.assertEqual({'interrupted': app_store.DELETING,
                          'kept': 'active'}, self.rows())
        self.start_cc()
        # The start waited for the SO's exit and removed the app.
        self.assertFalse(self.is_so(pid, 'interrupted'))
        self.assertEqual({'kept': 'active'}, self.rows())
        self.assertFalse(os.path.exists(pid_files.path(self.workdir,
                                                       'interrupted')))
        self.assertIn('app interrupted: delete finished', self.cc_log())
        self.assertRaises(errors.NotFound, self.client.get,
                          '/app/interrupted')
        # No SO of it runs (none was started again); the other app's was
        # adopted.
        self.assertEqual([], self.so_pids('interrupted'))
        self.assertEqual([kept_pid], self.so_pids('kept'))
        self.assertTrue(net.so_serves(kept_url, SECRET))

    def so_pids(self, app_id):
        """Pids of the running SO processes of app ``app_id``."""
        return [int(name) for name in os.listdir('/proc')
                if name.isdigit() and self.is_so(int(name), app_id)]
