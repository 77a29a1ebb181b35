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
"""Which ``Host`` values the DNS rebinding guard lets through."""
import testtools

from hurtle.occi import errors
from hurtle.occi import hosts


class HostGuardTest(testtools.TestCase):

    def test_addresses_and_localhost_pass_without_configuration(self):
        guard = hosts.HostGuard()
        for host in ('127.0.0.1', '127.0.0.1:8888', '[::1]:8888', '[::1]',
                     '10.1.2.3:80', 'localhost', 'LOCALHOST:8888',
                     'localhost.', 'sm.localhost:8888'):
            self.assertTrue(guard.allows(host), host)
            self.assertIsNone(guard({'HTTP_HOST': host}))

    def test_other_names_are_refused_with_the_option_to_set(self):
        guard = hosts.HostGuard(option='[sm] allowed_hosts')
        for host in ('evil.example', 'evil.example:8888',
                     '127.0.0.1.evil.example', 'localhost.evil.example',
                     'notlocalhost'):
            self.assertFalse(guard.allows(host), host)
            exc = self.assertRaises(errors.BadRequest, guard,
                                    {'HTTP_HOST': host})
            self.assertIn(repr(host), str(exc))
            self.assertIn('[sm] allowed_hosts', str(exc))
            self.assertIn('DNS rebinding', str(exc))

    def test_allowed_names_and_the_public_url_host_pass(self):
        guard = hosts.HostGuard(['SM.Internal.', 'other.example'],
                                public_url='https://cloud.example:8443/sm/')
        for host in ('sm.internal', 'sm.internal:8888', 'other.example',
                     'cloud.example', 'Cloud.Example:443'):
            self.assertTrue(guard.allows(host), host)
        self.assertFalse(guard.allows('sub.other.example'))
        self.assertFalse(guard.allows('evil.example'))

    def test_star_allows_any_name(self):
        self.assertTrue(hosts.HostGuard(['*']).allows('evil.example'))

    def test_no_host_and_malformed_hosts_are_left_to_the_parser(self):
        guard = hosts.HostGuard()
        self.assertIsNone(guard({}))
        # The request parser answers these 400 with its own message.
        self.assertTrue(guard.allows('[::1'))
