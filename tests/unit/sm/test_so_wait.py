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
"""An operation waiting for an SO that does not answer (``hurtle.sm.
so_wait``): it stops waiting once a newer operation superseded it (the
user's trial: a DELETE waited behind an update held by a SIGSTOPped SO
until the update's request gave up, ~46 s), and the instance says that
the SO does not answer while it waits, until the SO answers.

Real instance records (SQLite), the SM's real SO clients and lifecycle;
the SO is a listening socket that answers nothing (``tests.net.
silent_url``, as a stopped process) or a WSGI app answering once told.
"""
import datetime
import re
import threading
import time
import types

import fixtures
import testtools

from hurtle.db import migration
from hurtle.occi import errors
from hurtle.occi import server
from hurtle.sm import api
from hurtle.sm import lifecycle
from hurtle.sm import scheduling
from hurtle.sm import so_client
from hurtle.sm import so_wait
from hurtle.sm import states
from hurtle.sm import wait_reason
from hurtle.sm import watcher
from tests import net
from tests.unit.sm import test_leases

#: Most seconds from the newer operation's begin to the superseded one's
#: end: a look at the record (``so_wait.CHECK_INTERVAL``) and the test's
#: pace on a busy machine.
PROMPT = so_wait.CHECK_INTERVAL + 1.5
QUIET_RE = re.compile(
    r'^service orchestrator \(SO\) not answering since (\S+)Z'
    r'(?:; waiting until (\S+)Z)?$')


def _stamp(text):
    return datetime.datetime.strptime(text, '%Y-%m-%dT%H:%M:%S')


class _AnswersWhenTold(object):
    """An SO answering ``GET /orchestrator/default`` (stack complete) once
    ``told`` is set."""

    def __init__(self):
        self.told = threading.Event()

    def __call__(self, environ, start_response):
        self.told.wait(30)
        body = ('Category: orchestrator; scheme="http://schemas.mobile-'
                'cloud-networking.eu/occi/service#"; class="kind"\n'
                'X-OCCI-Attribute: occi.mcn.stack.state="UPDATE_COMPLETE"\n'
                ).encode()
        start_response('200 OK', [('Content-Type', 'text/plain'),
                                  ('Content-Length', str(len(body)))])
        return [body]


class _BusyUntilTold(_AnswersWhenTold):
    """As :class:`_AnswersWhenTold`, but ``/-/`` answers at once (401, as
    an SO without its secret): an SO alive whose request waits on the
    cloud."""

    def __call__(self, environ, start_response):
        if environ['PATH_INFO'] == '/-/':
            start_response('401 Unauthorized', [('Content-Length', '0')])
            return [b'']
        return super().__call__(environ, start_response)


class _Case(test_leases._Base):

    scenarios = [('sqlite', {'backend': 'sqlite'})]

    def setUp(self):
        super().setUp()
        migration.upgrade(self.url)
        self.store = self.make_store()
        self.sm_conf = self.conf('sm-a', sm__phase_timeout=60,
                                 sm__call_timeout=30, sm__call_retries=0)
        self.lifecycle = lifecycle.Lifecycle(self.sm_conf, self.store, {})
        self.addCleanup(self.lifecycle.shutdown, wait=False)
        self.calls = self.lifecycle.phases.so_calls

    def updating(self, so_url, reason=None):
        """Record instance i1 with its SO at ``so_url``, and begin an
        update of it; return its operation number."""
        self.add(self.store)
        self.assertTrue(self.store.transition(
            'i1', states.ACTIVE, reason=reason, so_url=so_url,
            so_secret='secret'))
        number = self.store.begin('i1', states.UPDATE, {states.ACTIVE},
                                  reason=reason, pending={'svc.a': 'y'})
        self.assertIsNotNone(number)
        return number

    def operation(self, number):
        return scheduling.Operation(self.store, 'i1', number,
                                    self.lifecycle.scheduler.stopping)

    def reasons(self, until):
        """The record's reasons until ``until`` is set (each change)."""
        seen = []

        def watch():
            while not until.is_set():
                row = self.store.load('i1')
                reason = row.reason if row is not None else None
                if not seen or seen[-1] != reason:
                    seen.append(reason)
                time.sleep(0.05)
        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)
        return seen

    def later(self, seconds, action):
        timer = threading.Timer(seconds, action)
        timer.start()
        self.addCleanup(timer.cancel)

    def serve(self, app):
        srv, _thread = server.serve_in_thread(app)
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        return 'http://127.0.0.1:%d/' % srv.server_port


