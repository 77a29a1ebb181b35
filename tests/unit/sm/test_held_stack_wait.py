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
"""``SOCalls.wait_stack`` against a real SO application that holds GETs
(the stack's end is seen as soon as the SO tells of it, with few GETs)
and against SOs that answer at once (polled at the usual pace, never
spun)."""
import threading
import time

from hurtle.occi import server
from hurtle.sm import so_client
from hurtle.so import api
from tests.unit.sm import test_interrupted_stacks as scripted
from tests.unit.sm import test_transient_failures as transient
from tests.unit.so import test_held_get as held


class _Counted(object):
    """WSGI middleware counting GETs."""

    def __init__(self, app):
        self.app = app
        self.gets = 0

    def __call__(self, environ, start_response):
        if environ['REQUEST_METHOD'] == 'GET':
            self.gets += 1
        return self.app(environ, start_response)


class HeldWaitStackTest(transient._LifecycleCase):

    def setUp(self):
        super().setUp()
        self.conf.set_override('poll_interval', 1.0, group='sm')
        self.conf.set_override('phase_timeout', 20, group='sm')

    def serve_so(self, so, **options):
        counted = _Counted(api.make_application(lambda: so))
        srv, thread = server.serve_in_thread(counted, **options)
        self.addCleanup(thread.join, 5)
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        client = self.so('http://127.0.0.1:%d/' % srv.server_port)
        client.put(so_client.SO_PATH, so_client.ORCHESTRATOR, {})
        return client, counted

    def timed_wait(self, client):
        start = time.monotonic()
        info = self.wait_stack(transient._Operation(), client, 'deploy')
        return info, time.monotonic() - start

    def test_end_seen_when_the_so_tells(self):
        so = held._TellingSO()
        client, counted = self.serve_so(so)
        timer = threading.Timer(3.2, so.set, ('CREATE_COMPLETE',))
        timer.start()
        self.addCleanup(timer.join)
        info, took = self.timed_wait(client)
        self.assertEqual('CREATE_COMPLETE', so_client.stack_state(info))
        # Polling at 1 s would see it up to 1 s late; held GETs at once.
        self.assertLess(took, 3.2 + 0.5)
        # The first look, then a held GET every 2 s (HOLD) at most.
        self.assertLessEqual(counted.gets, 1 + 3.2 / so_client.HOLD + 1)

    def test_so_that_answers_at_once_is_polled_not_spun(self):
        so = held._SO()
        # max_wait 0: the SO answers 304 at once (not held).
        client, counted = self.serve_so(so, max_wait=0)
        timer = threading.Timer(2.0, setattr,
                                (so, 'status', 'CREATE_COMPLETE'))
        timer.start()
        self.addCleanup(timer.join)
        info, took = self.timed_wait(client)
        self.assertEqual('CREATE_COMPLETE', so_client.stack_state(info))
        # Pauses of 0.1 s growing to 1 s: about 6 looks in 2 s.
        self.assertLessEqual(counted.gets, 10)
        self.assertGreater(took, 1.9)

    def test_an_old_so_without_etags_is_polled_as_before(self):
        app = _Counted(scripted._ScriptedSO(('CREATE_IN_PROGRESS', ''), []))
        srv, thread = server.serve_in_thread(app)
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        client = self.so('http://127.0.0.1:%d/' % srv.server_port)

        def done():
            app.app.stack = ('CREATE_COMPLETE', '')
        timer = threading.Timer(2.0, done)
        timer.start()
        self.addCleanup(timer.join)
        info, took = self.timed_wait(client)
        self.assertEqual('CREATE_COMPLETE', so_client.stack_state(info))
        self.assertLessEqual(app.gets, 10)
        self.assertGreater(took, 1.9)
