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
"""The CC keeps one Heat deployer per project, trust and region
(``StackBackend.heat_deployer``), never one of another caller's."""
import testtools

from hurtle.cc import so_auth
from hurtle.cc import stack_store
from hurtle.cc import stacks
from hurtle.db import migration
from tests import conf_fixture


class KeptDeployersTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            wsgi__wsgi_default_pool_size=7)).conf
        url = self.conf.database.connection
        migration.upgrade(url)
        self.backend = stacks.StackBackend(self.conf,
                                           stack_store.StackStore(url))

    def deployer(self, project='p1', trust_id=None, region=None):
        return self.backend.heat_deployer(
            so_auth.SOCaller(app_id='a', project=project, trust_id=trust_id),
            region)

    def test_one_per_project_trust_and_region(self):
        first = self.deployer()
        self.assertIs(first, self.deployer())
        others = [self.deployer(project='p2'), self.deployer(trust_id='t1'),
                  self.deployer(region='RegionTwo'),
                  self.deployer(trust_id='t2')]
        self.assertEqual(5, len({id(d) for d in [first] + others}))

    def test_its_connections_are_kept_for_the_servers_threads(self):
        adapter = self.deployer().client.http_client.session.session \
            .get_adapter('http://127.0.0.1/')
        self.assertEqual(7, adapter._pool_maxsize)

    def test_the_least_recently_used_is_forgotten(self):
        first = self.deployer(trust_id='t0')
        for number in range(1, stacks.KEPT_DEPLOYERS + 1):
            self.deployer(trust_id='t%d' % number)
        self.assertIsNot(first, self.deployer(trust_id='t0'))

    def test_a_deleted_apps_trust_is_forgotten(self):
        kept = self.deployer(trust_id='t1')
        other = self.deployer(trust_id='t2')
        # The app had no stack left: nothing to ask Heat.
        self.backend.dispose_app('a', {'HURTLE_PROJECT': 'p1',
                                       'HURTLE_TRUST_ID': 't1'})
        self.assertIsNot(kept, self.deployer(trust_id='t1'))
        self.assertIs(other, self.deployer(trust_id='t2'))
