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
"""hurtle.occi.client against a real served OCCI app."""

import socket
import threading
import time

from hurtle.occi import categories
from hurtle.occi import client
from hurtle.occi import errors
from hurtle.occi import server
from tests import net
from tests.unit.occi import base


APP = client.CategoryRef.of(categories.APP)
START = client.CategoryRef.of(categories.APP_START)
STOP = client.CategoryRef.of(categories.APP_STOP)
SIZE = client.CategoryRef.of(base.SIZE)


class ClientTestMixin(object):
    content_type = client.TEXT_OCCI
    accept = client.TEXT_OCCI

    def setUp(self):
        super(ClientTestMixin, self).setUp()
        self.client = client.OCCIClient(
            self.base, headers={'X-Project-Id': 'p1'}, retries=0,
            content_type=self.content_type, accept=self.accept)

    def test_query(self):
        cats = {c.id: c for c in self.client.query()}
        app = cats[categories.APP.scheme + 'app']
        self.assertEqual('kind', app.cls)
        self.assertEqual(self.base + '/app/', app.location)
        self.assertEqual('required', app.attributes['occi.app.name'])
        self.assertEqual('immutable', app.attributes['occi.app.state'])
        self.assertIn(str(categories.APP_START), app.actions)
        self.assertEqual('action', cats[str(categories.APP_STOP)].cls)

    def test_lifecycle(self):
        loc = self.client.create('/app/', APP, {
            'occi.app.name': 'n, "quoted"; semi', 'occi.app.image': 'img',
            'occi.app.env': 'A=1'})
        self.assertTrue(loc.startswith(self.base + '/app/'))
        info = self.client.get(loc)
        self.assertEqual(loc, info.location)
        self.assertEqual(APP, info.kind)
        self.assertEqual('n, "quoted"; semi',
                         info.attributes['occi.app.name'])
        self.assertEqual('stopped', info.attributes['occi.app.state'])
        self.assertEqual(loc.rsplit('/', 1)[1], info.id)
        self.assertEqual([START.id], info.actions)
        self.assertTrue(info.has_action('start'))
        self.assertFalse(info.has_action(STOP))
        self.assertEqual([loc], self.client.list('/app/'))
        # relative paths work too
        self.assertEqual(loc, self.client.get(
            loc[len(self.base):]).location)

        info = self.client.update(loc, APP, {'occi.app.env': 'B=2'})
        self.assertEqual('B=2', self.client.get(loc).attributes[
            'occi.app.env'])

        self.client.action(loc, START)
        info = self.client.get(loc)
        self.assertEqual('running', info.attributes['occi.app.state'])
        self.assertEqual([STOP.id], info.actions)
        self.assertRaises(errors.Conflict, self.client.action, loc, START)

        self.client.delete(loc)
        self.assertRaises(errors.NotFound, self.client.get, loc)
        self.assertEqual([], self.client.list('/app/'))

    def test_typed_attributes_round_trip(self):
        values = {'occi.app.name': 'x', 'occi.app.image': '42',
                  'occi.app.env': 7}
        loc = self.client.create('/app/', APP, values)
        attrs = self.client.get(loc).attributes
        self.assertEqual('42', attrs['occi.app.image'])
        self.assertIsInstance(attrs['occi.app.image'], str)
        self.assertEqual(7, attrs['occi.app.env'])
        self.assertIsInstance(attrs['occi.app.env'], int)
        for value in (2.5, True, False, -3, 'true', ''):
            self.client.update(loc, APP, {'occi.app.env': value})
            got = self.client.get(loc).attributes['occi.app.env']
            self.assertEqual(value, got)
            self.assertIs(type(value), type(got))

    def test_newlines_reach_the_server_whatever_the_rendering(self):
        # The header renderings cannot carry a CR or LF: such a request
        # goes as JSON, and the value arrives as sent.
        reader = client.OCCIClient(self.base, headers={'X-Project-Id': 'p1'},
                                   retries=0, accept=client.OCCI_JSON)
        script = '#!/bin/sh\necho one\r\necho two\n'
        loc = self.client.create('/app/', APP, {
            'occi.app.name': 'n', 'occi.app.image': 'img',
            'occi.app.env': script})
        self.assertEqual(script,
                         reader.get(loc).attributes['occi.app.env'])
        self.client.update(loc, APP, {'occi.app.env': 'A=1\nB=2'})
        self.assertEqual('A=1\nB=2',
                         reader.get(loc).attributes['occi.app.env'])

    def test_non_ascii_values_round_trip(self):
        # The server sends header values as UTF-8 bytes; the client must
        # not read them as latin-1 ('h\xc3\xa9llo').
        values = {'occi.app.name': 'h\xe9llo \u2603', 'occi.app.image': 'img',
                  'occi.app.env': 'GREETING=gr\xfc\xdf \U0001f600'}
        loc = self.client.create('/app/', APP, values)
        attrs = self.client.get(loc).attributes
        self.assertEqual(values['occi.app.name'], attrs['occi.app.name'])
        self.assertEqual(values['occi.app.env'], attrs['occi.app.env'])
        self.client.update(loc, APP, {'occi.app.env': '\xe9t\xe9'})
        self.assertEqual('\xe9t\xe9',
                         self.client.get(loc).attributes['occi.app.env'])

    def test_put_create_and_replace(self):
        loc = self.client.put('/app/chosen', APP, {
            'occi.app.name': 'n', 'occi.app.image': 'i'})
        self.assertEqual(self.base + '/app/chosen', loc)
        self.client.put(loc, APP, {'occi.app.name': 'n2',
                                   'occi.app.image': 'i'})
        info = self.client.get(loc)
        self.assertEqual('n2', info.attributes['occi.app.name'])
        self.assertEqual('chosen', info.id)

    def test_mixins(self):
        loc = self.client.create('/app/', APP, {
            'occi.app.name': 'n', 'occi.app.image': 'i', 'size': 3},
            mixins=[SIZE])
        info = self.client.get(loc)
        self.assertEqual([SIZE], info.mixins)
        self.assertEqual(3, info.attributes['size'])
        self.assertEqual([loc], self.client.list('/large/'))

    def test_list_filter(self):
        a = self.client.create('/app/', APP, {'occi.app.name': 'a',
                                              'occi.app.image': 'i'})
        self.client.create('/app/', APP, {'occi.app.name': 'b',
                                          'occi.app.image': 'i'})
        self.assertEqual([a], self.client.list(
            '/app/', attributes={'occi.app.name': 'a'}))

    def test_error_mapping(self):
        err = self.assertRaises(errors.BadRequest, self.client.create,
                                '/app/', APP, {'occi.app.name': 'x'})
        self.assertEqual(400, err.code)
        self.assertIn('occi.app.image', err.message)
        self.assertRaises(errors.NotFound, self.client.get, '/app/none')
        self.assertRaises(errors.NotFound, self.client.delete, '/app/none')
        err = self.assertRaises(
            errors.BadRequest, self.client.create, '/app/',
            client.CategoryRef('http://x.org/#', 'y'), {})
        self.assertIn('http://x.org/#y', err.message)

    def test_project_header_scopes(self):
        loc = self.client.create('/app/', APP, {'occi.app.name': 'a',
                                                'occi.app.image': 'i'})
        other = client.OCCIClient(self.base,
                                  headers={'X-Project-Id': 'p2'},
                                  retries=0)
        self.assertRaises(errors.NotFound, other.get, loc)
        self.assertEqual([], other.list('/app/'))


