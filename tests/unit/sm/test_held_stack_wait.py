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

import fixtures

from hurtle.occi import server
from hurtle.sdk import orchestrator
from hurtle.sm import so_client
from hurtle.so import api
from tests.unit.sm import test_interrupted_stacks as scripted
from tests.unit.sm import test_transient_failures as transient
from tests.unit.so import test_held_get as held


class _Counted(object):
    """WSGI middleware counting GETs (``tags``: the ``If-None-Match`` of
    each, None when absent)."""

    def __init__(self, app):
        self.app = app
        self.gets = 0
        self.tags = []

    def __call__(self, environ, start_response):
        if environ['REQUEST_METHOD'] == 'GET':
            self.gets += 1
            self.tags.append(environ.get('HTTP_IF_NONE_MATCH'))
        return self.app(environ, start_response)


class _ChangingSO(held._SO):
    """Every answer differs (an output counts the reads)."""

    reads = 0

    def state(self):
        self.reads += 1
        return orchestrator.SOState(stack_state=self.status, stack_id='s1',
                                    outputs={'reads': str(self.reads)})


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

    def timed_wait(self, client, known=None):
        start = time.monotonic()
        info = self.wait_stack(transient._Operation(), client, 'deploy',
                               known=known)
        return info, time.monotonic() - start

    def no_pauses(self):
        """Pauses between looks far longer than the tests take."""
        self.conf.set_override('poll_interval', 30.0, group='sm')
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.sm.so_client.FIRST_POLL', 20.0))

    def test_the_first_held_look_goes_out_at_once(self):
        # The first look (no ETag yet) brought the state: the held look
        # follows without a pause.
        self.no_pauses()
        so = held._TellingSO()
        client, counted = self.serve_so(so)
        timer = threading.Timer(0.5, so.set, ('CREATE_COMPLETE',))
        timer.start()
        self.addCleanup(timer.join)
        info, took = self.timed_wait(client)
        self.assertEqual('CREATE_COMPLETE', so_client.stack_state(info))
        self.assertLess(took, 5)
        # A plain GET, then held ones.
        self.assertIsNone(counted.tags[0])
        self.assertIsNotNone(counted.tags[1])

    def test_a_known_answer_sends_its_etag_first(self):
        # The first look sends the known ETag unheld (304 at once); the
        # held look follows it without a pause.
        self.no_pauses()
        so = held._TellingSO()
        client, counted = self.serve_so(so)
        known = client.look(so_client.SO_PATH)
        sent = counted.gets
        timer = threading.Timer(0.5, so.set, ('UPDATE_COMPLETE',))
        timer.start()
        self.addCleanup(timer.join)
        start = time.monotonic()
        look = self.lifecycle.phases.so_calls.wait_rest(
            transient._Operation(), client, 'provision', known=known)
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual('UPDATE_COMPLETE', so_client.stack_state(look.info))
        # The unheld look with the known ETag, then a held one at most.
        self.assertLessEqual(counted.gets, sent + 2)
        self.assertEqual(known.etag, counted.tags[sent])
        self.assertIsNotNone(look.etag)
        self.assertNotEqual(known.etag, look.etag)

    def test_a_known_answer_at_rest_is_not_held(self):
        # A phase that changed nothing of the SO's answer (an SO whose
        # provision leaves its stack): at rest at the first look, which
        # the SO answers at once (304), not after a hold.
        so = held._TellingSO()
        so.status = 'CREATE_COMPLETE'
        client, counted = self.serve_so(so)
        known = client.look(so_client.SO_PATH)
        sent = counted.gets
        start = time.monotonic()
        look = self.lifecycle.phases.so_calls.wait_rest(
            transient._Operation(), client, 'provision', known=known)
        self.assertLess(time.monotonic() - start, so_client.HOLD / 2)
        self.assertEqual('CREATE_COMPLETE', so_client.stack_state(look.info))
        self.assertEqual(known.etag, look.etag)
        self.assertEqual(sent + 1, counted.gets)
        self.assertEqual([], so.awaited)

    def assert_polled_not_spun(self, so, most_gets):
        """``so`` answers at once (not held) and reaches CREATE_COMPLETE
        after 2 s: the wait sees it after at most ``most_gets`` GETs."""
        client, counted = self.serve_so(so, max_wait=0)
        timer = threading.Timer(2.0, setattr,
                                (so, 'status', 'CREATE_COMPLETE'))
        timer.start()
        self.addCleanup(timer.join)
        info, took = self.timed_wait(client)
        self.assertEqual('CREATE_COMPLETE', so_client.stack_state(info))
        self.assertLessEqual(counted.gets, most_gets)
        self.assertGreater(took, 1.9)

    def test_an_so_whose_every_answer_differs_is_not_spun(self):
        # Two looks per pause at most (0.1 s growing to 1 s).
        self.assert_polled_not_spun(_ChangingSO(), 20)

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
        # max_wait 0: the SO answers 304 at once (not held). Pauses of
        # 0.1 s growing to 1 s: about 6 looks in 2 s.
        self.assert_polled_not_spun(held._SO(), 10)

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

    def test_on_look_sees_each_change(self):
        so = held._TellingSO()
        client, counted = self.serve_so(so)
        for status, at in (('CREATE_IN_PROGRESS', 0.3),
                           ('CREATE_COMPLETE', 0.6)):
            timer = threading.Timer(at, so.set, (status,))
            timer.start()
            self.addCleanup(timer.join)
        so.set('NOT_DEPLOYED_YET')
        seen = []
        look = self.lifecycle.phases.so_calls.wait_rest(
            transient._Operation(), client, 'deploy',
            on_look=lambda info: seen.append(so_client.stack_state(info)))
        self.assertEqual(['NOT_DEPLOYED_YET', 'CREATE_IN_PROGRESS',
                          'CREATE_COMPLETE'], seen)
        self.assertEqual('CREATE_COMPLETE', so_client.stack_state(look.info))

    def test_an_error_of_on_look_ends_the_wait(self):
        client, _counted = self.serve_so(held._TellingSO())

        def refuse(info):
            raise RuntimeError('superseded')
        self.assertRaises(RuntimeError,
                          self.lifecycle.phases.so_calls.wait_rest,
                          transient._Operation(), client, 'deploy',
                          on_look=refuse)
