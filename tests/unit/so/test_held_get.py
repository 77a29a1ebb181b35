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
"""The SO API holds a GET of ``/orchestrator/default`` until the SO's
state changes (its ``await_change``), served by the real SO application
and server; actions are not blocked meanwhile."""
import threading
import time

import testtools

from hurtle.occi import client as occi_client
from hurtle.occi import server
from hurtle.sdk import orchestrator
from hurtle.sm import so_client
from hurtle.so import api


class _SO(orchestrator.ServiceOrchestrator):
    """Its stack state is set by the test; ``deploy`` sets it too."""

    def __init__(self, context=None):
        super().__init__(context)
        self.status = 'CREATE_IN_PROGRESS'

    def deploy(self, attributes):
        self.status = 'DEPLOYED'

    def provision(self, attributes):
        pass

    def dispose(self):
        pass

    def state(self):
        return orchestrator.SOState(stack_state=self.status, stack_id='s1')


class _TellingSO(_SO):
    """Tells of its changes: ``await_change`` ends when ``set`` is
    called."""

    def __init__(self, context=None):
        super().__init__(context)
        self.changed = threading.Condition()
        self.awaited = []

    def set(self, status):
        with self.changed:
            self.status = status
            self.changed.notify_all()

    def await_change(self, timeout):
        self.awaited.append(timeout)
        with self.changed:
            self.changed.wait(timeout)


class HeldGetTest(testtools.TestCase):

    def serve(self, so):
        application = api.make_application(lambda: so)
        srv, thread = server.serve_in_thread(application)
        self.addCleanup(thread.join, 5)
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        client = occi_client.OCCIClient(
            'http://127.0.0.1:%d' % srv.server_port, timeout=5, retries=0)
        client.put(so_client.SO_PATH, so_client.ORCHESTRATOR, {})
        return client

    def later(self, seconds, func, *args):
        thread = threading.Timer(seconds, func, args)
        thread.start()
        self.addCleanup(thread.join)

    def test_held_until_the_so_tells_of_a_change(self):
        so = _TellingSO()
        client = self.serve(so)
        first = client.look(so_client.SO_PATH)
        self.assertEqual('CREATE_IN_PROGRESS',
                         so_client.stack_state(first.info))
        self.later(0.5, so.set, 'CREATE_COMPLETE')
        start = time.monotonic()
        look = client.look(so_client.SO_PATH, etag=first.etag, wait=10)
        took = time.monotonic() - start
        self.assertTrue(look.held)
        self.assertTrue(look.changed)
        self.assertEqual('CREATE_COMPLETE', so_client.stack_state(look.info))
        self.assertGreater(took, 0.4)
        self.assertLess(took, 3)
        self.assertTrue(so.awaited)

    @staticmethod
    def second_client(client):
        """Another client of the same SO (acting while ``client``'s GET
        is held)."""
        return occi_client.OCCIClient(client.endpoint, timeout=5,
                                      retries=0)

    def test_a_held_get_does_not_block_actions(self):
        so = _TellingSO()
        client = self.serve(so)
        first = client.look(so_client.SO_PATH)
        other = self.second_client(client)
        self.later(0.3, other.action, so_client.SO_PATH, so_client.DEPLOY,
                   {})
        start = time.monotonic()
        look = client.look(so_client.SO_PATH, etag=first.etag, wait=3)
        # The deploy ran while the GET was held (the SO told of no change:
        # the hold ended at its wait, and the deploy's state shows).
        self.assertEqual('DEPLOYED', so_client.stack_state(look.info))
        self.assertGreater(time.monotonic() - start, 2.5)

    def test_default_await_change_looks_every_half_second(self):
        so = _SO()
        client = self.serve(so)
        first = client.look(so_client.SO_PATH)
        self.later(0.2, setattr, so, 'status', 'CREATE_COMPLETE')
        start = time.monotonic()
        look = client.look(so_client.SO_PATH, etag=first.etag, wait=10)
        took = time.monotonic() - start
        self.assertTrue(look.changed)
        self.assertEqual('CREATE_COMPLETE', so_client.stack_state(look.info))
        self.assertLess(took, orchestrator.AWAIT_STEP + 1)

    def test_gone_meanwhile_is_404(self):
        so = _TellingSO()
        client = self.serve(so)
        first = client.look(so_client.SO_PATH)
        other = self.second_client(client)

        def dispose():
            other.delete(so_client.SO_PATH)
            so.set('GONE')
        self.later(0.3, dispose)
        self.assertRaises(occi_client.errors.NotFound, client.look,
                          so_client.SO_PATH, etag=first.etag, wait=10)

    def test_a_failing_await_change_ends_the_hold(self):
        so = _SO()
        calls = []

        def broken(timeout):
            calls.append(timeout)
            raise RuntimeError('boom')
        so.await_change = broken
        client = self.serve(so)
        first = client.look(so_client.SO_PATH)
        start = time.monotonic()
        look = client.look(so_client.SO_PATH, etag=first.etag, wait=2)
        self.assertFalse(look.changed)
        # Each failure waits a short step: the SO is not spun.
        self.assertLessEqual(len(calls), 2 / api.FAILED_WAIT_STEP + 1)
        self.assertGreater(time.monotonic() - start, 1.5)
