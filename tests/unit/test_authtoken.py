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
"""``hurtle.authtoken``: the defaults and error answers of the authtoken
filter (against a real Keystone: tests/functional/test_keystone_mode.py).
"""
import socket
import threading

import fixtures
from keystoneauth1 import exceptions as ks_exc
from oslo_config import cfg
import testtools
import webob

from hurtle import authtoken


def failing(exc):
    def app(environ, start_response):
        raise exc
    return app


class AuthTokenTest(testtools.TestCase):

    def test_interface_defaults_to_public_and_can_be_set(self):
        conf = cfg.ConfigOpts()
        conf([], project='hurtle', default_config_files=[])
        authtoken.set_defaults(conf)
        self.assertEqual('public', conf.keystone_authtoken.interface)
        conf.set_override('interface', 'internal', 'keystone_authtoken')
        self.assertEqual('internal', conf.keystone_authtoken.interface)

    def test_no_identity_endpoint_is_a_503_naming_the_option(self):
        guard = authtoken.AuthTokenGuard(
            failing(ks_exc.EndpointNotFound('internal endpoint for '
                                            'identity service not found')),
            'internal')
        resp = webob.Request.blank('/').get_response(guard)
        self.assertEqual(503, resp.status_int)
        self.assertIn('no identity endpoint on the "internal" interface',
                      resp.text)
        self.assertIn('[keystone_authtoken] interface', resp.text)

    def test_other_keystoneauth_errors_are_503(self):
        guard = authtoken.AuthTokenGuard(
            failing(ks_exc.MissingAuthPlugin('no plugin')), 'public')
        resp = webob.Request.blank('/').get_response(guard)
        self.assertEqual(503, resp.status_int)
        self.assertIn('try again later', resp.text)

    def test_a_keystone_that_never_answers_is_a_503_in_bounded_time(self):
        # Listens, never accepts nor answers: a stopped Keystone. Without
        # a timeout auth_token waited for it for good.
        hung = socket.socket()
        self.addCleanup(hung.close)
        hung.bind(('127.0.0.1', 0))
        hung.listen(8)
        url = 'http://127.0.0.1:%d' % hung.getsockname()[1]
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.conf.service_credentials.DEFAULT_TIMEOUT', 1))
        conf = cfg.ConfigOpts()
        conf([], project='hurtle', default_config_files=[])
        self.addCleanup(conf.reset)
        make = authtoken.filter_factory(
            {'oslo_config_config': conf}, auth_type='password',
            auth_url=url + '/v3', www_authenticate_uri=url + '/v3',
            username='hurtle', password='a-password',
            user_domain_name='Default', project_name='service',
            project_domain_name='Default', http_request_max_retries='0')
        guarded = make(lambda environ, start_response: [b'not reached'])
        answers = []

        def ask():
            answers.append(webob.Request.blank('/', headers={
                'X-Auth-Token': 'a-token'}).get_response(guarded))
        thread = threading.Thread(target=ask, daemon=True)
        thread.start()
        thread.join(15)
        self.assertFalse(thread.is_alive(), 'still validating after 15 s')
        [resp] = answers
        self.assertEqual(503, resp.status_int)
        self.assertEqual(1, conf.keystone_authtoken.http_connect_timeout)
