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
"""Conditional and held GETs (ETag, If-None-Match, Prefer: wait) over a
real server and a small backend that can tell of changes."""

import threading
import time

from occi import backend
from occi import core_model
import requests
import testtools

from hurtle.occi import app as occi_app
from hurtle.occi import client as occi_client
from hurtle.occi import conditional
from hurtle.occi import errors
from hurtle.occi import server

from tests.unit.occi import base

WATCHED = core_model.Kind('http://example.com/test#', 'watched',
                          related=[core_model.Resource.kind],
                          attributes={'x': 'mutable'}, location='/watched/')
WATCHED_CAT = 'watched; scheme="http://example.com/test#"; class="kind"'


class WatchedBackend(backend.KindBackend):
    """Entities whose changes (update, delete) wake ``wait_change``;
    ``banned`` projects are refused on retrieve (403)."""

    def __init__(self):
        self.changed = threading.Condition()
        self.banned = set()
        self.waits = []

    def _wake(self):
        with self.changed:
            self.changed.notify_all()

    def retrieve(self, entity, extras):
        if extras['project'] in self.banned:
            raise errors.Forbidden('banned')

    def update(self, old, new, extras):
        old.attributes.update(new.attributes)
        self._wake()

    def delete(self, entity, extras):
        self._wake()

    def wait_change(self, entity, extras, timeout):
        self.waits.append(timeout)
        with self.changed:
            self.changed.wait(timeout)


class LongPollTest(testtools.TestCase):

    options = {}

    def setUp(self):
        super().setUp()
        self.app = occi_app.Application()
        self.watched = WatchedBackend()
        self.app.register_backend(WATCHED, self.watched)
        self.apps = base.AppBackend()
        self.app.register_backend(base.categories.APP, self.apps)
        self.server, self.thread = server.serve_in_thread(self.app,
                                                          **self.options)
        self.addCleanup(self._stop)
        self.base = 'http://127.0.0.1:%d' % self.server.server_port
        self.http = requests.Session()
        self.addCleanup(self.http.close)
        self.loc = self.create()

    def _stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    def req(self, method, path, headers=None, project='p1', fresh=False):
        """One request; ``fresh``: on a connection of its own (another
        thread's request)."""
        all_headers = {'X-Project-Id': project}
        all_headers.update(headers or {})
        url = path if '://' in path else self.base + path
        send = requests.request if fresh else self.http.request
        return send(method, url, headers=all_headers,
                    allow_redirects=False, timeout=30)

    def create(self):
        resp = self.req('POST', '/watched/', {
            'Content-Type': 'text/occi', 'Category': WATCHED_CAT,
            'X-OCCI-Attribute': 'x="1"'})
        self.assertEqual(201, resp.status_code, resp.text)
        return resp.headers['Location']

    def change(self, value, after=0.0, delete=False):
        """Update (or delete) the entity from another thread."""
        def run():
            time.sleep(after)
            if delete:
                self.req('DELETE', self.loc, fresh=True)
            else:
                requests.post(self.loc, headers={
                    'X-Project-Id': 'p1', 'Content-Type': 'text/occi',
                    'Category': WATCHED_CAT,
                    'X-OCCI-Attribute': 'x="%s"' % value}, timeout=10)
        thread = threading.Thread(target=run)
        thread.start()
        self.addCleanup(thread.join, 10)

    def tag(self, headers=None):
        resp = self.req('GET', self.loc, headers)
        self.assertEqual(200, resp.status_code)
        return resp.headers['ETag']

    def held(self, tag, wait, **kwargs):
        start = time.monotonic()
        resp = self.req('GET', self.loc, {'If-None-Match': tag,
                                          'Prefer': 'wait=%s' % wait},
                        **kwargs)
        return resp, time.monotonic() - start


