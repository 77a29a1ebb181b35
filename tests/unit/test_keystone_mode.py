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
"""Hurtle's SM and CC in keystone mode, against a fake Keystone v3.

``[DEFAULT] auth_strategy = keystone``: both APIs are the ``keystone``
paste pipelines of hurtle/wsgi/api-paste.ini (keystonemiddleware
``auth_token``), loaded with ``hurtle.wsgi.app.load_app`` with a
hurtle.conf written for the test, and served on 127.0.0.1. Keystone is
``tests.fake_keystone`` (a real HTTP server speaking Identity v3):
keystonemiddleware authenticates with ``[keystone_authtoken]`` and
validates callers' tokens there; the SM gets its token for the CC from
``[service_credentials]`` through keystoneauth1.

Every test also checks that no token and no password reached the logs
(captured at DEBUG, including the SO processes' log files).
"""
import glob
import logging
import os
import time

import fixtures
from oslo_config import fixture as config_fixture
import requests
import testtools

from hurtle import conf as hurtle_conf
from hurtle.db import migration
from hurtle.db import types as db_types
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle.occi import server
from hurtle.wsgi import app as wsgi_app
from tests import fake_keystone
from tests import net

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SAMPLE = os.path.join(ROOT, 'samples', 'sample')
KIND = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                               'sample', 'kind')
PASSWORDS = {'hurtle': 'hurtle-Pa55', 'alice': 'alice-Pa55',
             'bob': 'bob-Pa55'}

CONF_TEMPLATE = """
[DEFAULT]
state_path = %(state)s
auth_strategy = keystone
debug = true

[database]
connection = sqlite:///%(state)s/hurtle.sqlite

[sm]
manifests = %(manifest)s
cc_url = http://127.0.0.1:%(cc_port)d/
call_retries = 0
poll_interval = 0.05
phase_timeout = 60

[cc]
so_start_timeout = 60

# The fake Keystone has no OS-TRUST API: trusts are tested on the real
# one (tests.functional.test_keystone_heat). The SOs talk to Heat
# themselves (driver heat): with no Heat in the fake catalog their deploy
# fails at once, where the CC's stack kind would retry until the phase
# deadline (the CC, its stack kind and the cc driver are tested with a
# real Heat in tests.functional.test_cc_stack_kind).
[deployer]
trusts = false
driver = heat

[keystone_authtoken]
auth_type = password
auth_url = %(keystone)s
www_authenticate_uri = %(keystone)s
username = hurtle
password = %(password)s
user_domain_name = Default
project_name = service
project_domain_name = Default

[service_credentials]
auth_type = password
auth_url = %(keystone)s
username = hurtle
password = %(password)s
user_domain_name = Default
project_name = service
project_domain_name = Default
"""


class KeystoneModeTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.logs = self.useFixture(fixtures.FakeLogger(
            level=logging.DEBUG, format='%(name)s %(message)s'))
        self.addCleanup(self.assert_no_secret_logged)

        self.keystone = fake_keystone.FakeKeystone()
        for user, project, roles in (('hurtle', 'service', ['admin']),
                                     ('alice', 'demo', ['member']),
                                     ('bob', 'other', ['member'])):
            self.keystone.add_user(user, PASSWORDS[user], project=project,
                                   roles=roles)
        self.keystone.start()
        self.addCleanup(self.keystone.stop)

        self.state = self.useFixture(fixtures.TempDir()).path
        # Secret columns are encrypted with a key under state_path, as
        # hurtle.service.prepare_service sets up in every Hurtle process.
        db_types.configure(self.state)
        conf_path = self.write_conf()
        # Hurtle's options on the global CONF (the SM and CC are built
        # from it, keystonemiddleware reads it), removed again after the
        # test: only those not registered before (Heat's tests share the
        # process).
        self.register_hurtle_opts(hurtle_conf.CONF)
        conf = self.useFixture(config_fixture.Config(hurtle_conf.CONF)).conf
        conf(['--config-file', conf_path], project='hurtle',
             default_config_files=[])
        self.conf = conf
        migration.upgrade(conf.database.connection)

        self.cc_url, backend = self.serve('hurtle-cc', self.cc_port)
        self.addCleanup(backend.runtime.stop_all)
        self.sm_url, self.lifecycle = self.serve('hurtle-sm',
                                                 net.held_port(self))
        self.addCleanup(self.lifecycle.shutdown)

    def register_hurtle_opts(self, conf):
        added = []
        for module in hurtle_conf.option_modules():
            for group, opts in module.list_opts().items():
                group = None if group == 'DEFAULT' else group
                for opt in opts:
                    if conf.register_opt(opt, group=group):
                        added.append((opt, group))

        def unregister():
            for opt, group in added:
                conf.unregister_opt(opt, group=group)
        self.addCleanup(unregister)

    def write_conf(self):
        self.cc_port = net.held_port(self)
        path = os.path.join(self.state, 'hurtle.conf')
        with open(path, 'w') as handle:
            handle.write(CONF_TEMPLATE % {
                'state': self.state, 'cc_port': self.cc_port,
                'manifest': os.path.join(SAMPLE, 'manifest.json'),
                'keystone': self.keystone.url,
                'password': PASSWORDS['hurtle']})
        return path

    def serve(self, name, port):
        """Serve paste ``name``; returns ``(url, built)``."""
        application, built = wsgi_app.load_app(self.conf, name)
        srv, _thread = server.serve_in_thread(application, port=port)
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        return 'http://127.0.0.1:%d/' % srv.server_port, built

    # -- helpers -----------------------------------------------------------
    def token(self, user, project):
        """A token obtained the way a client does (password method)."""
        from keystoneauth1.identity import v3
        from keystoneauth1 import session
        auth = v3.Password(auth_url=self.keystone.url + '/v3',
                           username=user, password=PASSWORDS[user],
                           user_domain_name='Default',
                           project_name=project,
                           project_domain_name='Default')
        return session.Session(auth=auth).get_token()

    def client(self, url, token):
        return occi_client.OCCIClient(url, headers={'X-Auth-Token': token},
                                      retries=0)

    def assert_no_secret_logged(self):
        texts = [self.logs.output]
        for path in glob.glob(os.path.join(self.state, '**', '*.log'),
                              recursive=True):
            with open(path, errors='replace') as handle:
                texts.append(handle.read())
        secrets = list(self.keystone.tokens) + list(PASSWORDS.values())
        for text in texts:
            for secret in secrets:
                self.assertNotIn(secret, text)

    def wait_state(self, client, location, wanted, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            attrs = client.get(location).attributes
            if attrs['mcn.service.state'] in wanted:
                return attrs
            time.sleep(0.05)
        self.fail('%s never reached %s' % (location, wanted))

    # -- authentication ----------------------------------------------------
    def test_no_token_is_401_with_keystone_uri(self):
        for url in (self.sm_url, self.cc_url):
            for path in ('-/', 'sample/', 'app/'):
                resp = requests.get(url + path, timeout=10)
                self.assertEqual(401, resp.status_code)
                self.assertEqual('Keystone uri="%s"' % self.keystone.url,
                                 resp.headers['WWW-Authenticate'])

    def test_bad_token_is_401(self):
        for url in (self.sm_url, self.cc_url):
            resp = requests.get(url + '-/', timeout=10,
                                headers={'X-Auth-Token': 'not-a-token'})
            self.assertEqual(401, resp.status_code)
        # keystonemiddleware asked Keystone, which answered 404.
        validations = self.keystone.calls('GET', '/v3/auth/tokens')
        self.assertEqual(['not-a-token'] * 2,
                         [h.get('x-subject-token') for _m, _p, h in
                          validations])

    def test_revoked_token_is_401(self):
        token = self.token('alice', 'demo')
        self.keystone.revoke(token)
        resp = requests.get(self.sm_url + '-/', timeout=10,
                            headers={'X-Auth-Token': token})
        self.assertEqual(401, resp.status_code)

    def test_valid_token_is_served(self):
        token = self.token('alice', 'demo')
        kinds = [c.term for c in self.client(self.sm_url, token).query()
                 if c.cls == 'kind']
        self.assertIn('sample', kinds)
        # The CC's apps are for admins only, listings included.
        self.assertRaises(errors.Forbidden,
                          self.client(self.cc_url, token).list, '/app/')
        # The log capture works (so the secret checks mean something).
        self.assertIn('Authenticating user token', self.logs.output)

    def test_forged_identity_headers_are_ignored(self):
        resp = requests.get(self.sm_url + 'sample/', timeout=10, headers={
            'X-Project-Id': 'demo', 'X-Identity-Status': 'Confirmed',
            'X-Roles': 'admin'})
        self.assertEqual(401, resp.status_code)

    def test_keystone_down_is_503_not_500(self):
        token = self.token('alice', 'demo')
        self.keystone.stop()
        resp = requests.get(self.sm_url + '-/', timeout=30,
                            headers={'X-Auth-Token': token})
        self.assertEqual(503, resp.status_code)

    # -- projects ------------------------------------------------------------
    def test_the_token_project_scopes_instances(self):
        alice = self.client(self.sm_url, self.token('alice', 'demo'))
        bob = self.client(self.sm_url, self.token('bob', 'other'))
        location = alice.create('/sample/', KIND,
                                {'sample.greeting': 'hello'})
        self.assertEqual('hello',
                         alice.get(location).attributes['sample.greeting'])
        self.assertEqual([location], alice.list('/sample/'))
        self.assertRaises(errors.NotFound, bob.get, location)
        self.assertRaises(errors.NotFound, bob.update, location, KIND,
                          {'sample.greeting': 'bye'})
        self.assertRaises(errors.NotFound, bob.delete, location)
        self.assertEqual([], bob.list('/sample/'))
        # Identity headers a client sends are replaced by the token's.
        demo_id = self.keystone.project_id('demo')
        forged = occi_client.OCCIClient(self.sm_url, headers={
            'X-Auth-Token': self.token('bob', 'other'),
            'X-Project-Id': demo_id, 'X-Tenant-Id': demo_id,
            'X-Tenant-Name': 'demo', 'X-Roles': 'admin'}, retries=0)
        self.assertRaises(errors.NotFound, forged.get, location)
        self.assertEqual([], forged.list('/sample/'))
        # 2016 clients send X-Auth-Token + X-Tenant-Name: the token's
        # project counts, the header is ignored.
        old_style = occi_client.OCCIClient(self.sm_url, headers={
            'X-Auth-Token': self.token('alice', 'demo'),
            'X-Tenant-Name': 'other'}, retries=0)
        self.assertEqual([location], old_style.list('/sample/'))
        self.assertEqual('hello',
                         alice.get(location).attributes['sample.greeting'])

    # -- SM -> CC ---------------------------------------------------------
    def test_sm_calls_the_cc_with_a_service_token(self):
        alice_token = self.token('alice', 'demo')
        alice = self.client(self.sm_url, alice_token)
        location = alice.create('/sample/', KIND, {})
        # The CC started the SO: the instance got past initialise. (Heat
        # is not in the fake catalog, so deploy fails there.)
        attrs = self.wait_state(alice, location, {'failed', 'active'})
        self.assertTrue(attrs.get('occi.so.url'), attrs)
        self.assertNotIn('starting the SO failed',
                         attrs.get('mcn.service.state.reason', ''))
        # The SM authenticated with [service_credentials] ...
        service_id = self.keystone.project_id('service')
        sm_tokens = [t for t, body in self.keystone.tokens.items()
                     if body['user']['name'] == 'hurtle' and
                     body.get('project', {}).get('id') == service_id]
        self.assertTrue(sm_tokens)
        # ... and the CC validated that token: the app belongs to the
        # service project, not to alice's.
        validated = {h.get('x-subject-token') for _m, _p, h in
                     self.keystone.calls('GET', '/v3/auth/tokens')}
        self.assertTrue(validated & set(sm_tokens))
        service = self.client(self.cc_url, self.token('hurtle', 'service'))
        apps = service.list('/app/')
        self.assertEqual(1, len(apps))
        app = service.get(apps[0])
        self.assertEqual(attrs['occi.so.url'],
                         app.attributes['occi.app.url'])
        cc_alice = self.client(self.cc_url, alice_token)
        self.assertRaises(errors.Forbidden, cc_alice.list, '/app/')
        self.assertRaises(errors.NotFound, cc_alice.get, apps[0])

    def test_bad_service_credentials_fail_the_instance_with_a_reason(self):
        self.conf.set_override('password', 'wrong-Pa55',
                               group='service_credentials')
        alice = self.client(self.sm_url, self.token('alice', 'demo'))
        location = alice.create('/sample/', KIND, {})
        attrs = self.wait_state(alice, location, {'failed'})
        reason = attrs['mcn.service.state.reason']
        self.assertIn('Keystone authentication for the CC failed', reason)
        self.assertNotIn('wrong-Pa55', reason)
        self.assertNotIn('wrong-Pa55', self.logs.output)
        self.assertEqual(
            [], self.client(self.cc_url, self.token('hurtle', 'service'))
            .list('/app/'))
