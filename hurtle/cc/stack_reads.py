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
  of that stack ended, and no write of it began since (update, delete;
  a create, or the delete of an app's stacks, counts for every stack of
  its app: Heat announces those later). A write changes only the stack
  it names: with many SOs at once, a write of any stack made every read
  of every other one be asked of Heat again (a write every few tenths
  of a second with 20 instances at once);
* the hub's event source is live and no event named the stack since it
  began, other than announcements of the state it read in a run that
  began before it (Heat announces a state before and after writing it:
  a read in between that found it written stands;
  ``Hub.changed_since``), and the state Heat last announced for it, if
  any, is the one read (else Heat announced a state it had not written
  yet: read again);
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
        #: No read begun at or before it is reused (every stack's); the
        #: writes of stacks and apps forgotten from ``_written`` move it.
        self._floor = None
        #: ``('stack', heat id)`` or ``('app', app id)`` -> the moment
        #: of the latest write of it (the :data:`SIZE` latest).
        self._written = collections.OrderedDict()
        #: Reads reused (for figures and tests).
        self.reused = 0

    def begin(self):
        """The moment a read begins (pass it to :meth:`put`)."""
        return self.hub.now()

    def written(self, app_id=None, heat_id=None):
        """The CC wrote a stack: no read begun before now of stack
        ``heat_id`` (Heat's id: an update, a delete), of any stack of
        app ``app_id`` (a create, whose stack may be one Heat had
        already: ``StackBackend._create``; an app's delete), or of any
        stack at all (neither given) is reused."""
        now = self.hub.now()
        with self._lock:
            if heat_id is None and app_id is None:
                self._floor = now
                self._written.clear()
                self._reads.clear()
                return
            key = ('stack', heat_id) if heat_id is not None \
                else ('app', app_id)
            self._written[key] = now
            self._written.move_to_end(key)
            while len(self._written) > SIZE:
                # Forgotten, its moment still holds for every stack.
                _key, moment = self._written.popitem(last=False)
                self._floor = moment if self._floor is None \
                    else max(self._floor, moment)
            for read in [k for k in self._reads
                         if (heat_id is not None and k[1] == heat_id) or
                         (heat_id is None and k[0] == app_id)]:
                del self._reads[read]

    @contextlib.contextmanager
    def writing(self, app_id=None, heat_id=None):
        """A ``with`` block that writes a stack (arguments as for
        :meth:`written`): :meth:`written` when it begins and when it
        ends (a read overlapping it is never reused)."""
        self.written(app_id, heat_id)
        try:
            yield
        finally:
            self.written(app_id, heat_id)

    def _outdated(self, app_id, heat_id, began):
        """Whether a write of the stack ended or began after ``began``
        (called with the lock held)."""
        for moment in (self._floor, self._written.get(('stack', heat_id)),
                       self._written.get(('app', app_id))):
            if moment is not None and began <= moment:
                return True
        return False

    def put(self, app_id, heat_id, details, began):
        """Remember ``details`` (``StackDetails``) read for ``app_id``
        from the moment ``began`` (:meth:`begin`)."""
        if details.status.startswith('DELETE_'):
            return
        with self._lock:
            if self._outdated(app_id, heat_id, began):
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
                hub.changed_since(heat_id, began, unless=details.status) or
                hub.hint(heat_id) not in (None, details.status)):
            return None
        with self._lock:
            if self._outdated(app_id, heat_id, began):
                return None
            self.reused += 1
        return details
