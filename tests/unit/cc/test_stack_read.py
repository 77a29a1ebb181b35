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
"""``StackBackend.retrieve`` reads a stack an event announced complete
in one Heat request, its outputs with it (``Deployer.details_at_rest``),
and reuses a read nothing can have outdated (``hurtle.cc.stack_reads``).

The CC's real backend, store (SQLite) and Heat deployer driver talk to a
recording server on 127.0.0.1 that answers as Heat's v1 API does (see
tests/unit/so/test_heat_requests.py); the embedded Heat is in the
functional tests.
"""
import http.server
import json
import threading
import types
import urllib.parse

import fixtures
import testtools

from hurtle.cc import so_auth
from hurtle.cc import stack_events
from hurtle.cc import stack_store
from hurtle.cc import stacks
from hurtle.db import migration
from hurtle.occi import errors
from hurtle.sdk import deployer as deployers
from tests import conf_fixture
from tests import http_answers

HEAT_ID = '0c6f6a3e-8d1b-4a52-9e3f-7b2d4c5e6f71'


class _Heat(http.server.BaseHTTPRequestHandler):
    """``GET /v1/p/stacks/web/<id>``: the stack in ``server.status``,
    its outputs unless ``resolve_outputs=False``; ``GET
    /v1/p/stacks/web`` (the look-up by name): ``server.lookup_status``
    if set, else 404 when ``server.name_free``, else the redirect to the
    stack, as Heat's."""

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        self.server.requests.append(self.path)
        if url.path == '/v1/p/stacks/web':
            if self.server.lookup_status:
                http_answers.send_json(self, self.server.lookup_status,
                                       {'code': self.server.lookup_status})
                return
            if self.server.name_free:
                http_answers.send_json(self, 404, {'code': 404})
                return
            self.send_response(302)
            self.send_header('Location', 'http://127.0.0.1:%d/v1/p/stacks/'
                             'web/%s' % (self.server.server_port, HEAT_ID))
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        stack = {'id': HEAT_ID, 'stack_name': 'web',
                 'stack_status': self.server.status,
                 'stack_status_reason': ''}
        if 'resolve_outputs=False' not in (url.query or ''):
            stack['outputs'] = [{'output_key': 'url',
                                 'output_value': 'http://web/'}]
        http_answers.send_json(self, 200, {'stack': stack})

    def do_PUT(self):
        length = int(self.headers.get('Content-Length') or 0)
        self.rfile.read(length)
        self.server.requests.append(self.command + ' ' + self.path)
        self.send_response(202)
        self.send_header('Content-Length', '0')
        self.end_headers()

    do_PATCH = do_PUT

    def log_message(self, *args):
        pass


class _StackReadCase(testtools.TestCase):
    """The CC's stack backend on a recording Heat, one stack ``web``."""

    def setUp(self):
        super().setUp()
        heat = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Heat)
        heat.requests, heat.status = [], 'CREATE_IN_PROGRESS'
        heat.name_free, heat.lookup_status = False, None
        threading.Thread(target=heat.serve_forever, daemon=True).start()
        self.addCleanup(heat.server_close)
        self.addCleanup(heat.shutdown)
        self.heat = heat
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            deployer__heat_url='http://127.0.0.1:%d/v1/%%(project)s'
            % heat.server_port, deployer__heat_project='p')).conf
        url = self.conf.database.connection
        migration.upgrade(url)
        self.store = stack_store.StackStore(url)
        self.hub = stack_events.Hub()
        self.backend = stacks.StackBackend(self.conf, self.store,
                                           events=self.hub)
        self.extras = {'environ': {so_auth.ENVIRON_KEY: so_auth.SOCaller(
            app_id='a1', project='p')}}
        self.store.claim('web', 'a1', 'web', None)
        entity = self.store.get('/stack/web', self.extras)
        entity.attributes.update({'hurtle.stack.id': HEAT_ID,
                                  'hurtle.stack.state':
                                  'CREATE_IN_PROGRESS'})
        self.store.update('/stack/web', entity, self.extras)

    def read(self):
        """``retrieve`` of the stack: (its attributes, Heat requests)."""
        del self.heat.requests[:]
        entity = self.store.get('/stack/web', self.extras)
        self.backend.retrieve(entity, self.extras)
        return entity.attributes, list(self.heat.requests)


