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
"""A real ``hurtle-cc`` killed (SIGKILL) and started again (issue 10).

The SOs of the ``local`` runtime outlive a killed CC. When it starts
again, the SO of an app it no longer records (here: its row deleted
before the kill, as when the CC dies between starting an SO and
recording the app) is stopped, and the SO of a recorded app is kept
serving and stopped when the CC stops cleanly (SIGTERM).
"""
import json
import os
import signal
import time
import types

import fixtures
import testtools

from hurtle.cc.runtime import pid_files
from hurtle.cc import store as app_store
from hurtle.cmd import all as all_cmd
from hurtle.occi import client as occi_client
from tests.functional import cc_process
from tests.functional import hurtle_fixture
from tests import net

BUNDLE = os.path.join(hurtle_fixture.ROOT, 'samples', 'sample', 'so')
APP = occi_client.CategoryRef('http://schemas.ogf.org/occi/platform#',
                              'app', 'kind')
SECRET = 'orphan-functional-secret'
TIMEOUT = 60

#: [cc] options (tests.functional.cc_process).
CC_OPTIONS = """allowed_images = {bundle}
watch_interval = 0.5
"""


def _environ(pid):
    """The environment of process ``pid`` (dict of bytes), or None if it
    is gone or a zombie."""
    try:
        with open('/proc/%d/stat' % pid) as handle:
            if handle.read().rsplit(')', 1)[1].split()[0] == 'Z':
                return None
        with open('/proc/%d/environ' % pid, 'rb') as handle:
            raw = handle.read()
    except OSError:
        return None
    return dict(item.split(b'=', 1) for item in raw.split(b'\0')
                if b'=' in item)


class KilledCCTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        cc = self.useFixture(cc_process.CCProcess(self.state, CC_OPTIONS,
                                                  bundle=BUNDLE))
        self.cc, self.url, self.client = cc.child, cc.url, cc.client
        self.start_cc, self.kill_cc, self.cc_log = cc.start, cc.kill, cc.log

    def create(self, app_id):
        """Create app ``app_id``; returns ``(url, pid)`` of its SO."""
        self.client.put('/app/%s' % app_id, APP, {
            'occi.app.name': app_id, 'occi.app.image': BUNDLE,
            'occi.app.env': json.dumps({'HURTLE_SO_SECRET': SECRET})})
        url = self.client.get('/app/%s' % app_id).attributes['occi.app.url']
        pid = pid_files.read(pid_files.path(os.path.join(self.state, 'so'),
                                            app_id))
        self.assertTrue(self.is_so(pid, app_id))
        self.addCleanup(self.kill_so, pid, app_id)
        return url, pid

    def is_so(self, pid, app_id):
        environ = _environ(pid)
        return bool(environ) and environ.get(
            b'HURTLE_APP_ID') == app_id.encode()

    def kill_so(self, pid, app_id):
        if self.is_so(pid, app_id):
            os.kill(pid, signal.SIGKILL)

    def serves(self, url):
        return net.so_serves(url, SECRET)

    def wait_gone(self, pid, app_id):
        deadline = time.monotonic() + TIMEOUT
        while self.is_so(pid, app_id):
            if time.monotonic() > deadline:
                self.fail('SO %d of %s still runs' % (pid, app_id))
            time.sleep(0.1)

    def test_orphan_of_a_killed_cc_is_stopped_at_its_next_start(self):
        url, pid = self.create('doomed')
        kept_url, kept_pid = self.create('kept')
        # The record goes, the SO stays: what a CC killed between
        # starting the SO and recording the app leaves behind.
        app_store.AppStore('sqlite:///%s/hurtle.sqlite' % self.state).delete(
            '/app/doomed', {'project': 'service'})
        self.kill_cc()
        self.assertTrue(self.serves(url))
        self.start_cc()
        self.wait_gone(pid, 'doomed')
        self.assertFalse(self.serves(url))
        self.assertFalse(os.path.exists(pid_files.path(
            os.path.join(self.state, 'so'), 'doomed')))
        self.assertIn('stopping orphan SO of app doomed (pid %d)' % pid,
                      self.cc_log())
        self.assertNotIn(SECRET, self.cc_log())
        # The recorded SO was adopted, not restarted.
        self.assertTrue(self.is_so(kept_pid, 'kept'))
        self.assertTrue(self.serves(kept_url))
        self.assertEqual(kept_url, self.client.get('/app/kept').attributes[
            'occi.app.url'])

    def test_adopted_so_stops_when_the_cc_stops_cleanly(self):
        url, pid = self.create('adopted')
        self.kill_cc()
        self.assertTrue(self.serves(url))
        self.start_cc()
        attrs = self.client.get('/app/adopted').attributes
        self.assertEqual('active', attrs['occi.app.state'])
        self.assertEqual(url, attrs['occi.app.url'])
        self.assertTrue(self.serves(url))
        self.cc.stop()
        self.assertEqual(0, self.cc.proc.returncode, self.cc_log())
        self.wait_gone(pid, 'adopted')
        self.assertFalse(self.serves(url))
        self.assertFalse(os.path.exists(pid_files.path(
            os.path.join(self.state, 'so'), 'adopted')))

    def test_a_second_cc_on_the_same_state_refuses_to_start(self):
        url, pid = self.create('only')
        other = os.path.join(self.state, 'other-port.conf')
        with open(other, 'w') as handle:
            handle.write('[cc]\nport = %d\n' % net.held_port(self))
        second = all_cmd.Child(
            'hurtle-cc-2', 'hurtle.cmd.cc', 'http://127.0.0.1:1/',
            types.SimpleNamespace(state_path=self.state,
                                  config_file=[self.cc.args[-1], other]))
        second.start()
        self.addCleanup(second.stop)
        self.assertNotEqual(0, second.proc.wait(TIMEOUT))
        with open(second.log_path, 'rb') as handle:
            log = handle.read().decode('utf-8', 'replace')
        self.assertIn('hurtle-cc: cannot start: another process serves the '
                      'CC of %s' % self.state, log)
        self.assertNotIn('Traceback', log)
        # The first CC and its SO are untouched.
        self.assertTrue(self.is_so(pid, 'only'))
        self.assertTrue(self.serves(url))
        self.assertEqual('active', self.client.get('/app/only').attributes[
            'occi.app.state'])
