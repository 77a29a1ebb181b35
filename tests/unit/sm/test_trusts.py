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
"""``hurtle.sm.trusts`` before Keystone is asked, and where the trust id
is kept (the trusts themselves: tests.functional.test_keystone_heat, on a
real Keystone)."""
import fixtures
from occi import core_model
import testtools

from hurtle.db import migration
from hurtle.db import models
from hurtle.sm import store as store_mod
from hurtle.sm import trusts


class NoSession(object):
    """A Keystone session the tests must not use."""

    def __getattr__(self, name):
        raise AssertionError('Keystone was asked (%s)' % name)


class TrustRequestTest(testtools.TestCase):

    def test_a_request_without_a_user_token_is_400(self):
        full = {'HTTP_X_AUTH_TOKEN': 't', 'HTTP_X_USER_ID': 'u',
                'HTTP_X_PROJECT_ID': 'p', 'HTTP_X_ROLES': 'member'}
        for missing in full:
            environ = dict(full)
            del environ[missing]
            error = self.assertRaises(trusts.TrustError, trusts.create,
                                      None, NoSession(), environ)
            self.assertEqual(400, error.status)
            self.assertIn('no project-scoped user token', str(error))


class TrustIdKeptTest(testtools.TestCase):

    def test_the_trust_id_is_stored_but_never_rendered(self):
        path = self.useFixture(fixtures.TempDir()).join('sm.sqlite')
        url = 'sqlite:///' + path
        migration.upgrade(url)
        kind = core_model.Kind('http://example.org/occi/sm#', 'svc')
        store = store_mod.InstanceStore(url, {'svc': kind})
        row = models.ServiceInstance(
            id='i1', project='p', service='svc', state='active',
            attributes={'a': 1, trusts.ATTRIBUTE: 'secret-trust'})
        entity = store.to_entity(row)
        self.assertEqual(1, entity.attributes['a'])
        self.assertNotIn(trusts.ATTRIBUTE, entity.attributes)
        self.assertNotIn('secret-trust', str(entity.attributes))
