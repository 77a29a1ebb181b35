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
"""``GET /healthcheck`` of the running SM and CC processes (embedded Heat,
CC and SM as separate processes): no credentials needed, and the SM
reports its CC gone while it is stopped, then healthy again."""
import requests
import testtools

from tests.functional import hurtle_fixture


class HealthcheckTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hurtle = hurtle_fixture.HurtleParts()
        cls.hurtle.setUp()

    @classmethod
    def tearDownClass(cls):
        cls.hurtle.cleanUp()
        super().tearDownClass()

    def healthcheck(self, url, method='GET'):
        return requests.request(method, url + 'healthcheck', timeout=30)

    def test_both_apis_answer_without_credentials(self):
        for url in (self.hurtle.sm_url, self.hurtle.cc_url):
            resp = self.healthcheck(url)
            self.assertEqual(200, resp.status_code, resp.text)
            # one line per check: the SM runs two, the CC one
            self.assertEqual(['OK'] * (2 if url == self.hurtle.sm_url
                                       else 1), resp.text.split('\n'))
            self.assertEqual(204, self.healthcheck(url, 'HEAD').status_code)
        # the APIs themselves still want credentials
        self.assertEqual(401, requests.get(self.hurtle.cc_url + '-/',
                                           timeout=30).status_code)

    def test_the_sm_is_unavailable_while_its_cc_is_stopped(self):
        cc = self.hurtle.children[1]
        self.assertEqual('hurtle-cc', cc.name)
        cc.stop()
        try:
            resp = self.healthcheck(self.hurtle.sm_url)
            self.assertEqual(503, resp.status_code)
            self.assertIn('cloud controller %s unreachable'
                          % self.hurtle.cc_url, resp.text)
        finally:
            cc.start()
            cc.wait_ready(self.hurtle.start_timeout)
        self.assertEqual(200, self.healthcheck(self.hurtle.sm_url).status_code)
