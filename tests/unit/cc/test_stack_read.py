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
in one Heat request, its outputs with it (``Deployer.details_at_rest``).

The CC's real backend, store (SQLite) and Heat deployer driver talk to a
recording server on 127.0.0.1 that answers as Heat's v1 API does (see
tests/unit/so/test_heat_requests.py); the embedded Heat is in the
functional tests.
"""
import http.server
import json
import threading
import urllib.parse

import testtools

from hurtle.cc import so_auth
from hurtle.cc import stack_events
from hurtle.cc import stack_store
from hurtle.cc import stacks
from hurtle.db import migration
from hurtle.sdk import deployer as deployers
from tests import conf_fixture
from tests import http_answers

HEAT_ID = '0c6f6a3e-8d1b-4a52-9e3f-7b2d4c5e6f71'


class _Heat(http.server.BaseHTTPRequestHandler):
    """``GET /v1/p/stacks/web/<id>``: the stack in ``server.status``,
    its outputs unless ``resolve_outputs=False``."""

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        self.server.requests.append(self.path)
        stack = {'id': HEAT_ID, 'stack_name': 'web',
                 'stack_status': self.server.status,
                 'stack_status_reason': ''}
        if 'resolve_outputs=False' not in (url.query or ''):
            stack['outputs'] = [{'output_key': 'url',
                                 'output_value': 'http://web/'}]
        http_answers.send_json(self, 200, {'stack': stack})

    def log_message(self, *args):
        pass


class ReadAtRestTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        heat = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Heat)
        heat.requests, heat.status = [], 'CREATE_IN_PROGRESS'
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
        # A hint of a deleted stack reads it as usual.
        self.heat.status = 'DELETE_IN_PROGRESS'
        self.hub.notify(HEAT_ID, 'DELETE_COMPLETE')
        attrs, sent = self.read()
        self.assertEqual('DELETE_IN_PROGRESS', attrs['hurtle.stack.state'])
        self.assertEqual(['resolve_outputs=False' in p for p in sent],
                         [True])
