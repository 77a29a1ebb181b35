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
"""What the OCCI layer changes on an SM instance is kept in the database:
titles and summaries, user mixins and their members (GFD.185 3.4.3),
across an SM restart; mixins are per project; [sm] public_url and
[occi] category_locations reach the SM's answers.

No CC runs (instances fail in ``initialise``): these are the SM API's
own records.
"""
import http.client
import json
import time
import urllib.parse

import requests
import testtools

from hurtle.db import engine as db_engine
from hurtle.db import models
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle.sm import api
from hurtle.sm import states
from tests.unit.sm import sm_server
from tests.unit.sm import test_sm_api

KIND = test_sm_api.KIND
SCHEME = 'http://example.com/mine#'
MINE = occi_client.CategoryRef(SCHEME, 'tagged', 'mixin')


def _path(url):
    return urllib.parse.urlsplit(url).path


class TestOCCIChangesPersist(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sm = self.useFixture(sm_server.SMServer(
            {'svc.size': 'required'}))
        self.conf = self.sm.conf
        self.manifest = self.sm.manifest
        self.adopt()

    def restart(self):
        """A new SM application on the same database (as a restart)."""
        self.sm.start()
        self.adopt()

    adopt = test_sm_api.SMTest.adopt

    wait_state = test_sm_api.SMTest.wait_state

    def define(self, client=None, term='tagged', location='/tagged/'):
        resp = requests.post(self.url + '-/', headers=dict(
            (client or self.client).headers, **{
                'Content-Type': 'text/occi',
                'Category': '%s; scheme="%s"; class="mixin"; location="%s"'
                            % (term, SCHEME, location)}), timeout=10)
        return resp

    def members(self, client=None):
        return sorted(_path(u) for u in
                      (client or self.client).list('/tagged/'))

    def add(self, location, method='POST', client=None):
        return requests.request(method, self.url + 'tagged/', headers=dict(
            (client or self.client).headers, **{
                'Content-Type': 'text/occi',
                'X-OCCI-Location': _path(location)}),
            timeout=10)

    def test_title_and_summary_updates_are_stored(self):
        location = _path(self.client.create('/svc/', KIND, {
            'svc.size': 1, 'occi.core.title': 'first'}))
        self.wait_state(location, {states.FAILED})
        echoed = self.client.update(location, KIND, {
            'occi.core.title': 'second', 'occi.core.summary': 'why'})
        self.assertEqual('second', echoed.attributes['occi.core.title'])
        for _ in range(2):
            attrs = self.client.get(location).attributes
            self.assertEqual('second', attrs['occi.core.title'])
            self.assertEqual('why', attrs['occi.core.summary'])
            self.assertEqual(states.FAILED, attrs['mcn.service.state'])
            self.restart()
        # the lifecycle's record is untouched
        row = self.store.load(location.rsplit('/', 1)[-1])
        self.assertEqual({'svc.size': 1, 'occi.core.title': 'first'},
                         row.attributes)

    def test_mixin_membership_is_stored_and_survives_a_restart(self):
        self.assertEqual(200, self.define().status_code)
        one = _path(self.client.create('/svc/', KIND, {'svc.size': 1}))
        two = _path(self.client.create('/svc/', KIND, {'svc.size': 2}))
        self.assertEqual([], self.members())
        # (accepted once the instance is no longer busy: failed, without
        # a CC)
        self.wait_state(one, {states.FAILED})
        self.assertEqual(200, self.add(one).status_code)
        self.assertEqual([one], self.members())
        self.assertEqual([SCHEME + 'tagged'],
                         [m.id for m in self.client.get(one).mixins])
        self.restart()
        self.assertIn(SCHEME + 'tagged', [c.id for c in self.client.query()])
        self.assertEqual([one], self.members())
        # a member by update (mixin in the Category of a POST)
        self.wait_state(two, {states.FAILED})
        self.client.update(two, KIND, {}, mixins=[MINE])
        self.assertEqual(sorted([one, two]), self.members())
        # a member from its creation
        three = _path(self.client.create('/svc/', KIND, {'svc.size': 3},
                                         mixins=[MINE]))
        self.assertEqual(sorted([one, two, three]), self.members())
        # removing (DELETE on the collection with X-OCCI-Location)
        self.wait_state(three, {states.FAILED})
        self.assertEqual(200, self.add(one, method='DELETE').status_code)
        self.restart()
        self.assertEqual(sorted([two, three]), self.members())
        self.assertEqual([], self.client.get(one).mixins)

    def test_deleted_mixin_leaves_its_members(self):
        self.assertEqual(200, self.define().status_code)
        one = _path(self.client.create('/svc/', KIND, {'svc.size': 1}))
        self.wait_state(one, {states.FAILED})
        self.assertEqual(200, self.add(one).status_code)
        resp = requests.delete(self.url + '-/', headers=dict(
            self.client.headers, **{
                'Content-Type': 'text/occi',
                'Category': 'tagged; scheme="%s"; class="mixin"' % SCHEME}),
            timeout=10)
        self.assertEqual(200, resp.status_code, resp.text)
        self.restart()
        self.assertEqual([], self.client.get(one).mixins)
        self.assertRaises(errors.NotFound, self.client.list, '/tagged/')
        row = self.store.load(one.rsplit('/', 1)[-1])
        self.assertEqual([], row.mixins)
        # defined again: an empty collection, not the old members
        self.assertEqual(200, self.define().status_code)
        self.assertEqual([], self.members())

    def test_no_mixin_in_the_sms_own_scheme(self):
        # A user mixin must not shadow the service kinds (trial findings).
        resp = requests.post(self.url + '-/', headers=dict(
            self.client.headers, **{
                'Content-Type': 'text/occi',
                'Category': 'svc2; scheme="%s"; class="mixin"; '
                            'location="/svc2/"' % KIND.scheme}),
            timeout=10)
        self.assertEqual(403, resp.status_code, resp.text)
        self.assertIn(KIND.scheme, resp.text)
        self.assertNotIn('svc2', [c.term for c in self.client.query()])

    def test_mixins_are_per_project(self):
        other = occi_client.OCCIClient(
            self.url, headers={'X-Project-Id': 'p2'}, retries=0)
        self.assertEqual(200, self.define().status_code)
        theirs = _path(other.create('/svc/', KIND, {'svc.size': 1}))
        self.assertNotIn(SCHEME + 'tagged', [c.id for c in other.query()])
        self.assertEqual(404, self.add(theirs, client=other).status_code)
        # (no longer busy, or the update is a 409 before its categories
        # are looked at)
        deadline = time.monotonic() + 30
        while self.store.load(theirs.rsplit('/', 1)[-1]).state != \
                states.FAILED:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)
        self.assertRaises(errors.BadRequest, other.update, theirs, KIND, {},
                          mixins=[MINE])
        # nor can the owner add another project's instance
        self.assertEqual(400, self.add(theirs).status_code)
        # the same term and location are free for the other project
        self.assertEqual(200, self.define(client=other).status_code)
        self.assertEqual(200, self.add(theirs, client=other).status_code)
        self.assertEqual([theirs], self.members(client=other))
        self.assertEqual([], self.members())

    def test_definitions_are_rows_with_a_limit(self):
        self.conf.set_override('max_user_mixins', 2, group='occi')
        self.restart()
        for index in range(2):
            self.assertEqual(200, self.define(
                term='m%d' % index, location='/m%d/' % index).status_code)
        resp = self.define(term='m2', location='/m2/')
        self.assertEqual(403, resp.status_code)
        for loc in ('/../x/', '/svc/inside/'):
            self.assertEqual(400, self.define(term='x',
                                              location=loc).status_code)
        sessions = db_engine.sessionmaker(self.conf.database.connection)
        with sessions() as session:
            rows = session.query(models.UserMixin).all()
        self.assertEqual([('p1', 'm0', '/m0/'), ('p1', 'm1', '/m1/')],
                         sorted((r.project, r.term, r.location)
                                for r in rows))

    def test_public_url_and_path_category_locations(self):
        self.conf.set_override('public_url', 'https://sm.example/base/',
                               group='sm')
        self.conf.set_override('category_locations', 'path', group='occi')
        self.restart()
        resp = requests.post(self.url + 'svc/', headers={
            'X-Project-Id': 'p1', 'Content-Type': 'text/occi',
            'Category': 'svc; scheme="http://example.org/occi/sm#"; '
                        'class="kind"',
            'X-OCCI-Attribute': 'svc.size=1', 'Host': '10.0.0.5:8888'},
            timeout=10)
        self.assertEqual(201, resp.status_code, resp.text)
        self.assertTrue(resp.headers['Location'].startswith(
            'https://sm.example/base/svc/'))
        query = requests.get(self.url + '-/', headers={
            'X-Project-Id': 'p1', 'Accept': 'text/plain'}, timeout=10)
        self.assertIn('location="/base/svc/"', query.text)


