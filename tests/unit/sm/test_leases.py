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
"""Leases on lifecycle work (hurtle.sm.leases): claim, renewal, expiry,
release and takeover between SM replicas sharing one database.

Each replica is a ``Leases`` (or a whole ``Lifecycle``) with its own
``[sm] replica_id`` on one store; the same tests run on SQLite and on a
throw-away PostgreSQL cluster (skipped where PostgreSQL is not
installed; CI installs it).
"""
import datetime
import http.server
import os
import threading
import time

import fixtures
import sqlalchemy as sa
import testscenarios
import testtools

from hurtle.db import engine as db_engine
from hurtle.db import migration
from hurtle.db import models
from hurtle.occi import categories
from hurtle.sm import leases as leases_mod
from hurtle.sm import lifecycle as lifecycle_mod
from hurtle.sm import scheduling
from hurtle.sm import states
from hurtle.sm import store as store_mod
from tests import conf_fixture
from tests import net
from tests import pg_fixture
from tests.unit.sm import test_store

PARALLEL = 10
#: Bound of every wait in these tests (seconds); never reached when the
#: code works.
WAIT = 30


class _Phases(object):
    """Records the work a lifecycle starts instead of calling an SO; a
    create ends ``active`` at once."""

    def __init__(self):
        self.calls = []
        self.done = threading.Event()

    def _record(self, what, op):
        self.calls.append((what, op.instance_id, op.number, op.owner))
        self.done.set()

    def create(self, op, start=states.INITIALISE):
        self._record('create:' + start, op)
        op.move(states.ACTIVE)

    def update(self, op, changed):
        self._record('update', op)

    def destroy(self, op):
        self._record('destroy', op)


class _Answers(http.server.BaseHTTPRequestHandler):
    """Answers every request (501: any answer means "up"), silently."""

    def log_message(self, *args):
        pass


class _Base(testscenarios.WithScenarios, testtools.TestCase):

    scenarios = [('sqlite', {'backend': 'sqlite'}),
                 ('postgresql', {'backend': 'postgresql'})]

    def setUp(self):
        super().setUp()
        if self.backend == 'sqlite':
            tmp = self.useFixture(fixtures.TempDir()).path
            self.url = 'sqlite:///' + os.path.join(tmp, 'hurtle.sqlite')
        else:
            why = pg_fixture.unavailable()
            if why:
                self.skipTest(why)
            self.url = self.useFixture(pg_fixture.PostgreSQL()).url
        self.addCleanup(lambda: db_engine.get_engine(self.url).dispose())

    def make_store(self):
        kind = categories.service_kind('http://example.org/occi/sm#svc',
                                       'test', {'svc.a': ''})
        return store_mod.InstanceStore(self.url, {'svc': kind})

    def conf(self, replica, **overrides):
        options = dict(sm__replica_id=replica, sm__lease_time=30,
                       sm__poll_interval=0.05, sm__phase_timeout=WAIT)
        options.update(overrides)
        return self.useFixture(conf_fixture.HurtleConf(**options)).conf

    def add(self, store, instance_id='i1'):
        store.add('/svc/%s' % instance_id, test_store.Entity({'svc.a': 'x'}),
                  {'project': 'p1'})

    def expire(self, store, instance_id='i1'):
        """Make the lease of ``instance_id`` lapse (its holder died)."""
        with db_engine.sessionmaker(self.url).begin() as session:
            session.execute(
                sa.update(models.ServiceInstance)
                .where(models.ServiceInstance.id == instance_id)
                .values(lease_expires=models._now() -
                        datetime.timedelta(seconds=1)))


