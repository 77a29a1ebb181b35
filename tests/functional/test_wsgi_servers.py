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
"""``hurtle.wsgi.sm`` and ``hurtle.wsgi.cc`` under gunicorn and uwsgi.

The embedded Heat runs as ``hurtle-heat``; the CC (one worker, threads)
and the SM (two worker processes: two SM replicas sharing the work
through leases) run under the WSGI server with the configuration named
by ``HURTLE_CONFIG_FILES`` (tests/functional/wsgi_fixture.py). The
sample service goes through create, active, update and delete with the
SM's API; the CC wants the local secret; a second CC process on the same
state, and a CC with two workers, refuse to start; a missing or invalid
configuration file stops the server with one line saying so.
"""
import os
import re
import time

import fixtures
import requests
import testscenarios
import testtools

from hurtle.occi import client as occi_client
from hurtle.occi import errors
from tests.functional import hurtle_fixture
from tests.functional import wsgi_fixture
from tests import net

KIND = ('sample; scheme="http://schemas.hurtle.it/occi/sm#"; '
        'class="kind"')
TIMEOUT = 240
#: The line hurtle.sm.leases logs when a replica starts.
REPLICA = re.compile(r'SM replica (\S+): leases of')
#: Three instances at once: both SM workers get work to do.
INSTANCES = 3


def wait_for(test, what, check, timeout=TIMEOUT, output=lambda: ''):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.3)
    test.fail('no %s within %d s\n%s' % (what, timeout, output()))