class MixinCollectionStatesTest(testtools.TestCase):
    """Adding instances to a user mixin's collection and removing them
    (``POST``, ``PUT``, ``DELETE`` on its location with locations)
    follows the rule of a ``POST`` that changes only the mixins: accepted
    while active, degraded or failed, 409 naming the state while busy,
    all or nothing for several locations (trial finding: the mixins of
    instances being deleted changed)."""

    def setUp(self):
        super().setUp()
        self.sm = self.useFixture(sm_server.SMServer(
            {'svc.size': 'required'}))
        self.store, self.client = self.sm.store, self.sm.client
        resp = TestOCCIChangesPersist.define(self)
        self.assertEqual(200, resp.status_code, resp.text)
        self.one, self.two = (
            _path(self.client.create('/svc/', KIND, {'svc.size': size}))
            for size in (1, 2))
        for location in (self.one, self.two):
            self.wait_failed(location)

    @property
    def url(self):
        return self.sm.url

    def wait_failed(self, location):
        deadline = time.monotonic() + 30
        while self.row(location).state != states.FAILED:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)

    def row(self, location):
        return self.store.load(location.rsplit('/', 1)[-1])

    def move(self, location, state):
        """``location``'s instance to ``state`` (``destroy``: a delete
        begun, as ``DELETE`` does)."""
        self.assertTrue(sm_server.move(
            self.store, location.rsplit('/', 1)[-1], state))

    def change(self, method, *locations, form='text/occi'):
        """``method`` on ``/tagged/`` with ``locations`` in ``form``."""
        if form == 'text/occi':
            body = ''
            headers = {'X-OCCI-Location': ', '.join(locations)}
        elif form == 'text/uri-list':
            body = '\r\n'.join(self.url.rstrip('/') + loc
                               for loc in locations)
            headers = {}
        else:
            body = json.dumps(list(locations))
            headers = {}
        headers['Content-Type'] = form
        return requests.request(method, self.url + 'tagged/', data=body,
                                headers=dict(self.client.headers,
                                             **headers), timeout=10)

    def mixins(self):
        return [self.row(loc).mixins or [] for loc in (self.one, self.two)]

    def test_busy_instances_keep_their_mixins(self):
        tagged = [SCHEME + 'tagged']
        self.assertEqual(200, self.change('POST', self.one,
                                          self.two).status_code)
        # Whatever the request would change of the busy instance (even
        # nothing: it is a member already), named or removed by a PUT.
        for state in sorted(states.BUSY):
            self.move(self.one, state)
            for method, locations in (('POST', (self.one,)),
                                      ('POST', (self.two, self.one)),
                                      ('DELETE', (self.one,)),
                                      ('DELETE', (self.two, self.one)),
                                      ('PUT', (self.one, self.two)),
                                      ('PUT', (self.two,)),
                                      ('PUT', ())):
                for form in ('text/occi', 'text/uri-list',
                             'application/occi+json'):
                    resp = self.change(method, *locations, form=form)
                    self.assertEqual(409, resp.status_code,
                                     (state, method, form, resp.text))
                    self.assertIn(
                        '%s: instance is in state %s; only an instance in '
                        'state active or degraded can be updated (one in '
                        'state failed only in its title, summary and '
                        'mixins)' % (self.one, state), resp.text)
                    self.assertIn('nothing was changed', resp.text)
            self.assertEqual([tagged, tagged], self.mixins(), state)
            self.assertEqual(state, self.row(self.one).state)
        # Two refused: both named.
        self.move(self.one, states.DESTROY)
        self.move(self.two, states.PROVISION)
        resp = self.change('POST', self.one, self.two)
        self.assertEqual(409, resp.status_code, resp.text)
        self.assertIn('2 of 2 refused: %s: instance is in state destroy'
                      % self.one, resp.text)
        self.assertIn('%s: instance is in state provision' % self.two,
                      resp.text)
        self.assertEqual([tagged, tagged], self.mixins())

    def test_editable_instances_change(self):
        tagged = [SCHEME + 'tagged']
        for state in sorted(states.EDITABLE):
            self.move(self.one, state)
            self.move(self.two, state)
            for method, locations, expected in (
                    ('POST', (self.one, self.two), [tagged, tagged]),
                    ('DELETE', (self.one,), [[], tagged]),
                    ('PUT', (self.one,), [tagged, []]),
                    ('DELETE', (self.one, self.two), [[], []])):
                resp = self.change(method, *locations)
                self.assertEqual(200, resp.status_code, resp.text)
                self.assertEqual(expected, self.mixins(), (state, method))
            self.assertEqual(state, self.row(self.one).state)

    def test_a_delete_begun_after_the_check_wins(self):
        # The check pins the instance to the operation it read: a delete
        # that begins before the write leaves the mixins as they were.
        extras = {'project': 'p1', 'user': 'u1', 'roles': ['member']}
        back = api.ServiceBackend(self.sm.manifest, self.store,
                                  self.sm.lifecycle)
        key = self.one
        entity = self.store.get(key, extras)
        back.check_mixins(entity, extras)
        self.move(self.one, states.DESTROY)
        entity.mixins.append(self.sm.application.registry.get_category(
            '/tagged/', extras))
        err = self.assertRaises(errors.Conflict, self.store.update, key,
                                entity, extras)
        self.assertIn('instance is in state destroy', err.message)
        self.assertEqual([], self.row(self.one).mixins or [])
        # Being deleted, then gone: refused.
        for _ in range(2):
            err = self.assertRaises(errors.Conflict, back.check_mixins,
                                    entity, extras)
            self.assertIn('instance is in state destroy', err.message)
            self.assertTrue(self.store.purge(self.one.rsplit('/', 1)[-1]) or
                            self.row(self.one) is None)


