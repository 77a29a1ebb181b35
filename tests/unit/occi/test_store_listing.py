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
"""``EntityStore.listing``'s default (stores without their own): pages of
a kind's members by ``limit`` and ``marker``, scoped by project."""
from occi import core_model
import testtools

from hurtle.occi import errors
from hurtle.occi import registry

KIND = core_model.Kind('http://example.org/t#', 'thing', location='/thing/')
OTHER = core_model.Kind('http://example.org/t#', 'other', location='/other/')


class TestDefaultListing(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.store = registry.MemoryStore()
        for project, kind, name in (('p1', KIND, 'a'), ('p1', OTHER, 'x'),
                                    ('p1', KIND, 'b'), ('p1', KIND, 'c'),
                                    ('p2', KIND, 'z')):
            key = '%s%s' % (kind.location, name)
            self.store.add(key, core_model.Resource(key, kind, []),
                           {'project': project})
        self.p1 = {'project': 'p1'}

    def test_whole_collection_without_limit(self):
        items, more = self.store.listing(self.p1, KIND, keys_only=True)
        self.assertEqual(['/thing/a', '/thing/b', '/thing/c'], items)
        self.assertFalse(more)

    def test_limit_and_marker(self):
        self.assertEqual((['/thing/a', '/thing/b'], True),
                         self.store.listing(self.p1, KIND, limit=2,
                                            keys_only=True))
        items, more = self.store.listing(self.p1, KIND, limit=2,
                                         marker='b')
        self.assertEqual(['/thing/c'], [e.identifier for e in items])
        self.assertFalse(more)

    def test_unknown_or_other_projects_marker_is_bad_request(self):
        for marker in ('nope', 'z', 'x'):
            exc = self.assertRaises(errors.BadRequest, self.store.listing,
                                    self.p1, KIND, marker=marker)
            self.assertIn('marker %s is not a member' % marker,
                          exc.message)
