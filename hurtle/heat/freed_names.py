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
"""The embedded Heat announces a deleted stack again once its
``DELETE_COMPLETE`` is written and once its name is free
(doc/source/contributor/embedded-heat.rst).

Heat announces ``DELETE_COMPLETE`` (``orchestration.stack.delete.end``)
just before it writes that state, and frees the stack's name tens of
milliseconds later (more while the machine is busy), when it marks the
stack's row deleted: ``heat.objects.stack.Stack.delete``, which the
engine calls at the end of a delete (``Stack.delete``, and
``Stack.purge_db`` with convergence). The CC answers a stack gone only
once its name is free (``hurtle.cc.stacks``: a stack of the same name
may be made at once after), so an SO woken by the announcement found the
name held and was looked at again every ``hurtle.cc.stacks.SETTLE_STEP``.

:func:`install` wraps that method so that, once it has returned, the
stack's ``DELETE_COMPLETE`` is announced again through the ``hurtle_cc``
notifier drivers of this process (:func:`hurtle.heat.notifier.offer_all`,
which never blocks): the waiter's next look finds the name free. A Heat
without that method is left alone (the CC then looks as before).

It also wraps the two class methods through which Heat's engine writes
a stack's state (``heat.objects.stack.Stack.update_by_id``, and
``select_and_update`` with convergence), so that a write of
``DELETE`` ``COMPLETE`` is announced once it is done: a reader woken by
Heat's own announcement, made just before that write, may have read
``DELETE_IN_PROGRESS`` still, and an SO's final dispose needs only the
stack deleted (``hurtle.stack.deleted``), not its name free.
"""
import functools
import logging

from hurtle.heat import notifier
from hurtle import stack_event_format as wire

LOG = logging.getLogger(__name__)

#: Set on the wrapper, so that :func:`install` wraps once.
_MARK = '_hurtle_announces_freed_name'
#: What Heat's notification of a delete's end carries (the parts the
#: notifier driver reads).
EVENT_TYPE = wire.EVENT_PREFIX + 'delete.end'
STATE = 'DELETE_COMPLETE'


def announce(stack_id):
    """Announce ``DELETE_COMPLETE`` of Heat's stack ``stack_id`` (str)
    through every ``hurtle_cc`` driver of this process; never raises."""
    notifier.offer_all({'event_type': EVENT_TYPE,
                        'payload': {'stack_identity': stack_id,
                                    'state': STATE}})


def install():
    """Wrap ``heat.objects.stack.Stack.delete`` (see the module doc), once
    per process; call it after Heat is imported, before its engine
    starts.

    :returns: True when the wrapper is in place (now or already), False
        when this Heat has no such method (nothing changed).
    """
    try:
        from heat.objects import stack as stack_object
        original = vars(stack_object.Stack)['delete']
        func = original.__func__
    except (ImportError, KeyError, AttributeError):
        LOG.info('this Heat has no heat.objects.stack.Stack.delete: a '
                 'deleted stack\'s free name is not announced')
        return False
    if getattr(func, _MARK, False):
        return True

    @functools.wraps(func)
    def delete(cls, context, stack_id):
        result = func(cls, context, stack_id)
        announce(stack_id)
        return result
    setattr(delete, _MARK, True)
    stack_object.Stack.delete = classmethod(delete)
    for name in WRITES:
        _wrap_write(stack_object.Stack, name)
    return True


#: The class methods of ``heat.objects.stack.Stack`` through which the
#: engine writes a stack's state: ``(context, stack_id, values, ...)``,
#: true when a row was updated.
WRITES = ('update_by_id', 'select_and_update')


def _wrap_write(stack_class, name):
    """Announce ``DELETE_COMPLETE`` after a successful ``name`` call that
    wrote that state; a Heat without the method is left alone."""
    try:
        func = vars(stack_class)[name].__func__
    except (KeyError, AttributeError):
        LOG.info('this Heat has no heat.objects.stack.Stack.%s: a written '
                 'DELETE_COMPLETE is not announced again', name)
        return
    if getattr(func, _MARK, False):
        return

    @functools.wraps(func)
    def write(cls, context, stack_id, values, *args, **kwargs):
        result = func(cls, context, stack_id, values, *args, **kwargs)
        if result and (values or {}).get('action') == 'DELETE' and \
                (values or {}).get('status') == 'COMPLETE':
            announce(stack_id)
        return result
    setattr(write, _MARK, True)
    setattr(stack_class, name, classmethod(write))
