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
"""``hurtle.occi.memo.Memo``: answers by key, bounded, least recently
used forgotten first, failures never remembered."""
import testtools

from hurtle.occi import memo


class MemoTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.made = []

    def _make(self, key):
        def make():
            self.made.append(key)
            return 'answer %s' % key
        return make

    def test_an_answer_is_made_once_per_key(self):
        cache = memo.Memo(size=4)
        for key in ('a', 'b', 'a', 'b', 'a'):
            self.assertEqual('answer ' + key, cache.get(key, self._make(key)))
        self.assertEqual(['a', 'b'], self.made)

    def test_bounded_least_recently_used_first(self):
        cache = memo.Memo(size=2)
        cache.get('a', self._make('a'))
        cache.get('b', self._make('b'))
        cache.get('a', self._make('a'))     # a used last: b goes next
        cache.get('c', self._make('c'))
        self.assertEqual(2, len(cache))
        cache.get('a', self._make('a'))
        cache.get('b', self._make('b'))
        self.assertEqual(['a', 'b', 'c', 'b'], self.made)

    def test_a_failure_is_not_remembered(self):
        cache = memo.Memo(size=2)

        def fail():
            raise ValueError('no')
        self.assertRaises(ValueError, cache.get, 'a', fail)
        self.assertEqual(0, len(cache))
        self.assertEqual('answer a', cache.get('a', self._make('a')))

    def test_forget_drops_the_matching_answers_only(self):
        cache = memo.Memo(size=4)
        for key in ('p/t1', 'p/t2', 'q/t1'):
            cache.get(key, self._make(key))
        self.assertEqual(2, cache.forget(lambda key: key.endswith('/t1')))
        self.assertEqual(0, cache.forget(lambda key: key.endswith('/t1')))
        for key in ('p/t1', 'p/t2'):
            cache.get(key, self._make(key))
        self.assertEqual(['p/t1', 'p/t2', 'q/t1', 'p/t1'], self.made)
