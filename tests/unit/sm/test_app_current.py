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
"""Where an instance's SO serves (``SOCalls.current``): the app the start
just answered is not asked for again; any other look asks the CC.

The CC is a recording stand-in over HTTP (its ``GET /app/<id>`` answers
the app's state and URL); the instance's row and operation are plain
objects (``current`` reads the row's URLs and records a new SO URL with
``op.move``).
"""
import http.server
import threading
import types

import testtools

from hurtle.occi import client as occi_client
from hurtle.sm import so_client
from tests import conf_fixture
from tests import http_answers

APP = occi_client.CategoryRef('http://schemas.hurtle.it/occi/cc#', 'app')


class _CC(http.server.BaseHTTPRequestHandler):

    def do_GET(self):
        self.server.gets.append(self.path)
        http_answers.send_json(self, 200, {'resources': [{
            'id': 'i1', 'kind': str(APP), 'attributes': {
                'occi.app.state': 'active',
                'occi.app.url': 'http://127.0.0.1:1/'}}]})

    def log_message(self, *args):
        pass


class _Op(object):
    instance_id = 'i1'
    stopping = None

    def __init__(self):
        self.moves = []

    def check(self):
        pass

    def move(self, state, **fields):
        self.moves.append((state, fields))
        return types.SimpleNamespace(state=state, **fields)


class CurrentTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        cc = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _CC)
        cc.gets = []
        threading.Thread(target=cc.serve_forever, daemon=True).start()
        self.addCleanup(cc.server_close)
        self.addCleanup(cc.shutdown)
        self.cc = cc
        url = 'http://127.0.0.1:%d' % cc.server_port
        client = occi_client.OCCIClient(url, retries=0,
                                        content_type=occi_client.OCCI_JSON,
                                        accept=occi_client.OCCI_JSON)
        conf = self.useFixture(conf_fixture.HurtleConf()).conf
        peers = types.SimpleNamespace(cc=lambda: client,
                                      retire_session=lambda: None,
                                      forget_endpoint=lambda url: None)
        self.calls = so_client.SOCalls(conf, peers)
        self.row = types.SimpleNamespace(
            id='i1', state='initialise', reason='', so_url=None,
            app_url=url + '/app/i1')

    def app(self, state):
        return occi_client.EntityInfo(
            '/app/i1', kind=APP, attributes={
                'occi.app.state': state,
                'occi.app.url': 'http://127.0.0.1:2/'})

    def test_the_app_the_start_answered_is_not_asked_again(self):
        op = _Op()
        row = self.calls.current(op, self.row, app=self.app('active'))
        self.assertEqual([], self.cc.gets)
        self.assertEqual('http://127.0.0.1:2/', row.so_url)

    def test_without_it_or_not_active_the_cc_is_asked(self):
        for app in (None, self.app('starting')):
            del self.cc.gets[:]
            row = self.calls.current(_Op(), self.row, app=app)
            self.assertEqual(['/app/i1'], self.cc.gets)
            self.assertEqual('http://127.0.0.1:1/', row.so_url)
