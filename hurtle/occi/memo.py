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
"""A bounded, thread-safe memo of computed answers.

Keys must say everything the answer depends on: nothing is ever
invalidated, an answer is only forgotten when ``size`` newer keys were
used since (least recently used first). Not ``functools.lru_cache``:
the key is chosen by the caller apart from the arguments ``make``
closes over, and each owner (an application, a guard) has its own.
"""
import collections
import threading

_MISSING = object()


class Memo(object):
    """``get(key, make)``: the answer remembered for ``key``, else
    ``make()`` (remembered).

    :param size: most answers kept (>= 1).
    """

    def __init__(self, size=256):
        self.size = size
        self._answers = collections.OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, make):
        """The answer for ``key`` (hashable); ``make`` runs outside the
        lock (two threads may make the same answer once each); what it
        raises propagates and nothing is remembered."""
        answers = self._answers
        # A hit takes no lock: each OrderedDict operation is atomic under
        # the GIL, and an answer another thread evicts between the two
        # is still the right answer for its key.
        answer = answers.get(key, _MISSING)
        if answer is not _MISSING:
            try:
                answers.move_to_end(key)
            except KeyError:
                pass
            return answer
        answer = make()
        with self._lock:
            self._answers[key] = answer
            self._answers.move_to_end(key)
            while len(self._answers) > self.size:
                self._answers.popitem(last=False)
        return answer

    def forget(self, match):
        """Drop every answer whose key ``match(key)`` is true; returns how
        many were dropped (int)."""
        with self._lock:
            keys = [key for key in self._answers if match(key)]
            for key in keys:
                del self._answers[key]
        return len(keys)

    def __len__(self):
        return len(self._answers)
