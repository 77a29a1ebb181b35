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
"""Stacks of deleted apps in Keystone mode: the CC keeps the instance's
trust for them and deletes it afterwards (doc/source/admin/recovery.rst,
"Stacks of deleted apps"; ``hurtle.cc.kept_trusts``).

A real Keystone (Heat's accounts; trusts) and one ``hurtle-all`` whose
embedded Heat checks tokens; the scenario of
:mod:`tests.functional.test_orphan_stacks` (Heat stopped while the CC
sends the create of an instance's stack, the instance deleted, Heat
resumed). Before the fix the SM deleted the instance's trust right
after the app's delete: Heat refused the create it then took up (its
token's trust gone), or made the stack and the CC could not list it
(one WARNING), and nothing was deleted by the CC. Now the trust stays
until the CC deleted the stack Heat made, then the CC deletes it; an
instance deleted without a lost create has its trust deleted at once,
by the SM.
"""
import time

import requests

from hurtle import polling
from tests.functional import hurtle_fixture
from tests.functional import test_keystone_mode
from tests.functional import test_orphan_stacks
from tests import keystone_fixture

#: Most seconds from the stack's delete until the CC deleted the trust
#: (Heat's DELETE_COMPLETE event wakes the CC's look).
TRUST_GONE_WITHIN = 20


#: ``[service_credentials] timeout`` (seconds): how long the CC waits
#: for the stopped Heat, with Keystone credentials (``[deployer]
#: heat_timeout`` is a noauth Heat's).
CREDENTIALS_TIMEOUT = 3


class KeystoneOrphanStackTest(test_orphan_stacks.OrphanCase):

    auth = 'keystone'

    @classmethod
    def make_hurtle(cls):
        hurtle = super().make_hurtle()
        hurtle.extra_conf += ('\n[service_credentials]\ntimeout = %d\n'
                              % CREDENTIALS_TIMEOUT)
        return hurtle

    def hurtle_trusts(self):
        """``{id: trust}`` of demo's trusts to Hurtle's service user."""
        admin = self.keystone.admin()
        service = self.keystone.user_id(keystone_fixture.SERVICE_USER)
        return {t.id: t for t in admin.trusts.list(
            trustor_user=self.keystone.user_id('demo'))
            if t.trustee_user_id == service}

    def trust_status(self, trust_id):
        """The HTTP status of the admin's GET of trust ``trust_id``."""
        return requests.get(
            '%s/v3/OS-TRUST/trusts/%s' % (self.keystone.url, trust_id),
            headers={'X-Auth-Token': self.keystone.token('admin', 'admin')},
            timeout=30).status_code

    def test_the_cc_deletes_the_late_stack_then_the_trust(self):
        before = set(self.hurtle_trusts())
        made = []

        def note_trust():
            made.extend(set(self.hurtle_trusts()) - before)
        instance_id, name, heat, took = \
            self.create_and_delete_while_heat_stopped(note_trust)
        trust_id, = made
        # The SM left the trust to the CC, which keeps it for the stack
        # Heat may still make.
        self.assertEqual(200, self.trust_status(trust_id),
                         'the trust of the deleted instance is gone: the '
                         'CC cannot delete the stack Heat may still make')
        self.assertEqual('the CC keeps', self.sm_log_line(instance_id))
        hurtle_fixture.resume(heat)
        resumed_at = time.monotonic()
        seen = self.wait_orphan_deleted(name, resumed_at, took)
        stack_gone = time.monotonic()
        polling.poll_until(
            lambda: self.trust_status(trust_id) == 404 or None,
            TRUST_GONE_WITHIN, 0.2, 'the CC deleted the trust')
        self.assertNotIn(trust_id, self.hurtle_trusts())
        self.assertIn('the trust of deleted app %s (kept for its lost '
                      'creates) is deleted' % instance_id, self.cc_log())
        self.assertNotIn('cannot look for stacks Heat made',
                         self.cc_log())
        print('SIGSTOP to 404: %.1f s; SIGCONT to stack gone: %.1f s; '
              'stack gone to trust gone: %.1f s; states seen: %s' % (
                  took, stack_gone - resumed_at,
                  time.monotonic() - stack_gone, seen))

    def sm_log_line(self, instance_id):
        """The SM's log line saying the CC keeps ``instance_id``'s trust
        ('' if none)."""
        with open(self.hurtle.state + '/log/hurtle-sm.log') as log:
            for line in log:
                if instance_id in line and 'the CC keeps its trust' in line:
                    return 'the CC keeps'
        return ''

    def test_an_ordinary_delete_deletes_the_trust_at_once(self):
        before = set(self.hurtle_trusts())
        location = self.client.create('/sample/', test_keystone_mode.KIND,
                                      {'sample.greeting': 'hello'})
        entity = self.wait_settled(self.client, location)
        self.assertEqual('active',
                         entity.attributes['mcn.service.state'],
                         entity.attributes.get('mcn.service.state.reason'))
        trust_id, = set(self.hurtle_trusts()) - before
        self.delete_and_wait(self.client, location)
        # Gone when the instance is: the SM deleted it.
        self.assertEqual(404, self.trust_status(trust_id))
        self.assertEqual('', self.sm_log_line(location.rsplit('/', 1)[-1]))
