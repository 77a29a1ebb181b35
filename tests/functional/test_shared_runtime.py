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
"""``[cc] runtime = shared``: the Python SOs of one bundle in one
``hurtle-so-host`` process (real ``hurtle-cc``, real host, real SOs).

``SharedHostTest`` drives a ``hurtle-cc`` directly (apps of the echo SO,
tests/functional/shared_so): two SOs in one host, isolated from each
other; the host killed (SIGKILL) and both SOs back from their state
files; bad commands on the host's socket refused; a killed CC adopting
the host; a ``bundle.json`` SO still a process of its own.
``SharedLifecycleTest`` is the walking skeleton on ``hurtle-all`` with
the shared runtime.
"""
import json
import os
import signal
import socket
import sys

import fixtures
import requests
import testtools

from hurtle.cc import store as app_store
from hurtle.occi import categories
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle import polling
from hurtle import so_host_protocol as protocol
from tests.functional import cc_process
from tests.functional import hurtle_fixture
from tests import net
from tests.unit.cc import test_command_bundle

BUNDLE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                      'shared_so')
APP = occi_client.CategoryRef('http://schemas.ogf.org/occi/platform#',
                              'app', 'kind')
SO_KIND = occi_client.CategoryRef.of(categories.ORCHESTRATOR)
DEPLOY = occi_client.CategoryRef.of(categories.DEPLOY)
SO_PATH = '/orchestrator/default'
TIMEOUT = 60

#: [cc] options (tests.functional.cc_process).
CC_OPTIONS = """runtime = shared
allowed_images = {bundle},{command_bundle}
watch_interval = 0.5
restart_backoff = 0.2
"""


def host_pids(state):
    """Pids of the ``hurtle-so-host`` processes of ``state``."""
    socket_dir = os.fsencode(protocol.hosts_dir(state))
    return [pid for pid, args in hurtle_fixture.processes()
            if b'hurtle.cmd.so_host' in args and
            any(arg.startswith(socket_dir) for arg in args)]


def _cont(pid):
    try:
        os.kill(pid, signal.SIGCONT)
    except ProcessLookupError:
        pass


def so_process_pids(app_id):
    """Pids of ``local`` SO processes (any command) of app ``app_id``."""
    found = []
    for pid, _args in hurtle_fixture.processes():
        try:
            with open('/proc/%d/environ' % pid, 'rb') as handle:
                env = handle.read().split(b'\0')
        except OSError:
            continue
        if ('HURTLE_APP_ID=%s' % app_id).encode() in env:
            found.append(pid)
    return found


class SharedHostTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        self.command_bundle = os.path.join(self.state, 'command-bundle')
        os.makedirs(self.command_bundle)
        with open(os.path.join(self.command_bundle, 'so.py'), 'w') as out:
            out.write(test_command_bundle.SERVER)
        with open(os.path.join(self.command_bundle, 'bundle.json'),
                  'w') as out:
            json.dump({'command': [sys.executable, 'so.py']}, out)
        self.addCleanup(self.kill_hosts)
        cc = self.useFixture(cc_process.CCProcess(
            self.state, CC_OPTIONS, bundle=BUNDLE,
            command_bundle=self.command_bundle))
        self.cc, self.url, self.client = cc.child, cc.url, cc.client
        self.start_cc, self.cc_log = cc.start, cc.log

    # helpers ----------------------------------------------------------
    def kill_hosts(self):
        for pid in host_pids(self.state):
            os.kill(pid, signal.SIGKILL)

    def create(self, app_id, image=BUNDLE):
        """Create app ``app_id`` (instance ``app_id``, secret
        ``secret-<app id>``); returns its SO URL."""
        self.client.put('/app/%s' % app_id, APP, {
            'occi.app.name': app_id, 'occi.app.image': image,
            'occi.app.env': json.dumps({
                'HURTLE_SO_SECRET': 'secret-' + app_id,
                'HURTLE_INSTANCE_ID': app_id})})
        attrs = self.client.get('/app/%s' % app_id).attributes
        self.assertEqual('active', attrs['occi.app.state'])
        return attrs['occi.app.url']

    def so(self, url, app_id):
        """An OCCI client of the SO at ``url`` with app ``app_id``'s
        secret."""
        return occi_client.OCCIClient(url, retries=0, headers={
            'X-Auth-Token': 'secret-' + app_id})

    def socket_path(self):
        return protocol.socket_path(self.state, protocol.key(BUNDLE))

    def host_call(self, message):
        return protocol.call(self.socket_path(), message, 10)

    def host_log(self):
        path = os.path.join(protocol.hosts_dir(self.state),
                            protocol.key(BUNDLE) + '.log')
        with open(path, 'rb') as handle:
            return handle.read().decode('utf-8', 'replace')

    def active_again(self, app_id, old_url):
        """The new SO URL of app ``app_id`` once the CC restarted it."""
        def check():
            attrs = self.client.get('/app/%s' % app_id).attributes
            if (attrs['occi.app.state'] == 'active' and
                    attrs['occi.app.url'] not in ('', old_url)):
                return attrs['occi.app.url']
            return None
        return polling.poll_until(check, TIMEOUT, 0.2,
                                  'app %s restarted' % app_id)

    # tests ------------------------------------------------------------
    def test_two_sos_share_one_host_and_stay_isolated(self):
        url_a, url_b = self.create('alpha'), self.create('beta')
        self.assertNotEqual(url_a, url_b)
        [host] = host_pids(self.state)
        self.assertEqual([], so_process_pids('alpha'))
        self.assertEqual({'alpha', 'beta'},
                         set(self.host_call({'op': 'list'})['sos']))
        self.assertEqual(0o600, os.stat(self.socket_path()).st_mode & 0o777)
        so_a, so_b = self.so(url_a, 'alpha'), self.so(url_b, 'beta')
        so_a.put(SO_PATH, SO_KIND, {'echo.value': 'a'})
        so_b.put(SO_PATH, SO_KIND, {'echo.value': 'b'})
        # Each answers its own secret only.
        for url, secret in ((url_a, 'secret-beta'), (url_b, 'secret-alpha'),
                            (url_a, '')):
            resp = requests.get(url + SO_PATH.lstrip('/'), timeout=10,
                                headers={'X-Auth-Token': secret})
            self.assertEqual(401, resp.status_code)
        self.assertEqual('a', so_a.get(SO_PATH).attributes['echo.value'])
        self.assertEqual('alpha',
                         so_a.get(SO_PATH).attributes['echo.instance'])
        self.assertEqual('b', so_b.get(SO_PATH).attributes['echo.value'])
        # An unexpected exception of one SO's code stays in its request.
        self.assertRaises(errors.OCCIError, so_a.action, SO_PATH, DEPLOY,
                          {'echo.crash': 'yes'})
        so_b.action(SO_PATH, DEPLOY, {'echo.value': 'b2'})
        self.assertEqual('b2', so_b.get(SO_PATH).attributes['echo.value'])
        self.assertEqual('a', so_a.get(SO_PATH).attributes['echo.value'])
        # Separate state files, in the format of hurtle-so.
        with open(os.path.join(self.state, 'so', 'beta.json')) as handle:
            self.assertEqual({'value': 'b2'}, json.load(handle)['so'])
        log = self.host_log()
        self.assertIn('[instance alpha]', log)
        self.assertIn('ZeroDivisionError', log)
        self.assertNotIn('secret-alpha', log)
        # Deleting one leaves the other serving, in the same host.
        self.client.delete('/app/alpha')
        self.assertFalse(net.so_serves(url_a, 'secret-alpha'))
        self.assertTrue(net.so_serves(url_b, 'secret-beta'))
        self.assertEqual(['beta'], list(self.host_call({'op': 'list'})['sos']))
        self.assertEqual([host], host_pids(self.state))
        self.assertFalse(os.path.exists(os.path.join(self.state, 'so',
                                                     'alpha.json')))

    def test_killed_host_comes_back_with_its_sos(self):
        urls = {app: self.create(app) for app in ('alpha', 'beta')}
        for app, url in urls.items():
            self.so(url, app).put(SO_PATH, SO_KIND, {'echo.value': app * 2})
        [host] = host_pids(self.state)
        os.kill(host, signal.SIGKILL)
        for app, url in urls.items():
            new_url = self.active_again(app, url)
            attrs = self.so(new_url, app).get(SO_PATH).attributes
            self.assertEqual(app * 2, attrs['echo.value'])
        [new_host] = host_pids(self.state)
        self.assertNotEqual(host, new_host)
        self.assertEqual({'alpha', 'beta'},
                         set(self.host_call({'op': 'list'})['sos']))
        self.assertIn('its SO (alpha) died', self.cc_log())

    def test_stopped_host_is_killed_and_its_sos_restarted(self):
        # A host that does not answer (SIGSTOP) is restarted as a dead
        # one: before, its SOs went to state error and stayed there (the
        # restart's stop of each SO waited for the host, then failed).
        urls = {app: self.create(app) for app in ('alpha', 'beta')}
        for app, url in urls.items():
            self.so(url, app).put(SO_PATH, SO_KIND, {'echo.value': app})
        [host] = host_pids(self.state)
        os.kill(host, signal.SIGSTOP)
        self.addCleanup(_cont, host)
        for app, url in urls.items():
            new_url = self.active_again(app, url)
            attrs = self.so(new_url, app).get(SO_PATH).attributes
            self.assertEqual(app, attrs['echo.value'])
        [new_host] = host_pids(self.state)
        self.assertNotEqual(host, new_host)
        self.assertIn('shared SO host %s (pid %d) does not answer'
                      % (protocol.key(BUNDLE), host), self.cc_log())

    def test_bad_commands_are_refused_without_crashing_the_host(self):
        url = self.create('alpha')
        path = self.socket_path()
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(path)
            sock.sendall(b'\xff not json\n')
            answer = json.loads(sock.makefile('rb').readline())
        self.assertEqual(False, answer['ok'])
        self.assertIn('bad command', answer['error'])
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(path)
            # One byte past the limit, all of which the host reads.
            sock.sendall(b'x' * (protocol.MAX_MESSAGE + 1))
            answer = json.loads(sock.makefile('rb').readline())
        self.assertIn('message longer than', answer['error'])
        for message, wanted in (
                ({'op': 'reboot'}, 'unknown op'),
                ({'op': 'start', 'app': '../etc', 'env': {}}, '"app"'),
                ({'op': 'start', 'app': 'gamma', 'env': ['x']}, '"env"'),
                ({'op': 'start', 'app': 'gamma', 'env': {'A': 1}}, '"env"'),
                ({'op': 'start', 'app': 'gamma', 'env': {}},
                 'HURTLE_SO_SECRET is not set'),
                ({'op': 'start', 'app': 'gamma', 'env': {
                    'HURTLE_SO_SECRET': 's', 'HURTLE_SO_TEMPLATES': '[1]',
                    'HURTLE_APP_ID': 'gamma', 'HURTLE_CC_URL': self.url}},
                 'HURTLE_SO_TEMPLATES is not a JSON object'),
                ({'op': 'start', 'app': 'alpha', 'env': {
                    'HURTLE_SO_SECRET': 's'}}, 'runs in this host already'),
                ({'op': 'start', 'app': 'gamma', 'env': {
                    'HURTLE_SO_SECRET': 's', 'HURTLE_INSTANCE_ID': 'alpha',
                    'HURTLE_APP_ID': 'gamma', 'HURTLE_CC_URL': self.url}},
                 'instance alpha runs in this host already')):
            error = self.assertRaises(protocol.HostRefused, self.host_call,
                                      message)
            self.assertIn(wanted, str(error), message)
        self.assertEqual({'ok': True, 'stopped': False},
                         self.host_call({'op': 'stop', 'app': 'nobody'}))
        self.assertEqual(['alpha'],
                         list(self.host_call({'op': 'list'})['sos']))
        self.assertTrue(net.so_serves(url, 'secret-alpha'))
        self.assertNotIn('Traceback', self.host_log())

    def test_restarted_cc_adopts_the_host_and_stops_its_orphans(self):
        url = self.create('kept')
        self.create('doomed')
        [host] = host_pids(self.state)
        # The record goes, the SO stays: a CC killed between starting the
        # SO and recording the app.
        app_store.AppStore('sqlite:///%s/hurtle.sqlite' % self.state).delete(
            '/app/doomed', {'project': 'service'})
        self.cc.proc.kill()
        self.cc.proc.wait()
        self.assertTrue(net.so_serves(url, 'secret-kept'))
        self.start_cc()
        self.assertEqual([host], host_pids(self.state))
        self.assertEqual(['kept'], list(self.host_call({'op': 'list'})['sos']))
        self.assertIn('stopping orphan SO of app doomed in shared SO host',
                      self.cc_log())
        attrs = self.client.get('/app/kept').attributes
        self.assertEqual(('active', url),
                         (attrs['occi.app.state'], attrs['occi.app.url']))
        self.assertTrue(net.so_serves(url, 'secret-kept'))
        # A clean stop of the CC stops the adopted host, SOs and all.
        self.cc.stop()
        self.assertEqual(0, self.cc.proc.returncode, self.cc_log())
        polling.poll_until(lambda: not host_pids(self.state) or None,
                           TIMEOUT, 0.1, 'host stopped')
        self.assertFalse(net.so_serves(url, 'secret-kept'))

    def test_restarted_cc_starts_a_new_host_if_its_host_died_too(self):
        urls = {app: self.create(app) for app in ('alpha', 'beta')}
        self.so(urls['alpha'], 'alpha').put(SO_PATH, SO_KIND,
                                            {'echo.value': 'kept'})
        [host] = host_pids(self.state)
        self.cc.proc.kill()
        self.cc.proc.wait()
        os.kill(host, signal.SIGKILL)
        self.start_cc()
        # Restarted at start-up (recover), once each, in one new host.
        [new_host] = host_pids(self.state)
        self.assertNotEqual(host, new_host)
        self.assertEqual({'alpha', 'beta'},
                         set(self.host_call({'op': 'list'})['sos']))
        for app, url in urls.items():
            attrs = self.client.get('/app/%s' % app).attributes
            self.assertEqual('active', attrs['occi.app.state'])
            self.assertNotEqual(url, attrs['occi.app.url'])
            self.assertTrue(net.so_serves(attrs['occi.app.url'],
                                          'secret-' + app))
        attrs = self.so(self.client.get('/app/alpha').attributes[
            'occi.app.url'], 'alpha').get(SO_PATH).attributes
        self.assertEqual('kept', attrs['echo.value'])

    def test_a_bundle_with_its_own_command_runs_as_a_process(self):
        url = self.create('command', image=self.command_bundle)
        [pid] = so_process_pids('command')
        self.assertEqual([], host_pids(self.state))
        resp = requests.get(url, timeout=10)
        self.assertEqual(200, resp.status_code)
        self.client.delete('/app/command')
        polling.poll_until(lambda: not so_process_pids('command') or None,
                           TIMEOUT, 0.1, 'SO process stopped')


