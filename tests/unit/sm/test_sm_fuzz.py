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
"""Fuzz the SM's OCCI API (issue 3): arbitrary headers and bodies.

The SM application runs in-process on its real SQL store (a fresh SQLite
file per example, two active instances recorded); its CC is unreachable,
so an accepted create only fails its own instance. For every example:
never a 5xx, never a traceback, and a rejected request (4xx) leaves the
stored instances exactly as they were.
"""
import io
import os
import tempfile
import wsgiref.util

import hypothesis
from hypothesis import strategies as st
import sqlalchemy as sa
import testtools

from hurtle.db import engine as db_engine
from hurtle.db import migration
from hurtle.db import models
from hurtle import manifest as manifest_mod
from hurtle.occi import middleware
from hurtle.sm import api
from hurtle.sm import states
from tests import conf_fixture
from tests import net
from tests.unit.occi import test_fuzz

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
SAMPLE = os.path.join(ROOT, 'samples', 'sample', 'manifest.json')
KIND = 'sample; scheme="http://schemas.hurtle.it/occi/sm#"; class="kind"'
IDS = ('00000000-0000-0000-0000-00000000000a',
       '00000000-0000-0000-0000-00000000000b')

TOKENS = [KIND, 'sample', '"http://schemas.hurtle.it/occi/sm#"',
          'sample.greeting', 'sample.name_length', 'mcn.service.state',
          'mcn.endpoint.sample', 'occi.so.url', '=', '"', ',', ';',
          '"kind"', '"action"', '12', 'true', '"x"', '\\', '/sample/',
          '/sample/' + IDS[0]]
SM_HEADER = st.one_of(
    st.lists(st.sampled_from(TOKENS), max_size=12).map(' '.join),
    test_fuzz.HEADER_VALUE)
ATTRIBUTES = st.one_of(
    st.sampled_from(['sample.greeting="bonjour"', 'sample.name_length=9',
                     'sample.greeting="a", sample.name_length="x"',
                     'mcn.endpoint.sample="http://x/"',
                     'mcn.service.state="active"', 'unknown.attr=1',
                     'sample.greeting=', 'sample.greeting="unclosed']),
    SM_HEADER)
# Often a well-formed kind with fuzzed attributes, so that creates and
# updates reach the SM's own checks, not only the parser's.
WELL_FORMED = st.fixed_dictionaries(
    {'HTTP_CATEGORY': st.just(KIND), 'HTTP_X_OCCI_ATTRIBUTE': ATTRIBUTES})
SM_HEADERS = st.one_of(WELL_FORMED, st.dictionaries(
    st.sampled_from(['HTTP_CATEGORY', 'HTTP_LINK', 'HTTP_X_OCCI_ATTRIBUTE',
                     'HTTP_X_OCCI_LOCATION', 'HTTP_USER_AGENT',
                     'HTTP_X_PROJECT_ID', 'HTTP_X_TENANT_NAME']),
    SM_HEADER, max_size=4))
CONTENT_TYPE = st.one_of(st.just('text/occi'), test_fuzz.MEDIA)
SM_PATH = st.one_of(
    st.sampled_from(['/-/', '/sample/', '/sample/' + IDS[0],
                     '/sample/' + IDS[1], '/sample/nope', '/composed/',
                     '/sample/%s/' % IDS[0], '/']),
    test_fuzz.PATH)


class SMFuzzTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.fixture = self.useFixture(conf_fixture.HurtleConf(
            sm__cc_url='http://127.0.0.1:%d/' % net.held_port(self),
            sm__call_retries=0, sm__workers=1))
        self.manifest = manifest_mod.load(SAMPLE)

    def fresh(self):
        """A new database with two active instances of project p1."""
        tmp = tempfile.mkdtemp(dir=self.fixture.state)
        url = 'sqlite:///' + os.path.join(tmp, 'sm.sqlite')
        self.fixture.conf.set_override('connection', url, group='database')
        migration.upgrade(url)
        application, lifecycle = api.make_application(
            self.fixture.conf, [self.manifest])
        self.addCleanup(lifecycle.shutdown)
        with db_engine.sessionmaker(url).begin() as session:
            for instance_id in IDS:
                session.add(models.ServiceInstance(
                    id=instance_id, project='p1', service='sample',
                    state=states.ACTIVE,
                    attributes={'sample.greeting': 'hi'}))
        self.url = url
        self.app = middleware.NoAuthMiddleware(application,
                                               default_project='p1')

    def snapshot(self):
        with db_engine.sessionmaker(self.url)() as session:
            return sorted(
                (r.id, r.project, r.service, r.state, repr(r.attributes))
                for r in session.scalars(sa.select(models.ServiceInstance)))

    def call(self, method, path, extra, body, query):
        environ = {}
        wsgiref.util.setup_testing_defaults(environ)
        environ.update({'REQUEST_METHOD': method, 'PATH_INFO': path,
                        'QUERY_STRING': query,
                        'CONTENT_LENGTH': str(len(body)),
                        'wsgi.input': io.BytesIO(body)})
        environ.update(extra)
        out = {}

        def start_response(status, headers, exc_info=None):
            out['status'] = status
            out['headers'] = headers
        data = b''.join(self.app(environ, start_response))
        lengths = [v for k, v in out['headers']
                   if k.lower() == 'content-length']
        self.assertEqual(1, len(lengths))
        return int(out['status'].split()[0]), data.decode('utf-8',
                                                          'replace')

    def check(self, method, path, extra, body, query):
        """Send one request: never a 5xx or a traceback, and a rejected
        request leaves the stored instances as they were."""
        before = self.snapshot()
        status, text = self.call(method, path, extra, body, query)
        self.assertLess(status, 500, text)
        self.assertNotIn('Traceback', text)
        if status >= 400:
            self.assertEqual(before, self.snapshot(),
                             'a rejected request changed stored instances')

    @hypothesis.settings(max_examples=150, deadline=None, database=None,
                         suppress_health_check=list(
                             hypothesis.HealthCheck))
    @hypothesis.given(method=test_fuzz.METHOD, path=SM_PATH,
                      headers=SM_HEADERS, ctype=CONTENT_TYPE,
                      accept=test_fuzz.MEDIA, query=test_fuzz.QUERY,
                      body=test_fuzz.BODY)
    def test_sm_never_5xx_and_rejections_change_nothing(
            self, method, path, headers, ctype, accept, query, body):
        self.fresh()
        extra = dict(headers)
        if ctype:
            extra['CONTENT_TYPE'] = ctype
        if accept:
            extra['HTTP_ACCEPT'] = accept
        self.check(method, path, extra, body, query)

    @hypothesis.settings(max_examples=100, deadline=None, database=None,
                         suppress_health_check=list(
                             hypothesis.HealthCheck))
    @hypothesis.given(method=st.sampled_from(['POST', 'PUT', 'DELETE']),
                      path=st.sampled_from(['/sample/' + i for i in IDS]),
                      headers=WELL_FORMED, ctype=CONTENT_TYPE,
                      query=st.sampled_from(['', 'action=deploy',
                                             'action=']))
    def test_sm_updates_and_deletes(self, method, path, headers, ctype,
                                    query):
        """Well-formed requests on existing instances: the SM's own
        update and delete rules, not only the parser's."""
        self.fresh()
        extra = dict(headers, CONTENT_TYPE=ctype)
        self.check(method, path, extra, b'', query)
