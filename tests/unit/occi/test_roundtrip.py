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
"""Round trips: GET an entity, PUT the same rendering back, GET again.

The second GET must be identical to the first in every rendering that can
be written (text/plain, text/occi: GFD.185 3.4.4 full update; OCCI 1.2
JSON: GFD.226).
"""

import testscenarios

from tests.unit.occi import base
from tests.unit.occi import wire

OCCI_HEADERS = ('Category', 'Link', 'X-OCCI-Attribute', 'X-OCCI-Location')


class TestRoundTrip(testscenarios.WithScenarios, base.ServedAppTestCase):

    scenarios = [('plain', {'mime': wire.TEXT_PLAIN}),
                 ('occi', {'mime': wire.TEXT_OCCI}),
                 ('json', {'mime': wire.JSON})]

    def _get(self, loc):
        resp = self.req('GET', loc, {'Accept': self.mime})
        self.assertEqual(200, resp.status_code, resp.text)
        headers = {k: v for k, v in resp.headers.items()
                   if k in OCCI_HEADERS}
        return resp, headers

    def _round_trip(self, loc):
        first, first_headers = self._get(loc)
        put_headers = {'Content-Type': self.mime, 'Accept': self.mime}
        put_headers.update(first_headers)
        resp = self.req('PUT', loc, put_headers, first.content)
        self.assertEqual(200, resp.status_code, resp.text)
        second, second_headers = self._get(loc)
        self.assertEqual(first.text, second.text)
        self.assertEqual(first_headers, second_headers)
        return second

    def test_plain_entity(self):
        loc = self.create_app(name='plain "quoted", with; separators')
        self._round_trip(loc)

    def test_typed_values_and_mixin(self):
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/occi',
            'Category': base.APP_CAT + ', large; scheme="http://example.'
                                       'com/test#"; class="mixin"',
            'X-OCCI-Attribute': 'occi.app.name="n", occi.app.image="7", '
                                'occi.app.env=2.5, size=3'})
        self.assertEqual(201, resp.status_code, resp.text)
        second = self._round_trip(resp.headers['Location'])
        self.assertIn('large', second.text + str(second.headers))

    def test_after_action(self):
        loc = self.create_app()
        resp = self.req('POST', loc + '?action=start', {
            'Content-Type': 'text/occi', 'Category': base.START_CAT})
        self.assertEqual(200, resp.status_code)
        self._round_trip(loc)

    def test_with_link(self):
        target = self.create_app(name='target')
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/occi', 'Category': base.APP_CAT,
            'Link': '<%s>; rel="http://schemas.ogf.org/occi/platform#app"; '
                    'category="http://example.com/test#uses"; weight=2'
                    % target,
            'X-OCCI-Attribute': 'occi.app.name="src", occi.app.image="i"'})
        self.assertEqual(201, resp.status_code, resp.text)
        self._round_trip(resp.headers['Location'])
