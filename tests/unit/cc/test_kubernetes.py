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
"""The ``kubernetes`` runtime against the Kubernetes API simulator.

Objects are built as the client's models and checked by the simulator as
the API server would (strict schema, names, labels); SOs are the sample
bundle's, run by the simulated kubelet (tests/k8s_kubelet.py).
"""
import base64
import json
import os
import subprocess
import sys

import fixtures
from kubernetes import client
from kubernetes.client import exceptions as kube_exc
import requests
import testtools

from hurtle.cc import api
from hurtle.cc.runtime import base
from hurtle.cc.runtime import kubernetes as k8s_runtime
from hurtle.cc.runtime import kubernetes_objects as objects
from hurtle.occi import errors
from hurtle import polling
from tests import conf_fixture
from tests import k8s_kubelet
from tests import k8s_simulator
from tests.unit.cc import test_app_api

BUNDLE = test_app_api.BUNDLE
NODE_BUNDLE = os.path.join(test_app_api.ROOT, 'samples', 'sample-node',
                           'so')
SECRET = 'very-secret-value-1f4e'
ENV = {'HURTLE_SO_SECRET': SECRET, 'HURTLE_INSTANCE_ID': 'inst-1'}
TIMEOUT = 60


def wait_for(check, what):
    """``check()``'s first true result within ``TIMEOUT`` seconds."""
    return polling.poll_until(lambda: check() or None, TIMEOUT, 0.1, what)


def k8s_overrides(cluster, **more):
    overrides = dict(cc__runtime='kubernetes', cc__so_start_timeout=60,
                     kubernetes__kubeconfig=cluster.kubeconfig,
                     kubernetes__service_type='NodePort')
    overrides.update(more)
    return overrides


