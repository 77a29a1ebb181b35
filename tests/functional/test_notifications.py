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
"""Instance lifecycle notifications (hurtle.sm.notifications) from a
running ``hurtle-all``: with oslo.messaging's ``log`` driver (read back
from the SM's log) and with ``messagingv2`` through a real RabbitMQ node
(received by an oslo.messaging notification listener)."""
import json
import os
import threading

from oslo_config import cfg

from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle import polling
from tests.functional import hurtle_fixture
from tests import rabbitmq_fixture

SCHEME = 'http://schemas.hurtle.it/occi/sm#'
TIMEOUT = 120
PREFIX = 'hurtle.instance.'


class _NotificationsCase(hurtle_fixture.HurtleTestCase):
    """Helpers: drive instances of the sample services as project demo."""

    DRIVER_CONF = ''

    @classmethod
    def make_hurtle(cls):
        return hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,
                       hurtle_fixture.UNTYPED_MANIFEST),
            extra_conf=cls.driver_conf())

    @classmethod
    def driver_conf(cls):
        return cls.DRIVER_CONF

    def setUp(self):
        super().setUp()
        self.client = occi_client.OCCIClient(
            self.hurtle.sm_url, headers={'X-Project-Id': 'demo'})

    def create(self, term, **attributes):
        location = self.client.create(
            self.hurtle.sm_url + term + '/',
            occi_client.CategoryRef(SCHEME, term, 'kind'), attributes)
        return location, location.rstrip('/').rsplit('/', 1)[1]

    def wait_state(self, location, wanted):
        def check():
            state = self.client.get(location).attributes['mcn.service.state']
            return state if state in wanted else None
        return polling.poll_until(check, TIMEOUT, 0.3,
                                  '%s to reach %s' % (location, wanted))

    def delete(self, location):
        self.client.delete(location)

        def gone():
            try:
                self.client.get(location)
            except errors.NotFound:
                return True
        polling.poll_until(gone, TIMEOUT, 0.3, '%s to be gone' % location)

    def assert_event(self, events, event_type, instance_id, **payload):
        """The one event of ``event_type`` for ``instance_id`` in
        ``events`` (``[(event_type, payload)]``) has ``payload``'s
        items; returns its payload."""
        found = [p for t, p in events
                 if t == event_type and p['instance_id'] == instance_id]
        self.assertEqual(1, len(found), '%s of %s in %s'
                         % (event_type, instance_id, events))
        for key, value in payload.items():
            self.assertEqual(value, found[0][key], key)
        return found[0]


