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
"""Hung SOs on the ``kubernetes`` runtime: the liveness probe of the SO
pod (``hurtle-so-probe``, run by the kubelet), its shape and the API
server's rules for it, and an SO stopped with SIGSTOP killed and restarted
by the simulated kubelet (tests/k8s_kubelet.py) with short settings."""
import http.server
import io
import json
import os
import signal
import subprocess
import sys
import time

import fixtures
from kubernetes import client
from kubernetes.client import exceptions as kube_exc
import requests
import testtools
from testtools import content

from hurtle.cc import api
from hurtle.cc import recovery
from hurtle.cc.runtime import base
from hurtle.cc.runtime import kubernetes as k8s_runtime
from hurtle.cc.runtime import kubernetes_objects as objects
from hurtle.cmd import so_probe
from hurtle.occi import errors
from tests import conf_fixture
from tests import http_answers
from tests import k8s_kubelet
from tests import k8s_simulator
from tests import net
from tests.unit.cc import test_app_api
from tests.unit.cc import test_kubernetes

BUNDLE = test_kubernetes.BUNDLE
ENV = test_kubernetes.ENV
SECRET = test_kubernetes.SECRET
wait_for = test_kubernetes.wait_for
#: Short settings: probed every second, 1 s to answer, 2 failures.
SHORT = dict(cc__so_liveness_failures=2, cc__so_liveness_interval=1.0,
             cc__so_liveness_timeout=1.0)
#: Seconds from SIGSTOP until the restarted SO answers, with SHORT: two
#: failed probes (about 2 x 2 s), 1 s of grace, the SO's start (a few s
#: on a loaded machine).
HUNG_BOUND = 30


class ProbeCommandTest(testtools.TestCase):
    """``hurtle-so-probe`` against real sockets on 127.0.0.1."""

    def run_probe(self, port, timeout='0.3'):
        err = self.useFixture(fixtures.MonkeyPatch('sys.stderr',
                                                   io.StringIO())).new_value
        code = so_probe.main(['--port', str(port), '--timeout', timeout])
        return code, err.getvalue()

    def test_any_http_answer_is_alive(self):
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                 http_answers.Unauthorized)
        self.addCleanup(server.server_close)
        self.addCleanup(net.serve_in_thread(server))
        self.assertEqual((0, ''), self.run_probe(server.server_port))

    def test_no_answer_and_no_listener_exit_1_saying_why(self):
        silent = int(net.silent_url(self).rsplit(':', 1)[1].rstrip('/'))
        start = time.monotonic()
        code, err = self.run_probe(silent)
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual((1, 'the SO on port %d does not answer GET /-/: '
                          'no answer within 0.3 s\n' % silent), (code, err))
        closed = net.held_port(self)
        code, err = self.run_probe(closed)
        self.assertEqual(1, code)
        self.assertIn('unreachable (Connection refused)', err)

    def test_bad_timeout_is_a_usage_error(self):
        self.useFixture(fixtures.MonkeyPatch('sys.stderr', io.StringIO()))
        err = self.assertRaises(SystemExit, so_probe.main,
                                ['--port', '1', '--timeout', '0'])
        self.assertEqual(2, err.code)

    def test_it_imports_the_standard_library_only(self):
        # It runs every periodSeconds in each SO container.
        out = subprocess.check_output([
            sys.executable, '-c',
            'import sys, hurtle.cmd.so_probe; print(sorted({m.split(".")[0] '
            'for m in sys.modules} & {"requests", "urllib3", "oslo_config",'
            ' "kubernetes", "occi"}))'], text=True)
        self.assertEqual('[]', out.strip())