class SupersededTest(_Case):

    def test_a_superseded_request_is_abandoned_promptly(self):
        op = self.operation(self.updating(net.silent_url(self)))
        so = self.calls.follow(op, op.row(),
                               deadline=time.monotonic() + 60)
        session = self.lifecycle.peers.http_session()
        began = []
        self.later(1, lambda: began.append((
            time.monotonic(), self.store.begin('i1', states.DESTROY,
                                               states.DELETABLE))))
        self.assertRaises(scheduling.Superseded, so.get, so_client.SO_PATH)
        [(at, number)] = began
        self.assertIsNotNone(number)
        self.assertLess(time.monotonic() - at, PROMPT)
        # The abandoned request keeps the thread's session to itself.
        self.assertIsNot(session, self.lifecycle.peers.http_session())
        self.assertIs(self.lifecycle.peers.http_session(), so.session)

    def test_a_request_is_abandoned_when_the_sm_stops(self):
        op = self.operation(self.updating(net.silent_url(self)))
        so = self.calls.follow(op, op.row())
        self.later(1, self.lifecycle.scheduler.stopping.set)
        start = time.monotonic()
        self.assertRaises(scheduling.Stopping, so.action, so_client.SO_PATH,
                          so_client.PROVISION)
        self.assertLess(time.monotonic() - start, 1 + PROMPT)

    def test_the_update_ends_and_the_delete_runs_at_once(self):
        # The user's trial, below the API: the update's job waits for a
        # silent SO; a DELETE's begin supersedes it; the next job of the
        # instance (the delete's) starts within a look at the record,
        # not when the update's request gives up (call_timeout, 30 s).
        number = self.updating(net.silent_url(self))
        self.lifecycle.update('i1', {'svc.a': 'y'}, number)
        time.sleep(1.5)   # the update's request is under way
        self.assertEqual(states.UPDATE, self.store.load('i1').state)
        destroy = self.store.begin('i1', states.DESTROY, states.DELETABLE)
        begun = time.monotonic()
        started = []
        self.lifecycle.scheduler.dispatch(
            lambda op: started.append(time.monotonic()), 'i1',
            destroy).result(30)
        self.assertLess(started[0] - begun, PROMPT)
        row = self.store.load('i1')
        # The update wrote nothing after it was superseded.
        self.assertEqual((states.DESTROY, destroy),
                         (row.state, row.operation))


