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
"""The SO's state file (hurtle.so.api): restored at start, kept 0600,
and, when unusable, every request is 409 saying why until the file is
fixed or removed (no crash loop, no fresh start that forgets the
stack). The SO API is served on 127.0.0.1 by the real OCCI server."""
import json
import os
import stat

import fixtures
import requests
import testtools

from hurtle.occi import categories
from hurtle.occi import client as occi_client
from hurtle.occi import server
from hurtle import sdk
from hurtle.so import api as so_api

ORCHESTRATOR = occi_client.CategoryRef.of(categories.ORCHESTRATOR)
METHODS = ('GET', 'POST', 'PUT', 'DELETE')


class _SO(sdk.ServiceOrchestrator):
    """Remembers a stack id; refuses a snapshot without one."""

    def initialise(self, attributes):
        self.stack_id = 'stack-1'

    def deploy(self, attributes):
        self.stack_id = 'stack-2'

    def provision(self, attributes):
        self.stack_id += '-provisioned'

    def dispose(self):
        self.stack_id = ''

    def state(self):
        return sdk.SOState(stack_state='CREATE_COMPLETE',
                           stack_id=self.stack_id)

    def snapshot(self):
        return {'stack_id': self.stack_id}

    def restore(self, data):
        self.stack_id = data['stack_id']


class StateFileTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                 'i1.json')
        self.log = self.useFixture(fixtures.FakeLogger(name='hurtle.so'))

    def serve(self):
        """A new SO process's API on the state file: its base URL."""
        srv, _thread = server.serve_in_thread(so_api.make_application(
            lambda: _SO(None), self.path))
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        return 'http://127.0.0.1:%d' % srv.server_port

    def create(self):
        url = self.serve()
        occi_client.OCCIClient(url + '/', retries=0).put(
            so_api.SO_PATH, ORCHESTRATOR, {'x': 'secret-ish'})
        return url

    def refusals(self, url):
        bodies = set()
        for method in METHODS:
            resp = requests.request(method, url + so_api.SO_PATH,
                                    timeout=10)
            self.assertEqual(409, resp.status_code, method)
            self.assertNotIn(self.path, resp.text)
            bodies.add(resp.text.strip())
        return bodies

    def test_a_new_process_restores_the_so_from_its_0600_file(self):
        self.create()
        self.assertEqual(0o600, stat.S_IMODE(os.stat(self.path).st_mode))
        entity = occi_client.OCCIClient(self.serve() + '/',
                                        retries=0).get(so_api.SO_PATH)
        self.assertEqual('stack-1',
                         entity.attributes['occi.mcn.stack.id'])
        self.assertEqual('secret-ish', entity.attributes['x'])

    def test_not_json_is_409_until_fixed_then_served_without_restart(self):
        self.create()
        with open(self.path) as handle:
            good = handle.read()
        with open(self.path, 'w') as handle:
            handle.write('{"so": {"stack_')
        url = self.serve()
        self.assertEqual({"the SO's saved state is unusable (it is not "
                          "JSON)"}, self.refusals(url))
        # Logged once, with the path, not at every request.
        self.assertEqual(1, self.log.output.count(
            'the state file %s is unusable: it is not JSON' % self.path))
        with open(self.path, 'w') as handle:
            handle.write(good)
        resp = requests.get(url + so_api.SO_PATH, timeout=10)
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertIn('stack-1', resp.text)

    def test_why_it_is_unusable(self):
        cases = [
            (lambda: os.mkdir(self.path), 'it cannot be read (EISDIR)'),
            (lambda: self.write([1, 2]), 'it is not the state of an SO'),
            (lambda: self.write({'so': 'x'}), 'it is not the state of an SO'),
            (lambda: self.write({'so': {'other': 1}}),
             'the SO could not restore it (KeyError)'),
        ]
        for make, why in cases:
            make()
            self.assertEqual({"the SO's saved state is unusable (%s)" % why},
                             self.refusals(self.serve()), why)
            if os.path.isdir(self.path):
                os.rmdir(self.path)

    def test_a_removed_file_means_a_new_so(self):
        self.write([1])
        url = self.serve()
        self.refusals(url)
        os.unlink(self.path)
        self.assertEqual(404, requests.get(url + so_api.SO_PATH,
                                           timeout=10).status_code)
        occi_client.OCCIClient(url + '/', retries=0).put(
            so_api.SO_PATH, ORCHESTRATOR, {})
        self.assertTrue(os.path.exists(self.path))

    def write(self, data):
        with open(self.path, 'w') as handle:
            json.dump(data, handle)
