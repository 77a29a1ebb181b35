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
"""The embedded Heat's ``hurtle_cc`` notifier driver
(:mod:`hurtle.heat.notifier`), loaded by a real ``oslo_messaging.Notifier``
through its entry point, posting to a real HTTP server standing for the
CC; and the heat.conf that selects it."""
import json
import os
import queue
import re
import threading
import time

import fixtures
from oslo_config import cfg
import oslo_messaging
import testtools

from hurtle.heat import heatconf
from hurtle.heat import notifier
from hurtle import local_secret
from hurtle.occi import server
from hurtle import polling
from hurtle import stack_event_format as wire
from tests import net

HEAT_ID = '8f2b5c1e-0d3a-4b7e-9c61-2a4f5e6d7c8b'


class FakeCC(object):
    """WSGI app recording each request ``(token, events)``; answers
    ``status``; while ``gate`` is clear, holds every request."""

    def __init__(self, status='204 No Content'):
        self.status = status
        self.requests = queue.Queue()
        #: Token of every request so far.
        self.tokens = []
        self.gate = threading.Event()
        self.gate.set()

    def __call__(self, environ, start_response):
        self.gate.wait(30)
        length = int(environ.get('CONTENT_LENGTH') or 0)
        body = environ['wsgi.input'].read(length)
        self.tokens.append(environ.get('HTTP_X_AUTH_TOKEN'))
        self.requests.put((environ.get('HTTP_X_AUTH_TOKEN'),
                           wire.parse(body)))
        start_response(self.status, [('Content-Length', '0')])
        return [b'']

    def events(self, timeout=10):
        """The events of the next request that has some."""
        deadline = time.monotonic() + timeout
        while True:
            _token, events = self.requests.get(
                timeout=max(0.01, deadline - time.monotonic()))
            if events:
                return events


class OlderCC(FakeCC):
    """A CC from before IN_PROGRESS states: 400 for a two-word status
    (its whole request refused), else as :class:`FakeCC`."""

    def __call__(self, environ, start_response):
        length = int(environ.get('CONTENT_LENGTH') or 0)
        body = environ['wsgi.input'].read(length)
        events = wire.parse(body)
        if any(state and not re.match(r'^[A-Z]{1,20}_[A-Z]{1,20}$', state)
               for _id, state in events):
            self.refused = getattr(self, 'refused', 0) + 1
            start_response('400 Bad Request', [('Content-Length', '0')])
            return [b'']
        self.tokens.append(environ.get('HTTP_X_AUTH_TOKEN'))
        self.requests.put((environ.get('HTTP_X_AUTH_TOKEN'), events))
        start_response(self.status, [('Content-Length', '0')])
        return [b'']


def serve(case, app, port=0):
    srv, _thread = server.serve_in_thread(app, port=port)
    case.addCleanup(srv.server_close)
    case.addCleanup(srv.shutdown)
    return 'http://127.0.0.1:%d%s' % (srv.server_port, wire.PATH)


class DriverTest(testtools.TestCase):
    """Through oslo.messaging, as Heat's engine sends."""

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        self.cc = FakeCC()
        self.url = serve(self, self.cc)
        conf = cfg.ConfigOpts()
        conf([], project='hurtle-tests')
        conf.register_opts(notifier.OPTS, group=notifier.GROUP)
        conf.set_override('url', self.url, group=notifier.GROUP)
        conf.set_override('state_path', self.state, group=notifier.GROUP)
        transport = oslo_messaging.get_notification_transport(
            conf, url='fake://')
        self.addCleanup(transport.cleanup)
        self.notifier = oslo_messaging.Notifier(
            transport, driver=heatconf.NOTIFIER,
            publisher_id='orchestration.test')
        [self.driver] = [ext.obj for ext in
                         self.notifier._driver_mgr.extensions]
        self.addCleanup(self.driver.sender.close)

    def test_stack_notifications_reach_the_cc_with_the_derived_token(self):
        self.notifier.info({}, 'orchestration.stack.create.end', {
            'stack_identity': HEAT_ID, 'stack_name': 'web',
            'state': 'CREATE_COMPLETE', 'tenant_id': 'p1'})
        self.assertEqual([(HEAT_ID, 'CREATE_COMPLETE')], self.cc.events())
        # Every request (heartbeats too) carries the derived token, never
        # the secret itself.
        secret = local_secret.load_or_create(self.state)
        self.assertEqual({wire.token(secret)}, set(self.cc.tokens))
        self.assertNotEqual(secret, wire.token(secret))

    def test_other_notifications_and_bad_ids_are_ignored(self):
        self.notifier.info({}, 'orchestration.autoscaling.start',
                           {'stack_identity': HEAT_ID})
        self.notifier.info({}, 'orchestration.stack.create.start',
                           {'stack_identity': '../etc', 'state': 'X'})
        self.notifier.info({}, 'orchestration.stack.create.start',
                           {'stack_name': 'no id'})
        self.notifier.error({}, 'orchestration.stack.create.error',
                            {'stack_identity': HEAT_ID, 'state': 'bad!'})
        self.assertEqual([(HEAT_ID, None)], self.cc.events())
        self.assertEqual(1, self.driver.sender.queued)

    def test_in_progress_states_are_forwarded(self):
        # IN_PROGRESS has a "_" of its own; a waiter's hint needs it (not
        # null), or the state announced before stays the hint.
        self.notifier.info({}, 'orchestration.stack.update.start', {
            'stack_identity': HEAT_ID, 'state': 'UPDATE_IN_PROGRESS'})
        self.assertEqual([(HEAT_ID, 'UPDATE_IN_PROGRESS')],
                         self.cc.events())