class CreatingRequestTest(_Case):
    """A request that may create something (the CC's start of an app, the
    SO's deploy) is waited for to its end even once superseded: abandoned
    in a stopped CC's or Heat's queue, it made its app or stack after
    the delete had looked for it (the user's trial: an app, its SO and
    a stack left with no instance)."""

    def test_a_superseded_operation_still_waits_for_a_deploy(self):
        app = _AnswersWhenTold()
        op = self.operation(self.updating(self.serve(app)))
        so = self.calls.follow(op, op.row())
        self.later(1, lambda: self.store.begin('i1', states.DESTROY,
                                               states.DELETABLE))
        self.later(3, app.told.set)
        start = time.monotonic()
        so.action(so_client.SO_PATH, so_client.DEPLOY)
        self.assertGreaterEqual(time.monotonic() - start, 2.5)
        self.assertEqual(states.DESTROY, self.store.load('i1').state)

    def test_the_delete_says_what_it_waits_for(self):
        # The delete's job waits for the create's deploy (a stopped Heat
        # holding it): its record says so, then goes on (the trial: a
        # DELETE in ``destroy`` for 2 minutes with no reason).
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.sm.scheduling.AWAIT_QUIET', 0.5))
        app = _AnswersWhenTold()
        self.addCleanup(app.told.set)
        scheduler = self.lifecycle.scheduler
        number = self.updating(self.serve(app))

        def deploy(op):
            self.calls.follow(op, op.row()).action(so_client.SO_PATH,
                                                   so_client.DEPLOY)
        scheduler.dispatch(deploy, 'i1', number)
        time.sleep(0.5)
        destroy = self.store.begin('i1', states.DESTROY, states.DELETABLE)
        ran = []
        job = scheduler.dispatch(
            lambda op: ran.append(op.row().reason), 'i1', destroy)
        # The deploy is answered once the reason is seen (read here, not
        # by a watcher that may miss it between two looks when the
        # machine is busy: a CI run).
        shown = []

        def tell_when_shown():
            while not (shown and shown[-1].startswith(
                    scheduling.AWAITING)):
                shown.append(self.store.load('i1').reason or '')
                time.sleep(0.05)
            app.told.set()
        threading.Thread(target=tell_when_shown, daemon=True).start()
        job.result(30)
        self.assertRegex(shown[-1], r'^%s since \S+Z; waiting until \S+Z$'
                         % re.escape(scheduling.AWAITING))
        # Set back before the delete's work began.
        self.assertEqual([None], ran)
        self.assertEqual((states.DESTROY, destroy, None), (
            lambda r: (r.state, r.operation, r.reason))(
                self.store.load('i1')))

    def test_other_requests_of_a_superseded_operation_are_abandoned(self):
        app = _AnswersWhenTold()
        self.addCleanup(app.told.set)
        op = self.operation(self.updating(self.serve(app)))
        so = self.calls.follow(op, op.row())
        self.later(1, lambda: self.store.begin('i1', states.DESTROY,
                                               states.DELETABLE))
        self.assertRaises(scheduling.Superseded, so.action,
                          so_client.SO_PATH, so_client.PROVISION)

    def test_a_creating_request_ends_its_wait_when_the_sm_stops(self):
        told = threading.Event()
        self.addCleanup(told.set)
        op = self.operation(self.updating(None))
        self.later(1, self.lifecycle.scheduler.stopping.set)
        start = time.monotonic()
        self.assertRaises(scheduling.Stopping, so_wait.answer, op,
                          lambda: told.wait(30), creates=True)
        self.assertLess(time.monotonic() - start, 1 + PROMPT)

    def test_shown_while_superseded_the_start_is_waited_for(self):
        self.useFixture(fixtures.MonkeyPatch('hurtle.sm.so_wait.QUIET',
                                             0.5))
        op = self.operation(self.updating(None))
        told = threading.Event()
        self.later(0.2, lambda: self.store.begin('i1', states.DESTROY,
                                                 states.DELETABLE))
        self.later(2.5, told.set)
        self.assertEqual('app', so_wait.shown(
            op, states.INITIALISE, so_wait.CC_START,
            lambda: told.wait(30) and 'app', creates=True))
        row = self.store.load('i1')
        # The superseding operation's record, untouched.
        self.assertEqual((states.DESTROY, None), (row.state, row.reason))


