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
"""The scheduler (hurtle.sm.scheduling) keeps nothing of an instance once
its jobs ended: an SM that created and deleted many instances holds no
per-instance record of them (``benchmarks/sm_churn.py`` measures the
memory; this checks the bookkeeping).
"""
import threading

from hurtle.db import migration
from hurtle.sm import scheduling
from hurtle.sm import states
from tests.unit.sm import test_leases

WAIT = test_leases.WAIT


class SchedulerForgetsEndedJobsTest(test_leases._Base):

    scenarios = [('sqlite', {'backend': 'sqlite'})]

    def setUp(self):
        super().setUp()
        migration.upgrade(self.url)
        self.store = self.make_store()
        self.scheduler = scheduling.Scheduler(
            self.conf('sm-a'), self.store, lambda i: i.startswith('c'))
        self.addCleanup(self.scheduler.shutdown)

    def join(self, handle):
        if isinstance(handle, threading.Thread):
            handle.join(WAIT)
            self.assertFalse(handle.is_alive())
        else:
            handle.result(WAIT)

    def test_nothing_is_held_once_every_job_ended(self):
        for instance_id in ('i1', 'i2', 'c1'):
            self.add(self.store, instance_id)
        release = threading.Event()
        ran = []

        def work(op):
            release.wait(WAIT)
            ran.append(op.instance_id)

        def crash(op):
            ran.append(op.instance_id)
            raise RuntimeError('boom')

        handles = [
            self.scheduler.dispatch(work, 'i1', states.FIRST_OPERATION),
            # a second job of i1 waits for the first one
            self.scheduler.dispatch(work, 'i1', states.FIRST_OPERATION + 1),
            self.scheduler.dispatch(crash, 'i2', states.FIRST_OPERATION),
            # a composed instance's job runs on a thread of its own
            self.scheduler.dispatch(work, 'c1', states.FIRST_OPERATION)]
        self.assertTrue({'i1', 'c1'} <= set(self.scheduler.held()))
        release.set()
        for handle in handles:
            self.join(handle)
        self.assertEqual(['c1', 'i1', 'i1', 'i2'], sorted(ran))
        self.assertEqual([], self.scheduler.held())
        self.assertEqual(states.FAILED, self.store.load('i2').state)

    def test_an_error_while_the_sm_stops_is_left_to_the_next_start(self):
        self.add(self.store, 'i3')
        before = self.store.load('i3').state

        def cc_gone(op):
            # The CC stopped beside this SM, which is stopping too.
            self.scheduler.stopping.set()
            raise scheduling.PhaseError('dispose failed: CC unavailable')
        self.join(self.scheduler.dispatch(cc_gone, 'i3',
                                          states.FIRST_OPERATION))
        row = self.store.load('i3')
        self.assertEqual(before, row.state)
        self.assertNotEqual(states.FAILED, row.state)