class TestClientTextOcci(ClientTestMixin, base.ServedAppTestCase):
    pass


class TestClientTextPlain(ClientTestMixin, base.ServedAppTestCase):
    content_type = client.TEXT_PLAIN
    accept = client.TEXT_PLAIN


class TestClientJson(ClientTestMixin, base.ServedAppTestCase):
    accept = client.OCCI_JSON


class TestLargeTextOcci(base.ServedAppTestCase):
    """Long text/occi answers are split over repeated header lines."""

    def test_many_entities(self):
        c = client.OCCIClient(self.base, headers={'X-Project-Id': 'p1'},
                              retries=0)
        locs = [c.create('/app/', APP, {'occi.app.name': 'n%d' % i,
                                        'occi.app.image': 'i'})
                for i in range(300)]
        resp = self.req('GET', '/app/', {'Accept': 'text/occi'})
        self.assertEqual(200, resp.status_code)
        lines = resp.raw.headers.get_all('X-OCCI-Location')
        self.assertGreater(len(lines), 1)
        self.assertTrue(all(len(line) <= 8000 for line in lines))
        got = c._locations(resp)
        self.assertEqual(sorted(locs), sorted(got))


class _Flaky(object):
    """WSGI app answering 503 ``failures`` times (with ``Retry-After:
    retry_after`` when set), then delegating."""

    def __init__(self, app, failures):
        self.app = app
        self.failures = failures
        self.retry_after = None
        self.seen = 0
        self.lock = threading.Lock()

    def __call__(self, environ, start_response):
        with self.lock:
            self.seen += 1
            fail = self.seen <= self.failures
        if fail:
            body = b'Try again later.'
            headers = [('Content-Type', 'text/plain'),
                       ('Content-Length', str(len(body)))]
            if self.retry_after:
                headers.append(('Retry-After', self.retry_after))
            start_response('503 Service Unavailable', headers)
            return [body]
        return self.app(environ, start_response)


