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
"""The sample SO's template parameters: the greeting as given, and
percent-encoded for the endpoint URL's query (trial findings: it went
into the URL as it was). The template's use of them runs on a real Heat
in tests.functional.test_end_to_end."""
import os
import urllib.parse

import testtools
import yaml

from hurtle.so import bundle

SAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', '..',
                      'samples', 'sample')


class SampleParametersTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        cls = bundle.load_class(os.path.abspath(os.path.join(SAMPLE, 'so')))
        self.so = cls(context=None)

    def test_greetings_are_percent_encoded_for_the_url(self):
        for greeting, query in (
                ('hello', 'hello'),
                ('good morning', 'good%20morning'),
                ('a&b=c', 'a%26b%3Dc'),
                ('#top', '%23top'),
                ('été 你好', '%C3%A9t%C3%A9%20%E4%BD%A0%E5%A5%BD'),
                ('a/b?c+d%', 'a%2Fb%3Fc%2Bd%25'),
                ('line\nbreak', 'line%0Abreak')):
            params = self.so.parameters('provision',
                                        {'sample.greeting': greeting})
            self.assertEqual({'provisioned': True, 'greeting': greeting,
                              'greeting_query': query}, params)
            url = 'http://h.sample.invalid/?greeting=' + query
            self.assertEqual(
                {'greeting': [greeting]},
                urllib.parse.parse_qs(urllib.parse.urlsplit(url).query))

    def test_no_greeting_leaves_the_template_defaults(self):
        self.assertEqual({'provisioned': False},
                         self.so.parameters('deployment', {}))

    def test_the_template_takes_the_encoded_greeting(self):
        with open(os.path.join(SAMPLE, 'templates', 'sample.yaml')) as f:
            template = yaml.safe_load(f)
        params = template['parameters']
        self.assertEqual(params['greeting']['default'],
                         params['greeting_query']['default'])
        # 64 characters of 4 UTF-8 bytes each, every byte as %XX
        longest = self.so.parameters('deployment', {
            'sample.greeting': '\U0001f600' * 64})['greeting_query']
        self.assertEqual(768, len(longest))
        self.assertEqual({'min': 1, 'max': len(longest)},
                         params['greeting_query']['constraints'][0]['length'])
        endpoint = template['resources']['endpoint']['properties']['value']
        self.assertEqual({'get_param': 'greeting_query'},
                         endpoint['str_replace']['params']['GREETING'])
