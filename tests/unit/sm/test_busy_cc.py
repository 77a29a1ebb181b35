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
"""A CC whose pool of connections is full answers 503 "Service busy";
the SM's initialise asks it again until the phase deadline instead of
failing the instance at the first 503; so does a CC that is not
listening (down, or not yet back after a restart).

A real CC (``hurtle.cc.api`` over HTTP, the ``local`` runtime, a pool of
:data:`POOL` connections) is made busy as a local user would: every
worker holds a connection that sent half a request head.
"""
import socket
import time
import urllib.parse

import testtools

from hurtle.occi import client as occi_client
from hurtle.occi import server
from hurtle.sm import states
from tests import net
from tests.unit.cc import test_app_api
from tests.unit.sm import sm_server

KIND = occi_client.CategoryRef('http://example.org/occi/sm#', 'svc', 'kind')
#: Connections the CC serves at once in these tests.
POOL = 2


class BusyCCTest(testtools.TestCase):

    def serve(self, phase_timeout):
        test_app_api.serve_cc(
            self, server_options={'pool_size': POOL, 'header_timeout': 60},
            cc__allowed_images=[test_app_api.BUNDLE])
        self.sm = self.useFixture(sm_server.SMServer(
            {'svc.size': ''}, so_bundle=test_app_api.BUNDLE,
            cc_url=self.url, sm__phase_timeout=phase_timeout))

    def hold_the_cc(self):
        """Take every worker of the CC; returns the sockets (closing them
        frees the workers)."""
        port = urllib.parse.urlsplit(self.url).port
        held = []
        for _ in range(POOL):
            sock = socket.create_connection(('127.0.0.1', port), timeout=10)
            self.addCleanup(sock.close)
            sock.sendall(b'GET /-/ HTTP/1.1\r\nHost: 127.0.0.1\r\n')
            held.append(sock)
        # The next connection is refused with 503.
        resp = self.client.session.get(self.url + '-/', timeout=10)
        self.assertEqual(503, resp.status_code)
        return held

    def state(self, location):
        return self.sm.client.get(location).attributes

    def wait_until(self, location, done, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            attrs = self.state(location)
            if done(attrs):
                return attrs
            time.sleep(0.1)
        self.fail('instance still %s' % attrs)

    def assert_past_initialise(self, location):
        """The instance leaves initialise with its SO started: the SO's
        URL recorded, its app active at the CC. Its deploy may then
        fail (there is no Heat here), never its initialise."""
        attrs = self.wait_until(
            location, lambda a: a['mcn.service.state'] not in (
                states.INITIALISE, states.ACTIVATE), 60)
        reason = attrs.get('mcn.service.state.reason') or ''
        self.assertFalse(reason.startswith(states.INITIALISE), reason)
        self.assertTrue(attrs.get('occi.so.url'), attrs)
        app = self.client.get('/app/%s' % attrs['occi.core.id'])
        self.assertEqual('active', app.attributes['occi.app.state'])

    def test_busy_cc_delays_the_start_until_it_serves_again(self):
        self.serve(phase_timeout=120)
        held = self.hold_the_cc()
        location = self.sm.client.create('/svc/', KIND, {'svc.size': 1})
        time.sleep(4)   # the trial's instance had failed after about 4 s
        attrs = self.state(location)
        self.assertEqual(states.INITIALISE, attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        for sock in held:
            sock.close()
        # The SO is started once the CC serves again: the instance gets
        # past initialise.
        self.assert_past_initialise(location)

    def test_cc_busy_past_the_deadline_fails_naming_the_cc(self):
        self.serve(phase_timeout=3)
        self.hold_the_cc()
        started = time.monotonic()
        location = self.sm.client.create('/svc/', KIND, {'svc.size': 1})
        attrs = self.wait_until(
            location, lambda a: a['mcn.service.state'] == states.FAILED, 30)
        self.assertGreaterEqual(time.monotonic() - started, 3)
        self.assertEqual(
            'initialise did not complete within 3 s: the cloud controller '
            '(CC) answers 503: Service busy; retry later.',
            attrs['mcn.service.state.reason'])

    def test_cc_not_listening_delays_the_start_until_it_listens(self):
        # An SM whose CC was down, or not yet listening after a restart
        # of hurtle-all, failed the instance after [sm] call_retries.
        test_app_api.serve_cc(self, cc__allowed_images=[test_app_api.BUNDLE])
        port = net.held_port(self)   # where the CC will listen
        self.conf.set_override('url', 'http://127.0.0.1:%d/' % port,
                               group='cc')
        self.sm = self.useFixture(sm_server.SMServer(
            {'svc.size': ''}, so_bundle=test_app_api.BUNDLE,
            cc_url='http://127.0.0.1:%d/' % port, sm__phase_timeout=120))
        location = self.sm.client.create('/svc/', KIND, {'svc.size': 1})
        time.sleep(3)
        attrs = self.state(location)
        self.assertEqual(states.INITIALISE, attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        srv, _thread = server.serve_in_thread(self.cc_application,
                                              port=port)
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        self.assert_past_initialise(location)
