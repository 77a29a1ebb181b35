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
"""``[cc] url``: where SOs reach the CC (HURTLE_CC_URL)."""
import testtools

from hurtle.conf import cc as cc_conf
from tests import conf_fixture


class CCURLTest(testtools.TestCase):

    def url(self, **overrides):
        conf = self.useFixture(conf_fixture.HurtleConf(**overrides)).conf
        return cc_conf.url(conf)

    def test_default_is_derived_from_the_bind_address(self):
        self.assertEqual('http://127.0.0.1:8887/', self.url())
        self.assertEqual('http://10.1.2.3:9000/',
                         self.url(cc__host='10.1.2.3', cc__port=9000))

    def test_wildcard_addresses_become_loopback(self):
        self.assertEqual('http://127.0.0.1:8887/',
                         self.url(cc__host='0.0.0.0'))
        self.assertEqual('http://[::1]:8887/', self.url(cc__host='::'))
        self.assertEqual('http://[fd00::5]:8887/',
                         self.url(cc__host='fd00::5'))

    def test_configured_url_wins(self):
        self.assertEqual('https://cc.example.org/',
                         self.url(cc__url='https://cc.example.org/'))
