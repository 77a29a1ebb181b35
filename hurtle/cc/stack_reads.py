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
"""The CC's latest read of each Heat stack, reused while nothing can have
changed it (doc/source/contributor/cc-api.rst, "Waiting for a stack").

A held GET of a stack begins with a read of it from Heat, often a few
milliseconds after the SO's own read of the same stack (its state, then
its wait); the embedded Heat serves those reads in the process whose
engine is building the stack. A read of an SO's app is reused for the
same app and Heat stack when all of these hold:

* it began at most :data:`REUSE_SECONDS` ago, after the CC's last write
  of any stack ended, and no write began since (create, update, delete:
  Heat announces those later);
* the hub's event source is live and no event named the stack since it
  began (``Hub.changed_since``), and the state Heat last announced for
  it, if any, is the one read (else Heat announced a state it had not
  written yet: read again);
* the stack was not being deleted.

Bounded: :data:`SIZE` reads at most, the oldest dropped.
"""
import collections
import contextlib
import threading

#: Most seconds a read stands for the stack.
REUSE_SECONDS = 1.0
#: Reads remembered at most.
SIZE = 4096


class RecentReads(object):
    """Reads of stacks by (app id, Heat id), thread-safe.

    :param hub: the CC's :class:`hurtle.cc.stack_events.Hub` (its
        clock, liveness, events and hints).
    """

    def __init__(self, hub):
        self.hub = hub
        self._lock = threading.Lock()
        self._reads = collections.OrderedDict()
        self._written_at = None
        #: Reads reused (for figures and tests).
        self.reused = 0

    def begin(self):
        """The moment a read begins (pass it to :meth:`put`)."""
        return self.hub.now()

    def written(self):
        """The CC wrote a stack (create, update, delete): no read begun
        before now is reused."""
        with self._lock:
            self._written_at = self.hub.now()
            self._reads.clear()

    @contextlib.contextmanager
    def writing(self):
        """A ``with`` block that writes a stack: :meth:`written` when it
        begins and when it ends (a read overlapping it is never
        reused)."""
        self.written()
        try:
            yield
        finally:
            self.written()

    def put(self, app_id, heat_id, details, began):
        """Remember ``details`` (``StackDetails``) read for ``app_id``
        from the moment ``began`` (:meth:`begin`)."""
        if details.status.startswith('DELETE_'):
            return
        with self._lock:
            if self._written_at is not None and began <= self._written_at:
                return
            key = (app_id, heat_id)
            self._reads[key] = (details, began)
            self._reads.move_to_end(key)
            while len(self._reads) > SIZE:
                self._reads.popitem(last=False)

    def get(self, app_id, heat_id):
        """The ``StackDetails`` read for ``app_id`` that still stand for
        the stack (see the module doc), or None."""
        with self._lock:
            found = self._reads.get((app_id, heat_id))
        if found is None:
            return None
        details, began = found
        hub = self.hub
        if (hub.now() - began > REUSE_SECONDS or not hub.live() or
                hub.changed_since(heat_id, began) or
                hub.hint(heat_id) not in (None, details.status)):
            return None
        with self._lock:
            if self._written_at is not None and began <= self._written_at:
                return None
            self.reused += 1
        return details