class ClaimTest(_Base):

    def setUp(self):
        super().setUp()
        migration.upgrade(self.url)
        self.store = self.make_store()
        self.a = leases_mod.Leases(self.conf('sm-a'), self.store)
        self.b = leases_mod.Leases(self.conf('sm-b'), self.make_store())

    def test_a_create_is_held_by_the_replica_that_accepted_it(self):
        self.add(self.store)
        row = self.store.load('i1')
        self.assertEqual('sm-a', row.owner)
        self.assertGreater(row.lease_expires, models._now())
        self.assertTrue(self.a.claim('i1'))     # its own: renewed
        self.assertFalse(self.b.claim('i1'))    # live: not taken
        self.assertEqual('sm-a', self.store.load('i1').owner)

    def test_an_expired_lease_is_taken(self):
        self.add(self.store)
        self.expire(self.store)
        self.assertTrue(self.b.claim('i1'))
        self.assertEqual('sm-b', self.store.load('i1').owner)
        self.assertFalse(self.a.claim('i1'))

    def test_exactly_one_of_parallel_claims_wins(self):
        self.add(self.store)
        for _round in range(5):
            self.expire(self.store)
            replicas = [leases_mod.Leases(self.conf('sm-%d' % i),
                                          self.make_store())
                        for i in range(PARALLEL)]
            barrier = threading.Barrier(PARALLEL)
            results = [None] * PARALLEL

            def run(index):
                barrier.wait()
                results[index] = replicas[index].claim('i1')
            threads = [threading.Thread(target=run, args=(i,))
                       for i in range(PARALLEL)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(WAIT)
            self.assertEqual(1, results.count(True), results)
            winner = replicas[results.index(True)].owner
            self.assertEqual(winner, self.store.load('i1').owner)

    def test_renew_extends_only_its_own_leases(self):
        self.add(self.store)
        self.add(self.store, 'i2')
        self.expire(self.store, 'i2')
        self.assertTrue(self.b.claim('i2'))
        before = self.store.load('i1').lease_expires
        self.a.held = lambda: ['i1', 'i2']
        self.assertEqual(1, self.a.renew())
        self.assertGreaterEqual(self.store.load('i1').lease_expires, before)
        self.assertEqual('sm-b', self.store.load('i2').owner)

    def test_the_renewal_thread_extends_held_leases(self):
        # The record is created with the renewing replica's 2-s lease (a
        # 30-s one would outlast the first renewals: nothing to see for
        # 28 s).
        renewing = leases_mod.Leases(
            self.conf('sm-a', sm__lease_time=2), self.store,
            held=lambda: ['i1'])
        self.add(self.store)
        first = self.store.load('i1').lease_expires
        renewing.start()
        self.addCleanup(renewing.stop)
        deadline = time.monotonic() + WAIT
        while (self.store.load('i1').lease_expires <= first and
               time.monotonic() < deadline):
            time.sleep(0.1)
        self.assertGreater(self.store.load('i1').lease_expires, first)
        self.assertEqual('sm-a', self.store.load('i1').owner)

    def test_lease_writes_keep_updated_at(self):
        # A renewal must not make the lifecycle's compare-and-set lose.
        self.add(self.store)
        before = self.store.load('i1').updated_at
        self.a.held = lambda: ['i1']
        self.a.renew()
        self.assertTrue(self.a.claim('i1'))
        self.assertEqual(before, self.store.load('i1').updated_at)

    def test_release_gives_up_only_its_own(self):
        self.add(self.store)
        self.b.release(['i1'])
        self.assertEqual('sm-a', self.store.load('i1').owner)
        self.a.release(['i1'])
        row = self.store.load('i1')
        self.assertEqual((None, None), (row.owner, row.lease_expires))
        self.assertTrue(self.b.claim('i1'))

    def test_an_operation_accepted_elsewhere_leaves_a_live_lease(self):
        # A DELETE reaching replica b while a creates: accepted (a new
        # operation number), but a keeps the lease until it stops.
        self.add(self.store)
        number = self.store.begin('i1', states.DESTROY, states.DELETABLE,
                                  lease=self.b.lease())
        self.assertEqual(states.FIRST_OPERATION + 1, number)
        self.assertEqual('sm-a', self.store.load('i1').owner)
        # A takeover needs the lease: refused while a holds it.
        self.assertIsNone(self.store.begin(
            'i1', states.DESTROY, {states.DESTROY},
            lease=self.b.lease(), lease_required=True))
        self.a.release(['i1'])
        self.assertEqual(number + 1, self.store.begin(
            'i1', states.DESTROY, {states.DESTROY},
            lease=self.b.lease(), lease_required=True))
        self.assertEqual('sm-b', self.store.load('i1').owner)

    def test_a_takeover_leaves_a_lease_its_own_process_took(self):
        # sm-a restarted (same replica_id): the lease of its earlier
        # process (a) is left behind, the one of a create the new process
        # accepted since is not, in the listing and in the claiming
        # UPDATE alike.
        self.add(self.store, 'old')
        restarted = leases_mod.Leases(self.conf('sm-a'), self.make_store())
        self.add(restarted.store, 'new')
        self.assertEqual(['new', 'old'], sorted(
            r.id for r in self.store.unleased(models._now(), mine='sm-a')))
        self.assertEqual(['old'], [r.id for r in self.store.unleased(
            models._now(), mine='sm-a',
            mine_before=restarted.before_start)])
        takeover = restarted.lease(restarted.before_start)
        self.assertIsNone(self.store.begin(
            'new', states.INITIALISE, {states.INITIALISE}, lease=takeover,
            lease_required=True))
        self.assertEqual(states.FIRST_OPERATION + 1, self.store.begin(
            'old', states.INITIALISE, {states.INITIALISE}, lease=takeover,
            lease_required=True))
        # A periodic scan (no earlier process's leases) takes no live
        # lease of its own replica either.
        self.assertIsNone(self.store.begin(
            'new', states.INITIALISE, {states.INITIALISE},
            lease=restarted.lease(), lease_required=True))
        self.assertEqual(states.FIRST_OPERATION,
                         self.store.load('new').operation)

    def test_begin_takes_a_free_lease(self):
        self.add(self.store)
        self.store.transition('i1', states.ACTIVE)
        self.a.release(['i1'])
        self.store.begin('i1', states.UPDATE, states.UPDATABLE,
                         lease=self.b.lease())
        self.assertEqual('sm-b', self.store.load('i1').owner)

    def test_unleased_lists_busy_records_nobody_holds(self):
        for name in ('live', 'expired', 'free', 'done'):
            self.add(self.store, name)
        self.expire(self.store, 'expired')
        self.a.release(['free', 'done'])
        self.store.transition('done', states.ACTIVE)
        self.assertEqual(['expired', 'free'], sorted(
            r.id for r in self.store.unleased(models._now())))


class SchedulerLeaseTest(_Base):
    """The scheduler's jobs run only with the lease."""

    def setUp(self):
        super().setUp()
        migration.upgrade(self.url)
        self.store = self.make_store()
        self.a = leases_mod.Leases(self.conf('sm-a'), self.store)
        self.b = leases_mod.Leases(self.conf('sm-b'), self.make_store())
        self.scheduler_b = scheduling.Scheduler(
            self.b.conf, self.b.store, lambda i: False, self.b)
        self.addCleanup(self.scheduler_b.shutdown)
        self.addCleanup(self.b.stop)
        self.add(self.store)

    def test_work_waits_for_the_lease_and_releases_it(self):
        # a creates i1 (holds the lease); a DELETE reaches b.
        number = self.store.begin('i1', states.DESTROY, states.DELETABLE,
                                  lease=self.b.lease())
        seen = []
        started = threading.Event()

        def work(op):
            seen.append((op.number, op.owner,
                         self.store.load('i1').owner))
            started.set()
        future = self.scheduler_b.dispatch(work, 'i1', number)
        self.assertFalse(started.wait(0.5))     # a holds the lease
        self.a.release(['i1'])                  # a stopped: superseded
        future.result(WAIT)
        self.assertEqual([(number, 'sm-b', 'sm-b')], seen)
        self.assertIsNone(self.store.load('i1').owner)   # released

    def test_work_stops_when_another_replica_takes_the_lease(self):
        self.a.release(['i1'])
        stop_here = threading.Event()
        taken = threading.Event()
        outcome = []

        def work(op):
            op.row()
            stop_here.set()
            taken.wait(WAIT)
            try:
                op.row()
            except scheduling.LeaseLost:
                outcome.append('lease lost')
                raise
            outcome.append('went on')
        future = self.scheduler_b.dispatch(work, 'i1',
                                           states.FIRST_OPERATION)
        self.assertTrue(stop_here.wait(WAIT))
        self.expire(self.store)     # b stalled past its lease
        self.assertTrue(self.a.claim('i1'))
        taken.set()
        future.result(WAIT)
        self.assertEqual(['lease lost'], outcome)
        self.assertEqual('sm-a', self.store.load('i1').owner)


class TakeoverTest(_Base):
    """``Lifecycle.take_over`` between two replicas."""

    def setUp(self):
        super().setUp()
        migration.upgrade(self.url)
        self.replicas = {}
        for name in ('sm-a', 'sm-b'):
            lifecycle = lifecycle_mod.Lifecycle(
                self.conf(name, sm__watch_interval=0), self.make_store(),
                {})
            lifecycle.phases = _Phases()
            self.addCleanup(lifecycle.shutdown)
            self.replicas[name] = lifecycle
        self.a, self.b = self.replicas['sm-a'], self.replicas['sm-b']

    def test_live_work_is_not_taken_over(self):
        self.add(self.a.store)
        self.store_deploy()
        self.assertEqual([], self.b.take_over())
        self.assertEqual('sm-a', self.a.store.load('i1').owner)
        self.assertEqual([], self.b.phases.calls)

    def store_deploy(self):
        self.assertTrue(self.a.store.transition(
            'i1', states.DEPLOY, operation=states.FIRST_OPERATION))

    def test_expired_work_is_resumed_once(self):
        self.add(self.a.store)
        self.store_deploy()
        self.expire(self.a.store)
        results = {}

        def scan(name):
            results[name] = self.replicas[name].take_over()
        threads = [threading.Thread(target=scan, args=(n,))
                   for n in self.replicas]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT)
        self.assertEqual([['i1']], [r for r in results.values() if r])
        winner = [n for n, r in results.items() if r][0]
        phases = self.replicas[winner].phases
        self.assertTrue(phases.done.wait(WAIT))
        self.assertEqual([('create:deploy', 'i1',
                           states.FIRST_OPERATION + 1, winner)],
                         phases.calls)
        for replica in self.replicas.values():
            replica.scheduler.shutdown()
        self.assertIsNone(self.a.store.load('i1').owner)

    def test_a_restarted_replica_takes_its_own_leases_back_at_start(self):
        # a (replica_id sm-a) died holding i1; its next process, with the
        # same replica_id, resumes it at once at start, not b.
        self.add(self.a.store)
        self.store_deploy()
        self.assertEqual([], self.b.take_over())
        restarted = lifecycle_mod.Lifecycle(
            self.conf('sm-a', sm__watch_interval=0), self.make_store(), {})
        restarted.phases = _Phases()
        self.addCleanup(restarted.shutdown)
        self.assertEqual([], restarted.take_over())   # a periodic scan
        restarted.recover()                             # the start
        self.assertTrue(restarted.phases.done.wait(WAIT))
        self.assertEqual([('create:deploy', 'i1',
                           states.FIRST_OPERATION + 1, 'sm-a')],
                         restarted.phases.calls)

    def test_the_start_up_take_over_leaves_a_create_accepted_since(self):
        # a (sm-a) died holding i1; its next process accepted the create
        # of i2 before its start-up take-over ran, and had not queued it
        # yet (test_several_sms saw it): i1 is resumed, i2 left to the
        # create's own operation, which would stop at its next step if
        # superseded.
        self.add(self.a.store)
        self.store_deploy()
        restarted = lifecycle_mod.Lifecycle(
            self.conf('sm-a', sm__watch_interval=0), self.make_store(), {})
        restarted.phases = _Phases()
        self.addCleanup(restarted.shutdown)
        self.add(restarted.store, 'i2')
        self.assertEqual(['i1'], restarted.take_over(mine=True))
        self.assertTrue(restarted.phases.done.wait(WAIT))
        self.assertEqual([('create:deploy', 'i1',
                           states.FIRST_OPERATION + 1, 'sm-a')],
                         restarted.phases.calls)
        self.assertEqual((states.FIRST_OPERATION, 'sm-a'), (
            restarted.store.load('i2').operation,
            restarted.store.load('i2').owner))

    def test_the_start_up_take_over_waits_until_the_cc_answers(self):
        # hurtle-sm starts beside its CC (hurtle-all): the work it
        # resumes at start calls the CC, so it waits until the CC
        # answers; the lease renewal starts at once.
        self.add(self.a.store)
        self.store_deploy()
        cc_port = net.held_port(self)   # refused: the CC is not up yet
        restarted = lifecycle_mod.Lifecycle(
            self.conf('sm-a', sm__watch_interval=0,
                      sm__cc_url='http://127.0.0.1:%d/' % cc_port),
            self.make_store(), {})
        restarted.phases = _Phases()
        self.addCleanup(restarted.shutdown)
        probes = []
        answers = restarted.peers.cc_answers
        restarted.peers.cc_answers = lambda: probes.append(1) or answers()
        restarted.recover(peers_ready=restarted.wait_for_cc)
        # Several refused probes, and nothing resumed meanwhile.
        while len(probes) < 3:
            time.sleep(0.05)
        self.assertEqual([], restarted.phases.calls)
        self.assertIsNotNone(restarted.leases._thread)
        cc = http.server.HTTPServer(('127.0.0.1', cc_port), _Answers)
        self.addCleanup(cc.server_close)
        threading.Thread(target=cc.serve_forever, daemon=True).start()
        self.addCleanup(cc.shutdown)
        self.assertTrue(restarted.phases.done.wait(WAIT))
        self.assertEqual([('create:deploy', 'i1',
                           states.FIRST_OPERATION + 1, 'sm-a')],
                         restarted.phases.calls)

    def test_records_of_0004_are_resumed_at_once(self):
        # Upgraded records have no owner: resumed without waiting.
        self.add(self.a.store)
        self.store_deploy()
        self.a.leases.release(['i1'])
        self.assertEqual(['i1'], self.b.take_over())
        self.assertTrue(self.b.phases.done.wait(WAIT))


class MigrationTest(_Base):

    def test_0005_upgrades_rows_of_0004(self):
        migration.upgrade(self.url, '0004')
        now = models._now()
        with db_engine.get_engine(self.url).begin() as connection:
            connection.execute(sa.text(
                "INSERT INTO sm_instances (id, project, service, state, "
                "attributes, operation, created_at, updated_at) VALUES "
                "('old', 'p1', 'svc', 'deploy', '{}', 3, :now, :now)"),
                {'now': now})
        migration.upgrade(self.url, '0005')
        self.assertEqual('0005', migration.current(self.url))
        store = self.make_store()
        row = store.load('old')
        self.assertEqual(('deploy', 3, None, None),
                         (row.state, row.operation, row.owner,
                          row.lease_expires))
        self.assertEqual(['old'], [r.id for r in store.unleased(now)])