class ObjectShapesTest(testtools.TestCase):
    """The objects as data, and the simulator's strict checks of them."""

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(conf_fixture.HurtleConf()).conf
        self.opts = self.conf.kubernetes

    def serialized(self, model):
        return client.ApiClient().sanitize_for_serialization(model)

    def test_names_are_dns_1035_labels_and_distinct(self):
        ids = ['abc', 'App_1', 'app-1', 'a.b', 'a_b', 'a-b', 'A-b', 'x-',
               '9lives', 'z' * 36, 'Z' * 36]
        names = [objects.object_name(i) for i in ids]
        for name in names:
            self.assertLessEqual(len(name), 63)
            self.assertRegex(name, r'^[a-z]([-a-z0-9]*[a-z0-9])?$')
        self.assertEqual(len(ids), len(set(names)))
        self.assertEqual('so-abc', objects.object_name('abc'))

    def test_deployment_reads_every_variable_from_the_secret(self):
        dep = self.serialized(objects.deployment(
            'so-x', 'x', 'hurtle', 'hurtle-so:1', BUNDLE, ENV, self.opts))
        self.assertNotIn(SECRET, json.dumps(dep))
        container = dep['spec']['template']['spec']['containers'][0]
        self.assertEqual(sorted(ENV), [e['name'] for e in container['env']])
        for var in container['env']:
            self.assertNotIn('value', var)
            self.assertEqual({'name': 'so-x', 'key': var['name']},
                             var['valueFrom']['secretKeyRef'])
        self.assertEqual({'tcpSocket': {'port': 8080}, 'periodSeconds': 2,
                          'failureThreshold': 3},
                         container['readinessProbe'])
        self.assertEqual({'requests': {'cpu': '100m', 'memory': '128Mi'},
                          'limits': {'cpu': '1', 'memory': '512Mi'}},
                         container['resources'])
        self.assertEqual(['--bundle', BUNDLE, '--host', '0.0.0.0',
                          '--port', '8080'], container['args'])
        self.assertEqual('hurtle-so:1', container['image'])
        self.assertEqual({objects.SELECTOR_LABEL: 'so-x'},
                         dep['spec']['selector']['matchLabels'])
        self.assertEqual('so-x', dep['metadata']['labels'][
            objects.SELECTOR_LABEL])
        self.assertEqual('x', dep['metadata']['annotations'][
            objects.APP_ID_ANNOTATION])
        k8s_simulator.validate(dep, 'V1Deployment')

    def test_a_command_bundle_runs_its_command_in_the_bundle(self):
        dep = self.serialized(objects.deployment(
            'so-x', 'x', 'hurtle', 'hurtle-so:1', NODE_BUNDLE, ENV,
            self.opts, command=['node', 'so.js']))
        container = dep['spec']['template']['spec']['containers'][0]
        self.assertEqual(['node', 'so.js'], container['command'])
        self.assertNotIn('args', container)
        self.assertEqual(NODE_BUNDLE, container['workingDir'])
        plain = {e['name']: e['value'] for e in container['env']
                 if 'value' in e}
        self.assertEqual({'HURTLE_SO_HOST': '0.0.0.0',
                          'HURTLE_SO_PORT': '8080',
                          'HURTLE_SO_STATE_FILE': objects.STATE_FILE},
                         plain)
        self.assertEqual(sorted(ENV), sorted(
            e['name'] for e in container['env'] if 'valueFrom' in e))
        # Its state file is in an emptyDir: it outlives a crashed
        # container restarted in the pod. No ConfigMap without one.
        self.assertTrue(objects.STATE_FILE.startswith(objects.STATE_DIR +
                                                      '/'))
        self.assertEqual([{'name': objects.STATE_VOLUME,
                           'mountPath': objects.STATE_DIR}],
                         container['volumeMounts'])
        self.assertEqual([{'name': objects.STATE_VOLUME, 'emptyDir': {}}],
                         dep['spec']['template']['spec']['volumes'])
        k8s_simulator.validate(dep, 'V1Deployment')

    def test_options_shape_the_objects(self):
        for name, value in (('cpu_limit', ''), ('memory_request', '64Mi'),
                            ('config_map', 'so-conf'), ('so_port', 9000),
                            ('ingress_host', 'apps.example.org'),
                            ('ingress_class', 'nginx')):
            self.conf.set_override(name, value, 'kubernetes')
        dep = self.serialized(objects.deployment(
            'so-x', 'x', 'hurtle', 'registry/so:2', None, {}, self.opts))
        pod = dep['spec']['template']['spec']
        container = pod['containers'][0]
        self.assertEqual({'requests': {'cpu': '100m', 'memory': '64Mi'},
                          'limits': {'memory': '512Mi'}},
                         container['resources'])
        self.assertEqual(['--host', '0.0.0.0', '--port', '9000',
                          '--config-file', '/etc/hurtle/hurtle.conf'],
                         container['args'])
        self.assertEqual([{'name': 'hurtle-conf',
                           'configMap': {'name': 'so-conf'}}],
                         pod['volumes'])
        # hurtle-so reads the ConfigMap where it is mounted.
        self.assertEqual([{'name': 'hurtle-conf',
                           'mountPath': objects.CONFIG_DIR,
                           'readOnly': True}], container['volumeMounts'])
        ingress = self.serialized(objects.ingress('so-x', 'x', 'hurtle',
                                                  self.opts))
        rule = ingress['spec']['rules'][0]
        self.assertEqual('so-x.apps.example.org', rule['host'])
        self.assertEqual('nginx', ingress['spec']['ingressClassName'])
        self.assertEqual({'name': 'so-x', 'port': {'number': 9000}},
                         rule['http']['paths'][0]['backend']['service'])
        k8s_simulator.validate(ingress, 'V1Ingress')
        service = self.serialized(objects.service('so-x', 'x', 'hurtle',
                                                  self.opts))
        self.assertEqual({objects.SELECTOR_LABEL: 'so-x'},
                         service['spec']['selector'])
        k8s_simulator.validate(service, 'V1Service')

    def test_simulator_refuses_unknown_fields_and_wrong_types(self):
        dep = self.serialized(objects.deployment(
            'so-x', 'x', 'hurtle', 'i', None, {}, self.opts))
        dep['spec']['replicaz'] = 1
        err = self.assertRaises(k8s_simulator.Invalid,
                                k8s_simulator.validate, dep, 'V1Deployment')
        self.assertIn('unknown field "replicaz"', str(err))
        del dep['spec']['replicaz']
        dep['spec']['replicas'] = '1'
        err = self.assertRaises(k8s_simulator.Invalid,
                                k8s_simulator.validate, dep, 'V1Deployment')
        self.assertIn('spec.replicas', str(err))
        dep['spec']['replicas'] = 1
        del dep['spec']['template']['spec']['containers']
        self.assertRaises(k8s_simulator.Invalid, k8s_simulator.validate,
                          dep, 'V1Deployment')


