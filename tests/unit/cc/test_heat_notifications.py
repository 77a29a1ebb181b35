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
"""The CC's listener of Heat notifications on a bus
(hurtle.cc.heat_notifications) and the parsing it shares with the
embedded Heat's driver (hurtle.stack_event_format.from_notification)."""
import concurrent.futures
import datetime
import logging
import socket
import time
import types

import fixtures
import testtools

from hurtle.cc import heat_notifications
from hurtle.cc import stack_events
from hurtle.cc import stack_reads
from hurtle import polling
from hurtle import stack_event_format as wire
from tests import conf_fixture

HEAT_ID = '2f0c2b84-5d0f-4f7a-9a53-0e1d8c6b7a10'
OTHER_ID = '9b1f3c2e-0a4d-4e5f-8b6c-7d8e9f0a1b2c'
PASSWORD = 's3cret-Pa55'


def heat_payload(stack_id=HEAT_ID, action='CREATE', status='COMPLETE'):
    """The payload Heat's own code builds for a stack (heat.engine.api.
    format_notification_body) and the event type heat.engine.
    notification.stack.send gives it."""
    from heat.engine import api as heat_api
    context = types.SimpleNamespace(project_id='p1', username='demo',
                                    user_id='u1')
    now = datetime.datetime(2026, 12, 4, 12, 0, 0)
    stack = types.SimpleNamespace(
        id=stack_id, name='web', action=action, status=status,
        state=(action, status), status_reason='ok', context=context,
        created_time=now, updated_time=None, tags=None, t=None)
    suffix = {'IN_PROGRESS': 'start', 'COMPLETE': 'end'}.get(status,
                                                             'error')
    return ('orchestration.stack.%s.%s' % (action.lower(), suffix),
            heat_api.format_notification_body(stack))


class FromNotificationTest(testtools.TestCase):
    """One parser for the driver and the bus listener."""

    def test_heat_s_own_payloads(self):
        for action, status in (('CREATE', 'IN_PROGRESS'),
                               ('CREATE', 'COMPLETE'),
                               ('UPDATE', 'FAILED'),
                               ('DELETE', 'COMPLETE')):
            event_type, payload = heat_payload(action=action, status=status)
            self.assertEqual(
                (HEAT_ID, '%s_%s' % (action, status)),
                wire.from_notification(event_type, payload))

    def test_others_are_none_and_bad_states_null(self):
        _type, good = heat_payload()
        for event_type, payload in (
                ('orchestration.autoscaling.start', good),
                ('compute.instance.create.end', good),
                (None, good),
                ('orchestration.stack.create.end', None),
                ('orchestration.stack.create.end', ['a']),
                ('orchestration.stack.create.end', {'stack_name': 'web'}),
                ('orchestration.stack.create.end',
                 dict(good, stack_identity='../etc')),
                ('orchestration.stack.create.end',
                 dict(good, stack_identity=7))):
            self.assertIsNone(wire.from_notification(event_type, payload),
                              (event_type, payload))
        for state in ('Unknown', 'bad!', 3, None):
            self.assertEqual((HEAT_ID, None), wire.from_notification(
                'orchestration.stack.create.end', dict(good, state=state)))


class EndpointTest(testtools.TestCase):
    """Endpoint → hub, with a real hub."""

    def setUp(self):
        super().setUp()
        self.hub = stack_events.Hub()
        self.endpoint = heat_notifications.Endpoint(self.hub)

    def send(self, priority, event_type, payload):
        return getattr(self.endpoint, priority)(
            {}, 'orchestration.host', event_type, payload, {})

    def test_an_event_wakes_the_waiter_but_does_not_make_the_hub_live(self):
        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            mine = pool.submit(self.hub.wait, HEAT_ID, 30)
            other = pool.submit(self.hub.wait, OTHER_ID, 0.5)
            polling.poll_until(lambda: self.hub.waiting() == 2, 5, 0.01,
                               'two waiters')
            self.assertIsNone(self.send('info', *heat_payload()))
            self.assertTrue(mine.result(5))
            self.assertFalse(other.result(5))
        self.assertEqual('CREATE_COMPLETE', self.hub.hint(HEAT_ID))
        self.assertFalse(self.hub.live())
        self.assertEqual((1, 0), (self.endpoint.received,
                                  self.endpoint.ignored))

    def test_stacks_nobody_waits_for_wake_nobody_and_stay_bounded(self):
        for i in range(stack_events.MAX_HINTS + 50):
            self.send('info', *heat_payload(
                stack_id='00000000-0000-0000-0000-%012d' % i))
        self.assertEqual(0, self.hub.waiting())
        self.assertLessEqual(self.hub.hints(), stack_events.MAX_HINTS)
        self.assertFalse(self.hub.live())

    def test_errors_and_other_notifications(self):
        self.send('error', *heat_payload(action='UPDATE', status='FAILED'))
        self.assertEqual('UPDATE_FAILED', self.hub.hint(HEAT_ID))
        self.send('info', 'compute.instance.create.end', {'x': 1})
        self.send('warn', 'orchestration.stack.create.end', None)
        self.assertEqual((1, 2), (self.endpoint.received,
                                  self.endpoint.ignored))

    def test_a_read_is_not_reused_on_a_quiet_bus(self):
        # Reuse needs a live source: a bus's events never give one.
        reads = stack_reads.RecentReads(self.hub)
        self.send('info', *heat_payload(stack_id=OTHER_ID))
        began = reads.begin()
        details = types.SimpleNamespace(status='CREATE_COMPLETE')
        reads.put('a1', HEAT_ID, details, began)
        self.assertIsNone(reads.get('a1', HEAT_ID))
        # (with a live source it would be)
        self.hub.source_seen()
        self.assertIs(details, reads.get('a1', HEAT_ID))


