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
"""Hurtle on a Heat that checks Keystone tokens, with trusts.

One real Keystone (tests.keystone_fixture, with Heat's accounts as
devstack makes them) and one ``hurtle-all`` whose embedded Heat runs with
``[embedded_heat] auth_strategy = keystone`` (Heat's token-checking
pipeline, ``deferred_auth_method = trusts``); the SOs deploy to it with
Keystone credentials (``[deployer] auth_strategy = keystone``, Heat found
in the catalog).
"""
import time

from heatclient.v1 import client as heat_v1
import requests
import testtools

from hurtle.occi import client as occi_client
from hurtle.occi import errors
from tests.functional import hurtle_fixture
from tests.functional import keystone_hurtle
from tests.functional import test_keystone_mode
from tests import keystone_fixture

TIMEOUT = 120

TEMPLATE = {'heat_template_version': '2018-08-31',
            'resources': {'word': {'type': 'OS::Heat::RandomString'}},
            'outputs': {'word': {'value': {'get_attr': ['word', 'value']}}}}


def hurtle_conf(keystone):
    """hurtle.conf text: Keystone mode, the embedded Heat checking tokens
    (``keystone_hurtle.hurtle_conf``)."""
    return keystone_hurtle.hurtle_conf(keystone, heat=True)


class KeystoneHeatCase(test_keystone_mode.KeystoneTestCase):
    """One Keystone and one hurtle-all serving :attr:`MANIFESTS` (see the
    module docstring); helpers, no tests."""

    MANIFESTS = (hurtle_fixture.SAMPLE_MANIFEST,)

    @classmethod
    def setUpClass(cls):
        testtools.TestCase.setUpClass()
        cls.keystone = keystone_fixture.Keystone(internal_identity=False)
        cls.keystone.setUp()
        cls.addClassCleanup(cls.keystone.cleanUp)
        cls.keystone.add_heat_accounts()
        cls.hurtle = hurtle_fixture.HurtleAll(
            manifests=cls.MANIFESTS, extra_conf=hurtle_conf(cls.keystone))
        cls.hurtle.setUp()
        cls.addClassCleanup(cls.hurtle.cleanUp)
        test_keystone_mode.add_catalog(cls.keystone, cls.hurtle)

    def heat(self, user, project):
        """python-heatclient with ``user``'s token in ``project`` (Heat
        from the catalog)."""
        return heat_v1.Client(session=self.keystone.session(user, project),
                              service_type='orchestration',
                              interface='public')

    def wait_stack(self, heat, stack_id, wanted):
        deadline = time.monotonic() + TIMEOUT
        status = None
        while time.monotonic() < deadline:
            stack = heat.stacks.get(stack_id)
            status = stack.stack_status
            if status in wanted:
                return stack
            time.sleep(0.2)
        self.fail('stack %s never reached %s (last %s)\n%s' % (
            stack_id, wanted, status, self.hurtle.output()[-6000:]))

    def trusts_of(self, user):
        """``{trust id: trust}`` of trustor ``user``."""
        keystone = self.keystone.admin()
        return {t.id: t for t in keystone.trusts.list(
            trustor_user=self.keystone.user_id(user))}

    def new_trusts(self, user, before):
        """``{trustee name: [trust]}`` of ``user``'s trusts not in
        ``before`` (trustees :data:`keystone_fixture.SERVICE_USER` and
        :data:`keystone_fixture.HEAT_USER`)."""
        names = {self.keystone.user_id(name): name for name in (
            keystone_fixture.SERVICE_USER, keystone_fixture.HEAT_USER)}
        result = {}
        for trust_id, trust in self.trusts_of(user).items():
            if trust_id not in before:
                result.setdefault(names.get(trust.trustee_user_id),
                                  []).append(trust)
        return result