class QuietTest(_Case):

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.sm.so_wait.QUIET', 0.5))

    def test_the_instance_says_the_so_does_not_answer_until_it_does(self):
        app = _AnswersWhenTold()
        op = self.operation(self.updating(self.serve(app)))
        so = self.calls.follow(op, op.row())
        deadline = time.monotonic() + 40
        told = []

        def tell_when_shown():
            while self.store.load('i1').reason is None:
                time.sleep(0.05)
            told.append(self.store.load('i1'))
            app.told.set()
        threading.Thread(target=tell_when_shown, daemon=True).start()
        start = time.monotonic()
        with so_client.within(so, deadline):
            info = so.get(so_client.SO_PATH)
        self.assertEqual('UPDATE_COMPLETE', so_client.stack_state(info))
        self.assertLess(time.monotonic() - start, 0.5 + PROMPT)
        [shown] = told
        self.assertEqual(states.UPDATE, shown.state)
        match = QUIET_RE.match(shown.reason)
        self.assertIsNotNone(match, shown.reason)
        # The deadline given, 40 s after the request went out.
        waited = _stamp(match.group(2)) - _stamp(match.group(1))
        self.assertLessEqual(abs(waited.total_seconds() - 40), 2)
        # Answered: the reason goes, in the same state and operation.
        row = self.store.load('i1')
        self.assertEqual((states.UPDATE, op.number, None),
                         (row.state, row.operation, row.reason))

    def test_an_so_alive_but_busy_is_said_to_be_so(self):
        # The SO answers its liveness probe while the request waits (on a
        # stopped Heat, say): the reason does not call it silent.
        app = _BusyUntilTold()
        op = self.operation(self.updating(self.serve(app)))
        so = self.calls.follow(op, op.row())
        shown = []

        def tell_when_shown():
            while self.store.load('i1').reason is None:
                time.sleep(0.05)
            shown.append(self.store.load('i1').reason)
            app.told.set()
        threading.Thread(target=tell_when_shown, daemon=True).start()
        with so_client.within(so, time.monotonic() + 40):
            so.get(so_client.SO_PATH)
        self.assertEqual(1, len(shown))
        self.assertRegex(shown[0], r'^%s since \S+Z; waiting until \S+Z$'
                         % re.escape(so_wait.BUSY_PREFIX))
        self.assertIsNone(self.store.load('i1').reason)

    def test_written_once_however_many_requests_go_unanswered(self):
        self.sm_conf.set_override('call_timeout', 1.5, group='sm')
        op = self.operation(self.updating(net.silent_url(self)))
        done = threading.Event()
        seen = self.reasons(done)
        try:
            for _attempt in range(3):
                so = self.calls.follow(op, op.row())
                self.assertRaises(errors.NoAnswer, so.get,
                                  so_client.SO_PATH)
        finally:
            done.set()
        # The reason was shown once (no deadline: none given) and stays
        # while the SO answers nothing.
        self.assertEqual(2, len(seen), seen)
        self.assertIsNone(seen[0])
        self.assertRegex(seen[1], QUIET_RE)
        self.assertNotIn('waiting until', seen[1])
        self.assertEqual(seen[1], self.store.load('i1').reason)

    def test_the_reason_before_comes_back(self):
        app = _AnswersWhenTold()
        op = self.operation(self.updating(self.serve(app),
                                          reason='DNS name web not '
                                                 'registered: timeout'))
        so = self.calls.follow(op, op.row())

        def tell_when_shown():
            while not self.store.load('i1').reason.startswith(
                    so_wait.QUIET_PREFIX):
                time.sleep(0.05)
            app.told.set()
        threading.Thread(target=tell_when_shown, daemon=True).start()
        so.get(so_client.SO_PATH)
        self.assertEqual('DNS name web not registered: timeout',
                         self.store.load('i1').reason)

    def test_an_answer_at_once_writes_nothing(self):
        app = _AnswersWhenTold()
        app.told.set()
        op = self.operation(self.updating(self.serve(app)))
        before = self.store.load('i1').updated_at
        self.calls.follow(op, op.row()).get(so_client.SO_PATH)
        self.assertEqual(before, self.store.load('i1').updated_at)