class TestConditional(LongPollTest):

    def test_get_has_a_strong_etag_per_representation(self):
        first = self.tag()
        self.assertRegex(first, r'^"[0-9a-f]{20}"$')
        self.assertEqual(first, self.tag())
        self.assertNotEqual(first, self.tag({'Accept': 'text/occi'}))
        self.assertNotEqual(first,
                            self.tag({'Accept': 'application/occi+json'}))
        head = self.req('HEAD', self.loc)
        self.assertEqual(first, head.headers['ETag'])

    def test_etag_changes_with_the_entity(self):
        first = self.tag()
        self.change('2')
        time.sleep(0.5)
        self.assertNotEqual(first, self.tag())

    def test_if_none_match_answers_304_without_body(self):
        tag = self.tag()
        for value in (tag, 'W/' + tag, '"other", ' + tag, '*'):
            resp = self.req('GET', self.loc, {'If-None-Match': value})
            self.assertEqual(304, resp.status_code, value)
            self.assertEqual(tag, resp.headers['ETag'])
            self.assertEqual(b'', resp.content)
            self.assertNotIn('Preference-Applied', resp.headers)
        # The connection stays usable after a 304 (keep-alive).
        self.assertEqual(200, self.req('GET', self.loc).status_code)

    def test_other_tag_answers_200(self):
        resp = self.req('GET', self.loc, {'If-None-Match': '"nope"'})
        self.assertEqual(200, resp.status_code)
        self.assertIn('x="1"', resp.text)

    def test_malformed_headers_are_ignored(self):
        tag = self.tag()
        for value in ('nope', '"a" "b"', tag[1:], ','):
            resp = self.req('GET', self.loc, {'If-None-Match': value})
            self.assertEqual(200, resp.status_code, value)
        for prefer in ('wait=abc', 'wait=-1', 'wait', 'wait=1e9',
                       'respond-async', ''):
            start = time.monotonic()
            resp = self.req('GET', self.loc, {'If-None-Match': tag,
                                              'Prefer': prefer})
            self.assertEqual(304, resp.status_code, prefer)
            self.assertLess(time.monotonic() - start, 1.0, prefer)
            self.assertNotIn('Preference-Applied', resp.headers)

    def test_another_project_gets_404(self):
        tag = self.tag()
        resp = self.req('GET', self.loc, {'If-None-Match': tag,
                                          'Prefer': 'wait=5'},
                        project='p2')
        self.assertEqual(404, resp.status_code)


class TestHeld(LongPollTest):

    def test_held_until_the_entity_changes(self):
        tag = self.tag()
        self.change('2', after=0.3)
        resp, took = self.held(tag, 10)
        self.assertEqual(200, resp.status_code)
        self.assertIn('x="2"', resp.text)
        self.assertNotEqual(tag, resp.headers['ETag'])
        self.assertEqual('wait=10', resp.headers['Preference-Applied'])
        self.assertGreater(took, 0.25)
        self.assertLess(took, 5)

    def test_304_after_the_wait(self):
        tag = self.tag()
        resp, took = self.held(tag, 1)
        self.assertEqual(304, resp.status_code)
        self.assertEqual(tag, resp.headers['ETag'])
        self.assertEqual('wait=1', resp.headers['Preference-Applied'])
        self.assertGreater(took, 0.9)
        self.assertLess(took, 5)

    def test_404_when_deleted_meanwhile(self):
        tag = self.tag()
        self.change(None, after=0.3, delete=True)
        resp, took = self.held(tag, 10)
        self.assertEqual(404, resp.status_code)
        self.assertLess(took, 5)

    def test_authorization_checked_at_each_look(self):
        tag = self.tag()

        def ban():
            time.sleep(0.3)
            self.watched.banned.add('p1')
            self.watched._wake()
        thread = threading.Thread(target=ban)
        thread.start()
        self.addCleanup(thread.join)
        resp, took = self.held(tag, 10)
        self.assertEqual(403, resp.status_code)
        self.assertLess(took, 5)

    def test_no_hold_without_wait_change(self):
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/occi', 'Category': base.APP_CAT,
            'X-OCCI-Attribute': 'occi.app.name="a", occi.app.image="i"'})
        loc = resp.headers['Location']
        tag = self.req('GET', loc).headers['ETag']
        start = time.monotonic()
        resp = self.req('GET', loc, {'If-None-Match': tag,
                                     'Prefer': 'wait=10'})
        self.assertEqual(304, resp.status_code)
        self.assertNotIn('Preference-Applied', resp.headers)
        self.assertLess(time.monotonic() - start, 1.0)

    def test_client_look(self):
        client = occi_client.OCCIClient(self.base, timeout=5,
                                        headers={'X-Project-Id': 'p1'})
        first = client.look(self.loc)
        self.assertTrue(first.changed)
        self.assertFalse(first.held)
        self.assertEqual('1', str(first.info.attributes['x']))
        same = client.look(self.loc, etag=first.etag)
        self.assertFalse(same.changed)
        self.assertIsNone(same.info)
        self.assertEqual(first.etag, same.etag)
        self.change('3', after=0.3)
        # The wait (8 s) is beyond the client's own timeout (5 s).
        later = client.look(self.loc, etag=first.etag, wait=8)
        self.assertTrue(later.changed)
        self.assertTrue(later.held)
        self.assertEqual('3', str(later.info.attributes['x']))
        self.change(None, after=0.3, delete=True)
        self.assertRaises(errors.NotFound, client.look, self.loc,
                          etag=later.etag, wait=8)


