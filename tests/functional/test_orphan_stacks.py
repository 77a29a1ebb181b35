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
"""A stack create that waits in a stopped Heat's queue longer than every
caller waits is made after its instance was deleted: the CC deletes that
stack (doc/source/admin/recovery.rst, "Stacks of deleted apps").

Real ``hurtle-all`` on 127.0.0.1 (the embedded Heat posts its stack
events to the CC; ``[cc] orphan_stack_interval`` is long, so the event
is what makes the CC look). The Heat process is stopped (SIGSTOP)
before an instance is created: the CC's create of the SO's stack is
taken by the kernel and waits; the CC gives up on it after ``[deployer]
heat_timeout``, the instance is deleted (its app and SO removed, the
stack looked for and not found: Heat does not answer) and answers 404.
Heat then continues (SIGCONT) and makes the stack, tagged
``hurtle-app-<app id>``, for an app that no longer exists. Before the
fix that stack stayed ``CREATE_COMPLETE`` for good (the user's resources
leaked).
"""
import os
import signal
import time

import requests

from hurtle import polling
from tests.functional import hurtle_fixture
from tests.functional import test_lifecycle_faults

SCHEME = 'http://schemas.hurtle.it/occi/sm#'
KIND = 'sample; scheme="%s"; class="kind"' % SCHEME
#: Seconds for the CC's requests to the stopped Heat, and the SM's calls.
HEAT_TIMEOUT = 2
#: Most seconds from the SIGCONT of Heat until the stack it then made for
#: the deleted app is gone (Heat makes it, its event wakes the CC's check,
#: Heat deletes it).
GONE_WITHIN = 30
#: Words of the CC's log line on the stack it deletes.
LOG_LINE = 'made after its app was deleted'


class OrphanCase(hurtle_fixture.HurtleTestCase):
    """hurtle-all (either mode, ``auth``) and the steps of the scenario
    of the module docstring; helpers, no tests."""

    @classmethod
    def make_hurtle(cls):
        return hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,), phase_timeout=20,
            extra_conf='[deployer]\nheat_timeout = %d\n'
                       '[sm]\ncall_timeout = %d\n'
                       '[cc]\norphan_stack_interval = 300\n'
                       % (HEAT_TIMEOUT, HEAT_TIMEOUT))

    def setUp(self):
        super().setUp()
        self.client = self.sm_client('demo')
        self.heat = self.stack_client('demo')

    def stacks_named(self, name):
        return [s for s in self.heat.stacks.list() if s.stack_name == name]

    def cc_log(self):
        with open(os.path.join(self.hurtle.state, 'log',
                               'hurtle-cc.log')) as log:
            return log.read()

    def create_and_delete_while_heat_stopped(self, before_delete=None):
        """Stop Heat, create an instance, wait until the CC sent its
        stack's create, call ``before_delete`` (if given), delete the
        instance and wait for its 404.

        :returns: ``(instance id, stack name, Heat's pid, seconds from
            the SIGSTOP to the 404)``; Heat is still stopped (resumed at
            cleanup at the latest).
        """
        heat = self.hurtle.part_pid('hurtle.cmd.heat')
        self.addCleanup(hurtle_fixture.resume, heat)
        os.kill(heat, signal.SIGSTOP)
        stopped_at = time.monotonic()
        resp = requests.post(self.hurtle.sm_url + 'sample/', headers=dict(
            self.headers(), **{'Category': KIND,
                               'Content-Type': 'text/occi'}), timeout=30)
        self.assertEqual(201, resp.status_code, resp.text)
        location = resp.headers['Location']
        instance_id = location.rsplit('/', 1)[-1]
        polling.poll_until(
            lambda: test_lifecycle_faults.create_pending(self.hurtle,
                                                         instance_id),
            60, 0.2, 'the CC sent the create of the stack to Heat')
        if before_delete is not None:
            before_delete()
        resp = requests.delete(location, headers=self.headers(),
                               timeout=30)
        self.assertIn(resp.status_code, (200, 202), resp.text)
        self.wait_instance_gone(location, timeout=60)
        cc = self.hurtle.cc_client()
        self.assertNotIn(instance_id, [
            loc.rstrip('/').rsplit('/', 1)[-1] for loc in cc.list('/app/')])
        return (instance_id, 'hurtle-%s' % instance_id, heat,
                time.monotonic() - stopped_at)

    def wait_orphan_deleted(self, name, resumed_at, took):
        """Wait until Heat made stack ``name`` (resumed at ``resumed_at``,
        monotonic) and the CC deleted it: one line of its log says so
        and Heat unlists it. ``took``: seconds from SIGSTOP to 404.

        :returns: ``{state seen: seconds after the SIGCONT}``.
        """
        seen = {}

        def orphan_gone():
            listed = self.stacks_named(name)
            for stack in listed:
                seen.setdefault(stack.stack_status,
                                round(time.monotonic() - resumed_at, 1))
            logged = any(name in line and LOG_LINE in line
                         for line in self.cc_log().splitlines())
            return (not listed and logged) or None
        try:
            polling.poll_until(orphan_gone, GONE_WITHIN, 0.2,
                               'the CC deleted the stack of the app')
        except polling.Timeout:
            self.fail('stack %s left %.1f s after Heat resumed (SIGSTOP '
                      'to 404: %.1f s; seen: %s): %s' % (
                          name, time.monotonic() - resumed_at, took, seen,
                          [(s.id, s.stack_status)
                           for s in self.stacks_named(name)]))
        return seen


class OrphanStackTest(OrphanCase):

    def test_stack_made_after_the_delete_of_its_app_is_deleted(self):
        _instance, name, heat, took = \
            self.create_and_delete_while_heat_stopped()
        hurtle_fixture.resume(heat)
        resumed_at = time.monotonic()
        # Heat makes the stack it was sent for the deleted app: the CC
        # deletes it (one line of its log says so) and Heat unlists it.
        seen = self.wait_orphan_deleted(name, resumed_at, took)
        # Figures for the record (stestr keeps them with the test).
        print('SIGSTOP to 404: %.1f s; SIGCONT to stack gone: %.1f s; '
              'states seen (s after SIGCONT): %s' % (
                  took, time.monotonic() - resumed_at, seen))