def closed_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


class ListenerTest(testtools.TestCase):
    """The listener on oslo.messaging's in-process fake transport, and
    facing a bus that is not there."""

    def setUp(self):
        super().setUp()
        self.log = self.useFixture(fixtures.FakeLogger(
            level=logging.DEBUG, format='%(levelname)s %(message)s'))
        self.hub = stack_events.Hub()

    def listener(self, url, **overrides):
        overrides = {'heat_notifications__' + k: v
                     for k, v in overrides.items()}
        conf = self.useFixture(conf_fixture.HurtleConf(
            heat_notifications__transport_url=url, **overrides)).conf
        return heat_notifications.Listener(conf, self.hub)

    def test_off_by_default(self):
        conf = self.useFixture(conf_fixture.HurtleConf()).conf
        self.assertEqual('', conf.heat_notifications.transport_url)
        self.assertEqual(['notifications'], conf.heat_notifications.topics)
        self.assertEqual('heat', conf.heat_notifications.exchange)
        self.assertEqual('hurtle-cc', conf.heat_notifications.pool)
        listener = heat_notifications.Listener(conf, self.hub).start()
        self.assertFalse(listener.enabled)
        listener.stop()

    def test_notifications_on_the_bus_reach_the_hub(self):
        import oslo_messaging
        # The fake transport's default exchange is oslo.messaging's
        # "openstack" (Heat's is "heat", the real bus test checks it).
        listener = self.listener('fake://', exchange='openstack')
        listener.start()
        self.addCleanup(listener.stop)
        self.assertTrue(listener.listening.wait(10))
        transport = oslo_messaging.get_notification_transport(
            listener.conf, url='fake://')
        notifier = oslo_messaging.Notifier(
            transport, driver='messagingv2', topics=['notifications'],
            publisher_id='orchestration.host')
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            woken = pool.submit(self.hub.wait, HEAT_ID, 30)
            polling.poll_until(lambda: self.hub.waiting() == 1, 5, 0.01,
                               'the waiter')
            t0 = time.monotonic()
            notifier.info({}, *heat_payload())
            self.assertTrue(woken.result(10))
            self.assertLess(time.monotonic() - t0, 10)
        self.assertEqual('CREATE_COMPLETE', self.hub.hint(HEAT_ID))
        self.assertFalse(self.hub.live())
        self.assertEqual(1, listener.endpoint.received)
        self.assertIn('listening on fake://', self.log.output)

    def test_an_unreachable_bus_warns_once_and_never_shows_the_password(
            self):
        url = 'rabbit://hurtle:%s@127.0.0.1:%d/' % (PASSWORD, closed_port())
        listener = self.listener(url, probe_interval=0.1)
        listener.start()
        time.sleep(0.8)   # several probes
        t0 = time.monotonic()
        listener.stop()
        self.assertLess(time.monotonic() - t0, 5)
        self.assertFalse(listener.listening.is_set())
        warnings = [line for line in self.log.output.splitlines()
                    if line.startswith('WARNING')]
        self.assertEqual(1, len(warnings), self.log.output)
        self.assertIn('rabbit://127.0.0.1:', warnings[0])
        self.assertIn('stack_poll_interval', warnings[0])
        self.assertNotIn(PASSWORD, self.log.output)
        self.assertNotIn('hurtle:', self.log.output)

    def test_a_bad_url_is_refused_without_showing_it(self):
        for url in ('nosuch://hurtle:%s@127.0.0.1/' % PASSWORD,
                    'rabbit//hurtle:%s@127.0.0.1/' % PASSWORD,
                    'rabbit://hurtle:%s@127.0.0.1:port/' % PASSWORD):
            exc = self.assertRaises(heat_notifications.ListenerError,
                                    self.listener(url).start)
            self.assertIn('[heat_notifications] transport_url', str(exc))
            self.assertNotIn(PASSWORD, str(exc))
        self.assertNotIn(PASSWORD, self.log.output)

    def test_describe_and_reachable(self):
        import oslo_messaging
        conf = self.useFixture(conf_fixture.HurtleConf()).conf
        with socket.socket() as server:
            server.bind(('127.0.0.1', 0))
            server.listen(1)
            port = server.getsockname()[1]
            url = oslo_messaging.TransportURL.parse(
                conf, 'rabbit://u:%s@127.0.0.1:%d,u:%s@127.0.0.1:%d/vh'
                % (PASSWORD, closed_port(), PASSWORD, port))
            self.assertEqual('rabbit://127.0.0.1:%d,127.0.0.1:%d'
                             % (url.hosts[0].port, port),
                             heat_notifications.describe(url))
            self.assertTrue(heat_notifications.reachable(url))
            no_port = oslo_messaging.TransportURL.parse(
                conf, 'rabbit://u:%s@bus.example/' % PASSWORD)
            self.assertEqual('rabbit://bus.example',
                             heat_notifications.describe(no_port))
        self.assertFalse(heat_notifications.reachable(url, timeout=1))