class TestHoldLimits(LongPollTest):

    options = {'max_wait': 0.5, 'max_held': 1}

    def test_wait_is_capped(self):
        tag = self.tag()
        resp, took = self.held(tag, 30)
        self.assertEqual(304, resp.status_code)
        self.assertEqual('wait=1', resp.headers['Preference-Applied'])
        self.assertLess(took, 3)
        self.assertLessEqual(max(self.watched.waits), 0.5)

    def test_past_the_limit_answered_at_once(self):
        tag = self.tag()
        first = {}

        def hold():
            first['resp'], _took = self.held(tag, 30, fresh=True)
        # max_wait is 0.5 s here: keep one held by asking again and again.
        self.server.holds.max_wait = 3.0
        thread = threading.Thread(target=hold)
        thread.start()
        self.addCleanup(thread.join, 10)
        deadline = time.monotonic() + 2
        while self.server.holds.count < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(1, self.server.holds.count)
        resp, took = self.held(tag, 30)
        self.assertEqual(304, resp.status_code)
        self.assertNotIn('Preference-Applied', resp.headers)
        self.assertLess(took, 1.0)
        thread.join(10)
        self.assertEqual('wait=3', first['resp'].headers[
            'Preference-Applied'])


class TestServerStop(LongPollTest):

    def test_stop_ends_held_requests(self):
        tag = self.tag()
        outcome = {}

        def hold():
            start = time.monotonic()
            try:
                outcome['status'] = requests.get(self.loc, headers={
                    'X-Project-Id': 'p1', 'If-None-Match': tag,
                    'Prefer': 'wait=20'}, timeout=30).status_code
            except requests.RequestException as exc:
                outcome['status'] = type(exc).__name__
            outcome['took'] = time.monotonic() - start
        thread = threading.Thread(target=hold)
        thread.start()
        deadline = time.monotonic() + 2
        while self.server.holds.count < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        self.assertEqual(1, self.server.holds.count)
        self.server.shutdown()
        thread.join(10)
        self.assertLess(outcome['took'], 3, outcome)
        self.assertNotEqual(200, outcome['status'])


class TestParsing(testtools.TestCase):

    def test_prefer(self):
        for value, wanted in (('wait=5', 5.0), ('WAIT = 2.5', 2.5),
                              ('respond-async, wait=3', 3.0),
                              ('wait="4"', 4.0), ('wait=3; x=y', 3.0),
                              (None, None), ('wait=-1', None),
                              ('wait=x', None), ('handling=lenient', None),
                              # Long values are capped by max_wait later,
                              # not ignored.
                              ('wait=99999999999', 99999999999.0),
                              ('wait=' + '9' * 31, None)):
            environ = {} if value is None else {'HTTP_PREFER': value}
            self.assertEqual(wanted, conditional.prefer_wait(environ),
                             value)

    def test_if_none_match(self):
        for value, wanted in (('"a"', ['"a"']), ('W/"a", "b"', ['"a"',
                                                                '"b"']),
                              (' * ', ['*']), ('a', None), ('', None)):
            self.assertEqual(wanted, conditional.if_none_match(
                {'HTTP_IF_NONE_MATCH': value}), value)
        self.assertIsNone(conditional.if_none_match({}))
