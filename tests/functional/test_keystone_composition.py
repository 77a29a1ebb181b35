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
"""Trusts on a real Keystone: composed instances and the catalog
interface.

One real Keystone (identity on the public interface only, as devstack
makes it) and one ``hurtle-all`` serving the sample and composed services
in Keystone mode, its embedded Heat checking tokens
(tests.functional.test_keystone_heat).
"""
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from tests.functional import hurtle_fixture
from tests.functional import test_keystone_heat
from tests.functional import test_keystone_mode
from tests import keystone_fixture

COMPOSED = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                                   'composed', 'kind')


class KeystoneCompositionTest(test_keystone_heat.KeystoneHeatCase):

    MANIFESTS = (hurtle_fixture.SAMPLE_MANIFEST,
                 hurtle_fixture.COMPOSED_MANIFEST)

    def test_a_composed_instance_and_its_dependency_are_the_users(self):
        token = self.keystone.token('demo', 'demo')
        demo = occi_client.OCCIClient(self.hurtle.sm_url, retries=0,
                                      headers={'X-Auth-Token': token})
        trusts_before = set(self.trusts_of('demo'))
        samples_before = set(demo.list('/sample/'))
        location = demo.create('/composed/', COMPOSED,
                               {'composed.label': 'edge'})
        attrs = self.wait_state(demo, location, {'active', 'failed'})
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        # The dependency is in demo's project: demo lists it.
        new = set(demo.list('/sample/')) - samples_before
        self.assertEqual(1, len(new), new)
        dependency_location = new.pop()
        dependency = demo.get(dependency_location).attributes
        self.assertEqual('active', dependency['mcn.service.state'])
        self.assertEqual(dependency['mcn.endpoint.sample'],
                         attrs['mcn.endpoint.sample'])
        alt = self.client('alt_demo', 'alt_demo')
        for where in (location, dependency_location):
            self.assertRaises(errors.NotFound, alt.get, where)
        # Nothing landed in the service project.
        service = self.client(keystone_fixture.SERVICE_USER, 'service')
        self.assertRaises(errors.NotFound, service.get, dependency_location)

        # Trusts: demo's to Hurtle for the composed instance; the
        # dependency's, redelegated from it; Heat's for each stack, each
        # redelegated from its instance's trust.
        trusts = self.new_trusts('demo', trusts_before)
        hurtle_trusts = trusts.get(keystone_fixture.SERVICE_USER, [])
        heat_trusts = trusts.get(keystone_fixture.HEAT_USER, [])
        self.assertEqual((2, 2), (len(hurtle_trusts), len(heat_trusts)),
                         trusts)
        composed_trust = [t for t in hurtle_trusts
                          if not t.redelegated_trust_id]
        self.assertEqual(1, len(composed_trust), hurtle_trusts)
        composed_trust = composed_trust[0]
        dependency_trust = [t for t in hurtle_trusts
                            if t.id != composed_trust.id][0]
        self.assertEqual(composed_trust.id,
                         dependency_trust.redelegated_trust_id)
        self.assertTrue(dependency_trust.impersonation)
        self.assertEqual(self.keystone.project_id('demo'),
                         dependency_trust.project_id)
        self.assertEqual(
            {composed_trust.id, dependency_trust.id},
            {t.redelegated_trust_id for t in heat_trusts})
        for trust_id in (composed_trust.id, dependency_trust.id):
            self.assertNotIn(trust_id, str(attrs))
            self.assertNotIn(trust_id, str(dependency))

        # Both stacks are in demo's project, as demo.
        heat = self.heat('demo', 'demo')
        stacks = {s.id: s for s in heat.stacks.list()}
        for stack_id in (attrs['occi.mcn.stack.id'],
                         dependency['occi.mcn.stack.id']):
            self.assertIn(stack_id, stacks)
            self.assertEqual('demo', heat.stacks.get(stack_id).stack_owner)
        alt_stacks = [s.id for s in self.heat(
            'alt_demo', 'alt_demo').stacks.list()]
        self.assertNotIn(dependency['occi.mcn.stack.id'], alt_stacks)

        # demo's token is revoked: the disposal needs none.
        self.keystone.revoke(token)
        demo = self.client('demo', 'demo')
        demo.delete(location)
        self.wait_gone(demo, location)
        self.wait_gone(demo, dependency_location)
        hurtle_fixture.wait_unlisted(self, heat, [
            attrs['occi.mcn.stack.id'], dependency['occi.mcn.stack.id']])
        self.assertEqual(trusts_before, set(self.trusts_of('demo')))

    # -- [service_credentials] interface -------------------------------------
    def test_trusts_follow_the_service_credentials_interface(self):
        # This Keystone has identity on the public interface only. The
        # default, public, works: a trust, an instance.
        before = set(self.trusts_of('demo'))
        self.lifecycle(self.client('demo', 'demo'))
        self.assertEqual(before, set(self.trusts_of('demo')))
        # internal: no identity endpoint there, so no trust can be made:
        # 503 naming the option, and no instance.
        internal = hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,),
            extra_conf=test_keystone_heat.hurtle_conf(self.keystone) +
            '\n[service_credentials]\ninterface = internal\n')
        self.useFixture(internal)
        demo = self.client('demo', 'demo', url=internal.sm_url)
        err = self.assertRaises(errors.ServiceUnavailable, demo.create,
                                '/sample/', test_keystone_mode.KIND,
                                {'sample.greeting': 'hello'})
        self.assertEqual(503, err.code)
        self.assertIn('[service_credentials] interface', err.message)
        self.assertIn("'internal'", err.message)
        self.assertEqual([], demo.list('/sample/'))
        self.assertEqual(before, set(self.trusts_of('demo')))
