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
"""The walking skeleton with ``[cc] runtime = kubernetes``.

``hurtle-all`` (embedded Heat, CC, SM as processes) with its CC pointed at
the Kubernetes API simulator (tests/k8s_simulator.py) through a
kubeconfig; the simulated kubelet (tests/k8s_kubelet.py) runs each SO
Deployment as a local hurtle-so process, bound to its Service's node port.
The sample service goes create → active → update → delete as on the
``local`` runtime, and the cluster holds exactly the SO's objects while
the instance lives. An SO stopped with SIGSTOP (hung) is killed by its
pod's liveness probe and restarted by the kubelet, and the instance is
updated through it afterwards.
"""
import json
import signal
import time

import requests

from hurtle.cc.runtime import kubernetes_objects as objects
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle import polling
from tests.functional import hurtle_fixture
from tests import k8s_kubelet

KIND = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                               'sample', 'kind')
TIMEOUT = 120
#: Short liveness settings (``[cc] so_liveness_*``): a hung SO is killed
#: after 3 probes of 2 s, one a second.
LIVENESS = ('so_liveness_failures = 3\nso_liveness_interval = 1\n'
            'so_liveness_timeout = 2\n')
#: Seconds from SIGSTOP until the restarted SO answers (3 failed probes
#: of about 3 s, 1 s of grace, the SO's start).
HUNG_BOUND = 40