class TestClientRetries(base.ServedAppTestCase):

    def wrap(self, app):
        self.flaky = _Flaky(app, 2)
        return self.flaky

    def test_retries_503_then_succeeds(self):
        c = client.OCCIClient(self.base, headers={'X-Project-Id': 'p1'},
                              retries=3, backoff=0.01)
        self.assertEqual([], c.list('/app/'))
        self.assertEqual(3, self.flaky.seen)

    def test_gives_up_with_503(self):
        self.flaky.failures = 100
        c = client.OCCIClient(self.base, retries=2, backoff=0.01)
        err = self.assertRaises(errors.ServiceUnavailable, c.list, '/app/')
        self.assertEqual(503, err.code)
        self.assertEqual('Try again later.', err.message)
        self.assertEqual(3, self.flaky.seen)

    def test_retry_after_is_waited_for(self):
        self.flaky.failures = 1
        self.flaky.retry_after = '1'
        c = client.OCCIClient(self.base, headers={'X-Project-Id': 'p1'},
                              retries=1, backoff=0.01)
        started = time.monotonic()
        self.assertEqual([], c.list('/app/'))
        self.assertGreaterEqual(time.monotonic() - started, 1)
        self.assertEqual(2, self.flaky.seen)

    def test_retry_after_is_bounded(self):
        def busy(value):
            return errors.ServiceUnavailable('busy', headers=[
                ('Retry-After', value)])
        self.assertEqual(client.MAX_BACKOFF, client.retry_after(busy('3600')))
        self.assertEqual(2, client.retry_after(busy(' 2 ')))
        # An HTTP date, garbage, or none: the backoff alone.
        self.assertEqual(0, client.retry_after(
            busy('Fri, 04 Dec 2026 18:00:00 GMT')))
        self.assertEqual(0, client.retry_after(busy('-1')))
        self.assertEqual(0, client.retry_after(errors.ServiceUnavailable()))
        self.assertEqual(0, client.retry_after(None))

    def test_no_retry_once_stopping(self):
        self.flaky.failures = 100
        stop = threading.Event()
        c = client.OCCIClient(self.base, retries=5, backoff=0.01, stop=stop)
        self.assertRaises(errors.ServiceUnavailable, c.list, '/app/')
        self.assertEqual(6, self.flaky.seen)
        # Stopping: one try, its error at once.
        stop.set()
        self.flaky.seen = 0
        err = self.assertRaises(errors.ServiceUnavailable, c.list, '/app/')
        self.assertEqual('Try again later.', err.message)
        self.assertEqual(1, self.flaky.seen)

    def test_a_stop_ends_the_backoff(self):
        # Backoffs of 10 s; the stop comes during the first: one more try
        # at most (the stop may also come before the first try ended).
        self.flaky.failures = 100
        stop = threading.Event()
        c = client.OCCIClient(self.base, retries=3, backoff=1000, stop=stop)
        timer = threading.Timer(0.2, stop.set)
        timer.start()
        self.addCleanup(timer.cancel)
        self.assertRaises(errors.ServiceUnavailable, c.list, '/app/')
        self.assertLessEqual(self.flaky.seen, 2)

    def test_4xx_not_retried(self):
        self.flaky.failures = 0
        c = client.OCCIClient(self.base, retries=3, backoff=0.01)
        self.assertRaises(errors.NotFound, c.get, '/app/x')
        self.assertEqual(1, self.flaky.seen)


