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
"""Rendered members of collections, kept while their rows are unchanged.

A JSON listing of a kind's collection (``GET /<kind>/``, GFD.226) is the
instances' documents joined; rebuilding and encoding 10,000 of them was
most of a listing's time (benchmarks/listing.py). A :class:`Fragments`
keeps each instance's rendered document under

* a *context*: everything besides the row the document depends on, as
  read in the request that renders it (the project and its categories,
  user mixin definitions included, as
  :meth:`hurtle.occi.registry.Registry.categories_version` keys them,
  the rendering and its location prefix);
* the instance's key (its path) and the *version* its store read with
  the row in the same request (``sm_instances.updated_at`` for the SM:
  every write of a rendered column changes it).

Nothing is invalidated: a document is reused only if the version read
now equals the one it was rendered from, so a change made by any process
sharing the database shows in the next listing. Old documents are
forgotten least recently used first once the documents kept take more
than ``max_bytes``.
"""
import collections
import threading

#: Bytes counted for one kept document besides its own characters (its
#: key, version and the dictionary entry holding them: what tracemalloc
#: saw per instance of a 10,000-instance listing, CPython 3.11).
ENTRY_OVERHEAD = 480

#: Distinct contexts remembered (each a small number standing for it).
_CONTEXTS = 1024


class Fragments(object):
    """Bounded, thread-safe store of rendered collection members.

    :param max_bytes: most bytes of documents (their length in
        characters, plus :data:`ENTRY_OVERHEAD` each) kept; 0 keeps none.
    """

    def __init__(self, max_bytes):
        self._entries = collections.OrderedDict()
        self._contexts = collections.OrderedDict()
        self._next_token = 0
        self._bytes = 0
        self._lock = threading.Lock()
        self.max_bytes = max_bytes

    @property
    def max_bytes(self):
        """The bound (bytes); setting it drops what is past it."""
        return self._max_bytes

    @max_bytes.setter
    def max_bytes(self, value):
        with self._lock:
            self._max_bytes = value
            self._trim()

    def _trim(self):
        """Forget the least recently used documents past the bound.
        Called locked."""
        while self._bytes > self._max_bytes:
            self._bytes -= self._entries.popitem(last=False)[1][2]

    @property
    def size(self):
        """Bytes counted for the documents kept now."""
        return self._bytes

    def __len__(self):
        return len(self._entries)

    def context(self, context):
        """A small int standing for ``context`` (hashed once per listing,
        not once per member), and whether it was known already (when
        not, nothing is kept for it yet).

        :param context: hashable; see the module docstring.
        :returns: ``(token, known)``.
        """
        with self._lock:
            token = self._contexts.get(context)
            if token is not None:
                self._contexts.move_to_end(context)
                return token, True
            token = self._next_token
            self._next_token += 1
            self._contexts[context] = token
            if len(self._contexts) > _CONTEXTS:
                # Its documents are never found again: they age out.
                self._contexts.popitem(last=False)
            return token, False

    def lookup(self, token, versions):
        """The documents kept for ``versions`` in the context of
        ``token`` (:meth:`context`).

        :param versions: ``[(key, version)]`` of a page, as read now.
        :returns: in the order of ``versions``, the ``(document, extra)``
            kept for that key at that version, or ``None``.
        """
        entries = self._entries
        found = []
        append = found.append
        with self._lock:
            get = entries.get
            move = entries.move_to_end
            for key, version in versions:
                kept = (token, key)
                entry = get(kept)
                if entry is not None and entry[0] == version:
                    move(kept)
                    append(entry[1])
                else:
                    append(None)
        return found

    def keep(self, token, rendered):
        """Keep documents rendered in the context of ``token``
        (:meth:`context`).

        :param rendered: ``[(key, version, document, extra)]``:
            ``document`` a str, ``extra`` anything its user needs back
            with it (returned by :meth:`lookup` as ``(document,
            extra)``).
        """
        if not self.max_bytes:
            return
        entries = self._entries
        with self._lock:
            for key, version, document, extra in rendered:
                size = len(document) + ENTRY_OVERHEAD
                old = entries.pop((token, key), None)
                if old is not None:
                    self._bytes -= old[2]
                if size > self._max_bytes:
                    continue
                entries[(token, key)] = (version, (document, extra), size)
                self._bytes += size
            self._trim()
