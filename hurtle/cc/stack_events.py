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
"""The CC's in-process hub of Heat stack events
(doc/source/contributor/cc-api.rst, "Waiting for a stack").

An event says only that Heat's stack ``<id>`` may have changed (with the
state Heat announced, as a hint): whoever waits re-reads the stack from
Heat with its own credentials. Events come from the embedded Heat's
notifier driver (:mod:`hurtle.heat.notifier`, through
:mod:`hurtle.cc.stack_events_api`) or from the listener of a cloud's
Heat notifications on a message bus (:mod:`hurtle.cc.heat_notifications`).

Only the driver makes the hub :meth:`~Hub.live`: it heartbeats, so its
silence means no stack changed. Heat on a bus sends no heartbeat, and a
lost or late message cannot be told from a quiet stack: its events
(``notify(..., live=False)``) wake waiters and leave hints, but the
waiters keep polling at ``[cc] stack_poll_interval`` and no read of a
stack is reused on their strength (:mod:`hurtle.cc.stack_reads`).

* :meth:`Hub.wait` blocks a thread until an event for one stack, or a
  timeout;
* :meth:`Hub.notify` wakes every thread waiting for that stack;
* :meth:`Hub.live` tells whether an event source spoke recently
  (:meth:`Hub.source_seen`): without one, waiters poll;
* :meth:`Hub.listen` adds a function called with every event
  (:mod:`hurtle.cc.orphan_stacks` hears of stacks made for deleted
  apps so);
* :meth:`Hub.changed_since` tells whether a stack may have changed since
  a moment (an event named it, or the hub cannot tell);
  :meth:`Hub.named_since` whether an event named it since.

Memory is bounded: a stack has an entry while a thread waits for it,
and the latest hints and event times are kept for :data:`HINT_SECONDS`
and for :data:`MAX_HINTS` stacks at most.
"""
import collections
import logging
import threading
import time

LOG = logging.getLogger(__name__)

#: Seconds the latest announced state of a stack is remembered.
HINT_SECONDS = 2.0
#: Stacks whose latest announced state is remembered, at most.
MAX_HINTS = 4096
#: Seconds a source counts as live after it last spoke; the embedded
#: Heat's driver speaks at least every ``hurtle.heat.notifier.HEARTBEAT``.
LIVE_SECONDS = 15.0


class _Waiters(object):
    """The threads waiting for one stack: one Event, and how many wait."""

    __slots__ = ('event', 'count')

    def __init__(self):
        self.event = threading.Event()
        self.count = 0