class SharedLifecycleTest(hurtle_fixture.HurtleTestCase):
    """The walking skeleton (create → active → update → delete) of the
    sample service with ``[cc] runtime = shared``."""

    @classmethod
    def make_hurtle(cls):
        return hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,),
            extra_conf='[cc]\nruntime = shared\n')

    def test_sample_instance_lifecycle_in_a_shared_host(self):
        client = self.sm_client('demo')
        kind = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                                       'sample', 'kind')
        location = client.create('/sample/', kind, {})
        attrs = self.wait_settled(client, location).attributes
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        self.assertIn('greeting=hello', attrs['mcn.endpoint.sample'])
        so_url = attrs['occi.so.url']
        instance = location.rstrip('/').rsplit('/', 1)[1]
        # The SO lives in the host, not in a process of its own.
        [host] = host_pids(self.hurtle.state)
        self.assertEqual([], self.hurtle.so_pids())
        key = protocol.key(os.path.join(hurtle_fixture.ROOT, 'samples',
                                        'sample', 'so'))
        sos = protocol.call(protocol.socket_path(self.hurtle.state, key),
                            {'op': 'list'}, 10)['sos']
        self.assertEqual(so_url, 'http://127.0.0.1:%d/'
                         % sos[instance]['port'])
        resp = requests.get(so_url + 'orchestrator/default', timeout=10)
        self.assertEqual(401, resp.status_code, 'the SO must want its secret')

        client.update(location, kind, {'sample.greeting': 'bonjour'})
        attrs = self.wait_settled(client, location).attributes
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        self.assertIn('greeting=bonjour', attrs['mcn.endpoint.sample'])

        self.delete_and_wait(client, location)
        self.assertEqual({}, protocol.call(
            protocol.socket_path(self.hurtle.state, key), {'op': 'list'},
            10)['sos'])
        self.assertEqual([host], host_pids(self.hurtle.state))
        self.assertRaises(requests.ConnectionError, requests.get,
                          so_url + '-/', timeout=5)
