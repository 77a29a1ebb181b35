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
"""A pass of the SM's watcher (``hurtle.sm.watcher``): several instances
at once, the ``degraded`` ones first, and a CC that does not answer is
waited for once a pass, not once an instance (the re-check trial: 40
instances took 11 s to come back after a restart, and with the CC
stopped only 2 of 40 were ``degraded`` after 28 s)."""
import threading
import time

import fixtures
import testtools

from hurtle.occi import client as occi_client
from hurtle.occi import server
from hurtle.sm import states
from hurtle.sm import watcher
from tests.unit.sm import sm_server

KIND = occi_client.CategoryRef('http://example.org/occi/sm#', 'svc',
                               'kind')
TIMEOUT = 30


class _HeldCC(object):
    """A CC that takes each request and answers 503 after ``hold``
    seconds (longer than the watcher's probe waits); counts them."""

    def __init__(self, hold):
        self.hold = hold
        self.lock = threading.Lock()
        self.paths = []

    def __call__(self, environ, start_response):
        with self.lock:
            self.paths.append(environ['PATH_INFO'])
        time.sleep(self.hold)
        start_response('503 Service Unavailable',
                       [('Content-Length', '0')])
        return [b'']


class WatcherPassTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sm = self.useFixture(sm_server.SMServer({'svc.size': ''}))
        self.store, self.lifecycle = self.sm.store, self.sm.lifecycle
        self.sm.conf.set_override('watch_interval', 60, group='sm')
        self.addCleanup(self.lifecycle.watcher.stop)

    def instances(self, count):
        """``count`` instances (failed: no CC runs), oldest first."""
        locations = [self.sm.client.create('/svc/', KIND, {})
                     for _ in range(count)]
        ids = [loc.rsplit('/', 1)[-1] for loc in locations]
        deadline = time.monotonic() + TIMEOUT
        while any(self.store.load(i).state != states.FAILED for i in ids):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        return ids

    def test_the_degraded_first_several_at_once(self):
        ids = self.instances(16)
        degraded = ids[-4:]
        for instance_id in ids:
            self.assertTrue(self.store.transition(
                instance_id, states.DEGRADED if instance_id in degraded
                else states.ACTIVE, reason=watcher.CC_SILENT if
                instance_id in degraded else None))
        lock = threading.Lock()
        started, running, most = [], [0], [0]

        def problem(row, *_):
            # What the CC and the SO would say: all is well, in 0.3 s.
            with lock:
                started.append(row.id)
                running[0] += 1
                most[0] = max(most[0], running[0])
            time.sleep(0.3)
            with lock:
                running[0] -= 1
            return None, None, occi_client.EntityInfo('/svc/' + row.id,
                                                      attributes={})
        self.lifecycle.watcher.problem = problem
        self.lifecycle.watcher.start()
        deadline = time.monotonic() + TIMEOUT
        while any(self.store.load(i).state != states.ACTIVE
                  for i in degraded) or len(started) < len(ids):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        # The degraded ones were in the first round of checks.
        self.assertEqual(set(), set(degraded) - set(started[:watcher.WORKERS]))
        self.assertEqual(watcher.WORKERS, most[0])
        self.assertEqual(sorted(ids), sorted(started))

    def test_a_cc_that_does_not_answer_is_waited_for_once_a_pass(self):
        self.useFixture(fixtures.MonkeyPatch('hurtle.sm.peers.PROBE_TIMEOUT',
                                             1))
        cc = _HeldCC(hold=3)
        srv, _thread = server.serve_in_thread(cc, pool_size=64)
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        url = 'http://127.0.0.1:%d/' % srv.server_port
        ids = self.instances(3 * watcher.WORKERS)
        for instance_id in ids:
            self.assertTrue(self.store.transition(
                instance_id, states.ACTIVE, app_url=url + 'app/' +
                instance_id, so_url='http://127.0.0.1:9/', so_secret='s'))
        self.lifecycle.watcher.start()
        deadline = time.monotonic() + TIMEOUT
        while any(self.store.load(i).state != states.DEGRADED for i in ids):
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        self.assertEqual({watcher.CC_SILENT},
                         {self.store.load(i).reason for i in ids})
        # Only the first round of checks asked the CC.
        self.assertLessEqual(len(cc.paths), watcher.WORKERS)
