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
"""The CC listening to Heat's notifications on a message bus
(hurtle.cc.heat_notifications) from a running ``hurtle-all``.

Its embedded Heat notifies as a cloud's Heat does (``[embedded_heat]
notification_transport_url``: driver ``messagingv2`` on a real RabbitMQ
node, exchange ``heat``, no ``hurtle_cc`` driver) and the CC listens
(``[heat_notifications] transport_url``) with ``[cc]
stack_poll_interval`` at 30 s: GETs of a stack held as an SO holds
them answer as soon as Heat creates and deletes the stack, woken by the
bus. And a
bus that is not there: the CC serves, warns once and never shows the
URL's password."""
import glob
import os
import re
import socket
import time

from testtools import content

from hurtle.occi import client as occi_client
from hurtle.occi import conditional
from hurtle.occi import errors
from hurtle import polling
from tests.functional import hurtle_fixture
from tests.functional import test_cc_hardening
from tests import rabbitmq_fixture

SCHEME = 'http://schemas.hurtle.it/occi/sm#'
#: [cc] stack_poll_interval: a stack wait ending well before this was
#: ended by an event.
POLL = 30.0
TIMEOUT = 120
#: Seconds the test's GET of a stack is held.
HOLD = 25
STACK = occi_client.CategoryRef('http://schemas.hurtle.it/occi/cc#', 'stack')
#: Heat's test resource: its create takes 1 s.
TEMPLATE = '''heat_template_version: 2018-08-31
resources:
  slow:
    type: OS::Heat::TestResource
    properties:
      value: done
      action_wait_secs: {create: 1}
'''
PASSWORD = 'Bus-Pa55word-7f3e'


def _logs(state):
    """Text of every log and output file under ``state``."""
    text = []
    for pattern in ('log/*.log', '*.out'):
        for path in glob.glob(os.path.join(state, pattern)):
            with open(path, errors='replace') as handle:
                text.append(handle.read())
    return '\n'.join(text)


def _cc_log(state):
    with open(os.path.join(state, 'log', 'hurtle-cc.log'),
              errors='replace') as handle:
        return handle.read()


class _Case(hurtle_fixture.HurtleTestCase):

    def setUp(self):
        super().setUp()
        self.client = occi_client.OCCIClient(
            self.hurtle.sm_url, headers={'X-Project-Id': 'demo'})

    def create(self):
        return self.client.create(
            self.hurtle.sm_url + 'sample/',
            occi_client.CategoryRef(SCHEME, 'sample', 'kind'),
            {'sample.greeting': 'bus'})

    def wait_state(self, location, wanted, timeout=TIMEOUT):
        def check():
            state = self.client.get(location).attributes['mcn.service.state']
            return state if state in wanted else None
        return polling.poll_until(check, timeout, 0.2,
                                  '%s to reach %s' % (location, wanted))


