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
"""The CC's stack events: the hub (:mod:`hurtle.cc.stack_events`), ``POST
/stack-events`` through the CC's real paste pipeline over HTTP, and the
stack kind's ``wait_change`` on a real database."""
import concurrent.futures
import json
import threading
import time

import requests
import testtools

from hurtle.cc import so_auth
from hurtle.cc import stack_events
from hurtle.cc import stack_store
from hurtle.cc import stacks
from hurtle.db import migration
from hurtle import local_secret
from hurtle.occi import errors
from hurtle import stack_event_format as wire
from tests import cc_fixture
from tests import conf_fixture

HEAT_ID = '8f2b5c1e-0d3a-4b7e-9c61-2a4f5e6d7c8b'


class FakeClock(object):
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


class HubTest(testtools.TestCase):

    def test_notify_wakes_the_waiter_of_that_stack_only(self):
        hub = stack_events.Hub()
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            mine = pool.submit(hub.wait, 'a', 30)
            other = pool.submit(hub.wait, 'b', 0.5)
            while hub.waiting() < 2:
                time.sleep(0.01)
            hub.notify('a', 'CREATE_COMPLETE')
            self.assertTrue(mine.result(5))
            self.assertFalse(other.result(5))
        self.assertEqual(0, hub.waiting())

    def test_timeout_without_event(self):
        hub = stack_events.Hub()
        t0 = time.monotonic()
        self.assertFalse(hub.wait('a', 0.1))
        self.assertGreaterEqual(time.monotonic() - t0, 0.1)
        self.assertFalse(hub.wait('a', 0))
        self.assertFalse(hub.wait('a', -1))
        self.assertEqual(0, hub.waiting())

    def test_parallel_waiters_all_wake_and_leave_nothing(self):
        hub = stack_events.Hub()
        ids = ['s%d' % (n % 5) for n in range(50)]
        with concurrent.futures.ThreadPoolExecutor(50) as pool:
            futures = [pool.submit(hub.wait, stack_id, 30)
                       for stack_id in ids]
            while hub.waiting() < 5 or sum(
                    w.count for w in hub._waiting.values()) < 50:
                time.sleep(0.01)
            for n in range(5):
                hub.notify('s%d' % n)
            self.assertTrue(all(f.result(5) for f in futures))
        self.assertEqual(0, hub.waiting())

    def test_a_notify_before_the_wait_does_not_wake_it(self):
        # A later waiter waits for the next event (wait_change reads
        # the hint for what came between its read and its wait).
        hub = stack_events.Hub()
        hub.notify('a', 'CREATE_COMPLETE')
        self.assertFalse(hub.wait('a', 0.05))

    def test_named_since_tells_an_event_after_a_moment(self):
        clock = FakeClock()
        hub = stack_events.Hub(clock)
        at = hub.now()
        self.assertFalse(hub.named_since('a', at))
        self.assertFalse(hub.named_since('a', None))
        clock.now += 0.5
        hub.notify('b', 'DELETE_COMPLETE')
        self.assertFalse(hub.named_since('a', at))
        hub.notify('a', None)
        self.assertTrue(hub.named_since('a', at))
        self.assertFalse(hub.named_since('a', clock.now + 0.1))
        # Forgotten after HINT_SECONDS: cannot tell, so False.
        clock.now += stack_events.HINT_SECONDS + 1
        hub.notify('c', None)
        self.assertFalse(hub.named_since('a', at))

    def test_no_growth_with_stacks_nobody_waits_for(self):
        clock = FakeClock()
        hub = stack_events.Hub(clock)
        for n in range(stack_events.MAX_HINTS + 500):
            hub.notify('s%d' % n, 'CREATE_COMPLETE')
        self.assertEqual(0, hub.waiting())
        self.assertEqual(stack_events.MAX_HINTS, hub.hints())
        clock.now += stack_events.HINT_SECONDS + 1
        hub.notify('last', 'CREATE_COMPLETE')
        self.assertEqual(1, hub.hints())

    def test_hint_is_the_latest_state_for_a_while(self):
        clock = FakeClock()
        hub = stack_events.Hub(clock)
        self.assertIsNone(hub.hint('a'))
        hub.notify('a', 'CREATE_IN_PROGRESS')
        hub.notify('a', 'CREATE_COMPLETE')
        self.assertEqual('CREATE_COMPLETE', hub.hint('a'))
        clock.now += stack_events.HINT_SECONDS + 0.1
        self.assertIsNone(hub.hint('a'))

    def test_live_while_the_source_speaks(self):
        clock = FakeClock()
        hub = stack_events.Hub(clock)
        self.assertFalse(hub.live())
        hub.source_seen()
        self.assertTrue(hub.live())
        clock.now += stack_events.LIVE_SECONDS + 1
        self.assertFalse(hub.live())
        hub.notify('a')
        self.assertTrue(hub.live())


