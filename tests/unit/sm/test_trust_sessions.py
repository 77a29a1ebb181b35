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
"""``hurtle.sm.peers.Peers.trust_session``: trust-scoped sessions are
kept, the least recently used dropped past ``TRUST_SESSIONS`` (their
tokens on a real Keystone: tests.functional.test_keystone_composition).
Making a session asks Keystone nothing."""
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg
import testtools

from hurtle import conf as hurtle_conf
from hurtle.conf import service_credentials
from hurtle.sm import peers


def keystone_conf(interface=None):
    conf = cfg.ConfigOpts()
    hurtle_conf.register_all(conf)
    conf([], project='hurtle', default_config_files=[])
    conf.set_override('auth_strategy', 'keystone')
    group = service_credentials.GROUP
    conf.set_override('auth_type', 'password', group=group)
    conf.register_opts(ks_loading.get_auth_plugin_conf_options('password'),
                       group=group)
    conf.set_override('auth_url', 'http://127.0.0.1:9/v3', group=group)
    conf.set_override('username', 'hurtle', group=group)
    conf.set_override('password', 'secret', group=group)
    conf.set_override('user_domain_id', 'default', group=group)
    conf.set_override('project_name', 'service', group=group)
    if interface:
        conf.set_override('interface', interface, group=group)
    return conf


class TrustSessionsTest(testtools.TestCase):

    def test_a_trusts_session_is_kept_and_scoped_to_it(self):
        keeper = peers.Peers(keystone_conf())
        session = keeper.trust_session('t1')
        self.assertIs(session, keeper.trust_session('t1'))
        scope = session.auth.get_cache_id_elements()
        self.assertEqual('t1', scope['trust_id'])
        # One scope: the configured project is left out.
        self.assertIsNone(scope['project_name'])
        self.assertIsNot(session, keeper.trust_session('t2'))

    def test_the_least_recently_used_is_dropped(self):
        keeper = peers.Peers(keystone_conf())
        first = keeper.trust_session('first')
        second = keeper.trust_session('second')
        for index in range(peers.TRUST_SESSIONS - 2):
            keeper.trust_session('t%d' % index)
        keeper.trust_session('first')     # used again: kept
        keeper.trust_session('one-more')  # drops 'second'
        self.assertIs(first, keeper.trust_session('first'))
        self.assertIsNot(second, keeper.trust_session('second'))

    def test_a_forgotten_trust_gets_a_new_session(self):
        keeper = peers.Peers(keystone_conf())
        session = keeper.trust_session('t1')
        keeper.forget_trust('t1')
        keeper.forget_trust('never-seen')
        self.assertIsNot(session, keeper.trust_session('t1'))


class InterfaceOptionTest(testtools.TestCase):

    def test_public_by_default_and_one_of_three(self):
        self.assertEqual('public',
                         service_credentials.interface(keystone_conf()))
        self.assertEqual('internal', service_credentials.interface(
            keystone_conf('internal')))
        self.assertRaises(ValueError, keystone_conf, 'private')

    def test_the_missing_endpoint_message_names_the_option(self):
        message = service_credentials.missing_endpoint(
            keystone_conf('admin'), 'identity')
        self.assertIn("identity endpoint on the 'admin' interface", message)
        self.assertIn('[service_credentials] interface', message)
