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
"""How a reason names a wait: ``<what> since <UTC>; waiting until
<UTC>``.

A reason is written once and shown as long as the wait lasts, so it
names times, not a duration (which would be wrong a moment later).
Used by the SM's waits on its SO, CC and Heat (:mod:`hurtle.sm.so_wait`)
and by an operation waiting for the one before it
(:mod:`hurtle.sm.scheduling`).
"""
import datetime
import time


def _utc(wall):
    """``time.time()`` value ``wall`` as ``2026-12-05T04:10:00Z`` (the
    second it falls in: a wait "since" then never reads later than what
    began it)."""
    return datetime.datetime.fromtimestamp(
        int(wall), datetime.timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


def since(what, started, deadline=None, now=None):
    """``mcn.service.state.reason`` of a wait that began at ``started``:
    ``<what> since 2026-12-05T04:10:00Z; waiting until
    2026-12-05T04:20:00Z``.

    :param what: how the reason begins (what is waited for), e.g.
        ``service orchestrator (SO) not answering``.
    :param started: ``time.monotonic()`` value when the wait began.
    :param deadline: ``time.monotonic()`` value it lasts until at most,
        or None (then the reason names no end).
    :param now: the current ``time.monotonic()`` value (default: now).
    """
    now = time.monotonic() if now is None else now
    wall = time.time()
    reason = '%s since %s' % (what, _utc(wall - (now - started)))
    if deadline is not None:
        reason += '; waiting until %s' % _utc(wall + max(0.0,
                                                         deadline - now))
    return reason
