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
"""The requests the Heat deployer sends to poll a stack.

A recording server on 127.0.0.1 answers as Heat's v1 API does
(heat/api/openstack/v1/stacks.py): ``/stacks/<id>`` is a look-up
redirected (302) to ``/stacks/<name>/<id>``; the stack's show resolves
its outputs unless ``resolve_outputs=False``. The functional tests run
the deployer against the real embedded Heat.
"""
import http.server
import threading
import urllib.parse

import testtools

from hurtle.sdk import deployer as deployers
from tests import conf_fixture
from tests import http_answers

STACK_ID = '6bd6d4ea-1b43-4c5e-9d5e-8c3a4b1e2f70'


class _Heat(http.server.BaseHTTPRequestHandler):

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        self.server.requests.append(self.path)
        parts = url.path.split('/')     # '', v1, p, stacks, ...
        if parts[4:] == [STACK_ID]:
            self.send_response(302)
            # Heat's look-up: an absolute URL, the query kept.
            self.send_header('Location', 'http://127.0.0.1:%d/v1/p/stacks/'
                             'web/%s%s' % (self.server.server_port, STACK_ID,
                                           '?' + url.query if url.query
                                           else ''))
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        self.server.polls += 1
        status = 'CREATE_IN_PROGRESS' if self.server.polls < 3 \
            else 'CREATE_COMPLETE'
        stack = {'id': STACK_ID, 'stack_name': 'web',
                 'stack_status': status, 'stack_status_reason': ''}
        if 'resolve_outputs=False' not in (url.query or ''):
            stack['outputs'] = [{'output_key': 'url',
                                 'output_value': 'http://web/'}]
        http_answers.send_json(self, 200, {'stack': stack})

    def log_message(self, *args):
        pass


class HeatPollTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        heat = http.server.ThreadingHTTPServer(('127.0.0.1', 0), _Heat)
        heat.requests, heat.polls = [], 0
        threading.Thread(target=heat.serve_forever, daemon=True).start()
        self.addCleanup(heat.server_close)
        self.addCleanup(heat.shutdown)
        self.heat = heat
        conf = self.useFixture(conf_fixture.HurtleConf(
            deployer__driver='heat',
            deployer__heat_url='http://127.0.0.1:%d/v1/%%(project)s'
            % heat.server_port, deployer__heat_project='p')).conf
        self.deployer = deployers.load(conf, 'p')

    def test_polls_skip_outputs_and_the_redirect_once_the_name_is_known(
            self):
        states = [self.deployer.details(STACK_ID).status for _ in range(2)]
        self.assertEqual(['CREATE_IN_PROGRESS'] * 2, states)
        done = self.deployer.details(STACK_ID)
        self.assertEqual('CREATE_COMPLETE', done.status)
        self.assertEqual({'url': 'http://web/'}, done.outputs)
        canonical = '/v1/p/stacks/web/%s' % STACK_ID
        self.assertEqual([
            # The first poll learns the name through Heat's redirect.
            '/v1/p/stacks/%s?resolve_outputs=False' % STACK_ID,
            canonical + '?resolve_outputs=False',
            canonical + '?resolve_outputs=False',
            canonical + '?resolve_outputs=False',
            # At rest: the outputs, once.
            canonical], self.heat.requests)