class SenderTest(testtools.TestCase):

    def sender(self, url, **kwargs):
        sender = notifier.Sender(url, lambda: 'tok', **kwargs)
        self.addCleanup(sender.close, 1)
        return sender

    @staticmethod
    def message(stack_id=HEAT_ID, state='CREATE_COMPLETE'):
        return {'event_type': 'orchestration.stack.create.end',
                'payload': {'stack_identity': stack_id, 'state': state}}

    def test_batches_keep_the_latest_state_of_each_stack(self):
        cc = FakeCC()
        cc.gate.clear()
        sender = self.sender(serve(self, cc), heartbeat=30)
        # The first request (a heartbeat) is held: the rest queue up.
        polling.poll_until(lambda: sender.requests or None, 10, 0.01,
                           'first request')
        for n in range(5):
            sender.offer(self.message('s%d' % (n % 2), 'A_%s' % 'BCDEF'[n]))
        cc.gate.set()
        self.assertEqual([('s0', 'A_F'), ('s1', 'A_E')], sorted(cc.events()))
        polling.poll_until(lambda: sender.posted == 2 or None, 10, 0.01,
                           'posted counted')

    def test_an_older_cc_gets_in_progress_states_as_null(self):
        cc = OlderCC()
        sender = self.sender(serve(self, cc), heartbeat=30)
        sender.offer(self.message(state='UPDATE_IN_PROGRESS'))
        self.assertEqual([(HEAT_ID, None)], cc.events())
        self.assertTrue(sender.older_cc)
        self.assertEqual(1, cc.refused)
        # From then on without a refusal first; other states as they are.
        sender.offer(self.message('s2', 'CREATE_IN_PROGRESS'))
        self.assertEqual([('s2', None)], cc.events())
        sender.offer(self.message('s3', 'CREATE_COMPLETE'))
        self.assertEqual([('s3', 'CREATE_COMPLETE')], cc.events())
        self.assertEqual(1, cc.refused)
        polling.poll_until(lambda: sender.posted == 3 or None, 10, 0.01,
                           'posted counted')
        self.assertEqual(0, sender.lost)

    def test_overflow_drops_and_counts_without_blocking(self):
        cc = FakeCC()
        cc.gate.clear()
        self.addCleanup(cc.gate.set)
        sender = self.sender(serve(self, cc), queue_size=3, heartbeat=30)
        polling.poll_until(lambda: sender.requests or None, 10, 0.01,
                           'first request')
        t0 = time.monotonic()
        for n in range(50):
            sender.offer(self.message('s%d' % n))
        self.assertLess(time.monotonic() - t0, 1.0)
        self.assertEqual(3, sender.queued)
        self.assertEqual(47, sender.dropped)

    def test_cc_down_is_harmless_and_its_start_is_noticed(self):
        port = net.held_port(self)
        url = 'http://127.0.0.1:%d%s' % (port, wire.PATH)
        sender = self.sender(url, retry=0.05, heartbeat=30)
        for n in range(3):
            sender.offer(self.message('s%d' % n))
        polling.poll_until(lambda: sender.lost >= 3 or None, 10, 0.01,
                           'events lost while the CC is down')
        cc = FakeCC()
        serve(self, cc, port=port)
        sender.offer(self.message('after'))
        self.assertEqual([('after', 'CREATE_COMPLETE')], cc.events())

    def test_heartbeats_while_idle(self):
        cc = FakeCC()
        self.sender(serve(self, cc), heartbeat=0.05)
        for _n in range(3):
            token, events = cc.requests.get(timeout=10)
            self.assertEqual(('tok', []), (token, events))

    def test_refusal_rereads_the_token(self):
        cc = FakeCC('401 Unauthorized')
        tokens = iter(['old', 'new', 'new', 'new'])
        sender = notifier.Sender(serve(self, cc), lambda: next(tokens),
                                 retry=0.05)
        self.addCleanup(sender.close, 1)
        self.assertEqual('old', cc.requests.get(timeout=10)[0])
        self.assertEqual('new', cc.requests.get(timeout=10)[0])
        sender.offer(self.message())
        polling.poll_until(lambda: sender.lost or None, 10, 0.01, 'lost')

    def test_token_failure_is_harmless(self):
        def no_secret():
            raise local_secret.LocalSecretError('unreadable')
        sender = notifier.Sender('http://127.0.0.1:9/', no_secret,
                                 retry=0.05)
        self.addCleanup(sender.close, 1)
        sender.offer(self.message())
        polling.poll_until(lambda: sender.lost or None, 10, 0.01, 'lost')

    def test_the_driver_needs_its_options(self):
        conf = cfg.ConfigOpts()
        conf([], project='hurtle-tests')
        self.assertRaises(ValueError, notifier.CCNotifier, conf, [], None)


