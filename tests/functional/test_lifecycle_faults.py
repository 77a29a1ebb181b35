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
"""The SM's instance lifecycle under concurrency, refusals and crashes.

Real processes on 127.0.0.1 (``HurtleParts``: embedded Heat, CC and SM
as separate processes, so the SM can be SIGKILLed and restarted while the
rest runs); the SM is driven as curl would, the stacks are read through
the embedded Heat, SO processes and CC apps are counted directly. Like
``test_end_to_end``, the tests run in noauth and in Keystone mode
(``HurtleTestCase.auth``).
"""
import os
import signal
import threading
import time
import types
import urllib.parse

import requests

from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle import polling
from hurtle.sdk import deployer as deployer_api
from hurtle.so.deployers import cc as cc_deployer
from tests.functional import hurtle_fixture
from tests.functional import test_cc_hardening

SCHEME = 'http://schemas.hurtle.it/occi/sm#'
SAMPLE = occi_client.CategoryRef(SCHEME, 'sample', 'kind')
APP_ACTION = 'http://schemas.ogf.org/occi/platform/app/action#'
TIMEOUT = 120
#: Rounds of PARALLEL updates at once, each asserting the same (exactly
#: one accepted, the winner's value deployed); each round costs a whole
#: update. benchmarks/parallel_updates.py --rounds N repeats it longer.
ROUNDS = 10
PARALLEL = 10


def so_deployer(hurtle, instance_id):
    """The ``cc`` deployer of the instance's SO (its identity), or None
    while it has no SO process."""
    for environ in test_cc_hardening._so_processes(
            hurtle.conf_path).values():
        if environ.get('HURTLE_INSTANCE_ID') == instance_id:
            conf = types.SimpleNamespace(
                deployer=types.SimpleNamespace(insecure=False))
            return cc_deployer.CCDeployer(
                conf, so_identity=cc_deployer.identity_from_env(environ),
                retries=0)
    return None


def create_pending(hurtle, instance_id):
    """A probe (``hurtle.polling``): True once the CC claimed the stack
    of the instance's SO and waits for Heat's answer to its create."""
    deployer = so_deployer(hurtle, instance_id)
    try:
        deployer.details('hurtle-%s' % instance_id)
    except deployer_api.DeployerUnavailable as exc:
        return 'still being created' in str(exc) or None
    except (deployer_api.DeployerError, AttributeError):
        return None
    return None


