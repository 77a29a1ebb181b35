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
"""The CC's liveness probe (hurtle.cc.liveness) against real sockets on
127.0.0.1: a server that answers, one that takes connections and never
answers (as a SIGSTOPped SO), and a port nobody listens on."""
import http.server
import socket
import threading
import time

import testtools

from hurtle.cc import liveness
from hurtle import polling
from hurtle import so_liveness
from tests import http_answers

TIMEOUT = 0.3


class ProbeTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                 http_answers.Unauthorized)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        self.answering = 'http://127.0.0.1:%d/' % server.server_port
        # Listens, never accepts: the kernel takes the connection, nobody
        # reads the request (an SO stopped with SIGSTOP).
        silent = socket.socket()
        silent.bind(('127.0.0.1', 0))
        silent.listen(16)
        self.addCleanup(silent.close)
        self.silent = 'http://127.0.0.1:%d/' % silent.getsockname()[1]
        closed = socket.socket()
        closed.bind(('127.0.0.1', 0))
        self.closed = 'http://127.0.0.1:%d/' % closed.getsockname()[1]
        closed.close()

    def test_any_http_answer_is_alive(self):
        self.assertIsNone(so_liveness.probe(self.answering, TIMEOUT))

    def test_no_answer_and_no_listener_are_failures(self):
        start = time.monotonic()
        self.assertEqual('no answer within 0.3 s',
                         so_liveness.probe(self.silent, TIMEOUT))
        self.assertLess(time.monotonic() - start, 5)
        self.assertEqual('unreachable (Connection refused)',
                         so_liveness.probe(self.closed, TIMEOUT))

    def test_the_url_is_followed_as_given(self):
        # https is spoken as TLS (the plain HTTP server cannot answer it:
        # no HTTP answer), and anything but an http(s) URL is refused.
        reason = so_liveness.probe(
            self.answering.replace('http:', 'https:'), TIMEOUT)
        self.assertTrue(reason.startswith('unreachable ('), reason)
        self.assertIsNone(so_liveness.probe(self.answering + 'so/', TIMEOUT))
        for url in ('ftp://127.0.0.1:1/', '127.0.0.1:1', 'http:///'):
            self.assertRaises(ValueError, so_liveness.probe, url, TIMEOUT)

    def prober(self, failures=2):
        prober = liveness.Prober(failures, TIMEOUT, 0.05)
        self.addCleanup(prober.close)
        return prober

    def until_reason(self, prober, app_id, url, timeout=10):
        return polling.poll_until(lambda: prober.observe(app_id, url),
                                  timeout, 0.02, 'unanswering')

    def test_failures_in_a_row_make_an_so_unanswering(self):
        prober = self.prober()
        reason = self.until_reason(prober, 'a', self.silent)
        self.assertEqual('it did not answer 2 liveness probes in a row (GET '
                         '%s-/: no answer within 0.3 s)' % self.silent,
                         reason)
        # Still so until forgotten (the watcher killed it).
        self.assertEqual(reason, prober.observe('a', self.silent))
        prober.forget('a')
        self.assertIsNone(prober.observe('a', self.silent))

    def test_an_answering_so_never_is(self):
        prober = self.prober(failures=1)
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            self.assertIsNone(prober.observe('a', self.answering))
            time.sleep(0.02)

    def test_a_new_url_starts_afresh(self):
        prober = self.prober()
        self.until_reason(prober, 'a', self.silent)
        # The app's SO was restarted elsewhere: its count starts again.
        self.assertIsNone(prober.observe('a', self.answering))
        prober.retain([])
        self.assertIsNone(prober.observe('a', self.silent))

    def test_silent_sos_do_not_hold_the_probes_of_others(self):
        prober = self.prober()
        silent = ['s%d' % n for n in range(liveness.PROBE_THREADS * 2)]
        for app_id in silent:
            prober.observe(app_id, self.silent)
        # Every thread waits for a silent SO: a probe of an answering SO
        # queued behind them still runs once one is free, and counts no
        # failure.
        prober.observe('ok', self.answering)
        for app_id in silent:
            self.until_reason(prober, app_id, self.silent)
        self.assertIsNone(prober.observe('ok', self.answering))
        self.assertLessEqual(len(prober._threads), liveness.PROBE_THREADS)
