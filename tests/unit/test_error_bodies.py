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
"""Error bodies of the SM's, the CC's and an SO's APIs, served on
127.0.0.1: the status is in the status line once, never in the body, in
every rendering, whether the application or the server refuses.

A tester saw "400 400 Bad Request: ..." from bad input to the SM: the
server's own refusals (a malformed head) put "400 Bad Request: " in
their body, and clients show "<status> <message>".
"""
import json
import os

import fixtures
import requests
import testtools

from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle.occi import server
from hurtle.so import api as so_api
from tests import net
from tests.unit.cc import test_app_api
from tests.unit.sm import sm_server
from tests.unit.so import test_state_file

BAD_CATEGORY = 'nope;;'
REFUSED = 'Category without a scheme: nope;;'


class StatusOnceMixin(object):
    """``self.url`` (the API's root, ending with "/") set by setUp;
    ``self.path`` where ``self.method`` has its body parsed."""

    headers = {}
    method = 'POST'

    def post(self, accept):
        return requests.request(
            self.method, self.url + self.path.lstrip('/'), timeout=10,
            headers=dict(self.headers, **{
                'Accept': accept, 'Content-Type': 'text/occi',
                'Category': BAD_CATEGORY}))

    def test_application_refusal_in_each_rendering(self):
        for accept in ('text/plain', 'text/occi'):
            resp = self.post(accept)
            self.assertEqual(400, resp.status_code, resp.text)
            self.assertEqual(accept, resp.headers['Content-Type'])
            self.assertEqual(REFUSED, resp.text)
        resp = self.post('application/occi+json')
        self.assertEqual(400, resp.status_code, resp.text)
        self.assertEqual({'message': REFUSED}, json.loads(resp.text))
        # A client says the status once.
        client = occi_client.OCCIClient(self.url, headers=self.headers,
                                        retries=0)
        err = self.assertRaises(
            errors.BadRequest, client.request, self.method, self.path,
            headers={'Content-Type': 'text/occi', 'Category': BAD_CATEGORY})
        self.assertEqual('400 ' + REFUSED, str(err))

    def test_server_refusal_says_its_reason_only(self):
        port = int(self.url.rstrip('/').rsplit(':', 1)[1])
        for accept in (b'text/plain', b'text/occi',
                       b'application/occi+json'):
            line = '%s %s HTTP/1.1\r\n' % (self.method, self.path)
            answer = net.exchange(
                port, line.encode() +
                b'Host: 127.0.0.1\r\nAccept: ' + accept + b'\r\n'
                b'Content-Length: 12x\r\n\r\n')
            head, _sep, body = answer.partition(b'\r\n\r\n')
            self.assertTrue(head.startswith(b'HTTP/1.1 400 Bad Request\r\n'),
                            answer)
            self.assertEqual(b'Invalid Content-Length.\n', body)


class SMErrorBodies(StatusOnceMixin, testtools.TestCase):

    path = '/svc/'

    def setUp(self):
        super().setUp()
        self.url = self.useFixture(
            sm_server.SMServer({'svc.size': 'required'})).url


class CCErrorBodies(StatusOnceMixin, testtools.TestCase):

    path = '/app/'
    headers = {'X-Project-Id': 'service'}

    def setUp(self):
        super().setUp()
        test_app_api.serve_cc(self)


class SOErrorBodies(StatusOnceMixin, testtools.TestCase):

    path = so_api.SO_PATH
    method = 'PUT'   # POST needs the SO to exist (404 first)

    def setUp(self):
        super().setUp()
        state = os.path.join(self.useFixture(fixtures.TempDir()).path,
                             'so.json')
        srv, _thread = server.serve_in_thread(so_api.make_application(
            lambda: test_state_file._SO(None), state))
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        self.url = 'http://127.0.0.1:%d/' % srv.server_port
