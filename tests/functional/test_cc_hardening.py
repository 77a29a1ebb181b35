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
"""The embedded default as a hostile local user meets it (issue 7).

One real ``hurtle-all`` (embedded Heat, CC, SM, SO processes) for the
class: the CC starts only registered SO bundles with documented
environment keys, the CC and the embedded Heat want the local secret, the
state directory is private and holds no SO secret in clear, and a killed
SO is noticed and restarted by the CC.
"""
import json
import os
import signal
import stat
import time

import fixtures
from heatclient import exc as heat_exc
import requests

from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle.so.deployers import heat_noauth as heat_client_mod
from tests.functional import hurtle_fixture

SCHEME = 'http://schemas.hurtle.it/occi/sm#'
SAMPLE = occi_client.CategoryRef(SCHEME, 'sample', 'kind')
APP = occi_client.CategoryRef('http://schemas.ogf.org/occi/platform#',
                              'app', 'kind')
ACTIONS = 'http://schemas.ogf.org/occi/platform/app/action#'
BUNDLE = os.path.join(hurtle_fixture.ROOT, 'samples', 'sample', 'so')
TIMEOUT = 120


def _so_processes(conf_path):
    """``{pid: environ dict}`` of the SO processes of this hurtle-all."""
    found = {}
    # SOs of the cc deployer read <state>/so/so.conf instead.
    so_conf = os.path.join(os.path.dirname(conf_path), 'so', 'so.conf')
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/cmdline' % name, 'rb') as handle:
                cmdline = handle.read()
            if (b'hurtle.cmd.so' not in cmdline or
                    conf_path.encode() not in cmdline and
                    so_conf.encode() not in cmdline):
                continue
            with open('/proc/%s/environ' % name, 'rb') as handle:
                raw = handle.read()
            with open('/proc/%s/stat' % name) as handle:
                if handle.read().rsplit(')', 1)[1].split()[0] == 'Z':
                    continue  # exited, not yet reaped
        except OSError:
            continue
        environ = dict(item.split(b'=', 1) for item in raw.split(b'\0')
                       if b'=' in item)
        found[int(name)] = {k.decode(): v.decode('utf-8', 'replace')
                            for k, v in environ.items()}
    return found