class KeystoneHeatTest(KeystoneHeatCase):
    """Tokens at the embedded Heat, trusts of SM instances, and
    ``Hurtle::Service::Instance``."""

    # -- the embedded Heat checks tokens -------------------------------------
    def test_requests_without_a_valid_token_are_401(self):
        project = self.keystone.project_id('demo')
        url = '%s/v1/%s/stacks' % (self.hurtle.heat_url, project)
        for headers in ({}, {'X-Auth-Token': 'not-a-token'},
                        {'X-Auth-Token': self.hurtle.local_secret()}):
            resp = requests.get(url, headers=headers, timeout=30)
            self.assertEqual(401, resp.status_code, (headers, resp.text))

    def test_a_member_creates_a_stack_in_its_project(self):
        demo = self.heat('demo', 'demo')
        body = demo.stacks.create(stack_name='by-demo', template=TEMPLATE)
        stack_id = body['stack']['id']
        stack = self.wait_stack(demo, stack_id,
                                {'CREATE_COMPLETE', 'CREATE_FAILED'})
        self.assertEqual('CREATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        self.assertEqual('demo', stack.stack_owner)
        self.assertIn('/v1/%s/stacks/' % self.keystone.project_id('demo'),
                      stack.links[0]['href'])
        self.assertIn(stack_id, [s.id for s in demo.stacks.list()])
        alt = self.heat('alt_demo', 'alt_demo')
        self.assertNotIn(stack_id, [s.id for s in alt.stacks.list()])
        demo.stacks.delete(stack_id)
        self.wait_stack(demo, stack_id, {'DELETE_COMPLETE'})

    # -- trusts ----------------------------------------------------------
    def test_stacks_land_in_the_users_project_through_a_trust(self):
        token = self.keystone.token('demo', 'demo')
        demo = occi_client.OCCIClient(self.hurtle.sm_url, retries=0,
                                      headers={'X-Auth-Token': token})
        before = set(self.trusts_of('demo'))
        location = demo.create('/sample/', test_keystone_mode.KIND,
                               {'sample.greeting': 'hello'})
        attrs = self.wait_state(demo, location, {'active', 'failed'})
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        # demo's trust to Hurtle, and the trust Heat made from it (a
        # redelegation) to Heat's user; neither id is shown.
        trusts = {k: v for k, v in self.trusts_of('demo').items()
                  if k not in before}
        by_trustee = {t.trustee_user_id: t for t in trusts.values()}
        self.assertEqual(2, len(trusts), trusts)
        hurtle = by_trustee[self.keystone.user_id(
            keystone_fixture.SERVICE_USER)]
        heat_trust = by_trustee[self.keystone.user_id(
            keystone_fixture.HEAT_USER)]
        self.assertTrue(hurtle.impersonation)
        self.assertEqual(self.keystone.project_id('demo'), hurtle.project_id)
        self.assertEqual(hurtle.id, heat_trust.redelegated_trust_id)
        self.assertNotIn('hurtle.trust.id', attrs)
        for trust_id in trusts:
            self.assertNotIn(trust_id, str(attrs))
        # The stack is in demo's project, as demo (impersonation).
        stack_id = attrs['occi.mcn.stack.id']
        heat = self.heat('demo', 'demo')
        self.assertIn(stack_id, [s.id for s in heat.stacks.list()])
        stack = heat.stacks.get(stack_id)
        self.assertEqual('demo', stack.stack_owner)
        self.assertNotIn(stack_id, [
            s.id for s in self.heat('alt_demo', 'alt_demo').stacks.list()])

        # The user's token is revoked: update and delete need none.
        self.keystone.revoke(token)
        demo = self.client('demo', 'demo')
        demo.update(location, test_keystone_mode.KIND,
                    {'sample.greeting': 'bonjour'})
        attrs = self.wait_state(demo, location, {'active', 'failed'})
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        self.assertEqual('bonjour', attrs['sample.greeting'])
        self.assertIn('greeting=bonjour', attrs['mcn.endpoint.sample'])
        demo.delete(location)
        self.wait_gone(demo, location)
        hurtle_fixture.wait_unlisted(self, heat, [stack_id])
        # The trust is gone with the instance (and Heat's, made from it).
        self.assertEqual(before, set(self.trusts_of('demo')))

    def test_a_reader_gets_no_trust_and_no_instance(self):
        reader = self.client('demo_reader', 'demo')
        before = set(self.trusts_of('demo_reader'))
        self.assertRaises(errors.Forbidden, reader.create, '/sample/',
                          test_keystone_mode.KIND, {})
        self.assertEqual(before, set(self.trusts_of('demo_reader')))

    # -- Hurtle::Service::Instance with the stack's credentials ----------
    def service_template(self, greeting):
        """A template of one ``Hurtle::Service::Instance`` of the sample
        service with ``sample.greeting``; output ``url``."""
        return {
            'heat_template_version': '2021-04-16',
            'resources': {'svc': {
                'type': 'Hurtle::Service::Instance',
                'properties': {
                    'endpoint': self.hurtle.sm_url + 'sample/',
                    'attributes': {'sample.greeting': greeting},
                    'timeout': TIMEOUT}}},
            'outputs': {'url': {'value': {'get_attr': ['svc', 'url']}}}}

    def created_instance(self, heat, stack_id, greeting):
        """Wait for the stack ``stack_id`` of :meth:`service_template`;
        check its instance is demo's, active, with ``greeting``.

        :returns: ``(location, attributes)`` of the instance.
        """
        stack = self.wait_stack(heat, stack_id,
                                {'CREATE_COMPLETE', 'CREATE_FAILED'})
        self.assertEqual('CREATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        location = heat.stacks.output_show(
            stack_id, 'url')['output']['output_value']
        attrs = self.client('demo', 'demo').get(location).attributes
        self.assertEqual('active', attrs['mcn.service.state'])
        self.assertEqual(greeting, attrs['sample.greeting'])
        return location, attrs

    def test_service_instance_resource_creates_in_the_users_project(self):
        heat = self.heat('demo', 'demo')
        stack_id = heat.stacks.create(
            stack_name='svc-by-demo',
            template=self.service_template('from-heat'))['stack']['id']
        location, attrs = self.created_instance(heat, stack_id, 'from-heat')
        # The instance is demo's (another project does not see it), and
        # its own stack is in demo's project too.
        demo = self.client('demo', 'demo')
        self.assertIn(attrs['occi.mcn.stack.id'],
                      [s.id for s in heat.stacks.list()])
        self.assertRaises(errors.NotFound,
                          self.client('alt_demo', 'alt_demo').get, location)
        # Deleting the stack deletes the instance (Heat's trust acts as
        # demo).
        heat.stacks.delete(stack_id)
        self.wait_stack(heat, stack_id, {'DELETE_COMPLETE'})
        self.wait_gone(demo, location)

    def test_heats_trust_drives_the_sm_after_the_users_token_is_gone(self):
        before = set(self.trusts_of('demo'))
        project = self.keystone.project_id('demo')
        token = self.keystone.token('demo', 'demo')
        # This client has that one token and no way to get another.
        by_token = heat_v1.Client(
            endpoint='%s/v1/%s' % (self.hurtle.heat_url, project),
            token=token)
        stack_id = by_token.stacks.create(
            stack_name='svc-token-gone',
            template=self.service_template('from-heat'))['stack']['id']
        # Revoked while the stack is being created: Heat goes on with its
        # own trust (reauthentication_auth_method = trusts).
        self.keystone.revoke(token)
        heat = self.heat('demo', 'demo')
        location, attrs = self.created_instance(heat, stack_id, 'from-heat')
        demo = self.client('demo', 'demo')
        # The SM was called with a token of Heat's stack trust: the
        # instance's trust is a redelegation of it.
        trusts = self.new_trusts('demo', before)
        heat_trusts = {t.id: t for t in trusts[keystone_fixture.HEAT_USER]}
        hurtle_trusts = trusts[keystone_fixture.SERVICE_USER]
        self.assertEqual(1, len(hurtle_trusts), trusts)
        self.assertIn(hurtle_trusts[0].redelegated_trust_id, heat_trusts)
        stack_trust = heat_trusts[hurtle_trusts[0].redelegated_trust_id]
        self.assertIsNone(stack_trust.redelegated_trust_id)

        # An update and the delete, with demo's new tokens: the SM
        # instance follows.
        heat.stacks.update(stack_id,
                           template=self.service_template('bonjour'))
        stack = self.wait_stack(heat, stack_id,
                                {'UPDATE_COMPLETE', 'UPDATE_FAILED'})
        self.assertEqual('UPDATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        attrs = self.wait_state(demo, location, {'active', 'failed'})
        self.assertEqual('bonjour', attrs['sample.greeting'])
        self.assertIn('greeting=bonjour', attrs['mcn.endpoint.sample'])
        heat.stacks.delete(stack_id)
        self.wait_stack(heat, stack_id, {'DELETE_COMPLETE'})
        self.wait_gone(demo, location)
        self.assertEqual(before, set(self.trusts_of('demo')))
