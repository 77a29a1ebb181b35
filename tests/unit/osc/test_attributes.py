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
"""Parsing of ``--attribute NAME=VALUE`` (hurtle.osc.attributes)."""
import testtools

from hurtle.osc import attributes


class ParseTest(testtools.TestCase):

    def test_pairs_in_order(self):
        parsed = attributes.parse(['b=2', 'a=1'])
        self.assertEqual({'b': '2', 'a': '1'}, parsed)
        self.assertEqual(['b', 'a'], list(parsed))

    def test_value_is_everything_after_the_first_equals(self):
        self.assertEqual({'url': 'http://x/?a=b=c'},
                         attributes.parse(['url=http://x/?a=b=c']))

    def test_name_stripped_value_kept_as_given(self):
        self.assertEqual({'a': '', 'b': ' hi there '},
                         attributes.parse(['a=', ' b = hi there ']))

    def test_values_stay_text(self):
        # The SM converts them to the manifest's declared types.
        self.assertEqual({'n': '8', 't': 'true'},
                         attributes.parse(['n=8', 't=true']))

    def test_unicode(self):
        self.assertEqual({'sample.greeting': 'grüß 你好'},
                         attributes.parse(['sample.greeting=grüß 你好']))

    def test_none_and_empty(self):
        self.assertEqual({}, attributes.parse(None))
        self.assertEqual({}, attributes.parse([]))

    def test_missing_equals(self):
        error = self.assertRaises(attributes.AttributeError_,
                                  attributes.parse, ['a=1', 'greeting'])
        self.assertEqual("--attribute 'greeting' is not NAME=VALUE",
                         str(error))

    def test_empty_name(self):
        for option in ('=x', ' =x'):
            error = self.assertRaises(attributes.AttributeError_,
                                      attributes.parse, [option])
            self.assertIn('no attribute name', str(error))

    def test_name_given_twice(self):
        error = self.assertRaises(attributes.AttributeError_,
                                  attributes.parse, ['a=1', ' a=2'])
        self.assertEqual('--attribute a is given more than once',
                         str(error))

    def test_is_a_value_error(self):
        self.assertRaises(ValueError, attributes.parse, ['x'])