class ProbeShapesTest(testtools.TestCase):
    """The probes in the pod spec, and the API server's rules for them."""

    def setUp(self):
        super().setUp()
        self.fixture = self.useFixture(conf_fixture.HurtleConf())
        self.conf = self.fixture.conf

    def container(self, bundle=BUNDLE, **overrides):
        for key, value in overrides.items():
            group, name = key.split('__')
            self.conf.set_override(name, value, group)
        dep = client.ApiClient().sanitize_for_serialization(
            objects.deployment('so-x', 'x', 'hurtle', 'hurtle-so:1', bundle,
                               ENV, self.conf.kubernetes,
                               liveness=objects.Liveness.from_conf(
                                   self.conf)))
        k8s_simulator.validate(dep, 'V1Deployment')
        causes = []
        k8s_simulator.check_probes(dep['spec']['template']['spec'], 'spec',
                                   causes)
        self.assertEqual([], causes)
        return dep['spec']['template']['spec']['containers'][0]

    def test_a_bundle_so_gets_an_exec_liveness_probe_after_startup(self):
        container = self.container()
        # The defaults: [cc] so_liveness_failures 3, _interval 10,
        # _timeout 10; so_start_timeout 60.
        self.assertEqual({
            'exec': {'command': ['hurtle-so-probe', '--port', '8080',
                                 '--timeout', '10']},
            'periodSeconds': 10, 'timeoutSeconds': 11,
            'failureThreshold': 3, 'successThreshold': 1,
            'terminationGracePeriodSeconds': 1},
            container['livenessProbe'])
        self.assertEqual({'tcpSocket': {'port': 8080}, 'periodSeconds': 1,
                          'failureThreshold': 60},
                         container['startupProbe'])
        # The secret is not in it: any answer (401) is alive.
        self.assertNotIn(SECRET, json.dumps(container))

    def test_seconds_are_whole_and_at_least_one(self):
        container = self.container(
            cc__so_liveness_interval=0.2, cc__so_liveness_timeout=2.5,
            cc__so_liveness_failures=1, cc__so_start_timeout=5,
            kubernetes__so_port=9000)
        probe = container['livenessProbe']
        self.assertEqual(['hurtle-so-probe', '--port', '9000', '--timeout',
                          '2.5'], probe['exec']['command'])
        self.assertEqual((1, 4, 1), (probe['periodSeconds'],
                                     probe['timeoutSeconds'],
                                     probe['failureThreshold']))
        self.assertEqual(5, container['startupProbe']['failureThreshold'])

    def test_no_liveness_probe_when_off_or_for_an_image_so(self):
        # 0: no probe, as for the CC's own probe.
        container = self.container(cc__so_liveness_failures=0)
        self.assertNotIn('livenessProbe', container)
        self.assertNotIn('startupProbe', container)
        self.assertIn('readinessProbe', container)
        # An SO image of its own has no hurtle-so-probe.
        container = self.container(bundle=None)
        self.assertNotIn('livenessProbe', container)
        self.assertNotIn('startupProbe', container)

    def test_simulator_refuses_probes_the_api_server_refuses(self):
        good = self.container()

        def causes_of(kind, **change):
            container = json.loads(json.dumps(good))
            container[kind].update(change)
            for key in [k for k, v in change.items() if v is None]:
                del container[kind][key]
            causes = []
            k8s_simulator.check_probes({'containers': [container]}, 'spec',
                                       causes)
            return causes
        at = 'spec.containers[0].'
        self.assertEqual([(at + 'livenessProbe.successThreshold',
                           'Invalid value: 2: must be 1')],
                         causes_of('livenessProbe', successThreshold=2))
        self.assertIn('must not be set for readinessProbes', causes_of(
            'readinessProbe', terminationGracePeriodSeconds=1)[0][1])
        self.assertIn('must be greater than 0', causes_of(
            'livenessProbe', terminationGracePeriodSeconds=0)[0][1])
        self.assertIn('may not specify more than 1 handler type', causes_of(
            'livenessProbe', tcpSocket={'port': 8080})[0][1])
        self.assertIn('must specify a handler type', causes_of(
            'livenessProbe', exec=None)[0][1])
        self.assertEqual([(at + 'startupProbe.periodSeconds',
                           'Invalid value: -1: must be greater than or '
                           'equal to 0')],
                         causes_of('startupProbe', periodSeconds=-1))
        self.assertIn('must be between 1 and 65535', causes_of(
            'startupProbe', tcpSocket={'port': 70000})[0][1])
        self.assertIn('IANA_SVC_NAME', causes_of(
            'startupProbe', tcpSocket={'port': 'so--api'})[0][1])
        self.assertEqual([], causes_of('startupProbe',
                                       tcpSocket={'port': 'so-api'}))
        self.assertEqual([(at + 'livenessProbe.exec.command',
                           'Required value')],
                         causes_of('livenessProbe', exec={'command': []}))

    def test_the_api_answers_422_for_a_bad_probe(self):
        cluster = self.useFixture(k8s_kubelet.Cluster())
        self.fixture.conf.set_override('kubeconfig', cluster.kubeconfig,
                                       'kubernetes')
        apps = client.AppsV1Api(k8s_runtime.api_client(self.conf))
        dep = objects.deployment('so-x', 'x', 'hurtle', 'hurtle-so:1',
                                 BUNDLE, ENV, self.conf.kubernetes,
                                 liveness=objects.Liveness.from_conf(
                                     self.conf))
        dep.spec.template.spec.containers[0].liveness_probe.\
            success_threshold = 3
        exc = self.assertRaises(kube_exc.ApiException,
                                apps.create_namespaced_deployment, 'hurtle',
                                dep)
        body = json.loads(exc.body)
        self.assertEqual((422, 'Invalid'), (exc.status, body['reason']))
        self.assertEqual('spec.template.spec.containers[0].livenessProbe.'
                         'successThreshold',
                         body['details']['causes'][0]['field'])
        self.assertEqual([], cluster.sim.list('deployments'))