class _ServedFlow(object):
    """The flow under ``server`` (set by the subclasses, which are also
    ``HurtleTestCase``s: a mixin, so the loader runs no server-less
    copy of the tests)."""

    server = None

    @classmethod
    def make_hurtle(cls):
        return wsgi_fixture.WSGIHurtle(cls.server, sm_workers=2,
                                       phase_timeout=TIMEOUT)

    def setUp(self):
        super().setUp()
        self.sm = self.hurtle.sm_url
        self.client = occi_client.OCCIClient(
            self.sm, headers={'X-Project-Id': 'demo'})

    def state_of(self, location):
        return self.client.get(location).attributes

    def wait_state(self, location, wanted):
        def reached():
            attrs = self.state_of(location)
            return attrs['mcn.service.state'] in wanted and attrs
        return wait_for(self, '%s in %s' % (location, wanted), reached,
                        output=self.hurtle.output)

    def create(self, *attributes):
        headers = {'Category': KIND, 'Content-Type': 'text/occi',
                   'X-Project-Id': 'demo'}
        if attributes:
            headers['X-OCCI-Attribute'] = ', '.join(attributes)
        resp = requests.post(self.sm + 'sample/', headers=headers,
                             timeout=60)
        self.assertEqual(201, resp.status_code, resp.text)
        return resp.headers['Location']

    def test_instances_go_through_their_lifecycle(self):
        locations = [self.create() for _ in range(INSTANCES)]
        for location in locations:
            attrs = self.wait_state(location, {'active', 'failed'})
            self.assertEqual('active', attrs['mcn.service.state'],
                             attrs.get('mcn.service.state.reason'))
            self.assertIn('greeting=hello', attrs['mcn.endpoint.sample'])
        so_url = self.state_of(locations[0])['occi.so.url']

        resp = requests.post(locations[0], headers={
            'Category': KIND, 'Content-Type': 'text/occi',
            'X-Project-Id': 'demo',
            'X-OCCI-Attribute': 'sample.greeting="bonjour"'}, timeout=60)
        self.assertIn(resp.status_code, (200, 202), resp.text)
        attrs = self.wait_state(locations[0], {'active', 'failed'})
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        self.assertIn('greeting=bonjour', attrs['mcn.endpoint.sample'])

        for location in locations:
            resp = requests.delete(location, timeout=60,
                                   headers={'X-Project-Id': 'demo'})
            self.assertIn(resp.status_code, (200, 202, 204), resp.text)

        def gone():
            for location in locations:
                try:
                    self.client.get(location)
                    return False
                except errors.NotFound:
                    pass
            return True
        wait_for(self, 'deleted instances', gone, output=self.hurtle.output)
        wait_for(self, 'no stack listed', lambda: not list(
            self.hurtle.heat_client().stacks.list()), timeout=30,
            output=self.hurtle.output)

        # The CC answers an app's DELETE once its SO was signalled, and
        # waits for the exit after: soon nothing serves there.
        def so_gone():
            try:
                requests.get(so_url + '-/', timeout=5)
            except requests.ConnectionError:
                return True
            return False
        wait_for(self, 'the SO gone', so_gone, timeout=15,
                 output=self.hurtle.output)

    def test_each_sm_worker_is_a_replica(self):
        replicas = wait_for(
            self, 'two SM replicas',
            lambda: len(set(REPLICA.findall(self.hurtle.sm.log()))) == 2
            and set(REPLICA.findall(self.hurtle.sm.log())),
            output=self.hurtle.output)
        self.assertEqual(2, len(replicas))

    def test_cc_wants_the_local_secret(self):
        resp = requests.get(self.hurtle.cc_url + '-/', timeout=10)
        self.assertEqual(401, resp.status_code, resp.text)
        self.assertNotIn(self.hurtle.local_secret(), resp.text)
        resp = requests.get(self.hurtle.cc_url + '-/', timeout=10,
                            headers=self.hurtle.cc_headers())
        self.assertEqual(200, resp.status_code, resp.text)

    def test_sm_noauth_takes_the_default_project(self):
        resp = requests.get(self.sm + '-/', timeout=10,
                            headers={'Accept': 'text/plain'})
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertIn('sample', resp.text)

    def test_a_second_cc_on_the_same_state_refuses_to_start(self):
        child = wsgi_fixture.ServedChild(
            'cc2-' + self.server, wsgi_fixture.server_command(
                self.server, 'hurtle.wsgi.cc:application',
                net.held_port(self)),
            'http://127.0.0.1:1/', self.hurtle.state,
            [self.hurtle.conf_path])
        child.start()
        self.addCleanup(child.stop)
        self.assertNotEqual(0, child.proc.wait(120), child.log())
        self.assertIn('hurtle: hurtle-cc: cannot start: another process '
                      'serves the CC of %s' % self.hurtle.state, child.log())
        self.assertNotIn('Traceback', child.log())
        # The first CC still serves.
        resp = requests.get(self.hurtle.cc_url + '-/', timeout=10,
                            headers=self.hurtle.cc_headers())
        self.assertEqual(200, resp.status_code, resp.text)


class GunicornTest(_ServedFlow, hurtle_fixture.HurtleTestCase):
    server = 'gunicorn'


class UWSGITest(_ServedFlow, hurtle_fixture.HurtleTestCase):
    server = 'uwsgi'