class SimulatorAPITest(testtools.TestCase):
    """The simulator answers as the API server: Status objects."""

    def setUp(self):
        super().setUp()
        self.cluster = self.useFixture(k8s_kubelet.Cluster())
        conf = self.useFixture(conf_fixture.HurtleConf(
            kubernetes__kubeconfig=self.cluster.kubeconfig)).conf
        self.core = client.CoreV1Api(k8s_runtime.api_client(conf))

    def status_of(self, exc):
        body = json.loads(exc.body)
        self.assertEqual('Status', body['kind'])
        self.assertEqual(exc.status, body['code'])
        return body

    def secret(self, name):
        return client.V1Secret(metadata=client.V1ObjectMeta(name=name),
                               string_data={'k': 'v'})

    def test_409_404_422_as_status_objects(self):
        self.core.create_namespaced_secret('hurtle', self.secret('one'))
        exc = self.assertRaises(kube_exc.ApiException,
                                self.core.create_namespaced_secret,
                                'hurtle', self.secret('one'))
        self.assertEqual('AlreadyExists', self.status_of(exc)['reason'])
        exc = self.assertRaises(kube_exc.ApiException,
                                self.core.read_namespaced_secret,
                                'two', 'hurtle')
        self.assertEqual('NotFound', self.status_of(exc)['reason'])
        exc = self.assertRaises(kube_exc.ApiException,
                                self.core.create_namespaced_secret,
                                'hurtle', self.secret('Bad_Name'))
        body = self.status_of(exc)
        self.assertEqual(('Invalid', 422), (body['reason'], exc.status))
        self.assertEqual('metadata.name',
                         body['details']['causes'][0]['field'])
        exc = self.assertRaises(kube_exc.ApiException,
                                self.core.create_namespaced_secret,
                                'elsewhere', self.secret('three'))
        self.assertIn('namespaces "elsewhere" not found',
                      self.status_of(exc)['message'])

    def test_secret_data_and_deletecollection_by_label(self):
        for name, app in (('a1', 'a'), ('a2', 'a'), ('b1', 'b')):
            body = self.secret(name)
            body.metadata.labels = {'app': app}
            self.core.create_namespaced_secret('hurtle', body)
        self.assertEqual('dg==', self.core.read_namespaced_secret(
            'a1', 'hurtle').data['k'])
        self.core.delete_collection_namespaced_secret(
            'hurtle', label_selector='app=a')
        self.assertEqual(['b1'], [s.metadata.name for s in
                                  self.core.list_namespaced_secret(
                                      'hurtle').items])

    def test_wrong_token_is_401(self):
        self.cluster.sim.token = 'another'
        exc = self.assertRaises(kube_exc.ApiException,
                                self.core.list_namespaced_secret, 'hurtle')
        self.assertEqual(401, exc.status)


class KubernetesRuntimeTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.cluster = self.useFixture(k8s_kubelet.Cluster())
        self.sim = self.cluster.sim

    def runtime(self, **more):
        conf = self.useFixture(conf_fixture.HurtleConf(
            **k8s_overrides(self.cluster, **more))).conf
        return base.load('kubernetes', conf)

    def names(self):
        return sorted('%s/%s' % (k[0], k[2]) for k in self.sim.objects)

    def test_start_serves_the_so_and_stop_deletes_by_label(self):
        runtime = self.runtime()
        url, ref = runtime.start('App_1', BUNDLE, ENV)
        other_url, other = runtime.start('app-2', BUNDLE, ENV)
        name = ref['name']
        self.assertEqual('http://127.0.0.1:%d/' % self.sim.get(
            'services', 'hurtle', name)['spec']['ports'][0]['nodePort'], url)
        resp = requests.get(url + '-/', headers={'X-Auth-Token': SECRET},
                            timeout=5)
        self.assertEqual(200, resp.status_code)
        # The SO's contract (as on the local runtime) is in its Secret:
        # the cc deployer needs its app id and the CC's URL.
        data = self.sim.get('secrets', 'hurtle', name)['data']
        self.assertEqual(b'App_1', base64.b64decode(data['HURTLE_APP_ID']))
        self.assertIn('HURTLE_CC_URL', data)
        # The secret is in the Secret, never in the Deployment.
        self.assertNotIn(SECRET, json.dumps(self.sim.get(
            'deployments', 'hurtle', name)))
        self.assertEqual(base.Status('active', 0), runtime.status(ref))
        self.assertTrue(runtime.is_running(ref))

        runtime.stop(ref)
        self.assertEqual(['deployments/so-app-2', 'pods/' + self.sim.list(
            'pods', 'hurtle')[0]['metadata']['name'], 'secrets/so-app-2',
            'services/so-app-2'], self.names())
        self.assertIn(('DELETE', '/apis/apps/v1/namespaces/hurtle/'
                       'deployments'), self.sim.requests)
        self.assertFalse(runtime.is_running(ref))
        self.assertEqual('error', runtime.status(ref).state)
        wait_for(lambda: self.cluster.kubelet.pid(name) is None,
                 'the SO process gone')
        self.assertRaises(requests.ConnectionError, requests.get,
                          url + '-/', timeout=5)
        runtime.stop(ref)  # gone already: fine
        self.assertTrue(runtime.is_running(other))
        self.assertTrue(other_url.startswith('http://127.0.0.1:'))

    def test_a_killed_so_is_restarted_and_counted(self):
        runtime = self.runtime()
        self.assertTrue(runtime.self_healing)
        url, ref = runtime.start('app-1', BUNDLE, ENV)
        first = self.cluster.kubelet.kill(ref['name'])
        status = wait_for(lambda: (lambda s: s.state == 'active' and
                                   s.restarts == 1 and s)(
            runtime.status(ref)), 'restart 1')
        self.assertEqual(base.Status('active', 1), status)
        self.assertNotEqual(first, self.cluster.kubelet.pid(ref['name']))

        def answers():
            # The Deployment's status and the pod's are two reads (as on
            # a real cluster): the new SO may be a moment behind.
            try:
                return requests.get(url + '-/', timeout=5, headers={
                    'X-Auth-Token': SECRET}).status_code
            except requests.ConnectionError:
                return None
        self.assertEqual(200, wait_for(answers, 'the restarted SO answers'))

    def test_existing_object_is_409_and_left_alone(self):
        body = client.V1Service(
            metadata=client.V1ObjectMeta(name='so-app-1'),
            spec=client.V1ServiceSpec(ports=[client.V1ServicePort(port=1)]))
        runtime = self.runtime()
        runtime.core.create_namespaced_service('hurtle', body)
        err = self.assertRaises(base.RuntimeError_, runtime.start, 'app-1',
                                BUNDLE, ENV)
        self.assertIn('AlreadyExists', str(err))
        self.assertIn('hurtle.io/app=so-app-1', str(err))
        # Ours (the Secret) removed; theirs (the Service) kept.
        self.assertEqual(['services/so-app-1'], self.names())

    def test_refused_object_is_reported_and_nothing_is_left(self):
        runtime = self.runtime(kubernetes__ingress_host='Not_A_Domain')
        err = self.assertRaises(base.RuntimeError_, runtime.start, 'app-1',
                                BUNDLE, ENV)
        self.assertIn('422 Invalid', str(err))
        self.assertIn('spec.rules[0].host', str(err))
        self.assertEqual([], self.names())

    def test_bad_bundle_json_is_refused_before_anything_is_sent(self):
        bundle = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(bundle, 'bundle.json'), 'w') as handle:
            handle.write('{"command": "node so.js"}')
        runtime = self.runtime()
        err = self.assertRaises(base.RuntimeError_, runtime.start, 'app-1',
                                bundle, ENV)
        self.assertIn('bundle.json', str(err))
        self.assertEqual([], self.names())

    def test_missing_namespace_is_reported(self):
        runtime = self.runtime(kubernetes__namespace='absent')
        err = self.assertRaises(base.RuntimeError_, runtime.start, 'app-1',
                                BUNDLE, ENV)
        self.assertIn('namespaces "absent" not found', str(err))

    def test_pod_never_ready_times_out_with_its_reason(self):
        runtime = self.runtime(kubernetes__image='not-on-this-node:1',
                               cc__so_start_timeout=2)
        err = self.assertRaises(base.RuntimeError_, runtime.start, 'app-1',
                                BUNDLE, ENV)
        self.assertIn('not available within 2 s', str(err))
        self.assertIn('ErrImagePull', str(err))
        self.assertEqual([], self.names())

    def test_refused_deletion_raises(self):
        runtime = self.runtime()
        url, ref = runtime.start('app-1', BUNDLE, ENV)
        self.sim.token = 'revoked'
        err = self.assertRaises(base.RuntimeError_, runtime.stop, ref)
        self.assertIn('401', str(err))

    def test_url_forms(self):
        runtime = self.runtime(kubernetes__service_type='ClusterIP',
                               kubernetes__namespace='hurtle')
        self.assertEqual('http://so-a.hurtle.svc:8080/',
                         runtime._url('so-a', None))
        runtime = self.runtime(kubernetes__ingress_host='apps.example.org')
        self.assertEqual('http://so-a.apps.example.org/',
                         runtime._url('so-a', None))

    def test_bad_kubeconfig_stops_loading(self):
        conf = self.useFixture(conf_fixture.HurtleConf(
            cc__runtime='kubernetes',
            kubernetes__kubeconfig='/nonexistent/kubeconfig')).conf
        err = self.assertRaises(RuntimeError, base.load, 'kubernetes', conf)
        self.assertIn('[cc] runtime = kubernetes', str(err))
        self.assertIn('/nonexistent/kubeconfig', str(err))

    def test_in_cluster_auth_outside_a_pod_stops_loading(self):
        self.useFixture(fixtures.EnvironmentVariable(
            'KUBERNETES_SERVICE_HOST'))
        conf = self.useFixture(conf_fixture.HurtleConf(
            cc__runtime='kubernetes')).conf
        err = self.assertRaises(RuntimeError, base.load, 'kubernetes', conf)
        self.assertIn('(empty: in-cluster service account)', str(err))


