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
"""Heat unreachable: the Heat deployer raises ``DeployerUnavailable`` (a
sentence for users, the URL only in ``detail``), and the SO API answers
503 with that sentence.

The deployer talks to a closed loopback port (connection refused), as
during a restart of Heat; the SO API is served on 127.0.0.1.
"""
import os

import testtools

from hurtle.occi import categories
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle.occi import server
from hurtle import sdk
from hurtle.so import api as so_api
from hurtle.so.deployers import heat as heat_deployer
from tests import conf_fixture
from tests import net

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
TEMPLATE = os.path.join(ROOT, 'samples', 'sample', 'templates',
                        'sample.yaml')
SENTENCE = 'orchestration service unreachable'
ORCHESTRATOR = occi_client.CategoryRef.of(categories.ORCHESTRATOR)


class HeatUnreachableTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.port = net.held_port(self)
        conf = self.useFixture(conf_fixture.HurtleConf(
            deployer__heat_url='http://127.0.0.1:%d/v1/%%(project)s'
            % self.port)).conf
        self.deployer = heat_deployer.HeatDeployer(conf, 'p1')

    def test_every_call_raises_unavailable_with_the_detail_aside(self):
        calls = [lambda: self.deployer.deploy('s', 'x: 1'),
                 lambda: self.deployer.update('sid', parameters={}),
                 lambda: self.deployer.details('sid'),
                 lambda: self.deployer.dispose('sid'),
                 lambda: self.deployer.is_gone('sid')]
        for call in calls:
            err = self.assertRaises(sdk.DeployerUnavailable, call)
            self.assertIsInstance(err, sdk.DeployerError)
            self.assertEqual(SENTENCE, str(err))
            self.assertIn('127.0.0.1:%d' % self.port, err.detail)

    def test_so_api_answers_503_with_the_sentence(self):
        deployer = self.deployer

        class SO(sdk.StackOrchestrator):
            default_templates = {'deployment': TEMPLATE,
                                 'provision': TEMPLATE}

        def factory():
            return SO(sdk.SOContext(instance_id='i1', bundle_dir=ROOT,
                                    templates={}, deployer=deployer))

        srv, _thread = server.serve_in_thread(
            so_api.make_application(factory))
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        client = occi_client.OCCIClient(
            'http://127.0.0.1:%d/' % srv.server_port, retries=0)
        client.put(so_api.SO_PATH, ORCHESTRATOR, {})
        deploy = occi_client.CategoryRef.of(categories.DEPLOY)
        err = self.assertRaises(errors.ServiceUnavailable, client.action,
                                so_api.SO_PATH, deploy)
        self.assertEqual(503, err.code)
        self.assertEqual('deploy: ' + SENTENCE, err.message)
        # Nothing was deployed: once Heat is back, deploy may be retried.
        info = client.get(so_api.SO_PATH)
        self.assertEqual('NOT_DEPLOYED',
                         info.attributes['occi.mcn.stack.state'])