class HungSOTest(testtools.TestCase):
    """An SO that runs and answers nothing is replaced by the kubelet."""

    def setUp(self):
        super().setUp()
        self.cluster = self.useFixture(k8s_kubelet.Cluster())
        self.kubelet = self.cluster.kubelet

    def runtime(self, **more):
        overrides = dict(SHORT)
        overrides.update(more)
        conf = self.useFixture(conf_fixture.HurtleConf(
            **test_kubernetes.k8s_overrides(self.cluster, **overrides))).conf
        return base.load('kubernetes', conf)

    def answers(self, url):
        try:
            return requests.get(url + '-/', timeout=2, headers={
                'X-Auth-Token': SECRET}).status_code == 200
        except requests.RequestException:
            return False

    def test_a_stopped_so_is_killed_by_its_probe_and_restarted(self):
        runtime = self.runtime()
        url, ref = runtime.start('app-1', BUNDLE, ENV)
        name = ref['name']
        # Alive: probed and left alone for a few periods.
        time.sleep(3)
        self.assertEqual([], self.kubelet.probe_kills)
        self.assertEqual(base.Status('active', 0), runtime.status(ref))

        stopped = self.kubelet.signal(name, signal.SIGSTOP)
        began = time.monotonic()
        wait_for(lambda: self.answers(url), 'the restarted SO answers')
        took = time.monotonic() - began
        self.assertLess(took, HUNG_BOUND)
        self.addDetail('seconds-until-it-answers',
                       content.text_content('%.1f' % took))

        [(_, deployment, kind, why)] = self.kubelet.probe_kills
        self.assertEqual((name, 'Liveness'), (deployment, kind))
        self.assertIn('does not answer GET /-/: no answer within 1 s', why)
        self.assertNotEqual(stopped, self.kubelet.pid(name))
        status = wait_for(lambda: (lambda s: s.state == 'active' and s)(
            runtime.status(ref)), 'active again')
        self.assertEqual(base.Status('active', 1), status)
        [pod] = self.cluster.sim.list('pods', 'hurtle')
        [container] = pod['status']['containerStatuses']
        self.assertEqual(1, container['restartCount'])
        # Killed by SIGKILL after its 1 s of grace (SIGTERM waits while
        # it is stopped): 128 + 9.
        self.assertEqual({'exitCode': 137, 'reason': 'Error'},
                         container['lastState']['terminated'])
        self.assertTrue(container['started'])
        # The same URL (the Service's): nothing for the CC to follow.
        self.assertEqual(url, runtime._url(
            name, runtime.core.read_namespaced_service(name, 'hurtle')))

    def test_an_so_that_never_listens_fails_its_startup_probe(self):
        # Its bundle never gets to listen: the startup probe (every 1 s,
        # [cc] so_start_timeout = 2 tries) kills it again and again; the
        # liveness probe never runs before a start.
        bundle = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(bundle, 'so.py'), 'w') as handle:
            handle.write('import time\ntime.sleep(3600)\n')
        conf = self.useFixture(conf_fixture.HurtleConf(
            **test_kubernetes.k8s_overrides(
                self.cluster, cc__so_start_timeout=2, **SHORT))).conf
        runtime = base.load('kubernetes', conf)
        err = self.assertRaises(base.RuntimeError_, runtime.start, 'app-1',
                                bundle, ENV)
        self.assertIn('not available within 2 s', str(err))
        self.assertEqual([], self.cluster.sim.list('deployments'))
        # The same pod, kept this time (the CC removes a failed start).
        body = objects.deployment(
            'so-app-1', 'app-1', 'hurtle', self.cluster.image, bundle, ENV,
            conf.kubernetes, liveness=objects.Liveness.from_conf(conf))
        runtime._create('secret', objects.secret(
            'so-app-1', 'app-1', 'hurtle', ENV))
        before = len(self.kubelet.probe_kills)
        runtime._create('deployment', body)

        def restarted():
            pods = self.cluster.sim.list('pods', 'hurtle')
            statuses = pods and pods[0]['status']['containerStatuses']
            return statuses and statuses[0]['restartCount'] >= 2 and \
                statuses[0]
        status = wait_for(restarted, 'two restarts')
        self.assertFalse(status['ready'])
        self.assertFalse(status['started'])
        kills = self.kubelet.probe_kills[before:]
        self.assertEqual({('so-app-1', 'Startup')},
                         {(k[1], k[2]) for k in kills})
        self.assertEqual('dial tcp 127.0.0.1:8080: connect: connection '
                         'refused', kills[0][3])
        self.assertEqual('error', runtime.status({'name': 'so-app-1'}).state)

    def test_off_a_stopped_so_stays(self):
        runtime = self.runtime(cc__so_liveness_failures=0)
        url, ref = runtime.start('app-1', BUNDLE, ENV)
        self.kubelet.signal(ref['name'], signal.SIGSTOP)
        self.addCleanup(self.kubelet.signal, ref['name'], signal.SIGCONT)
        time.sleep(5)
        self.assertEqual([], self.kubelet.probe_kills)
        self.assertEqual(base.Status('active', 0), runtime.status(ref))
        self.assertFalse(self.answers(url))