class ReadAtRestTest(_StackReadCase):

    def test_announced_complete_is_one_request_with_outputs(self):
        self.heat.status = 'CREATE_COMPLETE'
        self.hub.notify(HEAT_ID, 'CREATE_COMPLETE')
        attrs, sent = self.read()
        self.assertEqual('CREATE_COMPLETE', attrs['hurtle.stack.state'])
        self.assertEqual({'url': 'http://web/'},
                         json.loads(attrs['hurtle.stack.outputs']))
        self.assertEqual(1, len(sent), sent)
        self.assertNotIn('resolve_outputs=False', sent[0])

    def test_found_complete_without_an_event_is_two_requests(self):
        self.heat.status = 'UPDATE_COMPLETE'
        attrs, sent = self.read()
        self.assertEqual({'url': 'http://web/'},
                         json.loads(attrs['hurtle.stack.outputs']))
        self.assertEqual(2, len(sent), sent)
        self.assertIn('resolve_outputs=False', sent[0])
        self.assertNotIn('resolve_outputs=False', sent[1])

    def test_in_progress_is_one_request_without_outputs(self):
        self.hub.notify(HEAT_ID, 'UPDATE_IN_PROGRESS')
        attrs, sent = self.read()
        self.assertEqual('CREATE_IN_PROGRESS', attrs['hurtle.stack.state'])
        self.assertEqual([True], ['resolve_outputs=False' in path
                                  for path in sent])

    def test_an_announcement_ahead_of_heat_reports_no_outputs(self):
        # Heat announces before it writes: the read may still show the
        # stack in progress; its outputs (resolved all the same) are not
        # reported until it is complete.
        self.hub.notify(HEAT_ID, 'CREATE_COMPLETE')
        attrs, sent = self.read()
        self.assertEqual('CREATE_IN_PROGRESS', attrs['hurtle.stack.state'])
        self.assertEqual({}, json.loads(attrs['hurtle.stack.outputs']))
        self.assertEqual(1, len(sent), sent)

    def test_deleted_stacks_have_no_outputs_due(self):
        self.assertFalse(deployers.outputs_due('DELETE_COMPLETE'))
        self.assertFalse(deployers.outputs_due('UPDATE_IN_PROGRESS'))
        self.assertFalse(deployers.outputs_due('CREATE_FAILED'))
        self.assertFalse(deployers.outputs_due(None))
        for status in ('CREATE_COMPLETE', 'UPDATE_COMPLETE',
                       'ROLLBACK_COMPLETE'):
            self.assertTrue(deployers.outputs_due(status), status)
            self.assertTrue(deployers.StackDetails('s', status).outputs_due)
        # A hint of a deleted stack (Heat announces before it writes):
        # the stack is read as usual, without outputs.
        self.heat.status = 'DELETE_IN_PROGRESS'
        self.hub.notify(HEAT_ID, 'DELETE_COMPLETE')
        attrs, sent = self.read()
        self.assertEqual('DELETE_IN_PROGRESS', attrs['hurtle.stack.state'])
        self.assertNotIn(stack_store.DELETED, attrs)
        self.assertEqual([True], ['resolve_outputs=False' in p
                                  for p in sent])


class DeletedTest(_StackReadCase):
    """A stack Heat announced ``DELETE_COMPLETE``: one read by id shows it
    deleted (``hurtle.stack.deleted``, still ``DELETE_IN_PROGRESS``),
    without asking for its name (Heat, finishing the delete, answers
    slowly then); once recorded so, each read is one look-up of its name,
    no read, and 404 once the name is free."""

    def test_announced_deleted_is_shown_deleted_then_gone_by_name(self):
        self.heat.status = 'DELETE_COMPLETE'
        self.heat.name_free = True
        self.hub.notify(HEAT_ID, 'DELETE_COMPLETE')
        attrs, sent = self.read()
        self.assertEqual('DELETE_IN_PROGRESS', attrs['hurtle.stack.state'])
        self.assertIs(True, attrs[stack_store.DELETED])
        self.assertEqual(1, len(sent), sent)
        self.assertIn('resolve_outputs=False', sent[0])
        # Recorded: the row says Heat deleted it.
        self.assertEqual(stack_store.DELETED_STATE,
                         self.store.rows_of('a1')[0].state)
        del self.heat.requests[:]
        self.assertRaises(errors.NotFound, self.read)
        self.assertEqual(['/v1/p/stacks/web'], self.heat.requests)
        self.assertIsNone(self.store.get('/stack/web', self.extras))

    def test_deleted_with_its_name_held_is_still_being_deleted(self):
        # Heat announces DELETE_COMPLETE, then frees the name: until then
        # the CC answers DELETE_IN_PROGRESS, deleted (a look-up each).
        self.heat.status = 'DELETE_COMPLETE'
        self.hub.notify(HEAT_ID, 'DELETE_COMPLETE')
        self.read()
        for _ in range(2):
            attrs, sent = self.read()
            self.assertEqual('DELETE_IN_PROGRESS',
                             attrs['hurtle.stack.state'])
            self.assertIs(True, attrs[stack_store.DELETED])
            self.assertEqual(['/v1/p/stacks/web'], sent)
        self.heat.name_free = True
        self.assertRaises(errors.NotFound, self.read)

    def test_read_deleted_without_an_event_looks_its_name_up(self):
        # No hint: the read comes first; DELETE_COMPLETE is then checked
        # with the look-up (free: gone; held: deleted).
        self.heat.status = 'DELETE_COMPLETE'
        attrs, sent = self.read()
        self.assertIs(True, attrs[stack_store.DELETED])
        self.assertEqual(2, len(sent), sent)
        self.assertIn('resolve_outputs=False', sent[0])

    def test_name_free_without_an_event_reads_first(self):
        self.heat.status = 'DELETE_COMPLETE'
        self.heat.name_free = True
        self.assertRaises(errors.NotFound, self.read)
        self.assertEqual(2, len(self.heat.requests))
        self.assertIn('resolve_outputs=False', self.heat.requests[0])

    def test_a_look_up_that_fails_for_a_deleted_stack_is_gone(self):
        # Read DELETE_COMPLETE (by id: Heat never undoes it), its name
        # unknown: gone, as a stack read deleted always was.
        self.heat.status = 'DELETE_COMPLETE'
        self.hub.notify(HEAT_ID, 'DELETE_COMPLETE')
        self.read()
        self.heat.lookup_status = 500
        self.assertRaises(errors.NotFound, self.read)