class ReceiverTest(testtools.TestCase):
    """``POST /stack-events`` of a CC served over HTTP."""

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(conf_fixture.HurtleConf()).conf
        cc = self.useFixture(cc_fixture.CCServer(self.conf, {}))
        self.url = cc.url + 'stack-events'
        self.hub = cc.backend.stacks.events
        self.token = wire.token(local_secret.load_or_create(
            self.conf.state_path))

    def post(self, body, token=None, **kwargs):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        headers = {'Content-Type': 'application/json'}
        if token is not False:
            headers['X-Auth-Token'] = token or self.token
        return requests.post(self.url, data=body, headers=headers,
                             timeout=10, **kwargs)

    def test_events_wake_waiters_and_answer_204(self):
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            waiter = pool.submit(self.hub.wait, HEAT_ID, 30)
            while not self.hub.waiting():
                time.sleep(0.01)
            answer = self.post({'events': [
                {'stack_id': HEAT_ID, 'state': 'CREATE_COMPLETE'},
                {'stack_id': 'other', 'state': None}]})
            self.assertEqual(204, answer.status_code)
            self.assertTrue(waiter.result(5))
        self.assertEqual('CREATE_COMPLETE', self.hub.hint(HEAT_ID))
        self.assertTrue(self.hub.live())

    def test_heartbeat_makes_the_source_live(self):
        self.assertFalse(self.hub.live())
        self.assertEqual(204, self.post({'events': []}).status_code)
        self.assertTrue(self.hub.live())
        self.assertEqual(0, self.hub.received)

    def test_401_without_or_with_a_wrong_token(self):
        secret = local_secret.load_or_create(self.conf.state_path)
        for token in (False, 'wrong', secret, self.token[:-1]):
            answer = self.post({'events': []}, token=token)
            self.assertEqual(401, answer.status_code)
            self.assertNotIn(self.token, answer.text)
            self.assertNotIn(secret, answer.text)
        self.assertFalse(self.hub.live())

    def test_400_for_bad_bodies(self):
        for body in (b'not json', b'\xff\xfe', b'', '[]', '{}',
                     {'events': 'x'}, {'events': [], 'more': 1},
                     {'events': [{'stack_id': HEAT_ID}]},
                     {'events': [{'stack_id': HEAT_ID, 'state': None,
                                  'x': 1}]},
                     {'events': [{'stack_id': '../x', 'state': None}]},
                     {'events': [{'stack_id': 5, 'state': None}]},
                     {'events': [{'stack_id': 'a' * 65, 'state': None}]},
                     {'events': [{'stack_id': HEAT_ID, 'state': 'done'}]},
                     {'events': [{'stack_id': HEAT_ID, 'state': 3}]},
                     {'events': [{'stack_id': 's', 'state': None}] *
                      (wire.MAX_EVENTS + 1)}):
            answer = self.post(body)
            self.assertEqual(400, answer.status_code, body)
        self.assertEqual(0, self.hub.received)
        self.assertFalse(self.hub.live())

    def test_in_progress_states_are_hints_too(self):
        # Heat's IN_PROGRESS status has a "_" of its own: the CC takes it
        # as a hint, as it takes COMPLETE and FAILED.
        for state in ('CREATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS',
                      'ROLLBACK_FAILED'):
            answer = self.post({'events': [{'stack_id': HEAT_ID,
                                            'state': state}]})
            self.assertEqual(204, answer.status_code, answer.text)
            self.assertEqual(state, self.hub.hint(HEAT_ID))
        for state in ('CREATE_IN_PROGRESS_X', 'CREATE__PROGRESS',
                      'CREATE_IN_', '_COMPLETE', 'create_complete'):
            answer = self.post({'events': [{'stack_id': HEAT_ID,
                                            'state': state}]})
            self.assertEqual(400, answer.status_code, state)

    def test_413_for_a_huge_body(self):
        answer = self.post(b'{' + b' ' * (wire.MAX_BODY + 1) + b'}')
        self.assertEqual(413, answer.status_code)

    def test_deeply_nested_json_is_400_not_500(self):
        answer = self.post(b'[' * 8000 + b']' * 8000)
        self.assertEqual(400, answer.status_code)
        self.assertIn('nested too deeply', answer.text)

    def test_chunked_bodies_are_read_and_bounded(self):
        def chunks(data, size=100):
            for start in range(0, len(data), size):
                yield data[start:start + size]
        event = json.dumps({'events': [
            {'stack_id': HEAT_ID, 'state': 'CREATE_COMPLETE'}]}).encode()
        self.assertEqual(204, self.post(chunks(event)).status_code)
        self.assertEqual('CREATE_COMPLETE', self.hub.hint(HEAT_ID))
        huge = b'{' + b' ' * (wire.MAX_BODY + 1) + b'}'
        self.assertEqual(413, self.post(chunks(huge, 4096)).status_code)
        self.assertEqual(413, self.post(chunks(huge, len(huge))).status_code)

    def test_405_for_other_methods_and_404_below(self):
        headers = {'X-Auth-Token': self.token}
        answer = requests.get(self.url, headers=headers, timeout=10)
        self.assertEqual(405, answer.status_code)
        self.assertEqual('POST', answer.headers['Allow'])
        answer = requests.post(self.url + '/x', headers=headers,
                               data='{"events": []}', timeout=10)
        self.assertEqual(404, answer.status_code)


