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
"""Non-blocking polling helpers for CloudAPI state transitions.

Heat resources call these from ``check_*_complete``: each call makes one
request and answers "done" (True), "not yet" (False) or raises. Nothing
here sleeps; Heat's scheduler does the waiting and the timeouts.
"""
from hurtle.heat_plugins.sdc import exceptions


class MachineFailed(exceptions.CloudAPIError):
    """A machine reached ``failed`` (or vanished) while we waited."""

    code = 'MachineFailed'


def machine_reached(client, machine_id, target, transitional):
    """Poll a machine once.

    :param target: the state that ends the wait (e.g. ``running``).
    :param transitional: states that mean "keep waiting".
    :returns: ``(done, machine)``.
    :raises MachineFailed: state ``failed`` or ``deleted``, any state not
        in ``transitional``, or the machine is gone (404/410); the message
        carries CloudAPI's state and, when given, its error message.
    """
    try:
        machine = client.get_machine(machine_id)
    except exceptions.ResourceNotFound as exc:
        raise MachineFailed('Machine %s disappeared while waiting for '
                            'state %s: %s' % (machine_id, target,
                                              exc.message))
    state = machine.get('state')
    if state == target:
        return True, machine
    if state in transitional:
        return False, machine
    detail = (machine.get('error') or machine.get('message')
              or machine.get('state_reason'))
    message = 'Machine %s is %s, expected %s' % (machine_id, state, target)
    if detail:
        message = '%s: %s' % (message, detail)
    raise MachineFailed(message)


def gone(fetch, *args):
    """True when ``fetch(*args)`` answers 404 or 410 (the object is gone).

    :returns: True if gone, False if it still exists.
    """
    try:
        result = fetch(*args)
    except exceptions.ResourceNotFound:
        return True
    if isinstance(result, dict) and result.get('state') == 'deleted':
        return True
    return False