class HungSOAppAPITest(testtools.TestCase):
    """The CC's app API: the kubelet's restart shows in the app, and the
    CC's own watcher neither probes nor kills the SO."""

    def setUp(self):
        super().setUp()
        self.cluster = self.useFixture(k8s_kubelet.Cluster())
        overrides = test_kubernetes.k8s_overrides(self.cluster, **SHORT)
        test_app_api.serve_cc(self, cc__allowed_images=[BUNDLE],
                              **overrides)

    def create(self):
        """``(location, Deployment name, SO URL)`` of a new app."""
        location = self.client.create('/app/', test_app_api.APP, {
            'occi.app.name': 'so-1', 'occi.app.image': BUNDLE,
            'occi.app.env': json.dumps(ENV)})
        app_id = location.rstrip('/').rsplit('/', 1)[-1]
        return (location, objects.object_name(app_id),
                self.client.get(location).attributes['occi.app.url'])

    def shown_in_error(self, location):
        """Wait until the app shows ``error``: its pod is restarting."""
        wait_for(lambda: self.client.get(location).attributes[
            'occi.app.state'] == 'error', 'the app shown in error')

    def test_a_stopped_so_comes_back_with_a_restart_counted(self):
        location, name, url = self.create()
        watcher = recovery.Watcher(self.conf, self.backend)
        self.assertIsNone(watcher.prober)
        self.cluster.kubelet.signal(name, signal.SIGSTOP)
        app = wait_for(lambda: (lambda a: a.attributes[api.RESTARTS] == 1
                                and a.attributes['occi.app.state'] ==
                                'active' and a)(self.client.get(location)),
                       'restart shown')
        # Same URL, same Deployment and pod; the watcher has nothing to do.
        self.assertEqual(url, app.attributes['occi.app.url'])
        self.assertEqual(1, len(self.cluster.sim.list('deployments')))
        self.assertEqual(1, len(self.cluster.sim.list('pods')))
        self.assertEqual({}, watcher.check_all())
        wait_for(lambda: net.so_serves(url, SECRET), 'the SO answers')

    def test_a_start_while_kubernetes_restarts_the_so_waits_for_it(self):
        # The SM starts an app it finds not active (hurtle.sm.so_client):
        # the kubelet's restart under way is waited for, not replaced.
        location, name, url = self.create()
        uid = self.cluster.sim.get('deployments', 'hurtle', name)[
            'metadata']['uid']
        self.cluster.kubelet.signal(name, signal.SIGSTOP)
        self.shown_in_error(location)
        self.client.action(location, test_app_api.START)
        app = self.client.get(location)
        self.assertEqual(('active', 1, url), (
            app.attributes['occi.app.state'], app.attributes[api.RESTARTS],
            app.attributes['occi.app.url']))
        self.assertEqual(uid, self.cluster.sim.get(
            'deployments', 'hurtle', name)['metadata']['uid'])
        self.assertEqual(1, len(self.cluster.kubelet.probe_kills))
        self.assertTrue(net.so_serves(url, SECRET))
        # Serving: a start is refused as before.
        err = self.assertRaises(errors.Conflict, self.client.action,
                                location, test_app_api.START)
        self.assertIn('app is active already', err.message)

    def test_a_start_replaces_an_so_not_back_in_time(self):
        location, name, url = self.create()
        uid = self.cluster.sim.get('deployments', 'hurtle', name)[
            'metadata']['uid']
        # The node can no longer run the image: the restarted container
        # waits (ErrImagePull) and never serves.
        self.cluster.kubelet.image = 'elsewhere:1'
        self.cluster.kubelet.signal(name, signal.SIGSTOP)
        self.shown_in_error(location)
        self.conf.set_override('so_start_timeout', 2, 'cc')
        err = self.assertRaises(errors.Conflict, self.client.action,
                                location, test_app_api.START)
        # Waited for, then replaced: the new Deployment's pod cannot run
        # either, and that start's failure is the answer.
        self.assertIn('cannot start app so-1', err.message)
        self.assertIn('ErrImagePull', err.message)
        self.assertNotIn(uid, [d['metadata']['uid'] for d in
                               self.cluster.sim.list('deployments')])
        self.cluster.kubelet.image = self.cluster.image
        self.conf.set_override('so_start_timeout', 60, 'cc')
        self.client.action(location, test_app_api.START)
        app = self.client.get(location)
        self.assertEqual(('active', 0), (app.attributes['occi.app.state'],
                                         app.attributes[api.RESTARTS]))
        self.assertTrue(net.so_serves(app.attributes['occi.app.url'],
                                      SECRET))
