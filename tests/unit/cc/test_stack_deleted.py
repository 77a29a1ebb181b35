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
"""A stack Heat deleted but whose name it has not freed yet (issue 12),
through the CC's ``stack`` kind over real HTTP on a real embedded Heat:
the CC shows ``hurtle.stack.deleted``; the ``cc`` deployer's
``deletion_by_id`` (an instance's final dispose) takes it as gone, its
``deletion`` (a stack made again) waits for the name; the app's delete
asks Heat nothing more about it.

Heat frees a name some 50 ms after it announced ``DELETE_COMPLETE``; to
look at that moment, the CC's Heat deployer here answers that the name
is still held for as long as the test keeps it (:class:`_NameKept`: Heat
itself, the stack's delete and its reads are real).
"""
import threading
import time

from heatclient import exc as heat_exc

from hurtle.occi import errors
from hurtle import polling
from hurtle.so.deployers import heat as heat_deployer
from tests.unit.cc import test_stack_api

#: What Heat shows of a deleted stack (by id): deleted, or gone once its
#: name is free.
DELETED = ('DELETE_COMPLETE', 'gone')


class _NameKept(object):
    """The CC's Heat deployer, but ``holds_name`` says True while
    ``kept`` is set (and Heat has the stack, deleted or not); each call
    is noted in ``calls``."""

    def __init__(self, deployer, kept, calls):
        self._deployer = deployer
        self._kept = kept
        self._calls = calls

    def __getattr__(self, name):
        attr = getattr(self._deployer, name)
        if callable(attr):
            def noted(*args, **kwargs):
                self._calls.append(name)
                return attr(*args, **kwargs)
            return noted
        return attr

    def holds_name(self, title, heat_id):
        self._calls.append('holds_name')
        if self._kept.is_set():
            return True
        return self._deployer.holds_name(title, heat_id)


class DeletedStackTest(test_stack_api._CCTestCase):

    APPS = {'a1': 'secret-one'}
    so = test_stack_api.StackAPITest.so
    deployer = test_stack_api.StackAPITest.deployer

    def setUp(self):
        super().setUp()
        self.addCleanup(self.empty_heat)
        self.kept = threading.Event()
        self.addCleanup(self.kept.clear)
        self.calls = []
        backend = self.cc.backend.stacks
        real = backend.deployer_factory
        backend.deployer_factory = lambda caller, region: _NameKept(
            real(caller, region), self.kept, self.calls)

    def heat_status(self, heat_id):
        """Heat's status of the stack, ``'gone'`` once Heat no longer
        shows it (it freed its name)."""
        try:
            return self.heat_client.stacks.get(heat_id).stack_status
        except heat_exc.HTTPNotFound:
            return 'gone'

    def deployed(self):
        deployer = self.deployer()
        heat_id = deployer.deploy('web', test_stack_api.TEMPLATE)
        polling.poll_until(
            lambda: deployer.details(heat_id).complete or None, 60, 0.1,
            'create')
        return deployer, heat_id

    def test_a_final_dispose_ends_before_the_name_is_free(self):
        deployer, heat_id = self.deployed()
        self.kept.set()
        deployer.dispose_and_wait(heat_id, 60, 0.2, reuse_name=False)
        # Heat has deleted it; the CC shows it deleted, the name held.
        self.assertIn(self.heat_status(heat_id), DELETED)
        attrs = self.so().get('/stack/web').attributes
        self.assertEqual('DELETE_IN_PROGRESS', attrs['hurtle.stack.state'])
        self.assertIs(True, attrs['hurtle.stack.deleted'])
        self.assertIsNone(deployer.deletion_by_id(heat_id))
        # A caller that makes the name again still waits.
        self.assertEqual('DELETE_IN_PROGRESS',
                         deployer.deletion(heat_id).status)
        # The app's delete forgets the stack without asking Heat.
        del self.calls[:]
        self.cc.backend.stacks.dispose_app('a1', {'HURTLE_PROJECT': 'p1'})
        self.assertEqual([], self.calls)
        self.assertRaises(errors.NotFound, self.so().get, '/stack/web')

    def test_a_dispose_for_the_name_waits_until_it_is_free(self):
        deployer, heat_id = self.deployed()
        self.kept.set()
        done = threading.Event()

        def dispose():
            deployer.dispose_and_wait(heat_id, 60, 0.2)
            done.set()
        thread = threading.Thread(target=dispose, daemon=True)
        thread.start()
        polling.poll_until(
            lambda: self.so().get('/stack/web').attributes.get(
                'hurtle.stack.deleted') or None, 60, 0.05, 'deleted')
        self.assertFalse(done.wait(1.0))
        self.kept.clear()
        self.assertTrue(done.wait(30))
        # The name is free: a stack of it is made at once.
        began = time.monotonic()
        self.deployer().deploy('web', test_stack_api.TEMPLATE)
        self.assertLess(time.monotonic() - began, 30)

    def test_the_heat_driver_tells_deleted_by_id(self):
        heat = heat_deployer.HeatDeployer(self.conf, 'p1')
        heat_id = heat.deploy('by-id', test_stack_api.TEMPLATE)
        polling.poll_until(lambda: heat.details(heat_id).complete or None,
                           60, 0.1, 'create')
        self.assertIsNotNone(heat.deletion_by_id(heat_id))
        heat.dispose_and_wait(heat_id, 60, 0.05, reuse_name=False)
        self.assertIn(self.heat_status(heat_id), DELETED)
        self.assertIsNone(heat.deletion_by_id(heat_id))
