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
"""The service instance state machine, as data (``mcn.service.state``).

``initialise → activate → deploy → provision → active`` (the create,
:data:`CREATE_ORDER`); ``update`` and back to ``active``; ``destroy``
then the record is gone; any failure → ``failed`` (with
``mcn.service.state.reason``); ``degraded`` while an active instance's SO
is down or unreachable, ``active`` again once it answers.

One operation at a time: an operation (create, update, destroy) is
accepted only in the states listed here for it (``UPDATABLE``,
``DELETABLE``); ``hurtle.sm.store.InstanceStore.begin`` applies that
atomically and numbers the operation (the create is
:data:`FIRST_OPERATION`).
"""

INITIALISE = 'initialise'
ACTIVATE = 'activate'
DEPLOY = 'deploy'
PROVISION = 'provision'
ACTIVE = 'active'
UPDATE = 'update'
DESTROY = 'destroy'
FAILED = 'failed'
#: Active, but its SO is down or unreachable (the reason says which); back
#: to ``active`` once the SO answers again. Update and delete are allowed.
DEGRADED = 'degraded'

#: Create phases in order; a resumed create starts at its recorded state.
CREATE_ORDER = (INITIALISE, ACTIVATE, DEPLOY, PROVISION)
#: States in which work is in progress (a restarted SM resumes them).
BUSY = frozenset([INITIALISE, ACTIVATE, DEPLOY, PROVISION, UPDATE, DESTROY])
#: States of an instance being created.
CREATING = frozenset(CREATE_ORDER)
#: States in which an update is accepted.
UPDATABLE = frozenset([ACTIVE, DEGRADED])
#: States in which an update (``POST``, ``PUT``, a mixin collection's
#: change) that changes only the title, summary or mixins is accepted: a
#: failed instance may be annotated, a busy one never.
EDITABLE = UPDATABLE | {FAILED}
#: States in which a delete is accepted: every state but ``destroy`` (a
#: create or update in progress is cancelled: it stops at its next step).
DELETABLE = frozenset([ACTIVE, DEGRADED, FAILED, UPDATE]) | CREATING
#: States the SO watcher checks (``hurtle.sm.watcher``).
WATCHED = frozenset([ACTIVE, DEGRADED])

#: Operation number of the create (``InstanceStore.add``); each accepted
#: operation after it adds one.
FIRST_OPERATION = 1
