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
"""``<service_type>=<URL>`` entries of the service_catalogue options."""
import testtools

from hurtle.conf import types as conf_types

MCN = 'http://schemas.mobile-cloud-networking.eu/occi/sm#'


class CatalogueEntriesTest(testtools.TestCase):

    def test_entries(self):
        self.assertEqual(
            {MCN + 'dns': 'http://127.0.0.1:8890/dns/'},
            conf_types.parse_catalogue_entries(
                [MCN + 'dns=http://127.0.0.1:8890/dns/']))

    def test_bad_entries(self):
        for entry in ('no-equals', '=http://x/', MCN + 'dns='):
            err = self.assertRaises(ValueError,
                                    conf_types.parse_catalogue_entries,
                                    [entry])
            self.assertIn('<service_type>=<URL>', str(err))
