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
"""The SM's HTML pages and form posts (hurtle.sm.browser): the same
policy, attribute checks and lifecycle as OCCI requests.

The application is called as keystonemiddleware would leave a request
(``X-Project-Id``, ``X-Roles``), through webob, on a real SQL store; no
CC runs, so instances end ``failed`` in ``initialise``.
"""
import os
import urllib.parse

import testtools
import webob

from hurtle.db import migration
from hurtle import manifest
from hurtle.sm import api as sm_api
from tests import conf_fixture
from tests import net
from tests.unit.occi import test_html_forms

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
SAMPLE = os.path.join(ROOT, 'samples', 'sample', 'manifest.json')
ORIGIN = 'http://localhost'
#: webob's requests name the host with its port.
BASE = 'http://localhost:80'
Tags = test_html_forms.Tags


class BrowserTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            sm__cc_url='http://127.0.0.1:%d/' % net.held_port(self),
            sm__call_retries=0)).conf
        migration.upgrade(self.conf.database.connection)
        self.sm, self.lifecycle = sm_api.make_application(
            self.conf, [manifest.load(SAMPLE)])
        self.addCleanup(self.lifecycle.shutdown)

    def call(self, method, path, roles='member', body=None, **headers):
        headers = dict({'X-Project-Id': 'p1', 'X-Roles': roles,
                        'Accept': 'text/html'}, **headers)
        req = webob.Request.blank(path, method=method, headers=headers)
        if body is not None:
            req.content_type = 'application/x-www-form-urlencoded'
            req.body = urllib.parse.urlencode(body).encode('utf-8')
        return req.get_response(self.sm)

    def form(self, path, fields, roles='member'):
        return self.call('POST', path, roles, fields, Origin=ORIGIN)

    def test_service_list_shows_types_and_descriptions(self):
        page = Tags(self.call('GET', '/').text)
        text = ' '.join(page.text)
        self.assertIn('Hurtle sample service', text)
        self.assertIn('integer', text)
        self.assertIn('Length of the generated host name', text)
        self.assertIn(BASE + '/sample/',
                      [a.get('href') for a in page.named('a')])

    def test_pages_may_not_be_framed_by_another_site(self):
        # The pages' forms create and delete: no clickjacking.
        for resp in (self.call('GET', '/'), self.call('GET', '/sample/'),
                     self.call('GET', '/sample/nosuch')):
            self.assertEqual('DENY', resp.headers['X-Frame-Options'])
            self.assertEqual("frame-ancestors 'none'",
                             resp.headers['Content-Security-Policy'])
            self.assertEqual('nosniff',
                             resp.headers['X-Content-Type-Options'])
        # Not an HTML page: no such headers.
        resp = self.call('GET', '/sample/', Accept='text/uri-list')
        self.assertNotIn('X-Frame-Options', resp.headers)

    def test_form_offers_the_users_attributes_typed(self):
        page = Tags(self.call('GET', '/sample/').text)
        controls = {a['name']: (tag, a) for tag, a in page.tags
                    if a.get('name') and not a['name'].startswith('_')}
        self.assertEqual(('input', 'number', '4', '32'), (
            controls['sample.name_length'][0],
            controls['sample.name_length'][1]['type'],
            controls['sample.name_length'][1]['min'],
            controls['sample.name_length'][1]['max']))
        self.assertEqual('64', controls['sample.greeting'][1]['maxlength'])
        for managed in ('mcn.service.state', 'occi.so.url', 'occi.core.id',
                        'occi.mcn.stack.id'):
            self.assertNotIn(managed, controls)
        # immutable attributes (outputs) would be refused at create
        self.assertNotIn('mcn.endpoint.sample', controls)
        self.assertNotIn('sample.provisioned', controls)

    def test_create_and_delete_through_the_lifecycle(self):
        resp = self.form('/sample/', {'_form': 'create',
                                      'sample.greeting': '<b>hi</b>"',
                                      'sample.name_length': '8',
                                      'sample.provisioned': ''})
        self.assertEqual(303, resp.status_int, resp.text)
        path = urllib.parse.urlsplit(resp.headers['Location']).path
        self.assertTrue(path.startswith('/sample/'))
        page = Tags(self.call('GET', path).text)
        self.assertEqual([], page.named('b'))
        self.assertIn('<b>hi</b>"', page.text)
        # Typed as the manifest says (the form sent text).
        occi = self.call('GET', path, Accept='application/occi+json').json
        self.assertEqual(8, occi['attributes']['sample.name_length'])
        self.assertNotIn('sample.provisioned', occi['attributes'])
        resp = self.form(path, {'_method': 'DELETE'})
        self.assertEqual(303, resp.status_int, resp.text)
        self.assertEqual(BASE + '/sample/', resp.headers['Location'])
        state = self.call('GET', path, Accept='application/occi+json')
        if state.status_int == 200:
            self.assertEqual('destroy',
                             state.json['attributes']['mcn.service.state'])
        else:
            self.assertEqual(404, state.status_int)

    def test_bad_values_are_400_pages_and_nothing_is_recorded(self):
        for fields, reason in (
                ({'sample.name_length': 'many'}, 'sample.name_length'),
                ({'sample.name_length': '2'}, 'minimum'),
                ({'sample.greeting': 'x' * 65}, 'maxLength'),
                ({'sample.provisioned': 'maybe'}, 'sample.provisioned'),
                ({'mcn.service.state': 'active'}, 'mcn.service.state'),
                ({'nope': '1'}, 'nope is not defined')):
            resp = self.form('/sample/', dict(fields, _form='create'))
            self.assertEqual(400, resp.status_int, resp.text)
            self.assertIn('text/html', resp.content_type)
            self.assertIn(reason, resp.text)
        listing = self.call('GET', '/sample/', Accept='text/uri-list')
        self.assertEqual('', listing.text.strip())

    def test_policy_applies_to_forms(self):
        resp = self.form('/sample/', {'_form': 'create'}, roles='reader')
        self.assertEqual(403, resp.status_int)
        self.assertIn('hurtle:instance:create', resp.text)
        resp = self.form('/sample/', {'_form': 'create'})
        path = urllib.parse.urlsplit(resp.headers['Location']).path
        resp = self.form(path, {'_method': 'DELETE'}, roles='reader')
        self.assertEqual(403, resp.status_int)
        self.assertIn('hurtle:instance:delete', resp.text)

    def test_cross_site_form_refused(self):
        resp = self.call('POST', '/sample/', 'member', {'_form': 'create'},
                         Origin='http://evil.example')
        self.assertEqual(403, resp.status_int)
        resp = self.call('POST', '/sample/', 'member', {'_form': 'create'})
        self.assertEqual(403, resp.status_int)
        listing = self.call('GET', '/sample/', Accept='text/uri-list')
        self.assertEqual('', listing.text.strip())
