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
"""Following an instance's lifecycle (``--wait``).

:func:`wait` polls an instance (with :func:`hurtle.polling.poll_until`)
until its ``mcn.service.state`` is one of the wanted states (or, for a
delete, until it is gone), writing each new state as one line to a stream
as it changes; :func:`wait_update` follows an update until it ends, and
fails unless its values were applied.
"""
from osc_lib import exceptions as osc_exc

from hurtle.occi import errors
from hurtle import polling

STATE = 'mcn.service.state'
REASON = 'mcn.service.state.reason'
FAILED = 'failed'
#: Seconds between two polls.
INTERVAL = 1.0
#: How the SM's reason begins when an update ended without its values
#: applied (``hurtle.sm.phases``): refused or rolled back (``active``),
#: pending until the SO answers, or dropped (``degraded``).
UNDONE = ('update rejected', 'update rolled back', 'update pending',
          'update not applied')
#: What :func:`wait` returns once a deleted instance is gone.
GONE = object()


def wait(get, label, wanted, timeout, progress, gone_ok=False,
         interval=INTERVAL):
    """Poll until the instance reaches a state in ``wanted``.

    :param get: callable returning the instance's
        :class:`~hurtle.occi.client.EntityInfo` (raising
        :class:`~hurtle.occi.errors.NotFound` once it is gone).
    :param label: how the instance is named in messages.
    :param wanted: states that end the wait.
    :param timeout: seconds (float).
    :param progress: stream (``.write``) for the state lines.
    :param gone_ok: a 404 ends the wait (a delete); else it is an error.
    :param interval: seconds between two polls.
    :returns: the last :class:`EntityInfo`, or ``None`` once gone.
    :raises CommandError: the instance reached ``failed`` (with its
        ``mcn.service.state.reason``), vanished, or the timeout passed.
        Other errors of ``get`` propagate.
    """
    seen = []

    def check():
        try:
            info = get()
        except errors.NotFound:
            if gone_ok:
                progress.write('%s: deleted\n' % label)
                return GONE
            raise osc_exc.CommandError('%s: the instance is gone' % label)
        state = info.attributes.get(STATE)
        if not seen or seen[-1] != state:
            progress.write('%s: %s\n' % (label, state))
            progress.flush()
            seen.append(state)
        if state in wanted:
            return info
        if state == FAILED:
            reason = ' '.join(str(info.attributes.get(REASON) or
                                  'no reason given').split())
            raise osc_exc.CommandError('%s failed: %s' % (label, reason))
        return None

    try:
        result = polling.poll_until(check, timeout, interval,
                                    '%s %s' % (label, '/'.join(wanted)))
    except polling.Timeout:
        raise osc_exc.CommandError(
            '%s: still %s after %g seconds (--timeout)'
            % (label, seen[-1] if seen else 'unknown', timeout))
    return None if result is GONE else result


def wait_update(get, label, timeout, progress, interval=INTERVAL):
    """:func:`wait` for an update just accepted: until the instance is
    ``active`` or ``degraded`` again.

    :returns: the last :class:`EntityInfo` (``active``, its values
        applied).
    :raises CommandError: as :func:`wait`; or the update ended without
        its values applied (its reason begins with one of
        :data:`UNDONE`: ``sample/x: update rejected: ...``), or the
        instance is ``degraded`` (``sample/x degraded: <reason>``).
    """
    info = wait(get, label, ('active', 'degraded'), timeout, progress,
                interval=interval)
    reason = ' '.join(str(info.attributes.get(REASON) or '').split())
    if reason.startswith(UNDONE):
        raise osc_exc.CommandError('%s: %s' % (label, reason))
    if info.attributes.get(STATE) != 'active':
        raise osc_exc.CommandError('%s %s: %s' % (
            label, info.attributes.get(STATE), reason or 'no reason given'))
    return info
