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
"""Hurtle in Keystone mode against a real Keystone (tests.keystone_fixture).

One Keystone and one ``hurtle-all`` per class. Hurtle's APIs check tokens
(``[DEFAULT] auth_strategy = keystone``, keystonemiddleware with
``[keystone_authtoken]``), the SM calls the CC with a token of
``[service_credentials]``, and the SOs deploy to the embedded Heat, which
stays noauth (``[deployer] auth_strategy = noauth``). The Keystone has the
identity service on the public interface only, as devstack makes it, and
no ``interface`` is configured: Hurtle's default (public) must work.
``TokenExpiryTest`` runs on a Keystone whose tokens live 20 seconds.
"""
import os
import time

import fixtures
from oslo_config import cfg
import requests
import testtools
import webob

from hurtle import authtoken
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from tests.functional import hurtle_fixture
from tests.functional import keystone_hurtle
from tests import keystone_fixture

KIND = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                               'sample', 'kind')
APP_KIND = occi_client.CategoryRef('http://schemas.ogf.org/occi/platform#',
                                   'app', 'kind')
TIMEOUT = 120
TOKEN_CACHE_TIME = keystone_hurtle.TOKEN_CACHE_TIME
#: Kept for the modules that import them from here.
hurtle_conf = keystone_hurtle.hurtle_conf
add_catalog = keystone_hurtle.add_catalog


class KeystoneTestCase(testtools.TestCase):
    """One Keystone (made by :meth:`make_keystone`) and one ``hurtle-all``
    in Keystone mode for the tests of a class."""

    @classmethod
    def make_keystone(cls):
        return keystone_fixture.Keystone(internal_identity=False)

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.keystone = cls.make_keystone()
        cls.keystone.setUp()
        cls.addClassCleanup(cls.keystone.cleanUp)
        # A member of the service project (not an admin), and a user with
        # only the service role in demo.
        cls.keystone.add_user('service_member', 'service', ['member'])
        cls.keystone.add_user('demo_service', 'demo', ['service'])
        cls.hurtle = hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,),
            extra_conf=keystone_hurtle.hurtle_conf(cls.keystone))
        cls.hurtle.setUp()
        cls.addClassCleanup(cls.hurtle.cleanUp)
        keystone_hurtle.add_catalog(cls.keystone, cls.hurtle)
        cls.keystone.add_service('hurtle-sample', KIND.scheme + KIND.term,
                                 cls.hurtle.sm_url + 'sample/')

    # -- helpers -------------------------------------------------------------
    def client(self, user, project, url=None):
        return occi_client.OCCIClient(
            url or self.hurtle.sm_url, retries=0,
            headers={'X-Auth-Token': self.keystone.token(user, project)})

    def wait_state(self, client, location, wanted):
        deadline = time.monotonic() + TIMEOUT
        state = None
        while time.monotonic() < deadline:
            attrs = client.get(location).attributes
            state = attrs['mcn.service.state']
            if state in wanted:
                return attrs
            time.sleep(0.2)
        self.fail('%s never reached %s (last %s)\n%s' % (
            location, wanted, state, self.hurtle.output()[-6000:]))

    def wait_gone(self, client, location):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                client.get(location)
            except errors.NotFound:
                return
            time.sleep(0.2)
        self.fail('%s still exists' % location)

    def lifecycle(self, client):
        """Create an instance, wait for active, delete it, wait until it
        is gone; returns its last attributes."""
        location = client.create('/sample/', KIND,
                                 {'sample.greeting': 'hello'})
        attrs = self.wait_state(client, location, {'active', 'failed'})
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        client.delete(location)
        self.wait_gone(client, location)
        return attrs


