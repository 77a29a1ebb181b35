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
"""Role checks (hurtle.policy) on the SM's and the CC's APIs.

The applications are called as keystonemiddleware would leave a request
(``X-Project-Id``, ``X-Roles``), through webob, on real SQL stores.
"""
import os
import urllib.parse

import fixtures
from occi import core_model
from oslo_policy import opts as policy_opts
from oslo_policy import policy as oslo_policy
import testtools
import webob

from hurtle.cc import api as cc_api
from hurtle.db import migration
from hurtle import manifest
from hurtle.occi import errors
from hurtle import policy
from hurtle.sm import api as sm_api
from tests import conf_fixture
from tests import net

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
SAMPLE = os.path.join(ROOT, 'samples', 'sample', 'manifest.json')
KIND = 'sample; scheme="http://schemas.hurtle.it/occi/sm#"; class="kind"'
APP = 'app; scheme="http://schemas.ogf.org/occi/platform#"; class="kind"'


class PolicyTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            sm__cc_url='http://127.0.0.1:%d/' % net.held_port(self),
            sm__call_retries=0,
            # Registered, so that the runtime gets to refuse it.
            cc__allowed_images=['/nonexistent'])).conf
        migration.upgrade(self.conf.database.connection)
        self.sm, lifecycle = sm_api.make_application(
            self.conf, [manifest.load(SAMPLE)])
        self.addCleanup(lifecycle.shutdown)
        self.cc, _backend = cc_api.make_application(self.conf)

    def call(self, app, method, path, roles, headers=None):
        req = webob.Request.blank(path, method=method, headers=dict(
            headers or {}, **{'X-Project-Id': 'p1', 'X-Roles': roles}))
        return req.get_response(app)

    def create(self, roles):
        return self.call(self.sm, 'POST', '/sample/', roles, {
            'Category': KIND, 'Content-Type': 'text/occi'})

    def test_reader_may_look_but_not_create(self):
        self.assertEqual(200, self.call(self.sm, 'GET', '/sample/',
                                        'reader').status_int)
        resp = self.create('reader')
        self.assertEqual(403, resp.status_int)
        self.assertIn('hurtle:instance:create', resp.text)
        listing = self.call(self.sm, 'GET', '/sample/', 'reader',
                            {'Accept': 'text/uri-list'})
        self.assertEqual('', listing.text.strip())

    def test_member_may_create_and_reader_may_not_delete(self):
        resp = self.create('member')
        self.assertEqual(201, resp.status_int, resp.text)
        path = urllib.parse.urlsplit(resp.headers['Location']).path
        self.assertEqual(200, self.call(self.sm, 'GET', path,
                                        'reader').status_int)
        resp = self.call(self.sm, 'DELETE', path, 'reader')
        self.assertEqual(403, resp.status_int)
        self.assertIn('hurtle:instance:delete', resp.text)

    def test_mixin_collections_follow_the_update_rule(self):
        # Adding an instance to a user mixin's collection, or removing
        # it, changes the instance: hurtle:instance:update.
        resp = self.call(self.sm, 'POST', '/-/', 'reader', {
            'Content-Type': 'text/occi',
            'Category': 'mine; scheme="http://example.com/user#"; '
                        'class="mixin"; location="/mine/"'})
        self.assertEqual(200, resp.status_int, resp.text)
        resp = self.create('member')
        path = urllib.parse.urlsplit(resp.headers['Location']).path
        for method in ('POST', 'PUT', 'DELETE'):
            resp = self.call(self.sm, method, '/mine/', 'reader', {
                'Content-Type': 'text/occi', 'X-OCCI-Location': path})
            self.assertEqual(403, resp.status_int, (method, resp.text))
            self.assertIn('hurtle:instance:update', resp.text)

    def test_no_role_may_not_even_look(self):
        resp = self.create('member')
        path = urllib.parse.urlsplit(resp.headers['Location']).path
        self.assertEqual(403, self.call(self.sm, 'GET', path,
                                        '').status_int)

    def test_cc_is_for_admins_only(self):
        headers = {'Category': APP, 'Content-Type': 'text/occi',
                   'X-OCCI-Attribute': 'occi.app.name="x", '
                                       'occi.app.image="/nonexistent"'}
        resp = self.call(self.cc, 'POST', '/app/', 'member', headers)
        self.assertEqual(403, resp.status_int)
        self.assertIn('hurtle:app:manage', resp.text)
        # An admin gets past the policy (and then the image is refused).
        resp = self.call(self.cc, 'POST', '/app/', 'admin', headers)
        self.assertEqual(409, resp.status_int)
        self.assertIn('not an SO bundle', resp.text)

    def test_listings_follow_the_rules_of_what_they_list(self):
        # A user with only the service role sees no instance, not even
        # an empty list; the same for the root collection.
        self.assertEqual(201, self.create('member').status_int)
        for accept in ('text/uri-list', 'text/plain', 'text/occi',
                       'application/occi+json'):
            for path in ('/sample/', '/'):
                resp = self.call(self.sm, 'GET', path, 'service',
                                 {'Accept': accept})
                self.assertEqual(403, resp.status_int, (path, accept))
                self.assertIn('hurtle:instance:get', resp.text)
        listing = self.call(self.sm, 'GET', '/sample/', 'reader',
                            {'Accept': 'text/uri-list'})
        self.assertEqual(200, listing.status_int)
        self.assertIn('/sample/', listing.text)

    def test_only_admins_list_the_cc_apps(self):
        for path in ('/app/', '/'):
            for roles in ('member', 'reader', 'service', ''):
                resp = self.call(self.cc, 'GET', path, roles,
                                 {'Accept': 'text/uri-list'})
                self.assertEqual(403, resp.status_int, (path, roles))
                self.assertIn('hurtle:app:manage', resp.text)
        self.assertEqual(200, self.call(self.cc, 'GET', '/app/',
                                        'admin').status_int)


