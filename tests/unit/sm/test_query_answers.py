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
"""The SM's query interface (``GET /-/``) is rendered once and reused
(``hurtle.occi.handlers.QueryHandler``): the answer still follows every
user mixin defined or deleted, by this SM or by another one on the same
database, and never shows one project another's mixins."""
import json

import requests
import testtools

from tests.unit.sm import sm_server

SCHEME = 'http://example.org/user#'
MIXIN_ID = SCHEME + 'tagged'
RENDERINGS = ('text/plain', 'text/occi', 'application/occi+json')


def _ids(resp):
    """Category ids of a query interface answer in any rendering."""
    if resp.headers['Content-Type'] == 'application/occi+json':
        doc = json.loads(resp.text)
        return {c['scheme'] + c['term'] for key in ('kinds', 'mixins',
                                                    'actions')
                for c in doc.get(key, [])}
    text = resp.text if resp.headers['Content-Type'] == 'text/plain' \
        else '\n'.join('Category: ' + v.strip() for v in
                       resp.headers.get('Category', '').split(','))
    ids = set()
    for line in text.splitlines():
        term, _, rest = line[len('Category: '):].partition(';')
        scheme = rest.split('scheme="', 1)[1].split('"', 1)[0]
        ids.add(scheme + term.strip())
    return ids


class QueryAnswersTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sm = self.useFixture(sm_server.SMServer({'a': 'required'}))

    def _query(self, url=None, project='p1', accept='text/plain',
               host=None):
        headers = {'X-Project-Id': project, 'Accept': accept}
        if host:
            headers['Host'] = host
        resp = requests.get((url or self.sm.url) + '-/', headers=headers)
        self.assertEqual(200, resp.status_code, resp.text)
        return resp

    def _mixin(self, method, url=None, project='p1', term='tagged',
               location='/tagged/'):
        category = '%s; scheme="%s"; class="mixin"' % (term, SCHEME)
        if method == 'POST':
            category += '; location="%s"' % location
        resp = requests.request(method, (url or self.sm.url) + '-/',
                                headers={'X-Project-Id': project,
                                         'Content-Type': 'text/occi',
                                         'Category': category})
        self.assertEqual(200, resp.status_code, resp.text)

    def _seen(self, url=None, project='p1'):
        """Whether each rendering of the query interface lists the
        mixin."""
        return {accept: MIXIN_ID in _ids(self._query(url, project, accept))
                for accept in RENDERINGS}

    def test_answers_follow_mixins_defined_and_deleted(self):
        absent = dict.fromkeys(RENDERINGS, False)
        present = dict.fromkeys(RENDERINGS, True)
        self.assertEqual(absent, self._seen())
        self._mixin('POST')
        self.assertEqual(present, self._seen())
        self._mixin('DELETE')
        self.assertEqual(absent, self._seen())
        # Defined again, and the answer is the same as the first time.
        first = self._query().text
        self._mixin('POST')
        self.assertNotEqual(first, self._query().text)
        self._mixin('DELETE')
        self.assertEqual(first, self._query().text)

    def test_answers_follow_another_sm_on_the_same_database(self):
        mine = self.sm.url
        self.assertFalse(any(self._seen(mine).values()))
        self.sm.start()     # a second SM, same database
        other = self.sm.url
        self.assertNotEqual(mine, other)
        self._mixin('POST', url=other)
        self.assertTrue(all(self._seen(mine).values()))
        # A change of the mixin itself (deleted, defined elsewhere).
        before = self._query(mine).text
        self._mixin('DELETE', url=other)
        self._mixin('POST', url=other, location='/elsewhere/')
        after = self._query(mine).text
        self.assertNotEqual(before, after)
        self.assertIn('/elsewhere/', after)
        self.assertNotIn('/tagged/', after)
        self._mixin('DELETE', url=other)
        self.assertFalse(any(self._seen(mine).values()))

    def test_a_project_never_sees_another_projects_mixins(self):
        for project in ('p1', 'p2'):
            self.assertFalse(any(self._seen(project=project).values()))
        self._mixin('POST', project='p1')
        self.assertTrue(all(self._seen(project='p1').values()))
        self.assertFalse(any(self._seen(project='p2').values()))
        # The same definition in p2, then gone from p1: p2 keeps its own.
        self._mixin('POST', project='p2')
        self._mixin('DELETE', project='p1')
        self.assertFalse(any(self._seen(project='p1').values()))
        self.assertTrue(all(self._seen(project='p2').values()))
        self.assertFalse(any(self._seen(project='p3').values()))

    def test_locations_follow_each_requests_host(self):
        port = self.sm.url.rsplit(':', 1)[1].rstrip('/')
        for host in ('127.0.0.1:' + port, 'localhost:' + port,
                     '127.0.0.1:' + port):
            for accept in RENDERINGS[::2]:
                text = self._query(accept=accept, host=host).text
                self.assertIn('http://%s/svc/' % host, text)
                other = 'localhost' if host.startswith('127') \
                    else '127.0.0.1'
                self.assertNotIn('http://%s:' % other, text)
