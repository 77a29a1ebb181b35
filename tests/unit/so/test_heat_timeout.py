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
"""The Keystone Heat deployer never waits for good: a Heat, or a Keystone,
that accepts connections and never answers (a stopped process) makes its
calls ``DeployerUnavailable`` after ``[service_credentials] timeout``, else
``service_credentials.DEFAULT_TIMEOUT`` seconds.

keystoneauth1 has no timeout of its own: the CC's create of a stack on a
stopped Heat, and every read of that stack, hung until Heat came back
(tests.functional.test_lifecycle_faults, Keystone variant). Real parts:
the fake Keystone is an HTTP server speaking Identity v3, the hung
services are loopback sockets that listen and never accept.
"""
import socket
import threading
import time

import fixtures
from keystoneauth1 import loading as ks_loading
import testtools

from hurtle.conf import service_credentials
from hurtle import sdk
from hurtle.so.deployers import heat as heat_deployer
from tests import conf_fixture
from tests import fake_keystone

PASSWORD = 'a-password'
#: The default timeout in these tests (seconds), instead of 30.
SHORT = 0.5
#: Seconds a call may take here before it counts as hung.
HUNG = 10


def hung_url(case):
    """The URL of a loopback port that accepts connections (the kernel's
    backlog) and never answers: a stopped server."""
    sock = socket.socket()
    case.addCleanup(sock.close)
    sock.bind(('127.0.0.1', 0))
    sock.listen(16)
    return 'http://127.0.0.1:%d' % sock.getsockname()[1]


class KeystoneHeatTimeoutTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.keystone = fake_keystone.FakeKeystone()
        self.keystone.add_user('hurtle', PASSWORD, project='service',
                               roles=['admin'])
        self.keystone.start()
        self.addCleanup(self.keystone.stop)
        self.heat_url = hung_url(self) + '/v1/p'
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.conf.service_credentials.DEFAULT_TIMEOUT', SHORT))

    def conf(self, auth_url=None, **overrides):
        conf = self.useFixture(conf_fixture.HurtleConf(
            deployer__auth_strategy='keystone',
            deployer__heat_url=self.heat_url, **overrides)).conf
        group = service_credentials.GROUP
        service_credentials.register_opts(conf)
        conf.register_opts(ks_loading.get_auth_plugin_conf_options(
            'password'), group=group)
        for name, value in (
                ('auth_type', 'password'),
                ('auth_url', auth_url or self.keystone.url + '/v3'),
                ('username', 'hurtle'), ('password', PASSWORD),
                ('user_domain_name', 'Default'),
                ('project_name', 'service'),
                ('project_domain_name', 'Default')):
            conf.set_override(name, value, group=group)
        return conf

    def assert_unavailable_soon(self, call, *args):
        """``call(*args)`` raises DeployerUnavailable within :data:`HUNG`
        seconds (run in a thread: a call that hangs fails the test
        instead of hanging it; the thread ends when the hung socket
        closes at cleanup)."""
        outcome = []

        def run():
            try:
                call(*args)
            except BaseException as exc:
                outcome.append(exc)
            else:
                outcome.append(None)
        thread = threading.Thread(target=run, daemon=True)
        start = time.monotonic()
        thread.start()
        thread.join(HUNG)
        self.assertFalse(thread.is_alive(), '%s still waits after %d s'
                         % (call.__name__, HUNG))
        [exc] = outcome
        self.assertIsInstance(exc, sdk.DeployerUnavailable)
        return time.monotonic() - start, exc

    def test_a_stopped_heat_is_unavailable_after_the_default_timeout(self):
        deployer = heat_deployer.HeatDeployer(self.conf(), 'p')
        for call, args in ((deployer.deploy, ('s', 'heat_template_version: '
                                                   '2018-08-31')),
                           (deployer.tagged, ('s', 'hurtle-app-a')),
                           (deployer.details, ('sid',))):
            took, exc = self.assert_unavailable_soon(call, *args)
            self.assertGreaterEqual(took, SHORT)
            self.assertIn(self.heat_url.rsplit('/v1', 1)[0], exc.detail)

    def test_the_configured_timeout_wins(self):
        deployer = heat_deployer.HeatDeployer(
            self.conf(service_credentials__timeout=1), 'p')
        took, _exc = self.assert_unavailable_soon(deployer.tagged, 's',
                                                  'hurtle-app-a')
        self.assertGreaterEqual(took, 1)

    def test_a_stopped_keystone_is_unavailable_for_a_trust(self):
        # The CC's deployer of an instance with a trust: its token comes
        # from Keystone first.
        deployer = heat_deployer.HeatDeployer(
            self.conf(auth_url=hung_url(self) + '/v3'), 'p',
            trust_id='a-trust')
        self.assert_unavailable_soon(deployer.tagged, 's', 'hurtle-app-a')

    def test_the_cc_pool_keeps_the_timeout(self):
        # The CC sends with a requests.Session of its own (http_pool).
        deployer = heat_deployer.HeatDeployer(self.conf(), 'p',
                                              trust_id='a-trust',
                                              http_pool=4)
        self.assertEqual(SHORT, deployer.client.http_client.session.timeout)


class NoauthHeatTimeoutTest(testtools.TestCase):
    """The noauth (embedded) Heat: ``[deployer] heat_timeout``."""

    assert_unavailable_soon = KeystoneHeatTimeoutTest.assert_unavailable_soon

    def test_a_stopped_heat_is_unavailable_after_heat_timeout(self):
        conf = self.useFixture(conf_fixture.HurtleConf(
            deployer__auth_strategy='noauth',
            deployer__heat_url=hung_url(self) + '/v1/%(project)s',
            deployer__heat_timeout=SHORT)).conf
        deployer = heat_deployer.HeatDeployer(conf, 'p', http_pool=4)
        for call, args in ((deployer.deploy, ('s', 'heat_template_version: '
                                                   '2018-08-31')),
                           (deployer.stacks_tagged, ('hurtle-app-a',))):
            took, _exc = self.assert_unavailable_soon(call, *args)
            self.assertGreaterEqual(took, SHORT)
            self.assertLess(took, HUNG / 2)
