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
"""SO bundle loading: the one SO class, or an error saying what is wrong."""
import os
import textwrap

import fixtures
import testtools

from hurtle.so import bundle

SAMPLE_BUNDLE = os.path.join(os.path.dirname(__file__), '..', '..', '..',
                             'samples', 'sample', 'so')

GOOD = '''
from hurtle import sdk

class MySO(sdk.StackOrchestrator):
    pass
'''


class BundleTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def write(self, text):
        with open(os.path.join(self.dir, 'so.py'), 'w') as handle:
            handle.write(textwrap.dedent(text))

    def test_sample_bundle(self):
        cls = bundle.load_class(os.path.abspath(SAMPLE_BUNDLE))
        self.assertEqual('SampleOrchestrator', cls.__name__)

    def test_one_subclass_found(self):
        self.write(GOOD)
        self.assertEqual('MySO', bundle.load_class(self.dir).__name__)

    def test_missing_so_py(self):
        err = self.assertRaises(bundle.BundleError, bundle.load_class,
                                self.dir)
        self.assertIn('has no so.py', str(err))

    def test_import_error_is_reported(self):
        self.write('import does_not_exist_anywhere\n')
        err = self.assertRaises(bundle.BundleError, bundle.load_class,
                                self.dir)
        self.assertIn('ModuleNotFoundError', str(err))

    def test_two_classes_is_ambiguous(self):
        self.write(GOOD + '\nclass Other(MySO):\n    pass\n')
        err = self.assertRaises(bundle.BundleError, bundle.load_class,
                                self.dir)
        self.assertIn('found 2', str(err))

    def test_so_class_resolves_ambiguity(self):
        self.write(GOOD + '\nclass Other(MySO):\n    pass\nSO_CLASS = Other\n')
        self.assertEqual('Other', bundle.load_class(self.dir).__name__)

    def test_abstract_class_is_refused(self):
        self.write('''
            from hurtle import sdk

            class Half(sdk.ServiceOrchestrator):
                def deploy(self, attributes):
                    pass
            ''')
        err = self.assertRaises(bundle.BundleError, bundle.load_class,
                                self.dir)
        self.assertIn('dispose', str(err))