class Hub(object):
    """Wakes the threads waiting for a Heat stack when it may have
    changed (thread-safe).

    :param clock: ``time.monotonic`` or a stand-in returning seconds.
    """

    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._lock = threading.Lock()
        self._waiting = {}
        self._hints = collections.OrderedDict()
        #: stack id -> monotonic seconds of its latest event (any state)
        self._events_at = collections.OrderedDict()
        #: The latest event time forgotten before HINT_SECONDS (count).
        self._forgot_at = None
        self._source_at = None
        #: Events received (for figures and tests).
        self.received = 0
        self._listeners = []

    def listen(self, func):
        """Call ``func(stack_id, state)`` with each event :meth:`notify`
        gets, on the notifying thread (it must not block; what it raises
        is logged and ignored)."""
        self._listeners.append(func)

    def wait(self, stack_id, timeout):
        """Block until :meth:`notify` of ``stack_id`` or ``timeout``
        seconds (float; <= 0: no wait).

        :returns: True when woken by an event, False on timeout.
        """
        if timeout <= 0:
            return False
        with self._lock:
            waiters = self._waiting.get(stack_id)
            if waiters is None:
                waiters = self._waiting[stack_id] = _Waiters()
            waiters.count += 1
        try:
            return waiters.event.wait(timeout)
        finally:
            with self._lock:
                waiters.count -= 1
                if (waiters.count == 0 and
                        self._waiting.get(stack_id) is waiters):
                    del self._waiting[stack_id]

    def notify(self, stack_id, state=None, live=True):
        """Wake every thread waiting for Heat's stack ``stack_id`` (str);
        remember ``state`` (Heat's announced ``<ACTION>_<STATUS>``, a
        hint) for :meth:`hint`. A stack nobody waits for wakes nobody
        (its hint is kept, bounded like the others).

        :param live: the event also counts as the source speaking
            (:meth:`source_seen`): True for a source that heartbeats
            (the embedded Heat's driver), False for one whose silence
            proves nothing (a message bus).
        """
        now = self._clock()
        with self._lock:
            self.received += 1
            if live:
                self._source_at = now
            old = self._hints.get(stack_id)
            if state:
                # Since when every event of the stack announced this
                # state (Heat announces a state before and after it
                # writes it): for changed_since's ``unless``.
                since = old[2] if old is not None and old[0] == state \
                    else now
                self._hints[stack_id] = (state, now, since)
                self._hints.move_to_end(stack_id)
            elif old is not None:
                # An event without a state breaks the run.
                self._hints[stack_id] = (old[0], old[1], now)
            self._events_at[stack_id] = now
            self._events_at.move_to_end(stack_id)
            self._forget_hints(now)
            waiters = self._waiting.pop(stack_id, None)
        if waiters is not None:
            waiters.event.set()
        for func in self._listeners:
            try:
                func(stack_id, state)
            except Exception:
                LOG.exception('stack events: a listener failed')

    def _forget_hints(self, now):
        # Oldest first: drop past the age or the count (lock held).
        while self._hints:
            stack_id, (_state, at, _since) = next(iter(
                self._hints.items()))
            if len(self._hints) <= MAX_HINTS and now - at <= HINT_SECONDS:
                break
            del self._hints[stack_id]
        while self._events_at:
            stack_id, at = next(iter(self._events_at.items()))
            if now - at <= HINT_SECONDS:
                if len(self._events_at) <= MAX_HINTS:
                    break
                self._forgot_at = at
            del self._events_at[stack_id]

    def changed_since(self, stack_id, at, unless=None):
        """Whether Heat's stack ``stack_id`` may have changed since
        ``at`` (seconds of this hub's clock): an event named it since,
        or the hub cannot tell (``at`` is more than :data:`HINT_SECONDS`
        ago, or events of that time were forgotten for
        :data:`MAX_HINTS`). Says nothing of a source that is not live
        (see :meth:`live`).

        :param unless: a state (``CREATE_COMPLETE``) read at ``at`` or
            after: events since that all announced it, in a run that
            began before ``at``, are no change (Heat announces a state
            just before it writes it and again once written: a read
            between that found it written needs no second read). An
            event of another state, or without one, in between is a
            change.
        """
        now = self._clock()
        with self._lock:
            if now - at > HINT_SECONDS or (self._forgot_at is not None and
                                           self._forgot_at >= at):
                return True
            last = self._events_at.get(stack_id)
            hint = self._hints.get(stack_id)
        if last is None or last < at:
            return False
        return not (unless is not None and hint is not None and
                    hint[0] == unless and hint[2] < at and hint[1] >= last)

    def named_since(self, stack_id, at):
        """Whether an event named Heat's stack ``stack_id`` at or after
        ``at`` (seconds of this hub's clock), as far as the hub still
        remembers (:data:`HINT_SECONDS`): unlike :meth:`changed_since`,
        False when it cannot tell."""
        if at is None:
            return False
        with self._lock:
            last = self._events_at.get(stack_id)
        return last is not None and last >= at

    def now(self):
        """Seconds of this hub's clock (for :meth:`changed_since`)."""
        return self._clock()

    def hint(self, stack_id):
        """The state last announced for ``stack_id`` within
        :data:`HINT_SECONDS`, or None."""
        now = self._clock()
        with self._lock:
            found = self._hints.get(stack_id)
        if found is None or now - found[1] > HINT_SECONDS:
            return None
        return found[0]

    def source_seen(self):
        """An event source spoke (a heartbeat without events)."""
        with self._lock:
            self._source_at = self._clock()

    def live(self):
        """Whether an event source spoke within :data:`LIVE_SECONDS`."""
        with self._lock:
            at = self._source_at
        return at is not None and self._clock() - at <= LIVE_SECONDS

    def waiting(self):
        """Number of stacks some thread waits for (for tests)."""
        with self._lock:
            return len(self._waiting)

    def hints(self):
        """Number of stacks with a remembered hint (for tests)."""
        with self._lock:
            return len(self._hints)
