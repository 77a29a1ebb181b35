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
"""What OCCI clients change on an instance is kept, on real processes.

``hurtle-all`` (embedded Heat, CC, SM; SOs started by the CC): an
instance's title and summary updates, its membership in a user-defined
mixin (added and removed through the mixin's collection, GFD.185 3.4.3)
and a project id beyond ASCII all round-trip through the SM's database
(tests/unit/sm/test_sm_occi_store.py restarts the SM on that database).
"""
import time
import urllib.parse

import requests

from hurtle.occi import client as occi_client
from tests.functional import hurtle_fixture

SCHEME = 'http://schemas.hurtle.it/occi/sm#'
KIND = 'sample; scheme="%s"; class="kind"' % SCHEME
KIND_REF = occi_client.CategoryRef(SCHEME, 'sample', 'kind')
MIXIN_SCHEME = 'http://example.com/tags#'
MIXIN = 'gold; scheme="%s"; class="mixin"' % MIXIN_SCHEME
PROJECT = 'Zürich-团队'
TIMEOUT = 120


def _path(url):
    return urllib.parse.urlsplit(url).path


class OCCIRecordsTest(hurtle_fixture.HurtleTestCase):

    #: Project ids of the caller's choosing (X-Project-Id): noauth
    #: whatever $HURTLE_TEST_AUTH says.
    auth = 'noauth'

    @classmethod
    def make_hurtle(cls):
        return hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,))

    def client(self, project='demo'):
        return occi_client.OCCIClient(self.hurtle.sm_url,
                                      headers={'X-Project-Id': project})

    def wait_state(self, client, location, wanted):
        deadline = time.monotonic() + TIMEOUT
        state = None
        while time.monotonic() < deadline:
            entity = client.get(location)
            state = entity.attributes['mcn.service.state']
            if state in wanted:
                return entity
            time.sleep(0.2)
        self.fail('%s never reached %s (last %s)' % (location, wanted, state))

    def raw(self, method, path, project='demo', **headers):
        headers.setdefault('Content-Type', 'text/occi')
        headers['X-Project-Id'] = project.encode('utf-8')
        return requests.request(method, self.hurtle.sm_url + path.lstrip('/'),
                                headers=headers, timeout=30)

    def test_utf8_project_round_trip(self):
        client = self.client(PROJECT)
        location = client.create('/sample/', KIND_REF)
        self.assertEqual([location], client.list('/sample/'))
        entity = self.wait_state(client, location, {'active', 'failed'})
        self.assertEqual('active', entity.attributes['mcn.service.state'],
                         entity.attributes.get('mcn.service.state.reason'))
        self.assertNotIn(location, self.client('demo').list('/sample/'))
        # raw UTF-8 bytes, as curl sends them, name the same project
        listing = self.raw('GET', '/sample/', PROJECT,
                           Accept='text/uri-list')
        self.assertEqual([location], listing.text.split())
        # an invalid id is refused, not served as the default project
        resp = self.raw('GET', '/sample/', 'x' * 256)
        self.assertEqual(400, resp.status_code)
        client.delete(location)

    def test_title_and_mixin_membership(self):
        client = self.client()
        location = _path(client.create('/sample/', KIND_REF, {
            'occi.core.title': 'first'}))
        self.wait_state(client, location, {'active', 'failed'})
        client.update(location, KIND_REF, {'occi.core.title': 'second',
                                           'occi.core.summary': 'why'})
        # a user mixin, and the instance added to its collection
        resp = self.raw('POST', '/-/', Category=MIXIN +
                        '; location="/gold/"')
        self.assertEqual(200, resp.status_code, resp.text)
        resp = self.raw('POST', '/gold/', **{'X-OCCI-Location': location})
        self.assertEqual(200, resp.status_code, resp.text)
        other = self.raw('GET', '/gold/', 'other')
        self.assertEqual(404, other.status_code)

        client = self.client()
        entity = client.get(location)
        self.assertEqual('second', entity.attributes['occi.core.title'])
        self.assertEqual('why', entity.attributes['occi.core.summary'])
        self.assertEqual([MIXIN_SCHEME + 'gold'],
                         [m.id for m in entity.mixins])
        self.assertEqual([location],
                         [_path(u) for u in client.list('/gold/')])
        # removed again
        resp = self.raw('DELETE', '/gold/', **{'X-OCCI-Location': location})
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual([], client.list('/gold/'))
        self.assertEqual([], client.get(location).mixins)
        client.delete(location)