class PolicyFileTest(testtools.TestCase):
    """An operator's policy file is read, and read again when it
    changes; a listing asks the enforcer once, not once per member."""

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            sm__cc_url='http://127.0.0.1:%d/' % net.held_port(self),
            sm__call_retries=0)).conf
        self.path = os.path.join(self.useFixture(
            fixtures.TempDir()).path, 'policy.yaml')
        self.write('role:service', 0)
        policy_opts.set_defaults(self.conf, policy_file=self.path)
        migration.upgrade(self.conf.database.connection)
        self.sm, lifecycle = sm_api.make_application(
            self.conf, [manifest.load(SAMPLE)])
        self.addCleanup(lifecycle.shutdown)

    def write(self, rule, age):
        with open(self.path, 'w') as handle:
            handle.write('"hurtle:instance:get": "%s"\n' % rule)
        # A distinct modification time for each version.
        mtime = 1700000000 + age
        os.utime(self.path, (mtime, mtime))

    def get(self, roles, path='/sample/', accept='text/uri-list'):
        req = webob.Request.blank(path, headers={
            'X-Project-Id': 'p1', 'X-Roles': roles, 'Accept': accept})
        return req.get_response(self.sm).status_int

    def test_a_changed_policy_file_is_read_again(self):
        self.useFixture(fixtures.MonkeyPatch('hurtle.policy.RECHECK', 0))
        self.assertEqual(200, self.get('service'))
        self.assertEqual(403, self.get('reader'))
        self.write('role:reader', 10)
        self.assertEqual(403, self.get('service'))
        self.assertEqual(200, self.get('reader'))

    def test_the_file_is_looked_for_at_most_once_per_recheck(self):
        self.assertEqual(200, self.get('service'))
        self.write('role:reader', 10)
        # Within RECHECK (1 s) the rules read before still hold.
        self.assertEqual(200, self.get('service'))

    def count_enforce(self):
        """The rules oslo.policy is asked to check from now on."""
        calls = []
        enforce = oslo_policy.Enforcer.enforce

        def counting(enforcer, rule, *args, **kwargs):
            calls.append(rule)
            return enforce(enforcer, rule, *args, **kwargs)
        self.useFixture(fixtures.MonkeyPatch(
            'oslo_policy.policy.Enforcer.enforce', counting))
        return calls

    def test_a_listing_asks_the_enforcer_once(self):
        self.useFixture(fixtures.MonkeyPatch('hurtle.policy.RECHECK', 0))
        calls = self.count_enforce()
        store = self.sm.registry.store
        for number in range(3):
            store.add('/sample/i%d' % number, _resource(store, number),
                      {'project': 'p1'})
        for accept in ('text/uri-list', 'application/occi+json'):
            del calls[:]
            # No decision remembered from an earlier request.
            policy.get_enforcer(self.conf).forget()
            self.assertEqual(200, self.get('service', accept=accept))
            self.assertEqual(['hurtle:instance:get'], calls, accept)
        self.assertIs(policy.get_enforcer(self.conf),
                      policy.get_enforcer(self.conf))

    def test_decisions_are_remembered_until_the_rules_change(self):
        self.useFixture(fixtures.MonkeyPatch('hurtle.policy.RECHECK', 0))
        calls = self.count_enforce()
        self.assertEqual(200, self.get('service'))
        self.assertEqual(403, self.get('reader'))
        self.assertEqual(2, len(calls))
        # Asked again: remembered, oslo.policy is not asked.
        for _ in range(3):
            self.assertEqual(200, self.get('service'))
            self.assertEqual(403, self.get('reader'))
        self.assertEqual(2, len(calls))
        # The file touched, the rules the same: still remembered.
        self.write('role:service', 5)
        self.assertEqual(200, self.get('service'))
        self.assertEqual(2, len(calls))
        # The rules changed: decided again, by the new rules.
        self.write('role:reader', 10)
        self.assertEqual(403, self.get('service'))
        self.assertEqual(200, self.get('reader'))
        self.assertEqual(4, len(calls))

    def test_the_key_is_rule_project_user_roles_and_caller(self):
        enforcer = policy.get_enforcer(self.conf)
        enforcer.forget()
        calls = self.count_enforce()
        extras = {'project': 'p1', 'user': 'u1', 'roles': ['service']}
        policy.authorize(self.conf, 'hurtle:instance:get', extras)
        policy.authorize(self.conf, 'hurtle:instance:get', dict(extras))
        self.assertEqual(1, len(calls))
        for changed in ({'project': 'p2'}, {'user': 'u2'},
                        {'roles': ['service', 'reader']}):
            policy.authorize(self.conf, 'hurtle:instance:get',
                             dict(extras, **changed))
        self.assertEqual(4, len(calls))
        # An SO caller is another key: the CC's design service allows it.
        self.assertRaises(errors.Forbidden, policy.authorize, self.conf,
                          'hurtle:service:get', extras)
        policy.authorize(self.conf, 'hurtle:service:get', extras,
                         caller='so')
        self.assertEqual(6, len(calls))
        self.assertEqual(
            {('hurtle:service:get', 'p1', 'u1', ('service',), 'so'): True,
             ('hurtle:service:get', 'p1', 'u1', ('service',), None): False},
            {key: value for key, value in enforcer._decisions.items()
             if key[0] == 'hurtle:service:get'})

    def test_at_most_max_decisions_are_kept(self):
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.policy._Enforcer.MAX_DECISIONS', 5))
        enforcer = policy.get_enforcer(self.conf)
        for number in range(23):
            policy.authorize(self.conf, 'hurtle:instance:get', {
                'project': 'p1', 'user': 'u%d' % number,
                'roles': ['service']})
            self.assertLessEqual(len(enforcer._decisions), 5)
        self.assertIn(('hurtle:instance:get', 'p1', 'u22', ('service',),
                       None), enforcer._decisions)


def _resource(store, number):
    return core_model.Resource('/sample/i%d' % number,
                               store.kinds['sample'], [])
