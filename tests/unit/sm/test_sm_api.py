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
"""The SM's API and lifecycle failure paths, served on 127.0.0.1.

No CC runs here: the SM's ``cc_url`` points at a closed port, so each
instance fails in ``initialise`` with the reason; the API's own rules
(attributes, states, projects, restart recovery) are checked around that.
"""
import time

import fixtures
import testtools

from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle.sm import states
from tests.unit.sm import sm_server

KIND = occi_client.CategoryRef('http://example.org/occi/sm#', 'svc', 'kind')


class SMTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sm = self.useFixture(sm_server.SMServer(
            {'svc.size': 'required', 'svc.colour': '',
             'svc.out': 'immutable'}))
        self.conf = self.sm.conf
        self.manifest = self.sm.manifest
        self.adopt()

    def serve(self):
        """A new SM application on the same database (as a restart)."""
        self.sm.start()
        self.adopt()

    def adopt(self):
        self.url, self.client = self.sm.url, self.sm.client
        self.lifecycle, self.store = self.sm.lifecycle, self.sm.store

    def wait_state(self, location, wanted):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            attrs = self.client.get(location).attributes
            if attrs['mcn.service.state'] in wanted:
                return attrs
            time.sleep(0.05)
        self.fail('never reached %s' % wanted)

    def test_unreachable_cc_fails_the_instance_with_a_reason(self):
        location = self.client.create('/svc/', KIND, {'svc.size': 3})
        attrs = self.wait_state(location, {states.FAILED})
        # Only at the phase deadline: until then the CC is asked again.
        self.assertIn('initialise did not complete within 1 s',
                      attrs['mcn.service.state.reason'])
        # The reason names the component; its URL is only in the log.
        self.assertIn('cloud controller (CC) unreachable',
                      attrs['mcn.service.state.reason'])
        self.assertNotIn('http', attrs['mcn.service.state.reason'])
        self.assertEqual(3, attrs['svc.size'])

    def test_failed_instance_cannot_be_updated_but_can_be_deleted(self):
        location = self.client.create('/svc/', KIND, {'svc.size': 3})
        self.wait_state(location, {states.FAILED})
        err = self.assertRaises(errors.Conflict, self.client.update,
                                location, KIND, {'svc.colour': 'red'})
        self.assertIn('only an instance in state active or degraded can '
                      'be updated', err.message)
        self.client.delete(location)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                self.client.get(location)
            except errors.NotFound:
                return
            time.sleep(0.05)
        self.fail('deleted instance still there')

    def test_required_attribute_missing(self):
        err = self.assertRaises(errors.BadRequest, self.client.create,
                                '/svc/', KIND, {'svc.colour': 'red'})
        self.assertIn('svc.size', err.message)
        self.assertEqual([], self.client.list('/svc/'))

    def test_managed_and_unknown_attributes_refused(self):
        for attrs in ({'svc.size': 1, 'occi.so.url': 'http://x/'},
                      {'svc.size': 1, 'svc.unknown': 'x'}):
            self.assertRaises(errors.BadRequest, self.client.create,
                              '/svc/', KIND, attrs)
        self.assertEqual([], self.client.list('/svc/'))

    def test_title_and_summary_are_kept(self):
        location = self.client.create('/svc/', KIND, {
            'svc.size': 1, 'occi.core.title': 'My title',
            'occi.core.summary': 'what it is for'})
        attrs = self.client.get(location).attributes
        self.assertEqual('My title', attrs['occi.core.title'])
        self.assertEqual('what it is for', attrs['occi.core.summary'])
        err = self.assertRaises(errors.BadRequest, self.client.create,
                                '/svc/', KIND, {'svc.size': 1,
                                                'occi.core.title': 'x' * 9000})
        self.assertIn('occi.core.title', err.message)

    def test_overlong_attribute_value_is_400(self):
        err = self.assertRaises(errors.BadRequest, self.client.create,
                                '/svc/', KIND, {'svc.size': 1,
                                                'svc.colour': 'x' * 9000})
        self.assertIn('limited to 8192 characters: svc.colour', err.message)
        self.assertEqual([], self.client.list('/svc/'))

    def test_projects_are_isolated(self):
        location = self.client.create('/svc/', KIND, {'svc.size': 1})
        other = occi_client.OCCIClient(
            self.url, headers={'X-Project-Id': 'p2'}, retries=0)
        self.assertRaises(errors.NotFound, other.get, location)
        self.assertEqual([], other.list('/svc/'))

    def test_chosen_id_in_use_is_409_and_the_owner_is_untouched(self):
        location = self.client.create('/svc/', KIND, {
            'svc.size': 1, 'occi.core.id': 'dupx'})
        self.assertTrue(location.endswith('/svc/dupx'))
        before = self.wait_state(location, {states.FAILED})
        row = self.store.load('dupx')
        other = occi_client.OCCIClient(
            self.url, headers={'X-Project-Id': 'p2'}, retries=0)
        for client in (self.client, other):
            err = self.assertRaises(errors.Conflict, client.create, '/svc/',
                                    KIND, {'svc.size': 2,
                                           'occi.core.id': 'dupx'})
            self.assertIn('dupx', err.message)
        # PUT: a full update for the owner (409: the instance is failed),
        # a create (of an id in use) for anyone else.
        err = self.assertRaises(errors.Conflict, self.client.put,
                                '/svc/dupx', KIND, {'svc.size': 1,
                                                    'svc.colour': 'red'})
        self.assertIn('only an instance in state active or degraded can '
                      'be updated', err.message)
        self.assertRaises(errors.Conflict, other.put, '/svc/dupx', KIND,
                          {'svc.size': 2})
        self.assertEqual(before, self.client.get(location).attributes)
        after = self.store.load('dupx')
        self.assertEqual((row.project, row.state, row.attributes,
                          row.app_url, row.updated_at),
                         (after.project, after.state, after.attributes,
                          after.app_url, after.updated_at))
        self.assertEqual([], other.list('/svc/'))

    def test_restart_resumes_interrupted_instances_and_disposal(self):
        location = self.client.create('/svc/', KIND, {'svc.size': 1})
        self.wait_state(location, {states.FAILED})
        instance_id = location.rsplit('/', 1)[-1]
        # As if the SM died during deploy: the deploy is resumed; here it
        # has no SO to ask, so it fails, saying so.
        self.store.transition(instance_id, states.DEPLOY)
        self.lifecycle.recover()
        attrs = self.wait_state(location, {states.FAILED})
        self.assertIn('has no SO', attrs['mcn.service.state.reason'])
        # As if the SM died while disposing: disposal resumes, record goes.
        self.store.transition(instance_id, states.DESTROY)
        self.lifecycle.recover()
        deadline = time.monotonic() + 10
        while self.store.load(instance_id) is not None:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)

    def test_watcher_follows_the_sos_dns_reason(self):
        location = self.client.create('/svc/', KIND, {'svc.size': 1})
        self.wait_state(location, {states.FAILED})
        instance_id = location.rsplit('/', 1)[-1]
        answer = {}
        # The SO's answer to the probe (what the CC and the SO would say).
        self.lifecycle.watcher.problem = lambda row, *_: (
            None, None, occi_client.EntityInfo(
                location, attributes=dict(answer)))

        def reason_after_check(before, so_says):
            self.store.transition(instance_id, states.ACTIVE, reason=before)
            answer.clear()
            if so_says:
                answer['occi.mcn.dns.reason'] = so_says
            self.lifecycle.watcher.check(self.store.load(instance_id))
            attrs = self.client.get(location).attributes
            self.assertEqual(states.ACTIVE, attrs['mcn.service.state'])
            return attrs.get('mcn.service.state.reason')

        lost = 'DNS name web-1 not registered: DNS service unreachable'
        self.assertEqual(lost, reason_after_check(None, lost))
        self.assertIsNone(reason_after_check(lost, None))
        # Another reason is not the watcher's to change.
        self.assertEqual('update rejected: no',
                         reason_after_check('update rejected: no', lost))

    def test_watcher_looks_at_once_when_it_starts(self):
        # The trial: instances a stopped CC left degraded stayed so for
        # up to an interval (10 s) after hurtle-all was started again.
        location = self.client.create('/svc/', KIND, {'svc.size': 1})
        self.wait_state(location, {states.FAILED})
        instance_id = location.rsplit('/', 1)[-1]
        self.store.transition(instance_id, states.DEGRADED,
                              reason='the CC does not answer: the SO '
                                     'cannot be checked')
        self.conf.set_override('watch_interval', 60, group='sm')
        # The CC and the SO answer now.
        self.lifecycle.watcher.problem = lambda row, *_: (
            None, None, occi_client.EntityInfo(location, attributes={}))
        started = time.monotonic()
        self.lifecycle.watcher.start()
        self.addCleanup(self.lifecycle.watcher.stop)
        attrs = self.wait_state(location, {states.ACTIVE})
        self.assertLess(time.monotonic() - started, 5)
        self.assertNotIn('mcn.service.state.reason', attrs)

    def test_watcher_reason_follows_the_problem(self):
        location = self.client.create('/svc/', KIND, {'svc.size': 1})
        self.wait_state(location, {states.FAILED})
        instance_id = location.rsplit('/', 1)[-1]
        problem = {}
        # What the CC and the SO would say to the probe.
        self.lifecycle.watcher.problem = lambda row, *_: (
            problem.get('now'), None, None if problem.get('now') else
            occi_client.EntityInfo(location, attributes={}))

        def after_check(state, before, now):
            self.store.transition(instance_id, state, reason=before)
            problem['now'] = now
            self.lifecycle.watcher.check(self.store.load(instance_id))
            attrs = self.client.get(location).attributes
            return (attrs['mcn.service.state'],
                    attrs.get('mcn.service.state.reason'))

        first = "the SO answers 409: the SO's saved state is unusable (a)"
        then = "the SO answers 409: the SO's saved state is unusable (b)"
        self.assertEqual((states.DEGRADED, first),
                         after_check(states.ACTIVE, None, first))
        # The problem changed: so does the reason.
        self.assertEqual((states.DEGRADED, then),
                         after_check(states.DEGRADED, first, then))
        # The lifecycle's reason stays while the problem lasts.
        self.assertEqual(
            (states.DEGRADED, 'update not applied: the SO is gone'),
            after_check(states.DEGRADED,
                        'update not applied: the SO is gone', then))
        # The SO answers: active, no reason.
        self.assertEqual((states.ACTIVE, None),
                         after_check(states.DEGRADED, then, None))

    def test_a_pending_update_is_compared_with_and_sent_again(self):
        # An update given up on an SO that did not answer is pending
        # (degraded, its values kept): the stack may hold them.
        location = self.client.create('/svc/', KIND, {'svc.size': 1})
        self.wait_state(location, {states.FAILED})
        instance_id = location.rsplit('/', 1)[-1]
        self.conf.set_override('phase_timeout', 1, 'sm')
        self.conf.set_override('poll_interval', 0.2, 'sm')
        pending = 'update pending after 1 s: the SO did not answer; ...'
        self.store.transition(instance_id, states.DEGRADED, reason=pending,
                              app_url=self.conf.sm.cc_url + 'app/x',
                              attributes={'svc.colour': 'blue'},
                              pending={'svc.colour': 'red'})
        # Asking for the recorded value again is a change: it is sent.
        # The answer renders the update begun, without the old reason.
        answer = self.client.update(location, KIND, {'svc.colour': 'blue'})
        self.assertEqual(states.UPDATE, answer.attributes['mcn.service.state'])
        self.assertNotIn('mcn.service.state.reason', answer.attributes)
        row = self.store.load(instance_id)
        self.assertEqual((states.UPDATE, {'svc.colour': 'blue'}),
                         (row.state, row.pending))
        attrs = self.wait_state(location, {states.DEGRADED})
        self.assertTrue(attrs['mcn.service.state.reason'].startswith(
            'update pending after '), attrs['mcn.service.state.reason'])
        # Asking for the pending value is none: nothing begins.
        before = self.store.load(instance_id)
        self.client.update(location, KIND, {'svc.colour': 'blue'})
        self.assertEqual((states.DEGRADED, before.operation),
                         (self.store.load(instance_id).state,
                          self.store.load(instance_id).operation))
        # Its SO answers again: the watcher sends the update again,
        # rather than calling the instance active.
        self.lifecycle.watcher.problem = lambda row, *_: (
            None, None, occi_client.EntityInfo(location, attributes={}))
        logger = self.useFixture(fixtures.FakeLogger(
            name='hurtle.sm.lifecycle'))
        self.lifecycle.watcher.check(self.store.load(instance_id))
        row = self.store.load(instance_id)
        self.assertEqual((states.UPDATE, before.operation + 1,
                          {'svc.colour': 'blue'}),
                         (row.state, row.operation, row.pending))
        self.assertIn('sending its pending update again', logger.output)
        # (No CC here: pending again after the deadline.)
        self.wait_state(location, {states.DEGRADED})
        # Without a pending update, an answer makes it active.
        self.store.transition(instance_id, states.DEGRADED,
                              reason='the SO does not answer', pending=None)
        self.lifecycle.watcher.check(self.store.load(instance_id))
        self.assertEqual(states.ACTIVE, self.store.load(instance_id).state)

    def test_watcher_leaves_and_does_not_report_an_instance_taken_meanwhile(
            self):
        location = self.client.create('/svc/', KIND, {'svc.size': 1})
        self.wait_state(location, {states.FAILED})
        instance_id = location.rsplit('/', 1)[-1]
        self.store.transition(instance_id, states.ACTIVE,
                              app_url=self.conf.sm.cc_url + 'app/x')
        seen = self.store.load(instance_id)
        # A delete begins after the watcher read the row, before it wrote.
        self.assertIsNotNone(self.store.begin(
            instance_id, states.DESTROY, {states.ACTIVE}))
        logger = self.useFixture(fixtures.FakeLogger(
            name='hurtle.sm.watcher'))
        self.lifecycle.watcher.check(seen)
        self.assertEqual(states.DESTROY,
                         self.store.load(instance_id).state)
        self.assertNotIn('degraded', logger.output)

    def test_watcher_degrades_an_instance_whose_so_cannot_be_reached(self):
        location = self.client.create('/svc/', KIND, {'svc.size': 1})
        self.wait_state(location, {states.FAILED})
        instance_id = location.rsplit('/', 1)[-1]
        # As if it were active, its app at a CC that does not answer:
        self.store.transition(instance_id, states.ACTIVE,
                              app_url=self.conf.sm.cc_url + 'app/x')
        self.lifecycle.watcher.check(self.store.load(instance_id))
        attrs = self.client.get(location).attributes
        self.assertEqual(states.DEGRADED, attrs['mcn.service.state'])
        self.assertIn('does not answer', attrs['mcn.service.state.reason'])
        # Degraded instances can be updated and deleted. Here the update
        # cannot be sent (no CC): tried again until the phase deadline
        # (the CC may be restarting), then pending, saying why.
        self.conf.set_override('phase_timeout', 2, 'sm')
        self.conf.set_override('poll_interval', 0.2, 'sm')
        colour = attrs.get('svc.colour')
        sent = time.monotonic()
        self.client.update(location, KIND, {'svc.colour': 'red'})
        self.assertEqual(states.UPDATE, self.client.get(
            location).attributes['mcn.service.state'])
        attrs = self.wait_state(location, {states.DEGRADED, states.FAILED,
                                           states.ACTIVE})
        self.assertGreaterEqual(time.monotonic() - sent, 2)
        self.assertEqual(states.DEGRADED, attrs['mcn.service.state'])
        self.assertEqual('update pending after 2 s: cloud controller (CC) '
                         'unreachable; sent again once the SO answers',
                         attrs['mcn.service.state.reason'])
        # Its values are kept, not shown as the instance's.
        self.assertEqual({'svc.colour': 'red'},
                         self.store.load(instance_id).pending)
        self.assertEqual(colour, attrs.get('svc.colour'))