class ReuseTest(_StackReadCase):
    """Reads reused while the event source is live and silent."""

    def setUp(self):
        super().setUp()
        self.heat.status = 'CREATE_COMPLETE'
        self.hub.source_seen()
        self.read()

    def test_a_read_right_after_another_is_reused(self):
        attrs, sent = self.read()
        self.assertEqual([], sent)
        self.assertEqual('CREATE_COMPLETE', attrs['hurtle.stack.state'])
        self.assertEqual({'url': 'http://web/'},
                         json.loads(attrs['hurtle.stack.outputs']))
        self.assertEqual(1, self.backend.reads.reused)

    def test_an_event_since_reads_again(self):
        self.hub.notify(HEAT_ID, 'CREATE_COMPLETE')
        self.assertEqual(1, len(self.read()[1]))
        self.assertEqual([], self.read()[1])

    def test_an_event_without_state_reads_again(self):
        self.hub.notify(HEAT_ID, None)
        self.assertEqual(2, len(self.read()[1]))

    def test_another_stack_s_event_does_not(self):
        self.hub.notify('other', 'UPDATE_IN_PROGRESS')
        self.assertEqual([], self.read()[1])

    def test_no_live_source_reads_again(self):
        self.hub = stack_events.Hub()
        self.backend.events = self.hub
        self.backend.reads.hub = self.hub
        self.assertEqual(2, len(self.read()[1]))

    def test_an_announced_state_not_read_yet_reads_again(self):
        # The event came before the read (Heat announces, then writes):
        # while the hint and the read differ, Heat is asked again.
        self.heat.status = 'UPDATE_IN_PROGRESS'
        self.hub.notify(HEAT_ID, 'UPDATE_COMPLETE')
        self.read()
        self.assertEqual(1, len(self.read()[1]))

    def test_an_old_read_is_not_reused(self):
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.cc.stack_reads.REUSE_SECONDS', 0.0))
        self.assertEqual(2, len(self.read()[1]))

    def test_an_update_through_the_cc_reads_again(self):
        old = self.store.get('/stack/web', self.extras)
        self.backend.update(old, types.SimpleNamespace(
            title=None, attributes={'hurtle.stack.parameters': {}}),
            self.extras)
        self.heat.status = 'UPDATE_IN_PROGRESS'
        attrs, sent = self.read()
        self.assertEqual('UPDATE_IN_PROGRESS', attrs['hurtle.stack.state'])
        self.assertEqual(1, len(sent))

    def test_a_read_overlapping_a_write_is_not_kept(self):
        reads = self.backend.reads
        began = reads.begin()
        with reads.writing():
            pass
        details = deployers.StackDetails(HEAT_ID, 'CREATE_COMPLETE')
        reads.put('a1', HEAT_ID, details, began)
        self.assertIsNone(reads.get('a1', HEAT_ID))
        reads.put('a1', HEAT_ID, details, reads.begin())
        self.assertIs(details, reads.get('a1', HEAT_ID))
        # Another app's read of the same stack is its own.
        self.assertIsNone(reads.get('a2', HEAT_ID))

    def test_another_stack_s_write_does_not_read_again(self):
        # A write changes the stack it names only: with many SOs at
        # once, any write made every other stack be read again.
        reads = self.backend.reads
        with reads.writing(heat_id='other'):
            pass
        self.assertEqual([], self.read()[1])
        with reads.writing(app_id='a2'):
            pass
        self.assertEqual([], self.read()[1])

    def test_a_write_of_the_stack_or_its_app_reads_again(self):
        reads = self.backend.reads
        for scope in ({'heat_id': HEAT_ID}, {'app_id': 'a1'}, {}):
            with reads.writing(**scope):
                pass
            self.assertNotEqual([], self.read()[1], scope)
            self.assertEqual([], self.read()[1], scope)

    def test_a_read_overlapping_a_write_of_its_stack_is_not_kept(self):
        reads = self.backend.reads
        details = deployers.StackDetails(HEAT_ID, 'CREATE_COMPLETE')
        for scope in ({'heat_id': HEAT_ID}, {'app_id': 'a1'}):
            began = reads.begin()
            with reads.writing(**scope):
                pass
            reads.put('a1', HEAT_ID, details, began)
            self.assertIsNone(reads.get('a1', HEAT_ID), scope)
        began = reads.begin()
        with reads.writing(heat_id='other'):
            pass
        reads.put('a1', HEAT_ID, details, began)
        self.assertIs(details, reads.get('a1', HEAT_ID))

    def test_writes_forgotten_still_hold(self):
        # Past SIZE writes remembered, the oldest ones' moment holds for
        # every stack: a read that overlapped one is never kept.
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.cc.stack_reads.SIZE', 2))
        reads = self.backend.reads
        details = deployers.StackDetails(HEAT_ID, 'CREATE_COMPLETE')
        began = reads.begin()
        with reads.writing(heat_id=HEAT_ID):
            pass
        for other in ('x', 'y', 'z'):
            reads.written(heat_id=other)
        reads.put('a1', HEAT_ID, details, began)
        self.assertIsNone(reads.get('a1', HEAT_ID))
        reads.put('a1', HEAT_ID, details, reads.begin())
        self.assertIs(details, reads.get('a1', HEAT_ID))

    def test_the_second_announcement_of_a_state_read_is_no_change(self):
        # Heat announces CREATE_COMPLETE before it writes it and again
        # once written: a read between that found it written stands.
        self.hub.notify(HEAT_ID, 'CREATE_COMPLETE')
        self.assertEqual(1, len(self.read()[1]))
        self.hub.notify(HEAT_ID, 'CREATE_COMPLETE')
        self.assertEqual([], self.read()[1])

    def test_another_state_in_between_reads_again(self):
        for between in ('UPDATE_IN_PROGRESS', None):
            self.hub.notify(HEAT_ID, 'CREATE_COMPLETE')
            self.read()
            self.hub.notify(HEAT_ID, between)
            self.hub.notify(HEAT_ID, 'CREATE_COMPLETE')
            self.assertNotEqual([], self.read()[1], between)

    def test_deleting_stacks_are_not_kept(self):
        reads = self.backend.reads
        reads.put('a1', 'x', deployers.StackDetails('x', 'DELETE_COMPLETE'),
                  reads.begin())
        self.assertIsNone(reads.get('a1', 'x'))


