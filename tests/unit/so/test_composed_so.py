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
"""The composed sample's front-end URL: the sample instance's URL goes
into its query percent-encoded (it went in as it was: a URL with its own
``?``, ``&`` or ``#`` ended the value or added parameters). The SO's
parameters, and the template's stack on a real embedded Heat."""
import os
import urllib.parse

import testtools

from hurtle import polling
from hurtle.so import bundle
from tests.functional import heat_fixture

COMPOSED = os.path.abspath(os.path.join(
    os.path.dirname(__file__), '..', '..', '..', 'samples', 'composed'))

#: Backend URLs, and their query value.
BACKENDS = (
    ('http://h.sample.invalid/?greeting=hello',
     'http%3A%2F%2Fh.sample.invalid%2F%3Fgreeting%3Dhello'),
    ('http://h.sample.invalid/?greeting=a%26b&x=1#top',
     'http%3A%2F%2Fh.sample.invalid%2F%3Fgreeting%3Da%2526b%26x%3D1%23top'),
    ('http://h.sample.invalid/?greeting=good morning',
     'http%3A%2F%2Fh.sample.invalid%2F%3Fgreeting%3Dgood%20morning'),
    ('http://h.sample.invalid/?greeting=été',
     'http%3A%2F%2Fh.sample.invalid%2F%3Fgreeting%3D%C3%A9t%C3%A9'),
)


def _orchestrator():
    cls = bundle.load_class(os.path.join(COMPOSED, 'so'))
    return cls(context=None)


def _backend(url):
    """The backend URL a front-end URL names (and no other parameter)."""
    parts = urllib.parse.urlsplit(url)
    if parts.fragment:
        raise AssertionError('a fragment in %s' % url)
    query = urllib.parse.parse_qs(parts.query, strict_parsing=True)
    if list(query) != ['backend'] or len(query['backend']) != 1:
        raise AssertionError('not one backend parameter: %s' % url)
    return query['backend'][0]


class ComposedParametersTest(testtools.TestCase):

    def test_the_backend_is_percent_encoded_for_the_query(self):
        so = _orchestrator()
        for backend, value in BACKENDS:
            params = so.parameters('deployment', {
                'mcn.endpoint.sample': backend, 'composed.label': 'edge'})
            self.assertEqual({'backend_query': 'backend=' + value,
                              'label': 'edge'}, params)
            self.assertEqual(backend, _backend(
                'http://edge.composed.invalid/?' + params['backend_query']))

    def test_no_backend_is_refused(self):
        err = self.assertRaises(ValueError, _orchestrator().parameters,
                                'deployment', {})
        self.assertIn('mcn.endpoint.sample', str(err))


class ComposedTemplateTest(testtools.TestCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.heat = heat_fixture.for_class(cls, hurtle_plugins=False)

    def test_the_front_end_url_names_the_backend_as_given(self):
        client = self.heat.client()
        with open(os.path.join(COMPOSED, 'templates', 'composed.yaml')) as f:
            template = f.read()
        backend = BACKENDS[1][0]
        params = _orchestrator().parameters(
            'deployment', {'mcn.endpoint.sample': backend})
        stack_id = client.stacks.create(
            stack_name='composed', template=template,
            parameters=params)['stack']['id']
        self.addCleanup(client.stacks.delete, stack_id)

        def complete():
            stack = client.stacks.get(stack_id)
            if stack.stack_status.endswith('FAILED'):
                self.fail(stack.stack_status_reason)
            return stack if stack.stack_status == 'CREATE_COMPLETE' \
                else None
        stack = polling.poll_until(complete, 60, 0.2, 'stack created')
        outputs = {o['output_key']: o['output_value']
                   for o in stack.outputs}
        url = outputs['mcn.endpoint.composed']
        self.assertTrue(url.startswith('http://front.composed.invalid/?'),
                        url)
        self.assertEqual(backend, _backend(url))