class KubernetesRuntimeTest(hurtle_fixture.HurtleTestCase):

    @classmethod
    def make_hurtle(cls):
        cls.cluster = k8s_kubelet.Cluster()
        cls.cluster.setUp()
        cls.addClassCleanup(cls.cluster.cleanUp)
        return hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,),
            extra_conf='[cc]\nruntime = kubernetes\n%s\n[kubernetes]\n'
                       'kubeconfig = %s\nservice_type = NodePort\n'
                       % (LIVENESS, cls.cluster.kubeconfig))

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # The SOs read the same hurtle.conf as on the local runtime (in a
        # real cluster: [kubernetes] config_map).
        cls.cluster.config_files = [cls.hurtle.conf_path]

    def setUp(self):
        super().setUp()
        self.client = occi_client.OCCIClient(
            self.hurtle.sm_url, headers={'X-Project-Id': 'demo'})
        self.sim = self.cluster.sim

    def state_becomes(self, location, wanted):
        def check():
            entity = self.client.get(location)
            state = entity.attributes['mcn.service.state']
            return entity if state in wanted else None
        try:
            return polling.poll_until(check, TIMEOUT, 0.2, 'state %s'
                                      % sorted(wanted))
        except polling.Timeout:
            self.fail('%s never reached %s' % (location, sorted(wanted)))

    def app_names(self):
        return [d['metadata']['name']
                for d in self.sim.list('deployments', 'hurtle')]

    def test_sample_instance_lifecycle_on_kubernetes(self):
        location = self.client.create('/sample/', KIND, {})
        entity = self.state_becomes(location, {'active', 'failed'})
        attrs = entity.attributes
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        self.assertIn('greeting=hello', attrs['mcn.endpoint.sample'])

        # One SO: a Deployment, its Service, its Secret, labelled alike.
        [name] = self.app_names()
        selector = objects.selector(name)
        for plural in ('deployments', 'services', 'secrets', 'pods'):
            self.assertEqual(1, len(self.sim.list(plural, 'hurtle',
                                                  selector)), plural)
        node_port = self.sim.get('services', 'hurtle', name)['spec'][
            'ports'][0]['nodePort']
        so_url = attrs['occi.so.url']
        self.assertEqual('http://127.0.0.1:%d/' % node_port, so_url)
        resp = requests.get(so_url + 'orchestrator/default', timeout=10)
        self.assertEqual(401, resp.status_code, 'the SO must want its secret')
        # The SO secret is read from the Secret, never written in the pod.
        deployment = self.sim.get('deployments', 'hurtle', name)
        [container] = deployment['spec']['template']['spec']['containers']
        env = {var['name']: var for var in container['env']}
        self.assertEqual({'name': name, 'key': 'HURTLE_SO_SECRET'},
                         env['HURTLE_SO_SECRET']['valueFrom']['secretKeyRef'])
        self.assertNotIn('"value"', json.dumps(deployment))

        self.client.update(location, KIND, {'sample.greeting': 'bonjour'})
        entity = self.state_becomes(location, {'active', 'failed'})
        self.assertEqual('active', entity.attributes['mcn.service.state'])
        self.assertIn('greeting=bonjour',
                      entity.attributes['mcn.endpoint.sample'])

        self.client.delete(location)
        self.wait_instance_gone(location, timeout=TIMEOUT)
        for plural in ('deployments', 'services', 'secrets', 'pods'):
            self.assertEqual([], self.sim.list(plural, 'hurtle', selector),
                             plural)
        polling.poll_until(
            lambda: self.cluster.kubelet.pid(name) is None or None,
            30, 0.1, 'SO process stopped')
        self.assertRaises(requests.ConnectionError, requests.get,
                          so_url + '-/', timeout=5)

    def test_a_hung_so_is_replaced_and_the_instance_goes_on(self):
        location = self.client.create('/sample/', KIND, {})
        self.addCleanup(self._delete_quietly, location)
        entity = self.state_becomes(location, {'active', 'failed'})
        self.assertEqual('active', entity.attributes['mcn.service.state'],
                         entity.attributes.get('mcn.service.state.reason'))
        so_url = entity.attributes['occi.so.url']
        [name] = [n for n in self.app_names()
                  if self.cluster.kubelet.pid(n) is not None
                  and self.sim.get('services', 'hurtle', n)['spec']['ports']
                  [0]['nodePort'] == int(so_url.rstrip('/').rsplit(':')[-1])]
        kills = len(self.cluster.kubelet.probe_kills)
        uid = self.sim.get('deployments', 'hurtle', name)['metadata']['uid']
        stopped = self.cluster.kubelet.signal(name, signal.SIGSTOP)
        began = time.monotonic()
        # An update meets the hung SO: the SM's request fails when the
        # kubelet kills the SO and is sent again to the restarted one (or,
        # if the SM finds the app not active meanwhile, the start it sends
        # waits for the kubelet's restart: test_kubernetes_liveness).
        self.client.update(location, KIND, {'sample.greeting': 'hallo'})

        def answers():
            try:
                return requests.get(so_url + '-/', timeout=2).status_code
            except requests.RequestException:
                return None
        self.assertEqual(401, polling.poll_until(
            answers, HUNG_BOUND, 0.2, 'the SO answers again'))
        took = time.monotonic() - began
        self.assertLess(took, HUNG_BOUND)
        self.assertNotEqual(stopped, self.cluster.kubelet.pid(name))
        [(_, killed, kind, _why)] = self.cluster.kubelet.probe_kills[kills:]
        self.assertEqual((name, 'Liveness'), (killed, kind))

        # The SO's URL did not change; the SM went on with it.
        entity = polling.poll_until(
            lambda: (lambda e: 'greeting=hallo' in e.attributes.get(
                'mcn.endpoint.sample', '') and e)(self.client.get(location))
            or None, TIMEOUT, 0.2, 'the update applied')
        self.assertEqual('active', entity.attributes['mcn.service.state'],
                         entity.attributes.get('mcn.service.state.reason'))
        self.assertIn('greeting=hallo',
                      entity.attributes['mcn.endpoint.sample'])
        self.assertEqual(so_url, entity.attributes['occi.so.url'])
        # The kubelet's restart, not a new Deployment of the CC's.
        self.assertEqual(uid, self.sim.get('deployments', 'hurtle', name)[
            'metadata']['uid'])
        self.assertEqual(1, self.sim.get('pods', 'hurtle', self.sim.list(
            'pods', 'hurtle', objects.selector(name))[0]['metadata'][
                'name'])['status']['containerStatuses'][0]['restartCount'])

    def _delete_quietly(self, location):
        """Delete the instance and wait until it and its SO's objects are
        gone (the other test counts the cluster's objects)."""
        try:
            self.client.delete(location)
        except errors.NotFound:
            return
        except errors.OCCIError:
            pass

        def gone():
            try:
                self.client.get(location)
            except errors.NotFound:
                return not self.app_names() or None
            return None
        polling.poll_until(gone, TIMEOUT, 0.2, 'instance and SO gone')
