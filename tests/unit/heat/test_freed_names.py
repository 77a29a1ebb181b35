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
"""``hurtle.heat.freed_names``: Heat's soft delete of a stack (the
moment its name is free), wrapped, announces the stack again through
the ``hurtle_cc`` senders of the process. Heat's own
``heat.objects.stack.Stack.delete`` runs with its database call
recorded; the embedded Heat end to end: tests.functional.
test_stack_events."""
import queue

import fixtures
import testtools

from hurtle.heat import freed_names
from hurtle.heat import notifier

HEAT_ID = '3d5e7f90-1a2b-4c3d-8e9f-0a1b2c3d4e5f'


class RecordingSender(object):
    def __init__(self):
        self.offered = []

    def offer(self, message):
        self.offered.append(message)


class _Wrapped(testtools.TestCase):
    """Heat's ``Stack`` methods the wrapping replaces are put back after
    each test; ``sender`` records what is announced."""

    def setUp(self):
        super().setUp()
        from heat.objects import stack as stack_object
        self.stack_class = stack_object.Stack
        for name in ('delete',) + freed_names.WRITES:
            self.addCleanup(setattr, self.stack_class, name,
                            vars(self.stack_class)[name])
        self.sender = RecordingSender()
        notifier._SENDERS.add(self.sender)
        self.addCleanup(notifier._SENDERS.discard, self.sender)


class FreedNamesTest(_Wrapped):

    def setUp(self):
        super().setUp()
        self.deleted = []
        self.fail_delete = None

        def stack_delete(context, stack_id):
            if self.fail_delete is not None:
                raise self.fail_delete
            self.deleted.append(stack_id)
        self.useFixture(fixtures.MockPatch('heat.db.api.stack_delete',
                                           stack_delete))

    def states(self):
        return [(m['event_type'], m['payload']['stack_identity'],
                 m['payload']['state']) for m in self.sender.offered]

    def test_the_freed_name_is_announced_after_the_delete(self):
        self.assertTrue(freed_names.install())
        self.stack_class.delete(None, HEAT_ID)
        self.assertEqual([HEAT_ID], self.deleted)
        self.assertEqual([('orchestration.stack.delete.end', HEAT_ID,
                           'DELETE_COMPLETE')], self.states())

    def test_installed_once(self):
        self.assertTrue(freed_names.install())
        self.assertTrue(freed_names.install())
        self.stack_class.delete(None, HEAT_ID)
        self.assertEqual(1, len(self.sender.offered))

    def test_a_failed_delete_announces_nothing(self):
        freed_names.install()
        self.fail_delete = RuntimeError('database is locked')
        self.assertRaises(RuntimeError, self.stack_class.delete, None,
                          HEAT_ID)
        self.assertEqual([], self.sender.offered)

    def test_the_driver_takes_it_as_heat_s_own_event(self):
        # What the sender queues: the stack and its state, as for Heat's
        # own notification of the delete's end.
        freed_names.install()
        sender = notifier.Sender.__new__(notifier.Sender)   # no thread
        sender._queue = queue.Queue(10)
        sender.queued = sender.dropped = 0
        notifier._SENDERS.add(sender)
        self.addCleanup(notifier._SENDERS.discard, sender)
        self.stack_class.delete(None, HEAT_ID)
        self.assertEqual((HEAT_ID, 'DELETE_COMPLETE'),
                         sender._queue.get_nowait())

    def test_a_heat_without_the_method_is_left_alone(self):
        self.useFixture(fixtures.MockPatchObject(
            self.stack_class, 'delete', None))
        delattr(self.stack_class, 'delete')
        self.assertFalse(freed_names.install())


class WrittenDeleteTest(_Wrapped):
    """A write of ``DELETE`` ``COMPLETE`` through Heat's own
    ``update_by_id`` (and ``select_and_update``), wrapped, announces the
    stack once it is done; other writes, and writes that updated no
    row, announce nothing."""

    def setUp(self):
        super().setUp()
        self.written = []
        self.updated = True

        def stack_update(context, stack_id, values, exp_trvsl=None):
            self.written.append((stack_id, dict(values), exp_trvsl))
            return self.updated
        self.useFixture(fixtures.MockPatch('heat.db.api.stack_update',
                                           stack_update))
        self.assertTrue(freed_names.install())

    def test_a_written_delete_complete_is_announced(self):
        done = {'action': 'DELETE', 'status': 'COMPLETE',
                'status_reason': 'Stack DELETE completed successfully'}
        self.assertTrue(self.stack_class.update_by_id(None, HEAT_ID, done))
        self.assertTrue(self.stack_class.select_and_update(
            None, HEAT_ID, done, exp_trvsl='t1'))
        self.assertEqual([(HEAT_ID, done, None), (HEAT_ID, done, 't1')],
                         self.written)
        self.assertEqual([('orchestration.stack.delete.end', HEAT_ID,
                           'DELETE_COMPLETE')] * 2,
                         [(m['event_type'], m['payload']['stack_identity'],
                           m['payload']['state'])
                          for m in self.sender.offered])

    def test_other_writes_announce_nothing(self):
        for action, status in (('DELETE', 'IN_PROGRESS'),
                               ('CREATE', 'COMPLETE'),
                               ('DELETE', 'FAILED')):
            self.stack_class.update_by_id(
                None, HEAT_ID, {'action': action, 'status': status})
        self.updated = False   # another traversal won (convergence)
        self.stack_class.select_and_update(
            None, HEAT_ID, {'action': 'DELETE', 'status': 'COMPLETE'},
            exp_trvsl='old')
        self.assertEqual(4, len(self.written))
        self.assertEqual([], self.sender.offered)