class LifecycleFaultsTest(hurtle_fixture.HurtleTestCase):

    @classmethod
    def make_hurtle(cls):
        # ``untyped``: the sample in the 2016 format, whose bad values
        # reach the SO and Heat (the typed sample refuses them itself).
        return hurtle_fixture.HurtleParts(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,
                       hurtle_fixture.UNTYPED_MANIFEST))

    def setUp(self):
        super().setUp()
        self.client = self.sm_client('demo')
        self.cc = self.hurtle.cc_client()
        self.heat = self.stack_client('demo')

    # helpers
    @staticmethod
    def kind(location):
        """The kind Category of an instance or collection location."""
        term = urllib.parse.urlsplit(location).path.split('/')[1]
        return '%s; scheme="%s"; class="kind"' % (term, SCHEME)

    def create(self, *attributes, term='sample'):
        headers = dict(self.headers(), **{
            'Category': self.kind('/%s/' % term),
            'Content-Type': 'text/occi'})
        if attributes:
            headers['X-OCCI-Attribute'] = ', '.join(attributes)
        resp = requests.post(self.hurtle.sm_url + term + '/',
                             headers=headers, timeout=30)
        self.assertEqual(201, resp.status_code, resp.text)
        return resp.headers['Location']

    def post_update(self, location, attribute):
        return requests.post(location, headers=dict(self.headers(), **{
            'Category': self.kind(location), 'Content-Type': 'text/occi',
            'X-OCCI-Attribute': attribute}), timeout=60)

    def delete(self, location):
        return requests.delete(location, headers=self.headers(), timeout=30)

    def wait_state(self, location, wanted, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        state = None
        while time.monotonic() < deadline:
            try:
                attrs = self.client.get(location).attributes
            except errors.ConnectionFailed:   # the SM is restarting
                time.sleep(0.2)
                continue
            state = attrs['mcn.service.state']
            if state in wanted:
                return attrs
            time.sleep(0.1)
        self.fail('%s never reached %s (last %s)\n%s'
                  % (location, wanted, state, self.hurtle.output()))

    def wait_gone(self, location):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                attrs = self.client.get(location).attributes
            except errors.NotFound:
                return
            except errors.ConnectionFailed:
                attrs = {}
            self.assertNotEqual('failed', attrs.get('mcn.service.state'),
                                attrs.get('mcn.service.state.reason'))
            time.sleep(0.2)
        self.fail('%s still exists' % location)

    def stacks_of(self, instance_id):
        return [s for s in self.heat.stacks.list()
                if s.stack_name == 'hurtle-%s' % instance_id]

    def deployed_output(self, stack_id, key):
        stack = self.heat.stacks.get(stack_id)
        return {o['output_key']: o.get('output_value')
                for o in stack.outputs or []}.get(key)

    def app_ids(self):
        return [loc.rstrip('/').rsplit('/', 1)[-1]
                for loc in self.cc.list('/app/')]

    def app_of(self, instance_id):
        return self.hurtle.cc_url + 'app/' + instance_id

    def assert_nothing_left(self, instance_id):
        self.wait_stacks_gone({'hurtle-%s' % instance_id})
        self.assertNotIn(instance_id, self.app_ids())

    def kill_so(self, instance_id):
        pids = self.hurtle.so_pids(instance_id)
        self.assertEqual(1, len(pids), pids)
        os.kill(pids[0], signal.SIGKILL)

    def restart_app(self, app):
        """Start the app of a dead SO again, as an operator would (a CC
        that still records it active wants a stop first)."""
        def action(term):
            try:
                self.cc.action(app, occi_client.CategoryRef(
                    APP_ACTION, term, 'action'))
            except errors.Conflict:
                pass
        if self.cc.get(app).attributes['occi.app.state'] != 'active':
            action('stop')
            action('start')

    # 1. one lifecycle operation at a time
    def test_parallel_updates_accept_exactly_one(self):
        location = self.create()
        attrs = self.wait_state(location, {'active'})
        stack_id = attrs['occi.mcn.stack.id']
        accepted = []
        for round_ in range(ROUNDS):
            barrier = threading.Barrier(PARALLEL)
            codes = [None] * PARALLEL

            def send(index, round_=round_, barrier=barrier, codes=codes):
                barrier.wait()
                codes[index] = self.post_update(
                    location, 'sample.greeting="r%d-%d"'
                    % (round_, index)).status_code
            threads = [threading.Thread(target=send, args=(i,))
                       for i in range(PARALLEL)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            accepted.append(codes.count(200))
            self.assertEqual(1, codes.count(200), codes)
            self.assertEqual(PARALLEL - 1, codes.count(409), codes)
            winner = 'r%d-%d' % (round_, codes.index(200))
            attrs = self.wait_state(location, {'active', 'failed'})
            self.assertEqual('active', attrs['mcn.service.state'],
                             attrs.get('mcn.service.state.reason'))
            self.assertEqual(winner, attrs['sample.greeting'])
            self.assertEqual(
                self.deployed_output(stack_id, 'mcn.endpoint.sample'),
                attrs['mcn.endpoint.sample'])
            self.assertIn('greeting=' + winner, attrs['mcn.endpoint.sample'])
        print('parallel updates accepted per round: %s' % accepted)
        self.assertEqual(202, self.delete(location).status_code)
        self.wait_gone(location)

    # 2. a refused value is not kept
    def test_refused_update_does_not_poison_later_ones(self):
        location = self.create(term='untyped')
        self.wait_state(location, {'active'})
        self.assertEqual(200, self.post_update(
            location, 'sample.name_length=2').status_code)
        attrs = self.wait_state(location, {'active', 'failed'})
        self.assertEqual('active', attrs['mcn.service.state'])
        self.assertIn('update rejected', attrs['mcn.service.state.reason'])
        self.assertIn('sample.name_length', attrs['mcn.service.state.reason'])
        for greeting in ('after', 'again'):
            self.assertEqual(200, self.post_update(
                location, 'sample.greeting="%s"' % greeting).status_code)
            attrs = self.wait_state(location, {'active', 'failed'})
            self.assertEqual('active', attrs['mcn.service.state'])
            self.assertNotIn('mcn.service.state.reason', attrs)
            self.assertIn('greeting=' + greeting,
                          attrs['mcn.endpoint.sample'])
            self.assertEqual(greeting, self.deployed_output(
                attrs['occi.mcn.stack.id'], 'sample.greeting'))
        self.assertNotIn('sample.name_length', attrs)
        self.delete(location)
        self.wait_gone(location)

    # 3. an update Heat refuses leaves the instance active
    def test_update_heat_refuses_keeps_the_instance_active(self):
        location = self.create(term='untyped')
        before = self.wait_state(location, {'active'})
        self.assertEqual(200, self.post_update(
            location, 'sample.greeting="%s"' % ('x' * 65)).status_code)
        attrs = self.wait_state(location, {'active', 'failed'})
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        reason = attrs['mcn.service.state.reason']
        self.assertIn('update rejected', reason)
        self.assertIn('64', reason)
        self.assertNotIn("{'", reason)
        self.assertEqual(before['mcn.endpoint.sample'],
                         attrs['mcn.endpoint.sample'])
        self.assertEqual(200, self.post_update(
            location, 'sample.greeting="fine"').status_code)
        attrs = self.wait_state(location, {'active', 'failed'})
        self.assertEqual('active', attrs['mcn.service.state'])
        self.assertIn('greeting=fine', attrs['mcn.endpoint.sample'])
        self.delete(location)
        self.wait_gone(location)

    # 4. DELETE is 202, and cancels a create
    def test_delete_answers_202_and_cancels_a_create(self):
        for delay in (0, 1, 2, 3):
            location = self.create()
            instance_id = location.rsplit('/', 1)[-1]
            time.sleep(delay)
            resp = self.delete(location)
            self.assertEqual(202, resp.status_code, resp.text)
            # Again while it is being disposed of: 202 as well. (Cancelled
            # before its SO existed, it can be gone already: 404 then.)
            again = self.delete(location).status_code
            if again == 404:
                self.assertRaises(errors.NotFound, self.client.get,
                                  location)
            else:
                self.assertEqual(202, again)
            self.wait_gone(location)
            self.assert_nothing_left(instance_id)

    # 5. an SM killed during initialise leaks no SO
    def test_sm_killed_during_create_leaks_nothing(self):
        for delay in (0, 0.5, 1, 2):
            location = self.create()
            instance_id = location.rsplit('/', 1)[-1]
            time.sleep(delay)
            self.hurtle.kill_sm()
            self.hurtle.start_sm()
            self.assertEqual(202, self.delete(location).status_code)
            self.wait_gone(location)
            self.assert_nothing_left(instance_id)
            self.hurtle.wait_sos_gone(instance_id)

    # 6. interrupted creates and updates are resumed
    def test_sm_killed_in_each_phase_resumes(self):
        hit = set()
        for phase in ('initialise', 'activate', 'deploy', 'provision',
                      'update'):
            location = self.create()
            instance_id = location.rsplit('/', 1)[-1]
            if phase == 'update':
                self.wait_state(location, {'active'})
                self.assertEqual(200, self.post_update(
                    location, 'sample.greeting="resumed"').status_code)
            seen = self.wait_state(location, {phase, 'active', 'failed'},
                                   timeout=60)['mcn.service.state']
            self.hurtle.kill_sm()
            hit.add(seen)
            self.hurtle.start_sm()
            attrs = self.wait_state(location, {'active', 'failed'})
            self.assertEqual('active', attrs['mcn.service.state'],
                             '%s: %s' % (phase, attrs.get(
                                 'mcn.service.state.reason')))
            self.assertIs(True, attrs['sample.provisioned'])
            stacks = self.stacks_of(instance_id)
            self.assertEqual(1, len(stacks), phase)
            self.assertEqual(stacks[0].id, attrs['occi.mcn.stack.id'])
            if phase == 'update':
                self.assertEqual('resumed', attrs['sample.greeting'])
                self.assertIn('greeting=resumed',
                              attrs['mcn.endpoint.sample'])
            self.delete(location)
            self.wait_gone(location)
            self.assert_nothing_left(instance_id)
        # The long phases are always caught in the act.
        self.assertTrue({'deploy', 'provision', 'update'} <= hit, hit)

    def test_update_waits_for_a_cc_that_is_down_and_is_applied(self):
        # The CC down (killed, about to be restarted) when an update
        # starts: the SM tries again until it answers, and the update is
        # applied; it was "update not applied" at once, its values lost.
        location = self.create()
        self.wait_state(location, {'active'})
        instance_id = location.rsplit('/', 1)[-1]
        self.hurtle.kill_cc()
        try:
            self.assertEqual(200, self.post_update(
                location, 'sample.greeting="cc-was-down"').status_code)
            # Longer than the SM's own call retries (0.5 + 1 + 2 s).
            time.sleep(8)
            self.assertEqual('update', self.client.get(
                location).attributes['mcn.service.state'])
        finally:
            self.hurtle.start_cc()
        attrs = self.wait_state(location, {'active', 'degraded', 'failed'})
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        self.assertEqual('cc-was-down', attrs['sample.greeting'])
        self.assertIn('greeting=cc-was-down', attrs['mcn.endpoint.sample'])
        self.assertEqual(1, len(self.stacks_of(instance_id)))
        self.delete(location)
        self.wait_gone(location)
        self.assert_nothing_left(instance_id)

    def running_again(self, child, stopped=None):
        """A cleanup: ``child`` (a ``hurtle.cmd.all.Child``) runs, however
        the test left it: its process ``stopped`` (SIGSTOPped) continued,
        or, dead, started again."""
        if stopped is not None and child.proc is stopped and \
                stopped.poll() is None:
            os.kill(stopped.pid, signal.SIGCONT)
        elif child.proc.poll() is not None:
            child.start()
            child.wait_ready(self.hurtle.start_timeout)

    def test_a_create_lost_with_the_cc_is_made_again(self):
        # The CC killed after it recorded the SO's stack, before Heat
        # (stopped) made it, and Heat killed too: the create stayed
        # CREATE_PENDING for good and the instance failed after [sm]
        # phase_timeout. The restarted CC forgets it (Heat has no such
        # stack) and the SO's next deploy makes the stack, once.
        heat, cc = self.hurtle.children[:2]
        # Whatever fails below, the class's next test finds Heat and the
        # CC running (a stopped Heat failed it once).
        self.addCleanup(self.running_again, cc)
        self.addCleanup(self.running_again, heat, stopped=heat.proc)
        os.kill(heat.proc.pid, signal.SIGSTOP)
        try:
            location = self.create()
            instance_id = location.rsplit('/', 1)[-1]
            polling.poll_until(
                lambda: create_pending(self.hurtle, instance_id), TIMEOUT,
                0.5, 'the CC claimed the stack while Heat is stopped')
            self.hurtle.kill_cc()
        finally:
            heat.proc.kill()
            heat.proc.wait()
            heat.start()
            heat.wait_ready(self.hurtle.start_timeout)
        self.hurtle.start_cc()
        attrs = self.wait_state(location, {'active', 'failed'})
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        [stack] = self.stacks_of(instance_id)
        self.assertEqual(stack.id, attrs['occi.mcn.stack.id'])
        with open(self.hurtle.children[1].log_path) as log:
            self.assertIn('its create was lost when the CC stopped',
                          log.read())
        self.delete(location)
        self.wait_gone(location)
        self.assert_nothing_left(instance_id)

    # 7. a dead SO
    def test_dead_so_degrades_the_instance_until_it_is_back(self):
        location = self.create()
        attrs = self.wait_state(location, {'active'})
        instance_id = attrs['occi.core.id']
        app = self.app_of(instance_id)
        self.kill_so(instance_id)
        attrs = self.wait_state(location, {'degraded'}, timeout=60)
        self.assertIn('SO', attrs['mcn.service.state.reason'])
        # Back (the CC, or here an operator, restarts it): active again.
        self.restart_app(app)
        attrs = self.wait_state(location, {'active'}, timeout=60)
        self.assertNotIn('mcn.service.state.reason', attrs)
        # Dead again: an update still works (the SM restarts the app).
        self.kill_so(instance_id)
        self.wait_state(location, {'degraded'}, timeout=60)
        self.assertEqual(200, self.post_update(
            location, 'sample.greeting="revived"').status_code)
        attrs = self.wait_state(location, {'active', 'failed'})
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        self.assertIn('greeting=revived', attrs['mcn.endpoint.sample'])
        # Dead again: DELETE disposes of everything.
        self.kill_so(instance_id)
        self.wait_state(location, {'degraded'}, timeout=60)
        self.assertEqual(202, self.delete(location).status_code)
        self.wait_gone(location)
        self.assert_nothing_left(instance_id)
        self.assertEqual([], self.hurtle.so_pids(instance_id))

    def wait_reason(self, location, state, words, timeout=60):
        """The attributes once the instance is ``state`` with a reason
        holding ``words``."""
        deadline = time.monotonic() + timeout
        attrs = {}
        while time.monotonic() < deadline:
            attrs = self.client.get(location).attributes
            if attrs['mcn.service.state'] == state and words in (
                    attrs.get('mcn.service.state.reason') or ''):
                return attrs
            time.sleep(0.1)
        self.fail('%s never %s with %r (last %s: %s)' % (
            location, state, words, attrs.get('mcn.service.state'),
            attrs.get('mcn.service.state.reason')))

    def test_so_error_degrades_with_its_message_until_it_is_fixed(self):
        # An SO whose saved state is unusable answers every request 409
        # saying why (hurtle.so.api); the watcher shows that sentence,
        # follows it when it changes, and the instance is active again
        # with no reason once the SO answers.
        location = self.create()
        attrs = self.wait_state(location, {'active'})
        instance_id = attrs['occi.core.id']
        path = os.path.join(self.hurtle.state, 'so', '%s.json' % instance_id)
        with open(path) as handle:
            good = handle.read()
        with open(path, 'w') as handle:
            handle.write('{"so": ')
        # Restarted by the CC with the corrupt file.
        self.kill_so(instance_id)
        attrs = self.wait_reason(location, 'degraded',
                                 "the SO's saved state is unusable (it is "
                                 "not JSON)")
        reason = attrs['mcn.service.state.reason']
        self.assertTrue(reason.startswith('the SO answers 409: '), reason)
        self.assertNotIn(self.hurtle.state, reason)
        # Another problem: the reason follows.
        os.unlink(path)
        os.mkdir(path)
        self.wait_reason(location, 'degraded', '(it cannot be read (EISDIR))')
        # Fixed: active, no reason.
        os.rmdir(path)
        with open(path, 'w') as handle:
            handle.write(good)
        attrs = self.wait_state(location, {'active'}, timeout=60)
        self.assertNotIn('mcn.service.state.reason', attrs)
        self.assertEqual(202, self.delete(location).status_code)
        self.wait_gone(location)
        self.assert_nothing_left(instance_id)

    def test_so_killed_during_create_is_followed_to_its_new_url(self):
        # The CC restarts the SO on another port; the create carries on
        # with it instead of polling the dead port until its deadline.
        for phase in ('deploy', 'provision'):
            location = self.create()
            first = self.wait_state(location, {phase}, timeout=60)
            instance_id = first['occi.core.id']
            self.kill_so(instance_id)
            attrs = self.wait_state(location, {'active', 'failed'})
            self.assertEqual('active', attrs['mcn.service.state'],
                             attrs.get('mcn.service.state.reason'))
            self.assertNotEqual(first['occi.so.url'], attrs['occi.so.url'])
            self.assertEqual(1, len(self.stacks_of(instance_id)))
            self.assertEqual(202, self.delete(location).status_code)
            self.wait_gone(location)
            self.assert_nothing_left(instance_id)

    def test_so_that_cannot_come_back_is_disposed_by_stack_id(self):
        location = self.create()
        attrs = self.wait_state(location, {'active'})
        instance_id = attrs['occi.core.id']
        self.assertEqual(1, len(self.stacks_of(instance_id)))
        # The app (and its SO) vanish from the CC for good.
        self.cc.delete(self.app_of(instance_id))
        attrs = self.wait_state(location, {'degraded'}, timeout=60)
        self.assertIn('SO', attrs['mcn.service.state.reason'])
        # An update cannot be applied, and says so; the instance stays.
        self.assertEqual(200, self.post_update(
            location, 'sample.greeting="nowhere"').status_code)
        attrs = self.wait_state(location, {'degraded', 'failed'})
        self.assertEqual('degraded', attrs['mcn.service.state'])
        self.assertIn('update not applied',
                      attrs['mcn.service.state.reason'])
        self.assertEqual(202, self.delete(location).status_code)
        self.wait_gone(location)
        self.assert_nothing_left(instance_id)
