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
and refuses callers without its secret; it keeps its state in
``HURTLE_SO_STATE_FILE``, so that killed in mid-deploy and restarted by
the CC it resumes, and says so when that file is unusable."""
import json
import os
import shutil
import signal
import stat
import time

import requests
from testtools import content

from hurtle.occi import client as occi_client
from hurtle import polling
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

    def node_so(self, instance_id, required=True):
        """``(pid, environ)`` of the instance's Node.js SO; with
        ``required=False`` ``(None, None)`` when there is none (between a
        killed SO and its restart)."""
        for name in os.listdir('/proc'):
            if not name.isdigit():
                continue
            environ = _environ(int(name))
            if environ.get('HURTLE_INSTANCE_ID') == instance_id and \
                    environ.get('HURTLE_SO_PORT_FILE'):
                return int(name), environ
        if not required:
            return None, None
        self.fail('no SO process for %s' % instance_id)

    def state_file(self, instance_id):
        return os.path.join(self.hurtle.state, 'so', '%s.json' % instance_id)

    def saved_state(self, instance_id):
        """The SO's state file as JSON, or None (absent)."""
        try:
            with open(self.state_file(instance_id)) as handle:
                return json.load(handle)
        except FileNotFoundError:
            return None

    def wait_for(self, probe, what):
        """What ``probe()`` returns once it is not None (tried every
        2 ms: a state file is watched for a short window)."""
        try:
            return polling.poll_until(probe, TIMEOUT, 0.002, what)
        except polling.Timeout as exc:
            self.fail(str(exc))

    def wait_restarted(self, instance_id, old_pid):
        """``(pid, so_url)`` of the SO the CC started after ``old_pid``
        died."""
        cc = self.hurtle.cc_client()

        def restarted():
            app = cc.get('/app/%s' % instance_id).attributes
            if app['occi.app.state'] != 'active':
                return None
            # The CC may still say active for the SO just killed, before
            # its restart exists.
            pid = self.node_so(instance_id, required=False)[0]
            if pid is not None and pid != old_pid:
                return pid, app['occi.app.url'].rstrip('/') + \
                    '/orchestrator/default'
        return self.wait_for(restarted, 'SO restarted')

    def stack_names(self, instance_id):
        return [stack.stack_name for stack in self.stack_client().stacks.list()
                if stack.stack_name == 'hurtle-%s' % instance_id]

    def delete_and_wait(self, location, stack_ids):
        self.sm.delete(location)
        deadline = time.monotonic() + TIMEOUT
        while requests.get(location, headers=self.headers(),
                           timeout=10).status_code != 404:
            self.assertLess(time.monotonic(), deadline, 'instance kept')
            time.sleep(0.2)
        self.wait_stacks_gone(stack_ids)

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
        # Its state file: private, where the CC said, not the secret.
        self.assertEqual(self.state_file(instance_id),
                         environ['HURTLE_SO_STATE_FILE'])
        self.assertEqual(0o600, stat.S_IMODE(os.stat(
            self.state_file(instance_id)).st_mode))
        saved = self.saved_state(instance_id)
        self.assertEqual(stack_id, saved['stackId'])
        self.assertEqual('provisioned', saved['phase'])
        self.assertIsNone(saved['pending'])
        self.assertEqual('from-node', saved['attributes'][
            'samplenode.greeting'])
        with open(self.state_file(instance_id)) as handle:
            self.assertNotIn(environ['HURTLE_SO_SECRET'], handle.read())

        # Update: a new greeting reaches the stack and the instance,
        # percent-encoded in the endpoint URL.
        greeting = "up dated & #1 (it's) \u00e9t\u00e9"
        self.sm.update(location, SAMPLENODE,
                       {'samplenode.greeting': greeting})
        deadline = time.monotonic() + TIMEOUT
        while True:
            attrs = self.wait_state(location, 'active')
            if attrs['mcn.endpoint.samplenode'].endswith(
                    '?greeting=up%20dated%20%26%20%231%20%28it%27s%29'
                    '%20%C3%A9t%C3%A9'):
                break
            self.assertLess(time.monotonic(), deadline, attrs)
            time.sleep(0.2)
        self.assertEqual(greeting, attrs['samplenode.greeting'])
        self.assertEqual(stack_id, attrs['occi.mcn.stack.id'])

        # Delete: the stack, the SO process and the instance are gone.
        self.delete_and_wait(location, [stack_id])
        self.assertIsNone(self.saved_state(instance_id))
        deadline = time.monotonic() + TIMEOUT
        while os.path.exists('/proc/%d' % pid) and \
                _environ(pid).get('HURTLE_INSTANCE_ID') == instance_id:
            self.assertLess(time.monotonic(), deadline, 'SO still runs')
            time.sleep(0.2)

    def kill_in_mid(self, action, done_phase):
        """Create an instance and SIGKILL its SO once its state file shows
        ``action`` pending (the CC may or may not have accepted it), or,
        if that was missed, ``done_phase`` reached; then check that the
        instance still becomes active with exactly one stack, served by
        the restarted SO, and that deleting it removes the stack."""
        location = self.sm.create('/samplenode/', SAMPLENODE,
                                  {'samplenode.greeting': 'resumed'})
        instance_id = location.rstrip('/').rsplit('/', 1)[-1]
        # Created (PUT answered): the SO runs and has a state file.
        self.wait_for(lambda: self.saved_state(instance_id), 'SO created')
        pid = self.node_so(instance_id)[0]

        def in_mid():
            try:
                saved = self.saved_state(instance_id)
            except ValueError:   # cannot be: the file is renamed in place
                self.fail('a half-written state file')
            if saved and ((saved['pending'] or {}).get('action') ==
                          action or saved['phase'] == done_phase):
                return saved
        saved = self.wait_for(in_mid, '%s started' % action)
        os.kill(pid, signal.SIGKILL)
        self.addDetail('killed at', content.text_content(json.dumps(saved)))

        attrs = self.wait_state(location, 'active')
        new_pid, so_url = self.wait_restarted(instance_id, pid)
        log = self.so_log(instance_id)
        self.assertIn('state restored', log)
        if saved['pending']:
            self.assertIn('resuming the %s' % action, log)
        # One stack, the instance's, provisioned with its values.
        self.assertEqual(['hurtle-%s' % instance_id],
                         self.stack_names(instance_id))
        stack_id = attrs['occi.mcn.stack.id']
        stack = self.stack_client().stacks.get('hurtle-%s' % instance_id)
        self.assertEqual(stack_id, stack.id)
        self.assertEqual('UPDATE_COMPLETE', stack.stack_status)
        self.assertIn('greeting=resumed', attrs['mcn.endpoint.samplenode'])
        self.assertIs(True, attrs['samplenode.provisioned'])
        secret = _environ(new_pid)['HURTLE_SO_SECRET']
        resp = requests.get(so_url, timeout=10, headers={
            'X-Auth-Token': secret, 'Accept': 'application/occi+json'})
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual(stack_id,
                         resp.json()['attributes']['occi.mcn.stack.id'])
        self.assertIsNone(self.saved_state(instance_id)['pending'])

        # The restarted SO disposes of it.
        self.delete_and_wait(location, [stack_id, 'hurtle-%s' % instance_id])
        self.assertIsNone(self.saved_state(instance_id))

    def test_killed_in_mid_deploy_resumes_with_one_stack(self):
        # Killed after it saved "deploy pending", before (or just after)
        # the CC made the stack: the new SO finds it by name or makes it.
        self.kill_in_mid('deploy', 'deployed')

    def test_killed_in_mid_provision_resumes(self):
        self.kill_in_mid('provision', 'provisioned')

    def test_unusable_state_file_is_a_409_saying_so(self):
        location = self.sm.create('/samplenode/', SAMPLENODE, {})
        attrs = self.wait_state(location, 'active')
        instance_id = attrs['occi.core.id']
        pid, environ = self.node_so(instance_id)
        path = self.state_file(instance_id)
        with open(path) as handle:
            good = handle.read()
        # Corrupted while it runs (it reads the file at start only), then
        # killed: the CC restarts it with the corrupt file.
        with open(path, 'w') as handle:
            handle.write('{"version": 1, "inst')
        os.kill(pid, signal.SIGKILL)
        new_pid, so_url = self.wait_restarted(instance_id, pid)
        headers = {'X-Auth-Token': environ['HURTLE_SO_SECRET']}
        for method in ('GET', 'POST', 'DELETE', 'PUT'):
            resp = requests.request(method, so_url, headers=headers,
                                    timeout=10)
            self.assertEqual(409, resp.status_code, method)
            self.assertIn("the SO's saved state is unusable (it is not "
                          "JSON)", resp.text)
            self.assertNotIn(self.hurtle.state, resp.text)
        log = self.so_log(instance_id)
        self.assertIn('the state file %s is unusable: it is not JSON' % path,
                      log)
        # Not a file at all: the same, with why.
        os.unlink(path)
        os.mkdir(path)
        resp = requests.get(so_url, headers=headers, timeout=10)
        self.assertEqual(409, resp.status_code)
        self.assertIn('(it cannot be read (EISDIR))', resp.text)
        # The SO kept serving (no crash loop), and once the file is
        # fixed it answers again, without a restart.
        self.assertEqual(new_pid, self.node_so(instance_id)[0])
        os.rmdir(path)
        with open(path, 'w') as handle:
            handle.write(good)
        resp = requests.get(so_url, timeout=10, headers=dict(
            headers, Accept='application/occi+json'))
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual(attrs['occi.mcn.stack.id'],
                         resp.json()['attributes']['occi.mcn.stack.id'])
        self.delete_and_wait(location, [attrs['occi.mcn.stack.id']])
