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
"""Stacks whose work died with the previous embedded Heat process.

Heat's engine, when it starts, marks the legacy stacks left
``*_IN_PROGRESS`` by a dead engine as ``*_FAILED``
(``EngineService.reset_stack_status``), but leaves convergence stacks
(Heat's default, and the embedded Heat's) alone: in a deployment with
several engines another engine may still be working on them. A
convergence stack whose engine was killed then stays ``*_IN_PROGRESS``
until its timeout (60 minutes by default), and an SO waiting for it
waits until the SM's phase deadline.

The embedded Heat is the only engine of its database (one process per
state directory: :data:`LOCK_FILE`), and its ``fake://`` messaging
reaches no other process, so at start every stack in progress is one
whose engine died. :func:`fail_interrupted_stacks` marks them, and their
resources in progress, ``FAILED`` with the reason Heat itself gives
(``Engine went down during stack CREATE``), and releases the locks the
dead engine held on their resources (Heat's delete otherwise waits for
that engine's workers to stop, 3 x 5 s, before it gives up on them, and
an update asks whether that engine is alive before it takes a lock over).
The stack can then be
updated or deleted as usual, and the SM sees the failure at once: it
requests the phase again (``hurtle.sm.so_client.request_and_wait``, the
SO making the stack again), at most a few times.
"""
from oslo_log import log as logging

from hurtle.sdk import deployer as deployer_api

LOG = logging.getLogger(__name__)

#: In the Heat state directory: held by the process running its engine
#: (``hurtle.process_lock``).
LOCK_FILE = 'embedded-heat.lock'


def fail_interrupted_stacks():
    """Mark ``FAILED`` every stack (nested ones too) left ``IN_PROGRESS``
    in the database of Heat's global configuration, with its resources
    in progress. Call once, after the engine started and before the API
    serves.

    :returns: the ids of the stacks marked.
    """
    from heat.common import context
    from heat.engine import stack as parser
    from heat.objects import stack as stack_object

    admin = context.get_admin_context()
    marked = []
    for row in stack_object.Stack.get_all(
            admin, filters={'status': parser.Stack.IN_PROGRESS,
                            'convergence': True}, show_nested=True):
        stack = parser.Stack.load(context.get_admin_context(), stack=row)
        if stack.status != stack.IN_PROGRESS:
            continue
        LOG.info('stack %s was %s_IN_PROGRESS when the previous embedded '
                 'Heat process ended; marking it FAILED', stack.id,
                 stack.action)
        stack.reset_stack_and_resources_in_progress(
            deployer_api.ENGINE_DOWN + stack.action)
        _release_resource_locks(admin, stack.id)
        marked.append(stack.id)
    return marked


def _release_resource_locks(admin, stack_id):
    """Clear the ``engine_id`` (the lock of the engine working on it) of
    every resource of stack ``stack_id``: this process's engine has taken
    no work yet (the API does not serve), so each such lock is a dead
    engine's."""
    from heat.objects import resource as resource_object

    for resource in resource_object.Resource.get_all_by_stack(
            admin, stack_id).values():
        if resource.engine_id is not None:
            resource_object.Resource.update_by_id(
                admin, resource.id, {'engine_id': None})