class StartupErrorTest(testscenarios.WithScenarios, testtools.TestCase):
    """A bad start-up ends the server with one line, no traceback; an SM
    loaded before the fork answers 503 saying why."""

    scenarios = [(server, {'server': server})
                 for server in wsgi_fixture.SERVERS]

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path

    def served(self, app, config_files, workers=1, lazy=True):
        port = net.held_port(self)
        return wsgi_fixture.ServedChild(
            'bad-' + self.server, wsgi_fixture.server_command(
                self.server, app, port, workers, lazy=lazy),
            'http://127.0.0.1:%d/-/' % port, self.state, config_files)

    def run_server(self, app, config_files, workers=1):
        child = self.served(app, config_files, workers)
        child.start()
        self.addCleanup(child.stop)
        status = child.proc.wait(120)
        log = child.log()
        self.assertNotEqual(0, status, log)
        self.assertNotIn('Traceback', log)
        return log

    def write(self, text):
        path = os.path.join(self.state, 'hurtle.conf')
        with open(path, 'w') as handle:
            handle.write(text)
        return path

    def write_sample_conf(self, extra=''):
        """A configuration serving the sample service, ``extra`` in
        ``[sm]``."""
        return self.write(
            '[DEFAULT]\nstate_path = %s\n[sm]\nmanifests = %s\n%s'
            % (self.state, hurtle_fixture.SAMPLE_MANIFEST, extra))

    def test_missing_config_file(self):
        path = os.path.join(self.state, 'absent.conf')
        log = self.run_server('hurtle.wsgi.sm:application', [path])
        self.assertIn('hurtle: hurtle-sm: cannot start: configuration '
                      'error: ', log)
        self.assertIn(path, log)

    def test_invalid_config_file(self):
        path = self.write('[DEFAULT\nstate_path = %s\n' % self.state)
        log = self.run_server('hurtle.wsgi.cc:application', [path])
        self.assertIn('hurtle: hurtle-cc: cannot start: configuration '
                      'error: ', log)
        self.assertIn(path, log)

    def test_invalid_option_value(self):
        path = self.write_sample_conf('lease_time = soon\n')
        log = self.run_server('hurtle.wsgi.sm:application', [path])
        self.assertIn('hurtle: hurtle-sm: cannot start: configuration '
                      'error: ', log)
        self.assertIn('lease_time', log)

    def test_no_manifest(self):
        path = self.write('[DEFAULT]\nstate_path = %s\n' % self.state)
        log = self.run_server('hurtle.wsgi.sm:application', [path])
        self.assertIn('hurtle: hurtle-sm: cannot start: bad service '
                      'manifest: [sm] manifests lists no manifest', log)

    def test_cc_with_two_workers(self):
        path = self.write_sample_conf()
        log = self.run_server('hurtle.wsgi.cc:application', [path],
                              workers=2)
        self.assertIn('hurtle: hurtle-cc: cannot start: another process '
                      'serves the CC of %s' % self.state, log)

    def test_sm_loaded_before_the_fork_answers_503(self):
        path = self.write_sample_conf()
        child = self.served('hurtle.wsgi.sm:application', [path],
                            lazy=False)
        child.start()
        self.addCleanup(child.stop)
        child.wait_ready(120)
        resp = requests.get(child.probe_url, timeout=10)
        self.assertEqual(503, resp.status_code, resp.text)
        self.assertIn('lazy-apps = true', resp.text)
        self.assertIn('--preload', resp.text)


class CCStopTest(testscenarios.WithScenarios, testtools.TestCase):
    """Stopping the CC's WSGI server stops the SOs its worker started."""

    scenarios = [(server, {'server': server})
                 for server in wsgi_fixture.SERVERS]

    def test_sos_stop_with_the_cc(self):
        hurtle = self.useFixture(wsgi_fixture.WSGIHurtle(
            self.server, sm_workers=1, phase_timeout=TIMEOUT))
        client = occi_client.OCCIClient(hurtle.sm_url,
                                        headers={'X-Project-Id': 'demo'})
        location = client.create('/sample/', KIND)
        instance_id = location.rstrip('/').rsplit('/', 1)[-1]

        def active():
            attrs = client.get(location).attributes
            self.assertNotEqual('failed', attrs['mcn.service.state'],
                                attrs.get('mcn.service.state.reason'))
            return attrs['mcn.service.state'] == 'active'
        wait_for(self, 'active instance', active, output=hurtle.output)
        self.assertEqual(1, len(hurtle.so_pids(instance_id)))
        # The SMs first, as admin/wsgi.rst says: uwsgi runs no exit hook
        # in a worker busy with a request (the SM's calls) when it stops.
        for sm in hurtle.sms:
            sm.stop()
        hurtle.cc.stop()
        self.assertEqual(0, hurtle.cc.proc.returncode, hurtle.cc.tail())
        wait_for(self, 'SO stopped', lambda: not hurtle.so_pids(instance_id),
                 timeout=60, output=hurtle.output)