class TestClientConnection(base.ServedAppTestCase):

    def test_connection_refused(self):
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
        sock.close()
        c = client.OCCIClient('http://127.0.0.1:%d' % port, retries=1,
                              backoff=0.01, timeout=2)
        err = self.assertRaises(errors.ConnectionFailed, c.get, '/app/x')
        self.assertEqual(503, err.code)

    def test_no_answer_in_time(self):
        c = client.OCCIClient(net.silent_url(self), retries=0, timeout=0.3)
        err = self.assertRaises(errors.NoAnswer, c.get, '/app/x')
        self.assertEqual(503, err.code)
        self.assertIsInstance(err, errors.ConnectionFailed)

    def test_deadline_bounds_every_attempt_and_the_retries(self):
        # A 30 s timeout and 3 retries: 2 minutes without the deadline.
        c = client.OCCIClient(net.silent_url(self), retries=3, timeout=30,
                              deadline=time.monotonic() + 1)
        start = time.monotonic()
        self.assertRaises(errors.NoAnswer, c.get, '/app/x')
        self.assertLess(time.monotonic() - start,
                        1 + client.LAST_ATTEMPT + 1)
        # Past the deadline a request still has LAST_ATTEMPT seconds (a
        # last look gets the server's own answer), and is not retried.
        start = time.monotonic()
        self.assertRaises(errors.NoAnswer, c.delete, '/app/x', timeout=30)
        self.assertLess(time.monotonic() - start, client.LAST_ATTEMPT + 1)

    def test_server_restarts_between_retries(self):
        sock = socket.socket()
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
        sock.close()
        timer = threading.Timer(0.3, self._late_start, (port,))
        timer.start()
        self.addCleanup(timer.cancel)
        c = client.OCCIClient('http://127.0.0.1:%d' % port, retries=5,
                              backoff=0.2, timeout=2,
                              headers={'X-Project-Id': 'p'})
        self.assertEqual([], c.list('/app/'))

    def _late_start(self, port):
        srv, thread = server.serve_in_thread(self.app, port=port)
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)

    def test_bad_endpoint(self):
        self.assertRaises(ValueError, client.OCCIClient, 'localhost:80')


class TestCategoryRef(base.ServedAppTestCase):

    def test_from_header_round_trip(self):
        ref = client.CategoryRef.from_header(base.START_CAT)
        self.assertEqual(START, ref)
        self.assertEqual(ref, client.CategoryRef.from_header(str(ref)))

    def test_from_header_bad(self):
        self.assertRaises(errors.BadRequest, client.CategoryRef.from_header,
                          'app; scheme="x')
