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
"""The CC's liveness probe (``[cc] so_liveness_*``, hurtle.cc.liveness)
with a real ``hurtle-cc`` and real SOs of the ``local`` runtime.

An SO stopped with SIGSTOP runs, so the CC's watcher took it for alive
and nobody restarted it (trial finding): now the CC kills it after
``so_liveness_failures`` unanswered probes and restarts it, a new
process on a new port. An SO that answers slowly, but within
``so_liveness_timeout``, is left alone.
"""
import json
import os
import signal
import time

import fixtures
import testtools

from hurtle.cc.runtime import pid_files
from hurtle.occi import client as occi_client
from hurtle import polling
from tests.functional import cc_process
from tests.functional import hurtle_fixture
from tests.functional import test_cc_orphans
from tests import net
from tests import slow_so

BUNDLE = os.path.join(hurtle_fixture.ROOT, 'samples', 'sample', 'so')
APP = occi_client.CategoryRef('http://schemas.ogf.org/occi/platform#',
                              'app', 'kind')
SECRET = 'liveness-functional-secret'
FAILURES = 2
PROBE_TIMEOUT = 2.0
INTERVAL = 0.5
#: Seconds the slow SO takes to answer each request (under
#: PROBE_TIMEOUT).
SLOW = 0.8
#: Seconds beyond the probes' own time the test allows for the kill and
#: the restart (a new SO process answering) on a busy machine.
MARGIN = 30

#: [cc] options (tests.functional.cc_process).
CC_OPTIONS = """allowed_images = {bundle},{slow}
watch_interval = 0.2
restart_backoff = 0
so_liveness_failures = %d
so_liveness_timeout = %s
so_liveness_interval = %s
""" % (FAILURES, PROBE_TIMEOUT, INTERVAL)


class LivenessTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        self.slow = os.path.join(self.state, 'slow-bundle')
        os.makedirs(self.slow)
        # It answers every request SLOW seconds late (401: no secret).
        slow_so.write_bundle(self.slow, answer_delay=SLOW, status=401)
        cc = self.useFixture(cc_process.CCProcess(
            self.state, CC_OPTIONS, bundle=BUNDLE, slow=self.slow))
        self.client, self.cc_log = cc.client, cc.log

    def create(self, app_id, image):
        return create_app(self, self.client, self.state, app_id, image)

    def so_pid(self, app_id):
        return so_pid(self, self.state, app_id)

    def test_a_stopped_so_is_killed_and_restarted(self):
        url, pid = self.create('frozen', BUNDLE)
        self.assertTrue(net.so_serves(url, SECRET))
        os.kill(pid, signal.SIGSTOP)
        stopped_at = time.monotonic()

        def restarted():
            attrs = self.client.get('/app/frozen').attributes
            if attrs['occi.app.state'] == 'active' and \
                    attrs['occi.app.url'] not in ('', url):
                return attrs
            return None
        # The probes take FAILURES * PROBE_TIMEOUT (each waits its
        # timeout); then the kill and a new SO's start.
        attrs = polling.poll_until(restarted,
                                   FAILURES * PROBE_TIMEOUT + MARGIN, 0.1,
                                   'the stopped SO restarted')
        took = time.monotonic() - stopped_at
        # Not before its probes failed.
        self.assertGreaterEqual(took, FAILURES * PROBE_TIMEOUT)
        self.assertFalse(is_so(pid, 'frozen'))     # killed (SIGKILL)
        new_pid = self.so_pid('frozen')
        self.assertNotEqual(pid, new_pid)
        self.assertTrue(net.so_serves(attrs['occi.app.url'], SECRET))
        self.assertEqual(1, attrs['hurtle.app.restarts'])
        log = self.cc_log()
        self.assertIn('WARNING hurtle.cc.api [-] app frozen: its SO (frozen) '
                      'runs but it did not answer %d liveness probes in a '
                      'row (GET %s-/: no answer within %g s): killing it to '
                      'restart it' % (FAILURES, url, PROBE_TIMEOUT), log)
        self.assertIn('app frozen: SO restarted at %s'
                      % attrs['occi.app.url'], log)
        self.assertNotIn(SECRET, log)
        print('stopped SO restarted after %.1f s' % took)

    def test_a_slow_so_within_the_timeout_is_left_alone(self):
        url, pid = self.create('slow', self.slow)
        requests_log = os.path.join(self.slow, 'requests.log')

        def probed():
            try:
                with open(requests_log) as handle:
                    paths = handle.read().split()
            except FileNotFoundError:
                return None
            return paths if len(paths) >= 3 * FAILURES else None
        # Several times the probes that would kill an unanswering SO.
        paths = polling.poll_until(probed, 60, 0.2, 'probes of the slow SO')
        self.assertEqual({'/-/'}, set(paths))
        attrs = self.client.get('/app/slow').attributes
        self.assertEqual('active', attrs['occi.app.state'])
        self.assertEqual(url, attrs['occi.app.url'])
        self.assertEqual(0, attrs['hurtle.app.restarts'])
        self.assertTrue(is_so(pid, 'slow'))
        self.assertNotIn('liveness probes', self.cc_log())


def create_app(test, client, state, app_id, image):
    """Create app ``app_id`` of ``image`` through ``client`` (the CC of
    ``state``) for ``test``, which kills its SO at cleanup.

    :returns: ``(url, pid)`` of its SO.
    """
    client.put('/app/%s' % app_id, APP, {
        'occi.app.name': app_id, 'occi.app.image': image,
        'occi.app.env': json.dumps({'HURTLE_SO_SECRET': SECRET})})
    attrs = client.get('/app/%s' % app_id).attributes
    test.assertEqual('active', attrs['occi.app.state'])
    return attrs['occi.app.url'], so_pid(test, state, app_id)


def so_pid(test, state, app_id):
    """The pid of app ``app_id``'s SO (its pid file), killed at
    ``test``'s cleanup."""
    pid = pid_files.read(pid_files.path(os.path.join(state, 'so'), app_id))
    test.assertIsNotNone(pid)
    test.addCleanup(_kill_so, pid, app_id)
    return pid


def _kill_so(pid, app_id):
    if is_so(pid, app_id):
        os.kill(pid, signal.SIGKILL)


def is_so(pid, app_id):
    """True while ``pid`` is app ``app_id``'s SO (not a zombie)."""
    environ = test_cc_orphans._environ(pid)
    return bool(environ) and environ.get(
        b'HURTLE_APP_ID') == app_id.encode()