class WaitChangeTest(testtools.TestCase):
    """``StackBackend.wait_change`` on a real database."""

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            cc__stack_poll_interval=30.0,
            cc__stack_recheck_interval=30.0)).conf
        url = self.conf.database.connection
        migration.upgrade(url)
        self.store = stack_store.StackStore(url)
        self.hub = stack_events.Hub()
        self.backend = stacks.StackBackend(
            self.conf, self.store,
            deployer_factory=lambda caller, region: self.fail('no Heat'),
            events=self.hub)
        self.extras = self.caller('a1')
        self.store.claim('web', 'a1', 'web', None)
        self.entity = self.store.get('/stack/web', self.extras)
        self.entity.attributes.update({'hurtle.stack.id': HEAT_ID,
                                       'hurtle.stack.state':
                                       'CREATE_IN_PROGRESS'})
        self.store.update('/stack/web', self.entity, self.extras)

    @staticmethod
    def caller(app_id):
        return {'environ': {so_auth.ENVIRON_KEY: so_auth.SOCaller(
            app_id=app_id, project='p1')}}

    def timed_wait(self, timeout=60, entity=None, extras=None):
        t0 = time.monotonic()
        self.assertIsNone(self.backend.wait_change(
            entity or self.entity, extras or self.extras, timeout))
        return time.monotonic() - t0

    def notify_soon(self, state='CREATE_COMPLETE', stack_id=HEAT_ID):
        def later():
            while not self.hub.waiting():
                time.sleep(0.01)
            self.hub.notify(stack_id, state)
        thread = threading.Thread(target=later, daemon=True)
        thread.start()
        self.addCleanup(thread.join, 5)

    def test_returns_early_on_an_event(self):
        self.hub.source_seen()
        self.notify_soon()
        self.assertLess(self.timed_wait(), 10)

    def test_an_event_wakes_it_even_without_a_live_source(self):
        self.notify_soon()
        self.assertLess(self.timed_wait(), 10)

    def test_fallback_step_without_an_event_source(self):
        self.conf.set_override('stack_poll_interval', 0.2, group='cc')
        elapsed = self.timed_wait()
        self.assertGreaterEqual(elapsed, 0.2)
        self.assertLess(elapsed, 10)

    def test_recheck_step_with_a_live_source(self):
        self.conf.set_override('stack_recheck_interval', 0.3, group='cc')
        self.hub.source_seen()
        elapsed = self.timed_wait()
        self.assertGreaterEqual(elapsed, 0.3)
        self.assertLess(elapsed, 10)

    def test_settle_step_while_heat_announced_another_state(self):
        # The event came between the read and the wait, or before Heat
        # wrote the state: read again soon.
        self.hub.notify(HEAT_ID, 'CREATE_COMPLETE')
        self.assertLess(self.timed_wait(), 10)
        # Once the read shows the announced state, wait for the next.
        self.conf.set_override('stack_recheck_interval', 0.3, group='cc')
        self.entity.attributes['hurtle.stack.state'] = 'CREATE_COMPLETE'
        self.assertGreaterEqual(self.timed_wait(), 0.3)

    def test_an_announced_in_progress_state_is_waited_on(self):
        # The update's UPDATE_IN_PROGRESS, once announced, replaces the
        # create's CREATE_COMPLETE: the read shows it, so the wait is for
        # the next event, not a re-read every SETTLE_STEP.
        self.conf.set_override('stack_recheck_interval', 0.3, group='cc')
        self.hub.source_seen()
        self.hub.notify(HEAT_ID, 'CREATE_COMPLETE')
        self.entity.attributes['hurtle.stack.state'] = 'UPDATE_IN_PROGRESS'
        self.assertLess(self.timed_wait(), 0.3)
        self.hub.notify(HEAT_ID, 'UPDATE_IN_PROGRESS')
        self.assertGreaterEqual(self.timed_wait(), 0.3)

    def test_an_event_during_the_read_ends_the_wait_at_once(self):
        # The read began, an event came (Heat freed a deleted stack's
        # name while it was looked up), then the wait: read again now.
        self.conf.set_override('stack_recheck_interval', 30.0, group='cc')
        self.hub.source_seen()
        self.hub.notify(HEAT_ID, 'CREATE_IN_PROGRESS')
        setattr(self.entity, stacks.READ_AT, self.hub.now())
        self.hub.notify(HEAT_ID, 'CREATE_IN_PROGRESS')
        self.assertLess(self.timed_wait(), 10)
        # One read later, no event since: the wait is for the next one.
        self.conf.set_override('stack_recheck_interval', 0.3, group='cc')
        setattr(self.entity, stacks.READ_AT, self.hub.now() + 0.001)
        self.assertGreaterEqual(self.timed_wait(), 0.3)

    def test_the_timeout_bounds_the_step(self):
        self.assertLess(self.timed_wait(timeout=0.1), 10)
        self.assertLess(self.timed_wait(timeout=0), 1)

    def test_polls_a_stack_without_heat_id(self):
        self.conf.set_override('stack_poll_interval', 0.2, group='cc')
        self.store.claim('pending', 'a1', 'pending', None)
        entity = self.store.get('/stack/pending', self.extras)
        self.assertEqual('', entity.attributes['hurtle.stack.id'])
        self.hub.source_seen()
        self.assertGreaterEqual(self.timed_wait(entity=entity), 0.2)

    def test_404_for_a_stack_of_another_app(self):
        self.assertRaises(errors.NotFound, self.backend.wait_change,
                          self.entity, self.caller('a2'), 1)

    def test_404_once_the_stack_is_forgotten(self):
        self.store.delete('/stack/web', self.extras)
        self.assertRaises(errors.NotFound, self.backend.wait_change,
                          self.entity, self.extras, 1)

    def test_403_for_a_caller_that_is_no_so(self):
        self.assertRaises(errors.Forbidden, self.backend.wait_change,
                          self.entity, {'environ': {}}, 1)