class DriverLoadingTest(testtools.TestCase):

    def test_unknown_runtime_lists_the_installed_ones(self):
        conf = self.useFixture(conf_fixture.HurtleConf()).conf
        err = self.assertRaises(RuntimeError, base.load, 'kubernets', conf)
        self.assertIn('[cc] runtime = kubernets: no such driver', str(err))
        self.assertRegex(str(err), r'installed drivers in hurtle.cc.runtime: '
                         r'.*kubernetes, local')

    def test_hurtle_cc_with_an_unknown_runtime_does_not_start(self):
        state = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(state, 'hurtle.conf')
        with open(path, 'w') as handle:
            handle.write('[DEFAULT]\nstate_path = %s\n[cc]\nport = 0\n'
                         'runtime = kubernets\n' % state)
        done = subprocess.run(
            [sys.executable, '-P', '-m', 'hurtle.cmd.cc', '--config-file',
             path], capture_output=True, text=True, timeout=120,
            stdin=subprocess.DEVNULL)
        self.assertEqual(1, done.returncode)
        self.assertIn('hurtle-cc: [cc] runtime = kubernets: no such driver; '
                      'installed drivers in hurtle.cc.runtime: ', done.stderr)
        self.assertNotIn('Traceback', done.stderr)


class KubernetesAppAPITest(testtools.TestCase):
    """The CC's app API with ``[cc] runtime = kubernetes``."""

    def setUp(self):
        super().setUp()
        self.cluster = self.useFixture(k8s_kubelet.Cluster())
        test_app_api.serve_cc(self, cc__allowed_images=[BUNDLE],
                              **k8s_overrides(self.cluster))

    def create(self):
        return self.client.create('/app/', test_app_api.APP, {
            'occi.app.name': 'so-1', 'occi.app.image': BUNDLE,
            'occi.app.env': json.dumps(ENV)})

    def test_crash_restart_shows_in_state_and_restarts(self):
        location = self.create()
        app = self.client.get(location)
        self.assertEqual('active', app.attributes['occi.app.state'])
        self.assertEqual(0, app.attributes[api.RESTARTS])
        name = objects.object_name(location.rstrip('/').rsplit('/', 1)[-1])
        self.cluster.kubelet.kill(name)
        app = wait_for(lambda: (lambda a: a.attributes[api.RESTARTS] == 1
                                and a.attributes['occi.app.state'] ==
                                'active' and a)(self.client.get(location)),
                       'restart shown')
        # The CC's own recovery left it to Kubernetes: one Deployment, one
        # pod, and the watcher does nothing.
        self.assertEqual(1, len(self.cluster.sim.list('deployments')))
        self.assertEqual(1, len(self.cluster.sim.list('pods')))
        self.assertIsNone(self.backend.check(
            location.rstrip('/').rsplit('/', 1)[-1], None))
        self.client.delete(location)
        self.assertRaises(errors.NotFound, self.client.get, location)
        self.assertEqual([], self.cluster.sim.list('deployments'))

    def test_stop_failure_is_409_and_keeps_the_app(self):
        location = self.create()
        token, self.cluster.sim.token = self.cluster.sim.token, 'revoked'
        err = self.assertRaises(errors.Conflict, self.client.delete,
                                location)
        self.assertIn('cannot stop app so-1', err.message)
        self.assertIn('401', err.message)
        self.assertEqual(1, len(self.cluster.sim.list('deployments')))
        self.cluster.sim.token = token
        self.assertEqual('active', self.client.get(location).attributes[
            'occi.app.state'])
        self.client.delete(location)
        self.assertEqual([], self.cluster.sim.list('deployments'))
