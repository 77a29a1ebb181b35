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
"""``hurtle.occi.fragments.Fragments``: documents found only at the
version and in the context they were kept in, and the bound in bytes."""
import threading

import testtools

from hurtle.occi import fragments

OVERHEAD = fragments.ENTRY_OVERHEAD


def _doc(key, version):
    return '{"id":"%s","v":%d}' % (key, version)


class FragmentsTest(testtools.TestCase):

    def keep(self, cache, context, items):
        """Keep ``{key: version}`` in ``context``."""
        token, _known = cache.context(context)
        cache.keep(token, [(key, version, _doc(key, version), (key,))
                           for key, version in items.items()])

    def found(self, cache, context, versions):
        """Whether each of ``versions`` is kept in ``context``."""
        return [item is not None for item in
                cache.lookup(cache.context(context)[0], versions)]

    def test_found_at_the_same_version_and_context_only(self):
        cache = fragments.Fragments(10 ** 6)
        self.assertEqual((0, False), cache.context('c1'))
        self.keep(cache, 'c1', {'/a/1': 1, '/a/2': 1})
        token, known = cache.context('c' + '1')    # equal, built apart
        self.assertEqual((0, True), (token, known))
        self.assertEqual([(_doc('/a/1', 1), ('/a/1',)), None, None],
                         cache.lookup(token, [('/a/1', 1), ('/a/2', 2),
                                              ('/a/3', 1)]))
        self.assertEqual([False, False],
                         self.found(cache, 'c2', [('/a/1', 1), ('/a/2', 1)]))
        # A new version replaces the old one (not kept beside it).
        cache.keep(token, [('/a/2', 2, _doc('/a/2', 2), ())])
        self.assertEqual(2, len(cache))
        self.assertEqual([None, (_doc('/a/2', 2), ())],
                         cache.lookup(token, [('/a/2', 1), ('/a/2', 2)]))
        self.assertEqual(len(_doc('/a/1', 1)) + len(_doc('/a/2', 2)) +
                         2 * OVERHEAD, cache.size)

    def test_bytes_stay_within_the_bound_least_recent_first(self):
        one = len(_doc('/a/1', 1)) + OVERHEAD
        cache = fragments.Fragments(3 * one)
        self.keep(cache, 'c', {'/a/1': 1, '/a/2': 1, '/a/3': 1})
        self.assertEqual(3 * one, cache.size)
        self.found(cache, 'c', [('/a/1', 1)])    # now the most recent
        self.keep(cache, 'c', {'/a/4': 1})
        self.assertEqual(3, len(cache))
        self.assertLessEqual(cache.size, cache.max_bytes)
        self.assertEqual([True, False, True, True], self.found(
            cache, 'c', [('/a/%d' % n, 1) for n in range(1, 5)]))
        # A document larger than the bound is not kept, and evicts none.
        self.keep(cache, 'c', {'/a/' + 'x' * 3 * one: 1})
        self.assertEqual(3, len(cache))
        self.assertLessEqual(cache.size, cache.max_bytes)

    def test_a_lower_bound_drops_the_least_recent(self):
        cache = fragments.Fragments(10 ** 6)
        self.keep(cache, 'c', {'/a/1': 1, '/a/2': 1, '/a/3': 1})
        self.found(cache, 'c', [('/a/1', 1)])
        cache.max_bytes = cache.size - 1
        self.assertLessEqual(cache.size, cache.max_bytes)
        self.assertEqual([True, False, True], self.found(
            cache, 'c', [('/a/1', 1), ('/a/2', 1), ('/a/3', 1)]))
        cache.max_bytes = 0
        self.assertEqual((0, 0), (len(cache), cache.size))

    def test_nothing_kept_without_bytes(self):
        cache = fragments.Fragments(0)
        self.keep(cache, 'c', {'/a/1': 1})
        self.assertEqual((0, 0), (len(cache), cache.size))
        self.assertEqual([False], self.found(cache, 'c', [('/a/1', 1)]))

    def test_forgotten_contexts_lose_their_documents(self):
        cache = fragments.Fragments(10 ** 6)
        self.keep(cache, 'old', {'/a/1': 1})
        for number in range(fragments._CONTEXTS):
            cache.context(('new', number))
        self.assertFalse(cache.context('old')[1])
        self.assertEqual([False], self.found(cache, 'old', [('/a/1', 1)]))

    def test_parallel_keeps_and_lookups_hold_the_bound(self):
        one = len(_doc('/a/00', 1)) + OVERHEAD
        cache = fragments.Fragments(20 * one)
        errors = []

        def work(thread):
            try:
                for round_ in range(50):
                    items = {'/a/%02d' % ((thread * 7 + n) % 40): round_ % 3
                             for n in range(10)}
                    context = 'c%d' % (round_ % 2)
                    self.keep(cache, context, items)
                    found = cache.lookup(cache.context(context)[0],
                                         list(items.items()))
                    for key, kept in zip(items, found):
                        if kept is not None and not kept[0].startswith(
                                '{"id":"%s"' % key):
                            errors.append((key, kept))
            except Exception as exc:  # reported below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(n,))
                   for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.assertEqual([], errors)
        self.assertLessEqual(cache.size, cache.max_bytes)
        self.assertEqual(cache.size, sum(
            len(entry[1][0]) + OVERHEAD
            for entry in cache._entries.values()))