class DNSRebindingTest(testtools.TestCase):
    """A page whose DNS name was pointed at 127.0.0.1 reaches the noauth
    SM with its own name in ``Host``: refused, nothing stored."""

    def setUp(self):
        super().setUp()
        self.sm = self.useFixture(sm_server.SMServer(
            {'svc.size': 'required'}))

    def post(self, host):
        return requests.post(self.sm.url + 'svc/', headers={
            'Content-Type': 'text/occi', 'Host': host,
            'Category': 'svc; scheme="http://example.org/occi/sm#"; '
                        'class="kind"',
            'X-OCCI-Attribute': 'svc.size=1'}, timeout=10)

    def test_a_foreign_name_is_refused_and_nothing_is_stored(self):
        port = self.sm.url.split(':')[2].split('/')[0]
        for method in ('GET', 'POST', 'OPTIONS'):
            resp = requests.request(
                method, self.sm.url + 'svc/',
                headers={'Host': 'rebound.example:%s' % port,
                         'Origin': 'http://rebound.example:%s' % port},
                timeout=10)
            self.assertEqual(400, resp.status_code)
            self.assertIn('[sm] allowed_hosts', resp.text)
        self.assertEqual(400, self.post('rebound.example').status_code)
        self.assertEqual([], self.sm.client.list('/svc/'))
        self.assertEqual(201, self.post('localhost:%s' % port).status_code)
        self.assertEqual(1, len(self.sm.client.list('/svc/')))

    def test_options_asterisk_is_guarded_too(self):
        port = self.sm.url.split(':')[2].split('/')[0]
        for host, code in (('rebound.example:%s' % port, 400),
                           ('localhost:%s' % port, 200)):
            conn = http.client.HTTPConnection('127.0.0.1', int(port),
                                              timeout=10)
            self.addCleanup(conn.close)
            conn.request('OPTIONS', '*', headers={'Host': host})
            resp = conn.getresponse()
            self.assertEqual(code, resp.status, host)
            if code == 400:
                self.assertIn(b'[sm] allowed_hosts', resp.read())

    def test_allowed_hosts_lets_a_name_through(self):
        self.sm.conf.set_override('allowed_hosts', ['sm.internal'],
                                  group='sm')
        self.sm.start()
        self.assertEqual(201, self.post('sm.internal').status_code)
        self.assertEqual(400, self.post('evil.example').status_code)

    def test_keystone_mode_does_not_check_unless_configured(self):
        self.sm.conf.set_override('auth_strategy', 'keystone')
        self.sm.conf.set_override('trusts', False, group='deployer')
        self.sm.start()
        # (The test server's middleware is still noauth: only the SM's
        # own guard is switched by auth_strategy.)
        resp = self.post('sm.example')
        self.assertEqual(201, resp.status_code, resp.text)