class HeatConfTest(testtools.TestCase):

    def render(self, **kwargs):
        import configparser
        text = heatconf.render('/state/heat', ['/plugins'], 'k' * 32,
                               api_paste_config='/etc/heat/api-paste.ini',
                               **kwargs)
        parser = configparser.ConfigParser(interpolation=None)
        parser.read_string(text)
        return parser

    def test_notifications_go_to_the_cc_when_its_url_is_known(self):
        parser = self.render(stack_events={
            'url': 'http://127.0.0.1:8887/stack-events',
            'state_path': '/state'})
        self.assertEqual('hurtle_cc', parser['oslo_messaging_notifications']
                         ['driver'])
        self.assertEqual('http://127.0.0.1:8887/stack-events',
                         parser['hurtle_stack_events']['url'])
        self.assertEqual('/state',
                         parser['hurtle_stack_events']['state_path'])
        self.assertNotIn('local_secret', json.dumps(
            {s: dict(parser[s]) for s in parser.sections()}))

    def test_no_notifications_otherwise(self):
        parser = self.render()
        self.assertNotIn('oslo_messaging_notifications', parser)
        self.assertNotIn('hurtle_stack_events', parser)

    def test_a_value_with_a_line_break_is_refused(self):
        self.assertRaises(heatconf.ConfigError, self.render, stack_events={
            'url': 'http://x/', 'state_path': '/a\n[DEFAULT]'})
        self.assertRaises(heatconf.ConfigError, self.render,
                          notification_bus='rabbit://u:p@h/\n[DEFAULT]')

    def test_a_notification_bus_replaces_the_cc_driver(self):
        # As a cloud's Heat notifies: messagingv2 on the bus, no hurtle_cc
        # even when hurtle-all gave the CC's URL.
        parser = self.render(
            stack_events={'url': 'http://127.0.0.1:8887/stack-events',
                          'state_path': '/state'},
            notification_bus='rabbit://u:pa$s@127.0.0.1:5672/')
        section = parser['oslo_messaging_notifications']
        self.assertEqual('messagingv2', section['driver'])
        # oslo.config would expand "$s": written as "$$s".
        self.assertEqual('rabbit://u:pa$$s@127.0.0.1:5672/',
                         section['transport_url'])
        self.assertNotIn('hurtle_stack_events', parser)
        # Heat's own RPC stays in-process.
        self.assertEqual('fake://', parser['DEFAULT']['transport_url'])


class SettingsTest(testtools.TestCase):
    """``[embedded_heat] cc_url`` (as hurtle-all sets it) → Settings."""

    def settings(self, env=None, **opts):
        from hurtle.cmd import heat as heat_cmd
        from hurtle.heat import launcher
        tmp = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tmp, 'hurtle.conf')
        with open(path, 'w') as f:
            f.write('[DEFAULT]\nstate_path = %s\n[embedded_heat]\n' % tmp)
            for key, value in opts.items():
                f.write('%s = %s\n' % (key, value))
        for key, value in (env or {}).items():
            self.useFixture(fixtures.EnvironmentVariable(key, value))
        conf = heat_cmd.load_conf(['--config-file', path])
        return launcher.Settings.from_conf(conf), tmp

    def test_standalone_sends_nothing(self):
        settings, _tmp = self.settings()
        self.assertIsNone(settings.stack_events_url)

    def test_cc_url_from_the_environment_as_hurtle_all_sets_it(self):
        settings, tmp = self.settings(
            env={'OS_EMBEDDED_HEAT__CC_URL': 'http://127.0.0.1:8887/'})
        self.assertEqual('http://127.0.0.1:8887/stack-events',
                         settings.stack_events_url)
        self.assertEqual(tmp, settings.hurtle_state_path)

    def test_a_notification_bus(self):
        settings, _tmp = self.settings(
            notification_transport_url='rabbit://u:p@127.0.0.1:5672/')
        self.assertEqual('rabbit://u:p@127.0.0.1:5672/',
                         settings.notification_transport_url)
        settings, _tmp = self.settings()
        self.assertIsNone(settings.notification_transport_url)

    def test_cc_url_under_a_path(self):
        settings, _tmp = self.settings(cc_url='https://cc.example/cc')
        self.assertEqual('https://cc.example/cc/stack-events',
                         settings.stack_events_url)
