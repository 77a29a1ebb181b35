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
"""The wire format of stack events, from the embedded Heat's notifier
driver (:mod:`hurtle.heat.notifier`) to the CC's ``POST /stack-events``
(:mod:`hurtle.cc.stack_events_api`); doc/source/contributor/cc-api.rst.

A request sends ``X-Auth-Token: <token>`` (:func:`token`, derived from
the local secret, never the secret itself) and a JSON object with one
member::

    {"events": [{"stack_id": "<Heat's stack id>",
                 "state": "CREATE_COMPLETE"}, ...]}

holding at most :data:`MAX_EVENTS` events; none is a heartbeat (the
source is alive). ``state`` is ``<ACTION>_<STATUS>`` (Heat's, e.g.
``CREATE_IN_PROGRESS``, ``UPDATE_COMPLETE``: a status may hold one
``_``) or null, a hint.

Both the driver and the CC's bus listener (:mod:`hurtle.cc.heat_notifications`)
take their events from Heat's oslo.messaging notifications with
:func:`from_notification`.
"""
import json
import re

from hurtle import local_secret

#: Where the CC serves it.
PATH = '/stack-events'
#: ``hurtle.local_secret.derived`` purpose of the token.
PURPOSE = 'stack-events'
#: Largest body, in bytes.
MAX_BODY = 16 * 1024
#: Events per request, at most.
MAX_EVENTS = 100
STACK_ID = re.compile(r'^[A-Za-z0-9-]{1,64}$')
#: ``<ACTION>_<STATUS>``; Heat's ``IN_PROGRESS`` status has a ``_`` of
#: its own, so a status is one or two words.
STATE = re.compile(r'^[A-Z]{1,20}_[A-Z]{1,20}(?:_[A-Z]{1,20})?$')
#: What a CC before that took (400 for a two-word status).
OLDER_STATE = re.compile(r'^[A-Z]{1,20}_[A-Z]{1,20}$')


#: Event types of Heat's stack notifications begin so
#: (``orchestration.stack.<action>.<start|end|error>``,
#: ``heat.engine.notification.stack.send``).
EVENT_PREFIX = 'orchestration.stack.'


class BadEvents(ValueError):
    """The body is not a valid list of stack events (message says why)."""


def token(secret):
    """The token of stack events for the local ``secret`` (str)."""
    return local_secret.derived(secret, PURPOSE)


def valid_id(stack_id):
    """Whether ``stack_id`` may be a Heat stack id."""
    return isinstance(stack_id, str) and bool(STACK_ID.match(stack_id))


def valid_state(state):
    """Whether ``state`` is null or ``<ACTION>_<STATUS>`` (e.g.
    ``CREATE_IN_PROGRESS``, ``DELETE_COMPLETE``)."""
    return state is None or (isinstance(state, str) and
                             bool(STATE.match(state)))


def from_notification(event_type, payload):
    """The ``(stack_id, state or None)`` of one of Heat's oslo.messaging
    notifications, or None when it is none of a stack's.

    :param event_type: the notification's event type (str), e.g.
        ``orchestration.stack.create.end``; any other prefix: None.
    :param payload: its payload (``heat.engine.api.
        format_notification_body``: a dict with ``stack_identity``, Heat's
        stack id, and ``state``, ``<ACTION>_<STATUS>`` or ``Unknown``).
        A stack id that is not one (:func:`valid_id`): None; a state that
        is not one (:func:`valid_state`): the event without a state.
    Never raises.
    """
    if not isinstance(event_type, str) or \
            not event_type.startswith(EVENT_PREFIX) or \
            not isinstance(payload, dict):
        return None
    stack_id = payload.get('stack_identity')
    if not valid_id(stack_id):
        return None
    state = payload.get('state')
    return stack_id, state if valid_state(state) else None


def for_older(events):
    """``events`` (``[(stack_id, state or None), ...]``) with the states
    an older CC refuses (a two-word status, e.g. ``CREATE_IN_PROGRESS``)
    as null, and whether any was."""
    older = [(stack_id, state if state is None or OLDER_STATE.match(state)
              else None) for stack_id, state in events]
    return older, older != list(events)


def body(events):
    """The request body (bytes) of ``[(stack_id, state or None), ...]``
    (at most :data:`MAX_EVENTS`)."""
    return json.dumps({'events': [{'stack_id': stack_id, 'state': state}
                                  for stack_id, state in events]},
                      separators=(',', ':')).encode('utf-8')


def parse(data):
    """The ``[(stack_id, state or None), ...]`` of a request body.

    :param data: bytes.
    :raises BadEvents: not JSON, or not the shape the module doc gives.
    """
    try:
        data = json.loads(data.decode('utf-8'))
    except (UnicodeDecodeError, ValueError):
        raise BadEvents('the body is not JSON')
    except RecursionError:
        raise BadEvents('the body is nested too deeply')
    if not isinstance(data, dict) or set(data) != {'events'}:
        raise BadEvents('the body must be an object with one member, '
                        '"events"')
    events = data['events']
    if not isinstance(events, list) or len(events) > MAX_EVENTS:
        raise BadEvents('"events" must be a list of at most %d events'
                        % MAX_EVENTS)
    parsed = []
    for event in events:
        if not isinstance(event, dict) or set(event) != {'stack_id',
                                                         'state'}:
            raise BadEvents('each event is an object with "stack_id" and '
                            '"state"')
        if not valid_id(event['stack_id']):
            raise BadEvents('"stack_id" must be a Heat stack id')
        if not valid_state(event['state']):
            raise BadEvents('"state" must be <ACTION>_<STATUS> or null')
        parsed.append((event['stack_id'], event['state']))
    return parsed