class KeystoneModeTest(KeystoneTestCase):

    # -- authentication -------------------------------------------------------
    def test_no_or_bad_token_is_401_with_www_authenticate(self):
        for url in (self.hurtle.sm_url, self.hurtle.cc_url):
            for headers in ({}, {'X-Auth-Token': 'not-a-token'},
                            {'X-Project-Id': 'demo', 'X-Roles': 'admin',
                             'X-Identity-Status': 'Confirmed'}):
                resp = requests.get(url + 'sample/', headers=headers,
                                    timeout=30)
                self.assertEqual(401, resp.status_code, (url, headers))
                self.assertEqual(
                    'Keystone uri="%s"' % self.keystone.url,
                    resp.headers['WWW-Authenticate'])

    # -- roles and projects ---------------------------------------------------
    def test_member_runs_an_instance_end_to_end(self):
        demo = self.client('demo', 'demo')
        attrs = self.lifecycle(demo)
        self.assertTrue(attrs.get('occi.mcn.stack.id'), attrs)

    def test_reader_may_look_but_not_create(self):
        demo = self.client('demo', 'demo')
        reader = self.client('demo_reader', 'demo')
        error = self.assertRaises(errors.Forbidden, reader.create,
                                  '/sample/', KIND, {})
        self.assertIn('hurtle:instance:create', str(error))
        location = demo.create('/sample/', KIND, {})
        self.addCleanup(self._dispose, demo, location)
        self.assertIn(location, reader.list('/sample/'))
        self.assertEqual(location, reader.get(location).location)
        self.assertRaises(errors.Forbidden, reader.delete, location)

    def _dispose(self, client, location):
        self.wait_state(client, location, {'active', 'failed'})
        client.delete(location)
        self.wait_gone(client, location)

    def test_other_projects_instances_are_not_found(self):
        demo = self.client('demo', 'demo')
        location = demo.create('/sample/', KIND, {})
        self.addCleanup(self._dispose, demo, location)
        for alt in (self.client('alt_demo', 'alt_demo'),
                    self.client('alt_demo_reader', 'alt_demo')):
            self.assertRaises(errors.NotFound, alt.get, location)
            self.assertRaises(errors.NotFound, alt.delete, location)
            self.assertNotIn(location, alt.list('/sample/'))

    def test_the_cc_is_for_admins_only_listings_included(self):
        for user, project in (('demo', 'demo'),
                              ('service_member', 'service')):
            cc = self.client(user, project, url=self.hurtle.cc_url)
            for path in ('/app/', '/'):
                error = self.assertRaises(errors.Forbidden, cc.list, path)
                self.assertIn('hurtle:app:manage', str(error))
            self.assertRaises(errors.Forbidden, cc.create, '/app/',
                              APP_KIND, {'occi.app.name': 'x',
                                         'occi.app.image': 'y'})
        service = self.client(keystone_fixture.SERVICE_USER, 'service',
                              url=self.hurtle.cc_url)
        self.assertIsInstance(service.list('/app/'), list)

    def test_service_role_alone_lists_no_instances(self):
        only_service = self.client('demo_service', 'demo')
        for path in ('/sample/', '/'):
            error = self.assertRaises(errors.Forbidden, only_service.list,
                                      path)
            self.assertIn('hurtle:instance:get', str(error))

    # -- tokens ------------------------------------------------------------
    def test_revoked_token_is_refused_once_the_cache_time_passed(self):
        token = self.keystone.token('demo', 'demo')
        headers = {'X-Auth-Token': token}
        self.assertEqual(200, requests.get(
            self.hurtle.sm_url + 'sample/', headers=headers,
            timeout=30).status_code)
        self.keystone.revoke(token)
        # auth_token keeps a validated token for token_cache_time seconds
        # (doc/source/admin): the revocation counts after that.
        deadline = time.monotonic() + 30 + TOKEN_CACHE_TIME
        while time.monotonic() < deadline:
            status = requests.get(self.hurtle.sm_url + 'sample/',
                                  headers=headers, timeout=30).status_code
            if status == 401:
                return
            self.assertEqual(200, status)
            time.sleep(0.5)
        self.fail('the revoked token is still accepted')

    def test_sm_gets_a_new_service_token_when_its_own_is_revoked(self):
        demo = self.client('demo', 'demo')
        # A first instance: the SM has a service token.
        self.lifecycle(demo)
        # Disabling a user revokes every token it has (the SM's, and those
        # the SM's and the CC's auth_token validate with).
        keystone = self.keystone.admin()
        user = self.keystone.user_id(keystone_fixture.SERVICE_USER)
        keystone.users.update(user, enabled=False)
        keystone.users.update(user, enabled=True)
        # Past the CC's cache of the old token.
        time.sleep(TOKEN_CACHE_TIME + 1)
        self.lifecycle(demo)
        with open(os.path.join(self.hurtle.state, 'log',
                               'hurtle-sm.log')) as handle:
            self.assertIn('refused the service token: authenticating '
                          'again', handle.read())

    # -- Keystone down --------------------------------------------------------
    def test_keystone_down_is_503_then_served_again(self):
        token = self.keystone.token('demo', 'demo')
        headers = {'X-Auth-Token': token}
        self.keystone.stop()
        try:
            for url in (self.hurtle.sm_url, self.hurtle.cc_url):
                resp = requests.get(url + 'sample/', headers=headers,
                                    timeout=60)
                self.assertEqual(503, resp.status_code, resp.text)
        finally:
            self.keystone.start()
        self.lifecycle(occi_client.OCCIClient(
            self.hurtle.sm_url, headers=headers, retries=0))

    # -- [keystone_authtoken] interface --------------------------------------
    def authtoken_filter(self, interface=None):
        """Hurtle's authtoken filter (api-paste.ini) around an app
        answering "served", with a hurtle.conf of this Keystone."""
        text = keystone_hurtle.hurtle_conf(self.keystone)
        if interface:
            text = text.replace('[keystone_authtoken]\n',
                                '[keystone_authtoken]\ninterface = %s\n'
                                % interface)
        path = self.useFixture(fixtures.TempDir()).join('hurtle.conf')
        with open(path, 'w') as handle:
            handle.write(text)
        conf = cfg.ConfigOpts()
        conf([], project='hurtle', default_config_files=[path])

        def app(environ, start_response):
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return [b'served']
        return authtoken.filter_factory({'oslo_config_config': conf})(app)

    def test_an_interface_without_identity_endpoint_is_a_clear_503(self):
        token = self.keystone.token('demo', 'demo')
        # The default, public: served (this Keystone has no other).
        resp = webob.Request.blank('/', headers={
            'X-Auth-Token': token}).get_response(self.authtoken_filter())
        self.assertEqual(200, resp.status_int, resp.text)
        # internal: the catalog has no such identity endpoint.
        resp = webob.Request.blank('/', headers={
            'X-Auth-Token': token}).get_response(
                self.authtoken_filter('internal'))
        self.assertEqual(503, resp.status_int, resp.text)
        self.assertIn('no identity endpoint on the "internal" interface',
                      resp.text)
        self.assertIn('[keystone_authtoken] interface', resp.text)