class ShownTest(QuietTest):
    """The CC's start and delete of an app, the SO's dispose: what the
    SM waits for is said in the reason, then the reason goes back."""

    def test_the_reason_names_what_is_waited_for_then_goes_back(self):
        op = self.operation(self.updating(None, reason='earlier'))
        answered = threading.Event()
        # Shown from 0.5 to 1.5 s (QUIET, then a check), answered at 3 s: a
        # window the reasons watcher sees even on a busy machine.
        self.later(3, answered.set)
        seen = self.reasons(answered)
        deadline = time.monotonic() + 60
        result = so_wait.shown(op, states.UPDATE, so_wait.CC_START,
                               lambda: answered.wait(30) and 'app',
                               deadline=deadline)
        self.assertEqual('app', result)
        self.assertEqual('earlier', self.store.load('i1').reason)
        shown = [r for r in seen if r and r.startswith(so_wait.CC_START)]
        self.assertEqual(1, len(shown), seen)
        self.assertRegex(shown[0], r'^no answer from the cloud controller '
                                   r'\(CC\) to the SO\'s start since \S+Z; '
                                   r'waiting until \S+Z$')

    def test_a_request_that_fails_sets_the_reason_back_too(self):
        op = self.operation(self.updating(None, reason='earlier'))

        def refused():
            time.sleep(1.5)
            raise errors.ServiceUnavailable('busy')
        self.assertRaises(errors.ServiceUnavailable, so_wait.shown, op,
                          states.UPDATE, so_wait.CC_DELETE, refused)
        self.assertEqual('earlier', self.store.load('i1').reason)

    def test_a_destroy_says_the_cc_does_not_answer(self):
        # A stopped CC kept an instance in destroy with no reason for
        # minutes (the user's trial): its first call to the CC, the look
        # at the SO's app, shows it.
        self.add(self.store)
        self.assertTrue(self.store.transition(
            'i1', states.ACTIVE, app_url=net.silent_url(self) + 'app/i1'))
        number = self.store.begin('i1', states.DESTROY, states.DELETABLE)
        op = self.operation(number)
        ended = []

        def destroy():
            try:
                self.lifecycle.phases.destroy(op)
            except BaseException as exc:
                ended.append(exc)
        thread = threading.Thread(target=destroy, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not (self.store.load('i1').reason or '').startswith(
                so_wait.CC_LOOK) and time.monotonic() < deadline:
            time.sleep(0.05)
        row = self.store.load('i1')
        self.assertEqual(states.DESTROY, row.state)
        self.assertTrue((row.reason or '').startswith(so_wait.CC_LOOK),
                        row.reason)
        # An SM stopping stops the wait; the destroy resumes at its start.
        stopped = time.monotonic()
        self.lifecycle.scheduler.stopping.set()
        thread.join(10)
        self.assertLess(time.monotonic() - stopped, PROMPT)
        self.assertIsInstance(ended[0], scheduling.Stopping)
        self.assertEqual(states.DESTROY, self.store.load('i1').state)

    def test_the_deletes_look_at_a_silent_so_is_said(self):
        # The delete first asks the SO for its state (up to the probe
        # time, 10 s): that wait showed no reason (the trial: 15 s of an
        # empty reason before the stack's own delete said anything).
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.sm.peers.PROBE_TIMEOUT', 2))
        self.add(self.store)
        self.assertTrue(self.store.transition(
            'i1', states.ACTIVE, so_url=net.silent_url(self),
            so_secret='s'))
        op = self.operation(self.store.begin('i1', states.DESTROY,
                                             states.DELETABLE))
        done = threading.Event()
        seen = self.reasons(done)
        try:
            self.lifecycle.phases.destroy(op)
        finally:
            done.set()
        looks = [r for r in seen if r and r.startswith(so_wait.SO_LOOK)]
        self.assertEqual(1, len(looks), seen)
        self.assertRegex(looks[0], r' since \S+Z$')
        self.assertIsNone(self.store.load('i1'))   # disposed

    def test_a_dispose_held_by_an_so_alive_says_so(self):
        # The SO answers its state and its liveness probe, not yet its
        # DELETE (a stopped Heat holds the stack's delete).
        class HeldDispose(_AnswersWhenTold):
            def __call__(self, environ, start_response):
                if environ['REQUEST_METHOD'] == 'DELETE':
                    self.told.wait(30)
                    start_response('200 OK', [('Content-Length', '0')])
                    return [b'']
                if environ['PATH_INFO'] == '/-/':
                    start_response('401 Unauthorized',
                                   [('Content-Length', '0')])
                    return [b'']
                self.told.set()   # the first look answers at once
                try:
                    return super().__call__(environ, start_response)
                finally:
                    self.told.clear()
        app = HeldDispose()
        self.addCleanup(app.told.set)
        self.add(self.store)
        self.assertTrue(self.store.transition(
            'i1', states.ACTIVE, so_url=self.serve(app), so_secret='s'))
        op = self.operation(self.store.begin('i1', states.DESTROY,
                                             states.DELETABLE))
        shown = []

        def tell_when_shown():
            while not (self.store.load('i1') is None or
                       self.store.load('i1').reason):
                time.sleep(0.05)
            shown.append(getattr(self.store.load('i1'), 'reason', None))
            app.told.set()
        threading.Thread(target=tell_when_shown, daemon=True).start()
        self.lifecycle.phases.destroy(op)
        self.assertRegex(shown[0], r'^%s since \S+Z; waiting until \S+Z$'
                         % re.escape(so_wait.SO_DISPOSE_BUSY))
        self.assertIsNone(self.store.load('i1'))   # disposed


class _CCWithApp(object):
    """A CC answering ``GET /app/i1``: active, its SO at ``so_url``."""

    def __init__(self, so_url):
        self.body = ('Category: app; scheme="http://schemas.hurtle.it/occi/'
                     'cc#"; class="kind"\n'
                     'X-OCCI-Attribute: occi.app.state="active"\n'
                     'X-OCCI-Attribute: occi.app.url="%s"\n'
                     % so_url).encode()

    def __call__(self, environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain'),
                                  ('Content-Length', str(len(self.body)))])
        return [self.body]


