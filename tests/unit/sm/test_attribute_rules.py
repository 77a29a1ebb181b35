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
"""The words of ``AttributeChecker``'s refusals and its coercion of text
values to numbers (trial findings: a ``not`` rule was quoted as code; a
fullwidth "5" became the integer 5)."""
import os

import testtools

from hurtle import manifest as manifest_mod
from hurtle.occi import errors
from hurtle.sm import attributes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
COMPOSED = os.path.join(ROOT, 'samples', 'composed', 'manifest.json')


class _Manifest(object):

    def __init__(self, schemas, descriptions=None):
        self.schemas = schemas
        self.descriptions = descriptions or {}


class AttributeRulesTest(testtools.TestCase):

    def refused(self, checker, attributes, typed=True):
        err = self.assertRaises(errors.BadRequest, checker.check,
                                attributes, typed=typed)
        return err.message

    def test_the_composed_label_with_a_trailing_newline(self):
        checker = attributes.AttributeChecker(manifest_mod.load(COMPOSED))
        self.assertEqual(
            'attribute composed.label: "edge\\n" must not contain a line '
            'feed (newline); composed.label: Label of the front end: the '
            'first part of its host name, one DNS label (letters, digits '
            'and hyphens; template parameter label).',
            self.refused(checker, {'composed.label': 'edge\n'}))
        # A pattern, too, is followed by what the attribute is.
        self.assertIn('breaks the rule pattern "^[A-Za-z0-9]',
                      self.refused(checker, {'composed.label': 'a.b'}))
        self.assertIn('one DNS label',
                      self.refused(checker, {'composed.label': 'a.b'}))

    def test_not_rules_in_words(self):
        checker = attributes.AttributeChecker(_Manifest({
            'a.cr': {'type': 'string', 'not': {'pattern': '\\r'}},
            'a.dash': {'type': 'string', 'not': {'pattern': 'x y'}},
            'a.re': {'type': 'string', 'not': {'pattern': '^-'}},
            'a.enum': {'not': {'enum': ['root', 'admin']}},
            'a.const': {'not': {'const': 0}},
            'a.other': {'not': {'type': 'string'}},
            'a.int': {'type': 'integer', 'maximum': 3},
            'a.list': {'type': 'array', 'items': {'not': {'const': 'x'}}}},
            descriptions={'a.re': 'A name.', 'a.enum': 'A user name.',
                          'a.int': 'Not shown.'}))
        for name, value, words in (
                ('a.cr', 'a\rb', '"a\\rb" must not contain a carriage '
                 'return'),
                ('a.dash', 'ax yb', '"ax yb" must not contain "x y"'),
                ('a.re', '-a', '"-a" must not match the pattern "^-"; '
                 'a.re: A name.'),
                ('a.enum', 'root', '"root" must not be one of ["root", '
                 '"admin"]'),
                ('a.const', 0, '0 must not be 0'),
                ('a.other', 's', '"s" must not satisfy the rule {"type": '
                 '"string"}'),
                ('a.list', ['y', 'x'], '"x" must not be "x"')):
            message = self.refused(checker, {name: value})
            self.assertIn(words, message, name)
            self.assertNotIn('breaks the rule not', message)
        # Descriptions follow the rules that say what is refused, not
        # what is wanted: not and pattern.
        self.assertEqual('attribute a.enum: "root" must not be one of '
                         '["root", "admin"]; a.enum: A user name.',
                         self.refused(checker, {'a.enum': 'root'}))
        self.assertEqual('attribute a.int: 4 breaks the rule maximum 3',
                         self.refused(checker, {'a.int': 4}))
        self.assertEqual('attribute a.list[1]: "x" must not be "x"',
                         self.refused(checker, {'a.list': ['y', 'x']}))

    def test_only_ascii_digits_are_coerced(self):
        checker = attributes.AttributeChecker(_Manifest({
            'a.int': {'type': 'integer'}, 'a.num': {'type': 'number'}}))
        self.assertEqual({'a.int': 5, 'a.num': 2.5},
                         checker.check({'a.int': ' 5', 'a.num': '2.5'},
                                       typed=False))
        for name, value in (('a.int', '\uff15'), ('a.int', '\u0663'),
                            ('a.int', '-\uff11\uff12'), ('a.int', '1\u0663'),
                            ('a.num', '\uff12.5'), ('a.num', '2.\u0665'),
                            ('a.num', '1e\uff13')):
            message = self.refused(checker, {name: value}, typed=False)
            self.assertIn('attribute %s: ' % name, message)
            self.assertIn('breaks the rule type', message)
