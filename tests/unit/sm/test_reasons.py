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
"""Another service's message made fit for a reason users see."""
import testtools

from hurtle.sm import reasons


class ShownTest(testtools.TestCase):

    def test_a_plain_sentence_is_kept(self):
        text = "the SO's saved state is unusable (it is not JSON)"
        self.assertEqual(text, reasons.shown(text))

    def test_one_line_without_control_characters(self):
        self.assertEqual('a b c d', reasons.shown('a\x00b\r\nc \t  d\x1b'))

    def test_bounded(self):
        shown = reasons.shown('x' * 5000)
        self.assertEqual(reasons.MAX_LENGTH, len(shown))
        self.assertTrue(shown.endswith('…'))
        self.assertEqual('abcd…', reasons.shown('abcdefgh', limit=5))

    def test_no_markup(self):
        self.assertEqual('deploy: bad value',
                         reasons.shown('<b>deploy:</b> bad <i>value</i>'))
        self.assertEqual(reasons.HTML_PAGE, reasons.shown(
            '<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>'
            '<script>alert(1)</script></body></html>'))
        self.assertEqual(reasons.HTML_PAGE,
                         reasons.shown('oops <script>steal()</script>'))

    def test_no_credentials(self):
        shown = reasons.shown(
            'cannot reach https://admin:s3cret@cc.example/x; password=hunter2'
            ' X-Auth-Token: gAAAAtoken {"api_key": "k-123"} Bearer abc.def')
        for secret in ('s3cret', 'hunter2', 'gAAAAtoken', 'k-123',
                       'abc.def'):
            self.assertNotIn(secret, shown)
        self.assertIn('https://***@cc.example/x', shown)
        self.assertIn('password=***', shown)

    def test_none_and_objects(self):
        self.assertEqual('', reasons.shown(None))
        self.assertEqual('409', reasons.shown(409))