class HubChangedSinceTest(testtools.TestCase):

    def test_events_and_what_the_hub_cannot_tell(self):
        now = [100.0]
        hub = stack_events.Hub(clock=lambda: now[0])
        self.assertFalse(hub.changed_since('s', 100.0))
        now[0] = 100.5
        hub.notify('s', 'CREATE_COMPLETE')
        self.assertTrue(hub.changed_since('s', 100.0))
        self.assertFalse(hub.changed_since('s', 100.6))
        self.assertFalse(hub.changed_since('t', 100.0))
        now[0] = 100.0 + stack_events.HINT_SECONDS + 1
        self.assertTrue(hub.changed_since('t', 100.0))

    def test_a_run_of_one_state_announced_before_a_read(self):
        now = [100.0]
        hub = stack_events.Hub(clock=lambda: now[0])
        hub.notify('s', 'CREATE_COMPLETE')        # before the write
        now[0] = 100.1                            # the read begins
        now[0] = 100.2
        hub.notify('s', 'CREATE_COMPLETE')        # once written
        self.assertTrue(hub.changed_since('s', 100.1))
        self.assertFalse(hub.changed_since('s', 100.1,
                                           unless='CREATE_COMPLETE'))
        self.assertTrue(hub.changed_since('s', 100.1,
                                          unless='CREATE_IN_PROGRESS'))
        # A run that began after the read vouches for nothing.
        self.assertTrue(hub.changed_since('s', 99.9,
                                          unless='CREATE_COMPLETE'))
        # Another state, or none, breaks the run.
        for between in ('UPDATE_IN_PROGRESS', None):
            now[0] += 0.1
            hub.notify('s', between)
            now[0] += 0.1
            hub.notify('s', 'CREATE_COMPLETE')
            self.assertTrue(hub.changed_since('s', 100.1,
                                              unless='CREATE_COMPLETE'),
                            between)