class WatcherTest(_Case):
    """The SO watcher's probe of an SO that takes it and answers nothing
    within the probe's time (``[sm] phase_timeout`` here)."""

    def problem(self, so_app):
        so_url = self.serve(so_app)
        cc_url = self.serve(_CCWithApp(so_url))
        self.sm_conf.set_override('phase_timeout', 1, group='sm')
        self.sm_conf.set_override('cc_url', cc_url, group='sm')
        self.add(self.store)
        self.assertTrue(self.store.transition(
            'i1', states.ACTIVE, so_url=so_url, so_secret='secret',
            app_url=cc_url + 'app/i1'))
        return self.lifecycle.watcher.problem(self.store.load('i1'))

    def test_an_so_alive_whose_state_read_is_held_is_said_to_be_so(self):
        app = _BusyUntilTold()
        self.addCleanup(app.told.set)
        reason, url, info = self.problem(app)
        self.assertEqual(watcher.BUSY, reason)
        self.assertTrue(watcher.is_watchers(reason))
        self.assertIsNone(info)

    def test_a_silent_so_does_not_answer(self):
        app = _AnswersWhenTold()
        self.addCleanup(app.told.set)
        reason, _url, _info = self.problem(app)
        self.assertEqual('the SO does not answer', reason)


class QuietReasonTest(testtools.TestCase):

    def test_the_reason_names_the_silence_and_the_deadline(self):
        now = time.monotonic()
        reason = wait_reason.since(so_wait.QUIET_PREFIX, now - 7.2,
                                   deadline=now + 593, now=now)
        match = QUIET_RE.match(reason)
        self.assertIsNotNone(match, reason)
        since = _stamp(match.group(1)).replace(
            tzinfo=datetime.timezone.utc).timestamp()
        self.assertLessEqual(abs(time.time() - 7.2 - since), 1)
        waited = _stamp(match.group(2)) - _stamp(match.group(1))
        self.assertLessEqual(abs(waited.total_seconds() - 600.2), 1)

    def test_without_a_deadline_no_end_is_named(self):
        reason = wait_reason.since(so_wait.QUIET_PREFIX,
                                   time.monotonic() - 12)
        self.assertRegex(reason, r'^service orchestrator \(SO\) not '
                                 r'answering since \S+Z$')


class RefusedUpdateTest(testtools.TestCase):
    """The 409 of a change refused while an operation is in progress
    gives the operation's reason: what it waits for."""

    def row(self, state, reason):
        return types.SimpleNamespace(state=state, reason=reason)

    def test_the_reason_of_an_operation_in_progress_is_given(self):
        reason = wait_reason.since(so_wait.QUIET_PREFIX,
                                   time.monotonic() - 6)
        err = api._not_updatable(self.row(states.UPDATE, reason))
        self.assertTrue(err.message.startswith(
            'instance is in state update (%s); only an instance in state '
            'active or degraded can be updated' % reason), err.message)

    def test_no_reason_no_parenthesis(self):
        err = api._not_updatable(self.row(states.DEPLOY, None))
        self.assertTrue(err.message.startswith(
            'instance is in state deploy; only'), err.message)

    def test_a_failed_instance_is_refused_as_before(self):
        err = api._not_updatable(self.row(states.FAILED, 'deploy failed'))
        self.assertTrue(err.message.startswith(
            'instance is in state failed; only'), err.message)