class CCHardeningTest(hurtle_fixture.HurtleTestCase):

    #: The embedded default's local secret is what is tested: noauth
    #: whatever $HURTLE_TEST_AUTH says.
    auth = 'noauth'

    @classmethod
    def make_hurtle(cls):
        # A visible error state (backoff 2 s) before the restart.
        return hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,),
            extra_conf='[cc]\nwatch_interval = 0.5\nrestart_backoff = 2\n')

    def setUp(self):
        super().setUp()
        self.sm = occi_client.OCCIClient(self.hurtle.sm_url,
                                         headers={'X-Project-Id': 'demo'})
        self.cc = self.hurtle.cc_client(retries=0)

    # helpers ---------------------------------------------------------------
    def create_instance(self):
        location = self.sm.create('/sample/', SAMPLE)
        self.addCleanup(self._delete_instance, location)
        attrs = self.wait(lambda: self._state_if(location, 'active'))
        return location, attrs

    def _state_if(self, location, wanted):
        attrs = self.sm.get(location).attributes
        state = attrs['mcn.service.state']
        if state == 'failed':
            self.fail('instance failed: %s'
                      % attrs.get('mcn.service.state.reason'))
        return attrs if state == wanted else None

    def _delete_instance(self, location):
        try:
            self.sm.delete(location)
        except errors.OCCIError:
            pass

    def wait(self, probe, timeout=TIMEOUT, what='condition'):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = probe()
            if result:
                return result
            time.sleep(0.1)
        self.fail('%s not met within %d s' % (what, timeout))

    def app_of(self, instance_id):
        for location in self.cc.list('/app/'):
            app = self.cc.get(location)
            if app.attributes['occi.app.name'].endswith(instance_id):
                return app
        self.fail('no CC app for instance %s' % instance_id)

    def so_of(self, instance_id):
        for pid, environ in _so_processes(self.hurtle.conf_path).items():
            if environ.get('HURTLE_INSTANCE_ID') == instance_id:
                return pid, environ
        return None

    # the CC starts only registered SOs -------------------------------------
    def test_unregistered_bundle_is_403_and_its_code_never_runs(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        marker = os.path.join(tmp, 'marker')
        bundle = os.path.join(tmp, 'bundle')
        os.mkdir(bundle)
        with open(os.path.join(bundle, 'so.py'), 'w') as handle:
            handle.write('open(%r, "w").write("ran")\n' % marker)
        err = self.assertRaises(errors.OCCIError, self.cc.create, '/app/',
                                APP, {'occi.app.name': 'evil',
                                      'occi.app.image': bundle,
                                      'occi.app.env': json.dumps(
                                          {'HURTLE_SO_SECRET': 'x'})})
        self.assertEqual(403, err.code)
        self.assertIn('not a registered SO bundle', err.message)
        time.sleep(1)  # nothing was started that could still write it
        self.assertFalse(os.path.exists(marker))
        self.assertEqual({}, {
            pid: e for pid, e in _so_processes(
                self.hurtle.conf_path).items()
            if 'evil' in e.get('HURTLE_INSTANCE_ID', '')})

    def test_env_key_outside_the_documented_set_is_400(self):
        for key in ('PYTHONPATH', 'LD_PRELOAD'):
            err = self.assertRaises(
                errors.OCCIError, self.cc.create, '/app/', APP,
                {'occi.app.name': 'x', 'occi.app.image': BUNDLE,
                 'occi.app.env': json.dumps({'HURTLE_SO_SECRET': 'x',
                                             key: '/tmp/x'})})
            self.assertEqual(400, err.code)
            self.assertIn(key, err.message)

    # the local secret ------------------------------------------------------
    def test_cc_without_the_local_secret_is_401(self):
        _location, attrs = self.create_instance()
        app = self.app_of(attrs['occi.core.id'])
        for token in (None, 'wrong', self.hurtle.local_secret()[:-1]):
            headers = {'X-Project-Id': 'service'}
            if token is not None:
                headers['X-Auth-Token'] = token
            calls = (
                ('GET', self.hurtle.cc_url + 'app/', {}),
                ('GET', app.location, {}),
                ('POST', app.location + '?action=stop',
                 {'Content-Type': 'text/occi',
                  'Category': 'stop; scheme="%s"; class="action"'
                  % ACTIONS}),
                ('DELETE', app.location, {}),
            )
            for method, url, extra in calls:
                resp = requests.request(method, url, timeout=10,
                                        headers=dict(headers, **extra))
                self.assertEqual(401, resp.status_code,
                                 '%s %s' % (method, url))
                self.assertIn('X-Auth-Token',
                              resp.headers['WWW-Authenticate'])
                self.assertNotIn(b'occi.app', resp.content)
        # Nothing changed: the app is still active and the SO serves.
        after = self.cc.get(app.location).attributes
        self.assertEqual('active', after['occi.app.state'])
        self.assertEqual(app.attributes['occi.app.url'],
                         after['occi.app.url'])

    def test_embedded_heat_without_the_local_secret_is_401(self):
        stacks_url = self.hurtle.heat_url + '/v1/admin/stacks'
        for headers in ({}, {'X-Auth-Token': 'notused'},
                        {'X-Auth-Token': 'wrong'}):
            headers.update({'X-Auth-User': 'admin',
                            'X-Auth-Project': 'admin'})
            resp = requests.get(stacks_url, headers=headers, timeout=10)
            self.assertEqual(401, resp.status_code, headers)
            self.assertIn('WWW-Authenticate', resp.headers)
        # python-heatclient over a noauth session (its dummy token).
        anonymous = heat_client_mod.heat_client(
            heat_client_mod.endpoint_for(self.hurtle.heat_url, 'admin'))
        self.assertRaises(heat_exc.HTTPUnauthorized,
                          lambda: list(anonymous.stacks.list()))
        # With the secret: served (the README's curl line).
        resp = requests.get(stacks_url, timeout=10, headers={
            'X-Auth-User': 'admin', 'X-Auth-Project': 'admin',
            'X-Auth-Token': self.hurtle.local_secret()})
        self.assertEqual(200, resp.status_code)
        self.assertIsInstance(list(self.hurtle.heat_client().stacks.list()),
                              list)

    # secrets on disk -------------------------------------------------------
    def test_state_is_private_and_holds_no_so_secret_in_clear(self):
        _location, attrs = self.create_instance()
        so = self.so_of(attrs['occi.core.id'])
        self.assertIsNotNone(so, 'no SO process found')
        secret = so[1]['HURTLE_SO_SECRET'].encode()
        self.assertGreater(len(secret), 20)
        loose = []
        for root, dirs, files in os.walk(self.hurtle.state):
            for name in dirs + files:
                path = os.path.join(root, name)
                mode = os.lstat(path).st_mode
                if stat.S_ISLNK(mode):
                    continue
                wanted = 0o700 if stat.S_ISDIR(mode) else 0o600
                if stat.S_IMODE(mode) != wanted:
                    loose.append('%s %o' % (path, stat.S_IMODE(mode)))
        self.assertEqual(0o700, stat.S_IMODE(os.stat(
            self.hurtle.state).st_mode))
        self.assertEqual([], loose)
        checked = []
        for name in ('hurtle.sqlite', 'hurtle.sqlite-wal'):
            path = os.path.join(self.hurtle.state, name)
            if os.path.exists(path):
                with open(path, 'rb') as handle:
                    self.assertNotIn(secret, handle.read(), name)
                checked.append(name)
        self.assertIn('hurtle.sqlite', checked)

    # a dead SO -------------------------------------------------------------
    def test_killed_so_is_noticed_and_restarted_with_its_stack(self):
        location, attrs = self.create_instance()
        instance_id = attrs['occi.core.id']
        app = self.app_of(instance_id)
        old_url = app.attributes['occi.app.url']
        self.assertEqual(0, int(app.attributes['hurtle.app.restarts']))
        pid, environ = self.so_of(instance_id)
        os.kill(pid, signal.SIGKILL)

        states = []

        def restarted():
            attrs = self.cc.get(app.location).attributes
            states.append(attrs['occi.app.state'])
            if attrs['occi.app.state'] == 'active' and \
                    attrs['occi.app.url'] != old_url:
                return attrs
        new = self.wait(restarted, timeout=60, what='SO restarted')
        self.assertIn('error', states)
        self.assertEqual(1, int(new['hurtle.app.restarts']))
        # The new SO resumed from its snapshot: same stack, outputs served.
        so = occi_client.OCCIClient(
            new['occi.app.url'], retries=0, headers={
                'X-Auth-Token': environ['HURTLE_SO_SECRET'],
                'X-Tenant-Name': 'demo'})
        so_attrs = so.get('/orchestrator/default').attributes
        self.assertEqual(attrs['occi.mcn.stack.id'],
                         so_attrs['occi.mcn.stack.id'])
        self.assertEqual(attrs['mcn.endpoint.sample'],
                         so_attrs['mcn.endpoint.sample'])
        new_pid, _environ = self.so_of(instance_id)
        self.assertNotEqual(pid, new_pid)
        self.sm.delete(location)

    def test_delete_of_an_app_whose_so_is_dead(self):
        app_location = self.cc.create('/app/', APP, {
            'occi.app.name': 'doomed', 'occi.app.image': BUNDLE,
            'occi.app.env': json.dumps({'HURTLE_SO_SECRET': 'x',
                                        'HURTLE_INSTANCE_ID': 'doomed-1'})})
        pid, _environ = self.so_of('doomed-1')
        os.kill(pid, signal.SIGKILL)
        self.wait(lambda: self.so_of('doomed-1') is None, timeout=30,
                  what='SO gone')
        resp = requests.delete(app_location, headers=self.hurtle.cc_headers(),
                               timeout=30)
        self.assertIn(resp.status_code, (200, 204), resp.text)
        self.assertRaises(errors.NotFound, self.cc.get, app_location)
        self.assertNotIn(app_location, self.cc.list('/app/'))
        time.sleep(3)  # several watcher rounds: nothing comes back
        self.assertIsNone(self.so_of('doomed-1'))