class LogDriverTest(_NotificationsCase):

    DRIVER_CONF = '[oslo_messaging_notifications]\ndriver = log\n'

    def events(self):
        """``[(event_type, payload)]`` the SM logged so far."""
        found = []
        path = os.path.join(self.hurtle.state, 'log', 'hurtle-sm.log')
        with open(path, errors='replace') as handle:
            for line in handle:
                if 'oslo.messaging.notification.' + PREFIX not in line:
                    continue
                message = json.loads(line[line.index('{'):])
                found.append((message['event_type'], message['payload']))
        return found

    def test_a_lifecycle_is_notified_from_create_to_delete(self):
        location, instance_id = self.create('sample',
                                            **{'sample.greeting': 'a'})
        self.assertEqual('active', self.wait_state(location,
                                                   {'active', 'failed'}))
        self.client.update(location, occi_client.CategoryRef(
            SCHEME, 'sample', 'kind'), {'sample.greeting': 'b'})
        self.wait_state(location, {'active'})
        self.delete(location)
        events = polling.poll_until(
            lambda: self.events() if any(
                t == PREFIX + 'delete.end' for t, _ in self.events())
            else None, 30, 0.3, 'delete.end')
        mine = [t for t, p in events if p['instance_id'] == instance_id]
        self.assertEqual([PREFIX + 'create.start', PREFIX + 'create.end',
                          PREFIX + 'update.start', PREFIX + 'update.end',
                          PREFIX + 'delete.start', PREFIX + 'delete.end'],
                         mine)
        start = self.assert_event(events, PREFIX + 'create.start',
                                  instance_id, project_id='demo',
                                  service_type='sample')
        self.assertNotIn('duration', start)
        self.assertTrue(start['created_at'].endswith('Z'))
        end = self.assert_event(events, PREFIX + 'create.end', instance_id,
                                state='active', project_id='demo')
        self.assertGreater(end['duration'], 0)
        self.assert_event(events, PREFIX + 'delete.end', instance_id,
                          state=None, service_type='sample')

    def test_failures_and_refusals_are_errors_with_the_reason(self):
        # the untyped service's SO refuses the value when it deploys
        failed, failed_id = self.create('untyped',
                                        **{'sample.name_length': 2})
        self.assertEqual('failed', self.wait_state(failed,
                                                   {'active', 'failed'}))
        refused, refused_id = self.create('untyped')
        self.wait_state(refused, {'active'})
        self.client.update(refused, occi_client.CategoryRef(
            SCHEME, 'untyped', 'kind'), {'sample.name_length': 'abc'})

        def refused_reported():
            events = self.events()
            if any(t == PREFIX + 'update.error' for t, _ in events):
                return events
        events = polling.poll_until(refused_reported, TIMEOUT, 0.3,
                                    'update.error')
        error = self.assert_event(events, PREFIX + 'create.error',
                                  failed_id, state='failed')
        self.assertIn('sample.name_length', error['reason'])
        error = self.assert_event(events, PREFIX + 'update.error',
                                  refused_id, state='active')
        self.assertIn('update rejected', error['reason'])
        for location in (failed, refused):
            self.delete(location)


class _Collector(object):
    """oslo.messaging notification endpoint keeping what it receives."""

    def __init__(self):
        self.events = []
        self.lock = threading.Lock()

    def _keep(self, ctxt, publisher_id, event_type, payload, metadata):
        if event_type.startswith(PREFIX):
            with self.lock:
                self.events.append((event_type, dict(
                    payload, publisher_id=publisher_id)))

    info = error = _keep


class RabbitMQDriverTest(_NotificationsCase):

    @classmethod
    def setUpClass(cls):
        rabbitmq_fixture.start_for_class(cls)   # stopped after hurtle
        super().setUpClass()

    @classmethod
    def driver_conf(cls):
        return ('[oslo_messaging_notifications]\ndriver = messagingv2\n'
                'transport_url = %s\n' % cls.rabbit.url)

    def test_events_reach_a_listener_on_the_bus(self):
        # Imported here: importing oslo.messaging at discovery selects
        # oslo.service's eventlet backend, and heat.tests (imported by
        # other test modules of the same run) then cannot select threading.
        import oslo_messaging
        conf = cfg.ConfigOpts()
        conf([], project='hurtle-tests', default_config_files=[])
        transport = oslo_messaging.get_notification_transport(
            conf, url=self.rabbit.url)
        collector = _Collector()
        listener = oslo_messaging.get_notification_listener(
            transport, [oslo_messaging.Target(topic='notifications')],
            [collector], executor='threading')
        listener.start()
        self.addCleanup(transport.cleanup)
        self.addCleanup(listener.wait)
        self.addCleanup(listener.stop)

        location, instance_id = self.create('sample')
        self.wait_state(location, {'active'})
        self.delete(location)

        def delivered():
            with collector.lock:
                types = [t for t, p in collector.events
                         if p['instance_id'] == instance_id]
                if PREFIX + 'delete.end' in types:
                    return list(collector.events)
        events = polling.poll_until(delivered, 60, 0.3, 'delete.end')
        end = self.assert_event(events, PREFIX + 'create.end', instance_id,
                                project_id='demo', service_type='sample')
        self.assertTrue(end['publisher_id'].startswith('hurtle-sm.'))
        self.assert_event(events, PREFIX + 'delete.start', instance_id)
