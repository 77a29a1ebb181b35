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
"""An SO in another language: the ``samplenode`` service, whose SO is a
Node.js program using only Node's standard library
(samples/sample-node/so/so.js, run through its ``bundle.json``), end to
end on hurtle-all with the embedded Heat: it creates its stack through
the CC's ``stack`` kind, reports state and outputs, updates, deletes,
and refuses callers without its secret."""
import os
import shutil
import time

import requests

from hurtle.occi import client as occi_client
from tests import absent
from tests.functional import hurtle_fixture

SAMPLENODE = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                                     'samplenode', 'kind')
TIMEOUT = 120


def _environ(pid):
    try:
        with open('/proc/%d/environ' % pid, 'rb') as handle:
            raw = handle.read().split(b'\0')
    except OSError:
        return {}
    return dict(item.decode('utf-8', 'replace').split('=', 1)
                for item in raw if b'=' in item)


def _cmdline(pid):
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            return handle.read().decode('utf-8', 'replace').split('\0')
    except OSError:
        return []


class NodeSOTest(hurtle_fixture.HurtleTestCase):

    @classmethod
    def setUpClass(cls):
        if shutil.which('node') is None:
            absent.skip_or_fail('Node.js (node) is not installed',
                                'apt-get install nodejs')
        super().setUpClass()

    @classmethod
    def make_hurtle(cls):
        return hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.NODE_MANIFEST,))

    def setUp(self):
        super().setUp()
        self.sm = self.sm_client()

    def wait_state(self, location, wanted):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            attrs = self.sm.get(location).attributes
            state = attrs['mcn.service.state']
            if state == 'failed':
                self.fail('%s: %s\n%s' % (
                    state, attrs.get('mcn.service.state.reason'),
                    self.so_log(attrs['occi.core.id'])))
            if state == wanted:
                return attrs
            time.sleep(0.2)
        self.fail('instance not %s within %d s' % (wanted, TIMEOUT))

    def so_log(self, instance_id):
        path = os.path.join(self.hurtle.state, 'so', '%s.log' % instance_id)
        try:
            with open(path) as handle:
                return handle.read()
        except OSError:
            return '(no SO log)'

    def node_so(self, instance_id):
        """``(pid, environ)`` of the instance's Node.js SO."""
        for name in os.listdir('/proc'):
            if not name.isdigit():
                continue
            environ = _environ(int(name))
            if environ.get('HURTLE_INSTANCE_ID') == instance_id and \
                    environ.get('HURTLE_SO_PORT_FILE'):
                return int(name), environ
        self.fail('no SO process for %s' % instance_id)

    def test_node_so_end_to_end(self):
        location = self.sm.create('/samplenode/', SAMPLENODE,
                                  {'samplenode.greeting': 'from-node'})
        attrs = self.wait_state(location, 'active')
        instance_id = attrs['occi.core.id']
        stack_id = attrs['occi.mcn.stack.id']
        self.assertTrue(stack_id)
        self.assertIn('greeting=from-node', attrs['mcn.endpoint.samplenode'])
        self.assertEqual('from-node', attrs['samplenode.greeting'])
        self.assertIs(True, attrs['samplenode.provisioned'])

        # The SO is node running so.js, with the port contract and no
        # cloud credentials; its stack is the CC's.
        pid, environ = self.node_so(instance_id)
        args = _cmdline(pid)
        self.assertEqual('node', os.path.basename(args[0]))
        self.assertEqual('so.js', args[1])
        self.assertEqual('0', environ['HURTLE_SO_PORT'])
        self.assertEqual(os.path.join(hurtle_fixture.ROOT, 'samples',
                                      'sample-node', 'so'),
                         os.readlink('/proc/%d/cwd' % pid))
        self.assertEqual([], [k for k in environ if k.startswith('OS_')])
        heat = self.stack_client()
        stack = heat.stacks.get(stack_id)
        self.assertEqual('hurtle-%s' % instance_id, stack.stack_name)
        self.assertEqual('UPDATE_COMPLETE', stack.stack_status)

        # It answers only with its secret.
        app = self.hurtle.cc_client().get('/app/%s' % instance_id)
        so_url = app.attributes['occi.app.url'].rstrip('/') + \
            '/orchestrator/default'
        for headers in ({}, {'X-Auth-Token': 'wrong'},
                        {'X-Auth-Token': environ['HURTLE_SO_SECRET'][:-1]}):
            resp = requests.get(so_url, headers=headers, timeout=10)
            self.assertEqual(401, resp.status_code, headers)
        resp = requests.get(so_url, timeout=10, headers={
            'X-Auth-Token': environ['HURTLE_SO_SECRET'],
            'Accept': 'application/occi+json'})
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual(stack_id,
                         resp.json()['attributes']['occi.mcn.stack.id'])
        secret = {'X-Auth-Token': environ['HURTLE_SO_SECRET']}
        # The entity exists once (409), and nothing else is served (404).
        resp = requests.put(so_url, headers=secret, timeout=10)
        self.assertEqual(409, resp.status_code, resp.text)
        resp = requests.get(so_url.replace('default', 'other'),
                            headers=secret, timeout=10)
        self.assertEqual(404, resp.status_code, resp.text)
        self.assertNotIn(environ['HURTLE_SO_SECRET'],
                         self.so_log(instance_id))

        # Update: a new greeting reaches the stack and the instance.
        self.sm.update(location, SAMPLENODE,
                       {'samplenode.greeting': 'updated'})
        deadline = time.monotonic() + TIMEOUT
        while True:
            attrs = self.wait_state(location, 'active')
            if 'greeting=updated' in attrs['mcn.endpoint.samplenode']:
                break
            self.assertLess(time.monotonic(), deadline, attrs)
            time.sleep(0.2)
        self.assertEqual('updated', attrs['samplenode.greeting'])
        self.assertEqual(stack_id, attrs['occi.mcn.stack.id'])

        # Delete: the stack, the SO process and the instance are gone.
        self.sm.delete(location)
        deadline = time.monotonic() + TIMEOUT
        while requests.get(location, headers=self.headers(),
                           timeout=10).status_code != 404:
            self.assertLess(time.monotonic(), deadline, 'instance kept')
            time.sleep(0.2)
        self.wait_stacks_gone([stack_id])
        while os.path.exists('/proc/%d' % pid) and \
                _environ(pid).get('HURTLE_INSTANCE_ID') == instance_id:
            self.assertLess(time.monotonic(), deadline, 'SO still runs')
            time.sleep(0.2)