class TokenExpiryTest(KeystoneTestCase):
    """Tokens living :data:`EXPIRATION` seconds (``[token] expiration``);
    this Keystone also has an internal identity endpoint."""

    EXPIRATION = 20

    @classmethod
    def make_keystone(cls):
        return keystone_fixture.Keystone(expiration=cls.EXPIRATION)

    def test_expired_tokens_are_refused_and_the_sm_renews_its_own(self):
        token = self.keystone.token('demo', 'demo')
        demo = occi_client.OCCIClient(self.hurtle.sm_url, retries=0,
                                      headers={'X-Auth-Token': token})
        # The SM gets a service token for the CC ...
        self.lifecycle(demo)
        # ... which expires like the user's (keystoneauth1 renews a token
        # that has less than two minutes left, so here before every use).
        deadline = time.monotonic() + self.EXPIRATION + 60
        while time.monotonic() < deadline:
            resp = requests.get(self.hurtle.sm_url + 'sample/',
                                headers={'X-Auth-Token': token}, timeout=30)
            if resp.status_code == 401:
                break
            self.assertEqual(200, resp.status_code)
            time.sleep(0.5)
        else:
            self.fail('the expired token is still accepted')
        self.assertIn('WWW-Authenticate', resp.headers)
        # Past the expiry of every token the SM had: it still works.
        self.lifecycle(self.client('demo', 'demo'))
