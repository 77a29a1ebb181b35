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
the instance lives.
"""
import json

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


class KubernetesRuntimeTest(hurtle_fixture.HurtleTestCase):

    @classmethod
    def make_hurtle(cls):
        cls.cluster = k8s_kubelet.Cluster()
        cls.cluster.setUp()
        cls.addClassCleanup(cls.cluster.cleanUp)
        return hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,),
            extra_conf='[cc]\nruntime = kubernetes\n\n[kubernetes]\n'
                       'kubeconfig = %s\nservice_type = NodePort\n'
                       % cls.cluster.kubeconfig)

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

        def gone():
            try:
                self.client.get(location)
            except errors.NotFound:
                return True
            return None
        polling.poll_until(gone, TIMEOUT, 0.2, 'instance gone')
        for plural in ('deployments', 'services', 'secrets', 'pods'):
            self.assertEqual([], self.sim.list(plural, 'hurtle', selector),
                             plural)
        polling.poll_until(
            lambda: self.cluster.kubelet.pid(name) is None or None,
            30, 0.1, 'SO process stopped')
        self.assertRaises(requests.ConnectionError, requests.get,
                          so_url + '-/', timeout=5)
