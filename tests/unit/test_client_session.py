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
"""hurtle.client_session: the drivers' sessions never wait forever."""
import socket

from keystoneauth1 import exceptions as ks_exc
import testtools

from hurtle import client_session
from hurtle.conf import service_credentials
from tests import conf_fixture


class TimeoutTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        # Listens, never accepts nor answers: a service that hangs.
        self.hung = socket.socket()
        self.addCleanup(self.hung.close)
        self.hung.bind(('127.0.0.1', 0))
        self.hung.listen(8)
        self.url = 'http://127.0.0.1:%d/' % self.hung.getsockname()[1]

    def test_noauth_uses_service_credentials_timeout(self):
        conf = self.useFixture(conf_fixture.HurtleConf(
            service_credentials__timeout=0.3)).conf
        session, endpoint = client_session.load(conf, self.url, '[dns] x')
        self.assertEqual(0.3, session.timeout)
        self.assertRaises(ks_exc.ConnectTimeout, session.get, endpoint)

    def test_a_default_when_none_is_set(self):
        conf = self.useFixture(conf_fixture.HurtleConf()).conf
        session, _endpoint = client_session.load(conf, self.url, '[dns] x')
        self.assertEqual(service_credentials.DEFAULT_TIMEOUT, session.timeout)
