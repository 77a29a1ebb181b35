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
"""The SM's stack polling rides out an unreachable SO or deployer until
the phase deadline; the reason it gives names the component, not a URL.

A small WSGI stand-in for an SO (the SO API's ``GET``) is served on
127.0.0.1 and answers 503 as an SO does while Heat is unreachable.
"""
import threading
import time

import testtools

from hurtle.occi import server
from hurtle.sm import lifecycle
from hurtle.sm import peers
from hurtle.sm import scheduling
from tests import conf_fixture
from tests import net

SENTENCE = 'state: orchestration service unreachable'


class _FlakySO(object):
    """``GET /orchestrator/default``: 503 ``unavailable`` times, then the
    stack complete."""

    def __init__(self, unavailable):
        self.unavailable = unavailable
        self.calls = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.calls += 1
            down = self.calls <= self.unavailable
        if down:
            body = SENTENCE.encode()
            start_response('503 Service Unavailable', [
                ('Content-Type', 'text/plain'),
                ('Content-Length', str(len(body)))])
            return [body]
        body = ('Category: orchestrator; scheme="http://schemas.mobile-'
                'cloud-networking.eu/occi/service#"; class="kind"\n'
                'X-OCCI-Attribute: occi.mcn.stack.state="CREATE_COMPLETE"\n'
                'X-OCCI-Attribute: occi.mcn.stack.id="s1"\n').encode()
        start_response('200 OK', [('Content-Type', 'text/plain'),
                                  ('Content-Length', str(len(body)))])
        return [body]


class _Operation(object):
    """The lifecycle's view of an operation that is never superseded."""

    instance_id = 'i1'
    stopping = None

    def row(self):
        return None

    def check(self):
        pass


class _SO(peers.ComponentClient):
    """An SO client whose CC knows no other address for the SO (the
    lifecycle's ``FollowedSO`` asks the CC after a connection failure)."""

    def refresh(self):
        pass


class _LifecycleCase(testtools.TestCase):
    """A lifecycle without store or CC, and SO stand-ins served here."""

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            sm__poll_interval=0.05, sm__phase_timeout=3,
            sm__call_retries=0)).conf
        self.lifecycle = lifecycle.Lifecycle(self.conf, None, {})
        self.addCleanup(self.lifecycle.shutdown)
        self.wait_stack = self.lifecycle.phases.so_calls.wait_stack

    def so(self, url):
        return _SO('service orchestrator (SO)', url, retries=0, timeout=5)

    def serve(self, app):
        srv, _thread = server.serve_in_thread(app)
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        return 'http://127.0.0.1:%d/' % srv.server_port


class WaitStackTest(_LifecycleCase):

    def test_503_from_the_so_is_transient(self):
        app = _FlakySO(unavailable=4)
        info = self.wait_stack(_Operation(), self.so(self.serve(app)),
                               'deploy')
        self.assertEqual('CREATE_COMPLETE',
                         info.attributes['occi.mcn.stack.state'])
        self.assertEqual(5, app.calls)

    def test_503_past_the_deadline_gives_the_so_sentence(self):
        app = _FlakySO(unavailable=10 ** 6)
        err = self.assertRaises(scheduling.PhaseError,
                                self.wait_stack, _Operation(),
                                self.so(self.serve(app)), 'deploy')
        self.assertEqual('deploy did not complete within 3 s: ' + SENTENCE,
                         str(err))

    def test_unreachable_so_names_the_component_not_the_url(self):
        port = net.held_port(self)
        err = self.assertRaises(scheduling.PhaseError,
                                self.wait_stack, _Operation(),
                                self.so('http://127.0.0.1:%d/' % port),
                                'provision')
        self.assertEqual('provision did not complete within 3 s: service '
                         'orchestrator (SO) unreachable', str(err))


class _Row(object):
    operation = 1


class _Store(object):
    """The instance record stays with operation 1."""

    def load(self, instance_id):
        return _Row()

    ownership = load


class ShutdownTest(_LifecycleCase):
    """A lifecycle waiting on an unavailable SO stops when the SM shuts
    down (it must not hold the process until its phase deadline)."""

    def test_waiting_lifecycle_stops_at_shutdown(self):
        self.conf.set_override('phase_timeout', 600, group='sm')
        so = self.so(self.serve(_FlakySO(unavailable=10 ** 6)))
        op = scheduling.Operation(_Store(), 'i1', 1,
                                  self.lifecycle.scheduler.stopping)
        raised = []

        def wait():
            try:
                self.wait_stack(op, so, 'deploy')
            except Exception as exc:
                raised.append(exc)
        thread = threading.Thread(target=wait)
        thread.start()
        time.sleep(0.5)
        self.assertTrue(thread.is_alive())
        self.lifecycle.shutdown(wait=False)
        thread.join(10)
        self.assertFalse(thread.is_alive())
        self.assertIsInstance(raised[0], scheduling.Stopping)