class HeatOnABusTest(_Case):

    @classmethod
    def setUpClass(cls):
        rabbitmq_fixture.start_for_class(cls)   # stopped after hurtle
        super().setUpClass()

    @classmethod
    def make_hurtle(cls):
        return hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,),
            extra_conf=('[DEFAULT]\ndebug = true\n'
                        '[cc]\nstack_poll_interval = %s\n'
                        '[embedded_heat]\nnotification_transport_url = %s\n'
                        '[heat_notifications]\ntransport_url = %s\n'
                        % (POLL, cls.rabbit.url, cls.rabbit.url)))

    def so_client(self, instance_id):
        """An OCCI client of the CC with the credentials of the SO of
        ``instance_id`` (read from its environment)."""
        for environ in test_cc_hardening._so_processes(
                self.hurtle.conf_path).values():
            if environ.get('HURTLE_INSTANCE_ID') == instance_id:
                return occi_client.OCCIClient(self.hurtle.cc_url, headers={
                    'X-Auth-Token': environ['HURTLE_SO_SECRET'],
                    'X-Hurtle-App-Id': environ['HURTLE_APP_ID']})
        self.fail('no SO process for %s' % instance_id)

    def held_until(self, cc, stack, look, done):
        """Held GETs of ``stack`` (as the SO holds them) from ``look``
        until ``done(state)``: ``(last look, [seconds of each held GET
        that brought a change])``; NotFound ends it as the state None."""
        spans = []
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            state = look.info.attributes['hurtle.stack.state'] \
                if look.info else None
            if done(state):
                return look, spans
            t0 = time.monotonic()
            try:
                new = cc.look(stack, etag=look.etag, wait=HOLD)
            except errors.NotFound:
                spans.append(time.monotonic() - t0)
                return None, spans
            if new.changed:
                spans.append(time.monotonic() - t0)
                look = new
        self.fail('%s: no end within %d s' % (stack, TIMEOUT))

    def test_stack_waits_are_woken_by_the_bus(self):
        polling.poll_until(
            lambda: 'heat notifications: listening on' in _cc_log(
                self.hurtle.state), 60, 0.2, 'the CC to listen')
        location = self.create()
        self.assertEqual('active', self.wait_state(location,
                                                   {'active', 'failed'}))
        instance_id = location.rstrip('/').rsplit('/', 1)[1]
        cc = self.so_client(instance_id)
        # A stack of the SO's app that only this test waits for.
        stack = cc.create('/stack/', STACK, {
            'occi.core.title': 'bus-wait',
            'hurtle.stack.template': TEMPLATE})
        t0 = time.monotonic()
        look, create_spans = self.held_until(
            cc, stack, cc.look(stack), lambda s: s == 'CREATE_COMPLETE')
        created = time.monotonic() - t0
        cc.delete(stack)
        t0 = time.monotonic()
        _gone, delete_spans = self.held_until(cc, stack, cc.look(stack),
                                              lambda s: s is None)
        deleted = time.monotonic() - t0
        self.addDetail('seconds', content.text_content(
            'created in %.1f s (held GETs %s), deleted in %.1f s (%s)' % (
                created, ['%.1f' % x for x in create_spans], deleted,
                ['%.1f' % x for x in delete_spans])))
        # The CC's waits for the stack were ended by Heat's events, all
        # from the bus (this Heat posts none to /stack-events).
        heat_id = look.info.attributes['hurtle.stack.id']
        log = _cc_log(self.hurtle.state)
        self.assertIn('stack %s: woken by an event' % heat_id, log)
        self.assertNotIn('"POST /stack-events"', log)
        # Without them the held GET of the create lasts a step of the
        # hold loop (hurtle.occi.conditional.STEP, 5 s; [cc]
        # stack_poll_interval is longer): 5.2 s in runs without the
        # listener, against 2.2 s with it (the resource's 1 s and Heat's
        # work); too close on a loaded machine to assert more than this.
        self.assertTrue(create_spans)
        self.assertLess(max(create_spans + delete_spans),
                        2 * conditional.STEP)
        self.delete_and_wait(self.client, location, TIMEOUT)
        log = _cc_log(self.hurtle.state)
        for state in ('CREATE_IN_PROGRESS', 'CREATE_COMPLETE',
                      'DELETE_COMPLETE'):
            self.assertRegex(log, r'heat notifications: [0-9a-f-]{36} %s'
                             % state)
        self.assertIn('exchange heat, topics notifications, pool hurtle-cc',
                      log)
        # The URL (its user:password) is never logged.
        self.assertNotIn('guest:guest', _logs(self.hurtle.state))


class BusAwayTest(_Case):

    @classmethod
    def make_hurtle(cls):
        with socket.socket() as sock:
            sock.bind(('127.0.0.1', 0))
            cls.bus_port = sock.getsockname()[1]   # closed once unbound
        return hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,),
            extra_conf=('[heat_notifications]\n'
                        'transport_url = rabbit://hurtle:%s@127.0.0.1:%d/\n'
                        'probe_interval = 0.5\n'
                        % (PASSWORD, cls.bus_port)))

    def test_the_cc_serves_warns_once_and_hides_the_password(self):
        location = self.create()
        self.assertEqual('active', self.wait_state(location,
                                                   {'active', 'failed'}))
        self.delete_and_wait(self.client, location, TIMEOUT)
        log = _cc_log(self.hurtle.state)
        warnings = re.findall(r'WARNING hurtle\.cc\.heat_notifications .*',
                              log)
        self.assertEqual(1, len(warnings), log)
        self.assertIn('rabbit://127.0.0.1:%d' % self.bus_port, warnings[0])
        self.assertIn('stack_poll_interval', warnings[0])
        self.assertNotIn('heat notifications: listening', log)
        logs = _logs(self.hurtle.state)
        self.assertNotIn(PASSWORD, logs)
