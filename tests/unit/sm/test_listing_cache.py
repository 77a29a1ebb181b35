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
"""JSON listings of the SM join the instances' documents it keeps
(``hurtle.occi.fragments``, ``[sm] listing_cache_mb``): a listing is
byte for byte what rendering every instance now gives (the single
instance renderings joined, and the filtered listing, which builds
entities), whatever changed since the documents were kept: an instance
updated through this SM's API, by the lifecycle, by another SM or by
another process on the same database; a mixin its record names defined,
deleted or defined again; another ``Host`` or ``SCRIPT_NAME``. A project
never sees another's instances, and the bytes kept stay within the
bound. On SQLite and PostgreSQL.
"""
import os
import subprocess
import sys

from occi import core_model
import requests
import testscenarios
import testtools
import webob

from hurtle.db import engine as db_engine
from hurtle.occi import middleware
from hurtle.sm import states
from tests import pg_fixture
from tests.unit.sm import sm_server

JSON = 'application/occi+json'
KIND_FILTER = 'svc; scheme="http://example.org/occi/sm#"; class="kind"'
MIXIN = 'http://example.org/mine#'
IDS = ['a1', 'a2', 'a3', 'a4', 'a5']


class ListingCacheTest(testscenarios.WithScenarios, testtools.TestCase):

    scenarios = [('sqlite', {'backend': 'sqlite'}),
                 ('postgresql', {'backend': 'postgresql'})]

    def setUp(self):
        super().setUp()
        overrides = {}
        if self.backend == 'postgresql':
            pg_fixture.require()
            overrides['database__connection'] = self.useFixture(
                pg_fixture.PostgreSQL()).url
        self.sm = self.useFixture(sm_server.SMServer({}, **overrides))
        self.url = self.sm.url
        self.db_url = self.sm.conf.database.connection
        self.addCleanup(lambda: db_engine.get_engine(self.db_url).dispose())
        self.store = self.sm.store
        self.kept = self.sm.application.fragments
        self.define('fav')
        for ident in IDS:
            self.add(ident, {'n': ident, 'u': '\u00e9\u2603 "q"'})
        self.store.transition('a2', states.ACTIVE,
                              so_url='http://127.0.0.1:1/',
                              attributes={'mcn.endpoint.x': 'http://e/'})
        self.add('b1', {'n': 'theirs'}, project='p2')
        # The instances whose rows a listing read (to render them): by
        # key, or a whole page with the versions.
        self.reads = []
        by_key = self.store.versioned_members
        versions = self.store.versions

        def read_by_key(extras, kind, keys, mixins):
            self.reads.append(('keys', list(keys)))
            return by_key(extras, kind, keys, mixins)

        def read_page(extras, kind, mixins=None, **page):
            found = versions(extras, kind, mixins=mixins, **page)
            if mixins is not None:
                self.reads.append(('page', [item[0] for item in found[0]]))
            return found
        self.store.versioned_members = read_by_key
        self.store.versions = read_page

    def add(self, ident, attributes, project='p1', mixins=()):
        entity = core_model.Resource('/svc/' + ident,
                                     self.store.kinds['svc'],
                                     [self.mixin(m) for m in mixins])
        entity.title = None
        entity.attributes = dict(attributes, **{'occi.core.id': ident})
        self.store.add('/svc/' + ident, entity, {'project': project})

    @staticmethod
    def mixin(term):
        return core_model.Mixin(MIXIN, term)

    def request(self, method, path, project='p1', url=None, **headers):
        headers['X-Project-Id'] = project
        return requests.request(method, (url or self.url) + path,
                                headers=headers, timeout=30)

    def define(self, term, method='POST', url=None):
        category = '%s; scheme="%s"; class="mixin"' % (term, MIXIN)
        if method == 'POST':
            category += '; location="/%s/"' % term
        resp = self.request(method, '-/', url=url, Category=category,
                            **{'Content-Type': 'text/occi'})
        self.assertEqual(200, resp.status_code, resp.text)

    def listing(self, project='p1', url=None, query='', **headers):
        resp = self.request('GET', 'svc/' + query, project, url,
                            Accept=JSON, **headers)
        self.assertEqual(200, resp.status_code, resp.text)
        return resp

    def rendered_now(self, project='p1', **headers):
        """The JSON listing as rendering every instance now gives it:
        the single-instance renderings joined, checked against the
        filtered listing (entities, no documents kept)."""
        locations = self.request('GET', 'svc/', project,
                                 Accept='text/uri-list',
                                 **headers).text.split()
        singles = []
        for location in locations:
            resp = self.request('GET', location.split('/', 3)[3], project,
                                Accept=JSON, **headers)
            self.assertEqual(200, resp.status_code, resp.text)
            singles.append(resp.content)
        joined = b'{"resources":[' + b','.join(singles) + b']}' \
            if singles else b'{}'
        filtered = self.listing(project, Category=KIND_FILTER, **headers)
        self.assertEqual(joined, filtered.content)
        return joined

    def assert_current(self, project='p1', **headers):
        """The listing (twice: the second from kept documents only) is
        what rendering every instance now gives; returns its JSON."""
        expected = self.rendered_now(project, **headers)
        self.assertEqual(expected, self.listing(project, **headers).content)
        del self.reads[:]
        self.assertEqual(expected, self.listing(project, **headers).content)
        self.assertEqual([], self.reads)
        return self.listing(project, **headers).json()

    def by_id(self, doc):
        return {item['id']: item for item in doc.get('resources', [])}

    def test_kept_documents_are_the_fresh_renderings(self):
        self.assertEqual(0, len(self.kept))
        self.listing()
        every = ['/svc/' + ident for ident in IDS]
        self.assertEqual([('page', every)], self.reads)
        self.assertEqual(len(IDS), len(self.kept))
        doc = self.assert_current()
        self.assertEqual(IDS, [item['id'] for item in doc['resources']])
        self.assertEqual('http://127.0.0.1:1/', self.by_id(doc)['a2'][
            'attributes']['occi.so.url'])
        # Pages join into the listing and reuse the same documents.
        whole = self.listing().json()['resources']
        pages, query = [], '?limit=2'
        while query:
            resp = self.listing(query=query)
            pages.extend(resp.json()['resources'])
            query = resp.links.get('next', {}).get('url', '')
            query = query[query.index('?'):] if query else ''
        self.assertEqual(whole, pages)
        self.assertEqual([], self.reads)
        # A page with a new instance: only that one is read.
        self.add('a6', {})
        self.assertEqual(IDS + ['a6'], [
            item['id'] for item in self.listing().json()['resources']])
        self.assertEqual([('keys', ['/svc/a6'])], self.reads)
        self.assert_current()
        # Most of a page not kept: its rows are read at once.
        more = ['m%03d' % number for number in range(60)]
        for ident in more:
            self.add(ident, {'n': ident})
        del self.reads[:]
        self.assertEqual(IDS + ['a6'] + more, [
            item['id'] for item in self.listing().json()['resources']])
        self.assertEqual([('page', every + ['/svc/a6'] + [
            '/svc/' + ident for ident in more])], self.reads)
        self.assert_current()
        # A few of them: by key.
        for ident in more[:3]:
            self.store.transition(ident, states.FAILED, reason='x')
        del self.reads[:]
        self.listing()
        self.assertEqual([('keys', ['/svc/' + i for i in more[:3]])],
                         self.reads)
        self.assert_current()

    def test_updates_through_this_sm_show_at_once(self):
        self.assert_current()
        # (a POST, or adding to a mixin, is refused while the instance
        # is busy: initialise)
        self.store.transition('a1', states.ACTIVE)
        self.store.transition('a3', states.ACTIVE)
        resp = self.request('POST', 'svc/a1', Accept=JSON, **{
            'Content-Type': 'text/occi',
            'Category': KIND_FILTER,
            'X-OCCI-Attribute': 'occi.core.title="renamed"'})
        self.assertEqual(200, resp.status_code, resp.text)
        resp = self.request('POST', 'fav/', **{
            'Content-Type': 'text/occi', 'X-OCCI-Location': '/svc/a3'})
        self.assertEqual(200, resp.status_code, resp.text)
        self.store.transition('a4', states.FAILED, reason='it broke')
        doc = self.by_id(self.assert_current())
        self.assertEqual('renamed', doc['a1']['title'])
        self.assertEqual([MIXIN + 'fav'], doc['a3']['mixins'])
        self.assertEqual('it broke', doc['a4']['attributes'][
            'mcn.service.state.reason'])
        # Out of the mixin again.
        resp = self.request('DELETE', 'fav/', **{
            'Content-Type': 'text/occi', 'X-OCCI-Location': '/svc/a3'})
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertNotIn('mixins', self.by_id(self.assert_current())['a3'])

    def test_changes_by_another_sm_and_process_show_at_once(self):
        mine = self.url
        self.assert_current()
        self.sm.start()     # another SM on the same database
        other = self.sm.url
        self.assertNotEqual(mine, other)
        self.store.transition('a5', states.ACTIVE)
        resp = self.request('POST', 'svc/a5', url=other, Accept=JSON, **{
            'Content-Type': 'text/occi', 'Category': KIND_FILTER,
            'X-OCCI-Attribute': 'occi.core.summary="from the other SM"'})
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual('from the other SM', self.by_id(
            self.listing(url=mine).json())['a5']['summary'])
        # Another process writes the row with its own store.
        code = ('import sys\n'
                'from hurtle.sm import store\n'
                'records = store.InstanceStore(sys.argv[1], {"svc": None})\n'
                'assert records.transition(sys.argv[2], "failed", '
                'reason="elsewhere")\n')
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            [os.getcwd()] + sys.path))
        subprocess.run([sys.executable, '-c', code, self.db_url, 'a1'],
                       check=True, env=env, timeout=120)
        attributes = self.by_id(self.listing(url=mine).json())['a1'][
            'attributes']
        self.assertEqual(('failed', 'elsewhere'), (
            attributes['mcn.service.state'],
            attributes['mcn.service.state.reason']))
        self.url = mine
        self.assert_current()

    def test_mixin_definitions_change_the_documents(self):
        # The record names a mixin not defined yet (another SM wrote it).
        entity = core_model.Resource('/svc/a2', self.store.kinds['svc'],
                                     [self.mixin('fav'),
                                      self.mixin('later')])
        entity.title = None
        self.store.update('/svc/a2', entity, {'project': 'p1'})
        self.assertEqual([MIXIN + 'fav'],
                         self.by_id(self.assert_current())['a2']['mixins'])
        versions = self.store.versions
        kind = self.store.kinds['svc']
        before = versions({'project': 'p1'}, kind)
        self.define('later')
        self.assertEqual(before, versions({'project': 'p1'}, kind))
        self.assertEqual([MIXIN + 'fav', MIXIN + 'later'],
                         self.by_id(self.assert_current())['a2']['mixins'])
        # Deleted (its members leave it), defined again.
        self.define('later', method='DELETE')
        self.assertEqual([MIXIN + 'fav'],
                         self.by_id(self.assert_current())['a2']['mixins'])
        self.define('later')
        self.assertEqual([MIXIN + 'fav'],
                         self.by_id(self.assert_current())['a2']['mixins'])
        # Defined by another SM on the same database.
        mine = self.url
        self.sm.start()
        self.define('fav', method='DELETE', url=self.sm.url)
        self.url = mine
        self.assertNotIn('mixins', self.by_id(self.assert_current())['a2'])

    def test_each_host_and_prefix_has_its_documents(self):
        port = self.url.rsplit(':', 1)[1].rstrip('/')
        self.assert_current()
        self.assert_current(Host='localhost:' + port)
        self.assertEqual(2 * len(IDS), len(self.kept))
        # Behind a path prefix (SCRIPT_NAME), in the same process.
        app = middleware.NoAuthMiddleware(self.sm.application,
                                          default_project='p1')
        answers = []
        for script in ('/sm', '/sm', ''):
            request = webob.Request.blank(
                '/svc/', environ={'SCRIPT_NAME': script,
                                  'HTTP_HOST': '127.0.0.1:' + port},
                headers={'Accept': JSON})
            resp = request.get_response(app)
            self.assertEqual(200, resp.status_code, resp.text)
            answers.append(resp.body)
        self.assertEqual(self.listing().content, answers[0])
        self.assertEqual(answers[0], answers[1])
        self.assertEqual(answers[0], answers[2])
        self.assertEqual(3 * len(IDS), len(self.kept))

    def test_a_project_never_sees_anothers_instances(self):
        mine = self.assert_current()
        theirs = self.assert_current(project='p2')
        self.assertEqual(IDS, list(self.by_id(mine)))
        self.assertEqual(['b1'], list(self.by_id(theirs)))
        self.assertEqual(b'{}', self.listing(project='p3').content)
        for project, marker in (('p2', 'a1'), ('p1', 'b1')):
            resp = self.request('GET', 'svc/?limit=1&marker=' + marker,
                                project, Accept=JSON)
            self.assertEqual(400, resp.status_code, resp.text)

    def test_the_bound_holds(self):
        self.listing()
        whole = self.kept.size
        self.kept.max_bytes = whole // 2
        for _ in range(3):
            self.assertEqual(self.rendered_now(), self.listing().content)
            self.assertLessEqual(self.kept.size, self.kept.max_bytes)
            self.assertGreater(len(self.kept), 0)
        self.kept.max_bytes = 0     # as [sm] listing_cache_mb = 0
        del self.reads[:]
        self.assertEqual(self.rendered_now(), self.listing().content)
        self.assertEqual([], self.reads)

    def test_an_instance_gone_between_the_two_reads(self):
        self.listing(query='?limit=2')
        versions = self.store.versions

        def then_purged(*args, **kwargs):
            found = versions(*args, **kwargs)
            self.store.purge('a4')  # another SM, in between
            return found
        self.store.versions = then_purged
        resp = self.listing()
        self.assertEqual(('keys', ['/svc/a3', '/svc/a4', '/svc/a5']),
                         self.reads[-1])
        self.store.versions = versions
        self.assertEqual(['a1', 'a2', 'a3', 'a5'],
                         [item['id'] for item in resp.json()['resources']])
        self.assertEqual(self.rendered_now(), resp.content)


class ListingCacheOffTest(testtools.TestCase):

    def test_listing_without_kept_documents(self):
        sm = self.useFixture(sm_server.SMServer({}, sm__listing_cache_mb=0))
        entity = core_model.Resource('/svc/x', sm.store.kinds['svc'], [])
        entity.title = None
        entity.attributes = {'occi.core.id': 'x'}
        sm.store.add('/svc/x', entity, {'project': 'p1'})
        for _ in range(2):
            resp = requests.get(sm.url + 'svc/', headers={'Accept': JSON},
                                timeout=30)
            self.assertEqual(200, resp.status_code, resp.text)
            self.assertEqual(['x'], [item['id'] for item in
                                     resp.json()['resources']])
        self.assertEqual(0, sm.application.fragments.max_bytes)
        self.assertEqual(0, len(sm.application.fragments))