class UnstorableValuesTest(testtools.TestCase):
    """Values that cannot travel in a header or be stored answer 400 and
    store nothing (trial findings: they were stored, then failed the
    lifecycle or any text rendering with a 500)."""

    def setUp(self):
        super().setUp()
        self.sm = self.useFixture(sm_server.SMServer(
            {'svc.size': 'required'}))

    def post_json(self, body):
        return requests.post(self.sm.url + 'svc/', data=body, headers={
            'Content-Type': 'application/occi+json'}, timeout=10)

    def test_control_characters_and_lone_surrogates_are_refused(self):
        kind = '"kind": "http://example.org/occi/sm#svc"'
        for value, what in (('"a\\u0001b"', 'control characters'),
                            ('"a\\u0000b"', 'control characters'),
                            ('"a\\u007fb"', 'control characters'),
                            ('"a\\ud800b"', 'surrogate')):
            resp = self.post_json('{%s, "attributes": {"svc.size": %s}}'
                                  % (kind, value))
            self.assertEqual(400, resp.status_code, value)
            self.assertIn(what, resp.text)
        resp = requests.post(self.sm.url + 'svc/', headers={
            'Content-Type': 'text/occi',
            'Category': 'svc; scheme="http://example.org/occi/sm#"; '
                        'class="kind"',
            'X-OCCI-Attribute': 'svc.size="a\x01b"'}, timeout=10)
        self.assertEqual(400, resp.status_code)
        self.assertEqual([], self.sm.client.list('/svc/'))
        # Tab, line feed and carriage return are text.
        resp = self.post_json('{%s, "attributes": {"svc.size": '
                              '"a\\tb\\nc\\r"}}' % kind)
        self.assertEqual(201, resp.status_code, resp.text)
