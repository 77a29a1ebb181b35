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
"""Paging of the SM's collections: ``?limit=`` and ``?marker=``.

Pages follow one another through ``Link: <...>; rel="next"`` in every
rendering and together list exactly the whole collection in its order;
bad input is a 400, and another project's id as marker is refused as an
unknown one (nothing tells it exists).
"""
import html
import re
import urllib.parse

from occi import core_model
import requests
import testtools

from tests.unit.sm import sm_server

URI_LIST = 'text/uri-list'
JSON = 'application/occi+json'


class TestListingPages(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sm = self.useFixture(sm_server.SMServer({}))
        self.store = self.sm.store
        kind = self.store.kinds['svc']
        for project, count in (('p1', 5), ('p2', 1)):
            for i in range(count):
                key = '/svc/%s-%d' % (project, i)
                self.store.add(key, core_model.Resource(key, kind, []),
                               {'project': project})

    def get(self, path, accept=URI_LIST, project='p1'):
        url = path if path.startswith('http') else self.sm.url + path
        return requests.get(url, headers={'Accept': accept,
                                          'X-Project-Id': project},
                            timeout=10)

    @staticmethod
    def paths(resp):
        if resp.headers['Content-Type'].startswith(JSON):
            return ['/svc/' + r['id']
                    for r in resp.json().get('resources', [])]
        if resp.headers['Content-Type'].startswith('text/occi'):
            values = resp.headers.get('X-OCCI-Location', '')
            return [urllib.parse.urlsplit(v.strip()).path
                    for v in values.split(',') if v.strip()]
        return [urllib.parse.urlsplit(line.split(': ')[-1]).path
                for line in resp.text.splitlines() if line.strip()]

    @staticmethod
    def next_url(resp):
        link = resp.headers.get('Link', '')
        found = re.search(r'<([^>]+)>; rel="next"', link)
        return found.group(1) if found else None

    def walk(self, path, accept):
        pages = []
        url = path
        while url:
            resp = self.get(url, accept)
            self.assertEqual(200, resp.status_code, resp.text)
            pages.append(self.paths(resp))
            url = self.next_url(resp)
        return pages

    def test_pages_list_the_whole_collection_in_order(self):
        for accept in (URI_LIST, 'text/plain', 'text/occi', JSON):
            whole = self.paths(self.get('svc/', accept))
            self.assertEqual(['/svc/p1-%d' % i for i in range(5)], whole)
            pages = self.walk('svc/?limit=2', accept)
            self.assertEqual([whole[0:2], whole[2:4], whole[4:5]], pages,
                             accept)

    def test_html_pages_link_to_the_next_one(self):
        # A browser shows no Link header: the page itself links on.
        pages, url = [], 'svc/?limit=2'
        while url:
            resp = self.get(url, 'text/html')
            self.assertEqual(200, resp.status_code, resp.text)
            pages.append(re.findall(r'<td><a href="[^"]*(/svc/p1-\d)"',
                                    resp.text))
            found = re.search(r'<p id="next-page"><a href="([^"]+)">',
                              resp.text)
            url = found and html.unescape(found.group(1))
            self.assertEqual(url, self.next_url(resp))
        self.assertEqual([['/svc/p1-0', '/svc/p1-1'],
                          ['/svc/p1-2', '/svc/p1-3'], ['/svc/p1-4']], pages)
        self.assertNotIn('next-page', self.get('svc/', 'text/html').text)

    def test_marker_starts_after_it_and_last_page_has_no_next(self):
        resp = self.get('svc/?limit=2&marker=p1-2')
        self.assertEqual(['/svc/p1-3', '/svc/p1-4'], self.paths(resp))
        self.assertIsNone(self.next_url(resp))
        resp = self.get('svc/?marker=p1-0')
        self.assertEqual(['/svc/p1-%d' % i for i in range(1, 5)],
                         self.paths(resp))
        resp = self.get('svc/?marker=p1-4', JSON)
        self.assertEqual(200, resp.status_code)
        self.assertEqual([], self.paths(resp))

    def test_next_link_keeps_the_collection_and_limit(self):
        url = self.next_url(self.get('svc/?limit=1'))
        parts = urllib.parse.urlsplit(url)
        self.assertEqual('/svc/', parts.path)
        self.assertEqual({'limit': ['1'], 'marker': ['p1-0']},
                         urllib.parse.parse_qs(parts.query))

    def test_prefix_and_filtered_collections_page_too(self):
        self.assertEqual([['/svc/p1-0', '/svc/p1-1', '/svc/p1-2'],
                          ['/svc/p1-3', '/svc/p1-4']],
                         self.walk('?limit=3', URI_LIST))

    def test_bad_limit_is_400(self):
        # Other scripts' digits (fullwidth 5, Arabic-Indic 3), which
        # Python's int() reads, and white space are no integer either.
        for value in ('x', '0', '-1', '', '1.5', '%EF%BC%95', '%D9%A3',
                      '%202', '2%0A'):
            for path in ('svc/?limit=', '?limit='):
                resp = self.get(path + value)
                self.assertEqual(400, resp.status_code, path + value)
                self.assertIn('limit', resp.text)

    def test_parameter_given_twice_is_400(self):
        # Which one was meant? (The last one was taken silently.)
        for query in ('limit=2&limit=3', 'marker=p1-0&marker=p1-1',
                      'page=1&page=2', 'number=2&number=2'):
            resp = self.get('svc/?' + query)
            self.assertEqual(400, resp.status_code, query)
            self.assertIn('given 2 times', resp.text)

    def test_empty_or_unknown_marker_is_400(self):
        for path in ('svc/?marker=', 'svc/?marker=nope',
                     '?marker=nope', 'svc/?limit=2&marker=nope'):
            resp = self.get(path)
            self.assertEqual(400, resp.status_code, path)
            self.assertIn('marker', resp.text)

    def test_other_projects_marker_is_refused_as_unknown(self):
        for path in ('svc/?marker=', '?marker='):
            theirs = self.get(path + 'p2-0', JSON)
            unknown = self.get(path + 'p2-9', JSON)
            self.assertEqual(400, theirs.status_code)
            self.assertEqual(unknown.text.replace('p2-9', 'p2-0'),
                             theirs.text)
        # and p2 pages its own collection only
        self.assertEqual([['/svc/p2-0']],
                         [self.paths(self.get('svc/?limit=5',
                                              project='p2'))])

    def test_limit_is_cut_to_max_page(self):
        self.sm.conf.set_override('max_page', 2, group='occi')
        self.sm.start()
        resp = self.get('svc/?limit=50')
        self.assertEqual(['/svc/p1-0', '/svc/p1-1'], self.paths(resp))
        self.assertEqual('2', urllib.parse.parse_qs(urllib.parse.urlsplit(
            self.next_url(resp)).query)['limit'][0])
        # without a limit the whole collection, as before
        self.assertEqual(5, len(self.paths(self.get('svc/'))))
