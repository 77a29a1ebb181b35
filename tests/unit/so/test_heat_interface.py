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
"""The Keystone Heat deployer finds Heat on ``[service_credentials]
interface``; a catalog without Heat there is a ``DeployerError`` naming
the option (the trusts' side, on a real Keystone:
tests.functional.test_keystone_composition).

The service credentials' session holds a token with a catalog whose
``orchestration`` endpoint is on the public interface only, at a closed
loopback port: a call that found it is refused ("unreachable").
"""
import fixtures
from keystoneauth1 import access
from keystoneauth1 import fixture as ks_fixture
from keystoneauth1.identity import access as access_plugin
from keystoneauth1 import session as ks_session
import testtools

from hurtle.conf import service_credentials
from hurtle import sdk
from hurtle.so.deployers import heat as heat_deployer
from tests import conf_fixture
from tests import net


def catalog_session(heat_url):
    token = ks_fixture.V3Token()
    token.set_project_scope()
    token.add_service('orchestration').add_endpoint(
        'public', heat_url, region='RegionOne')
    auth = access_plugin.AccessInfoPlugin(
        access.create(body=token, auth_token='a-token'))
    return ks_session.Session(auth=auth)


class HeatInterfaceTest(testtools.TestCase):

    def deployer(self, interface):
        self.port = net.held_port(self)
        session = catalog_session('http://127.0.0.1:%d/v1/p' % self.port)
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.conf.service_credentials.load_session',
            lambda conf: session))
        conf = self.useFixture(conf_fixture.HurtleConf(
            deployer__auth_strategy='keystone',
            deployer__heat_url='http://h/v1/%(project)s',
            service_credentials__interface=interface)).conf
        return heat_deployer.HeatDeployer(conf, 'p')

    def test_heat_missing_on_the_interface_names_the_option(self):
        deployer = self.deployer('internal')
        err = self.assertRaises(sdk.DeployerError, deployer.details, 'sid')
        self.assertNotIsInstance(err, sdk.DeployerUnavailable)
        self.assertIn(service_credentials.MISSING_ENDPOINT % (
            'orchestration', 'internal'), str(err))

    def test_heat_on_the_interface_is_called(self):
        deployer = self.deployer('public')
        err = self.assertRaises(sdk.DeployerUnavailable, deployer.details,
                                'sid')
        self.assertIn('127.0.0.1:%d' % self.port, err.detail)
