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
"""The SM's dispose leaves an instance's trust to the CC when the CC's
answer to the app's DELETE says it keeps it (``X-Hurtle-Trust-Kept``),
a 404 of a DELETE sent again included: a real SM and a real CC over
HTTP (noauth), no Keystone. A trust the SM does delete needs Keystone,
which these tests have not: that delete fails, which shows the SM tried
(the deletes themselves: tests.functional.test_keystone_orphans)."""
import testtools

from hurtle.db import engine as db_engine
from hurtle.db import models
from hurtle.occi import errors
from hurtle import polling
from hurtle.sm import trusts
from tests.unit.cc import test_app_api
from tests.unit.sm import sm_server

TRUST = 't-1'


class DisposeKeptTrustTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        test_app_api.serve_cc(self)
        self.sm = self.useFixture(sm_server.SMServer({}, cc_url=self.url))
        self.kept = self.backend.kept_trusts

    def add_instance(self, ident, app=True):
        """An active instance with a trust whose app is gone from the CC
        (the SM stopped after the app's DELETE, before its purge)."""
        with db_engine.sessionmaker(
                self.sm.conf.database.connection).begin() as session:
            session.add(models.ServiceInstance(
                id=ident, project='p1', service='svc', state='active',
                attributes={trusts.ATTRIBUTE: TRUST},
                app_url=self.url + 'app/' + ident if app else None))
        return '/svc/' + ident

    def delete(self, location):
        """DELETE the instance; its state once gone (None) or failed."""
        self.sm.client.delete(location)

        def settled():
            try:
                entity = self.sm.client.get(location)
            except errors.NotFound:
                return 'gone'
            state = entity.attributes['mcn.service.state']
            return (state, entity.attributes.get(
                'mcn.service.state.reason')) if state == 'failed' else None
        return polling.poll_until(settled, 30, 0.05, 'dispose ended')

    def test_a_trust_the_cc_keeps_is_left_to_it(self):
        location = self.add_instance('i1')
        self.kept.keep('i1', 'service', TRUST)
        # The CC answers 404 (app gone) with the header: no Keystone
        # call, so the dispose completes.
        self.assertEqual('gone', self.delete(location))

    def test_another_trust_kept_for_the_app_is_not_this_one(self):
        location = self.add_instance('i2')
        self.kept.keep('i2', 'service', 't-other')
        state, reason = self.delete(location)
        self.assertIn('dispose failed', reason)
        self.assertIn('trust', reason)

    def test_without_the_header_the_sm_deletes_the_trust(self):
        for ident, app in (('i3', True), ('i4', False)):
            state, reason = self.delete(self.add_instance(ident, app))
            self.assertEqual('failed', state)
            self.assertIn('dispose failed', reason)
            self.assertIn('trust', reason)
