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
"""``[wsgi]`` reaches a real API process: a ``hurtle-sm`` started with a
short ``client_socket_timeout`` and a pool of 3 cuts stalled clients off
with 408, answers 503 with Retry-After while they hold every worker, and
serves normal requests again once they are gone. It answers OPTIONS on
its paths, and ``OPTIONS *`` after its ``Host`` guard.
"""
import os
import signal
import socket
import subprocess
import sys
import time

import fixtures
import requests
import testtools

from tests.functional import hurtle_fixture
from tests import net

CONF = """
[DEFAULT]
state_path = {state}
auth_strategy = noauth
noauth_default_project = demo

[sm]
port = {port}
manifests = {manifest}
cc_url = http://127.0.0.1:{cc_port}/

[wsgi]
client_socket_timeout = 1.5
client_body_timeout = 1.5
wsgi_default_pool_size = 3
retry_after = 7
"""


def _read_all(sock, limit=20):
    sock.settimeout(limit)
    chunks = []
    while True:
        try:
            data = sock.recv(65536)
        except (ConnectionResetError, socket.timeout):
            break
        if not data:
            break
        chunks.append(data)
    return b''.join(chunks)


class ServerLimitsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        state = self.useFixture(fixtures.TempDir()).path
        ports = net.Ports()
        self.addCleanup(ports.release)
        self.port = ports.take()
        conf = os.path.join(state, 'hurtle.conf')
        with open(conf, 'w') as handle:
            handle.write(CONF.format(state=state, port=self.port,
                                     manifest=hurtle_fixture.SAMPLE_MANIFEST,
                                     cc_port=ports.take()))
        out_path = os.path.join(state, 'sm.out')
        out = open(out_path, 'wb')
        self.addCleanup(out.close)
        proc = subprocess.Popen(
            [sys.executable, '-m', 'hurtle.cmd.sm', '--config-file', conf],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            cwd=hurtle_fixture.ROOT)

        def _stop():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(30)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self.addCleanup(_stop)
        deadline = time.monotonic() + 60
        while True:
            with open(out_path, 'rb') as handle:
                if b'listening on' in handle.read():
                    break
            self.assertIsNone(proc.poll(), 'hurtle-sm exited')
            self.assertLess(time.monotonic(), deadline, 'never listened')
            time.sleep(0.1)
        self.url = 'http://127.0.0.1:%d/' % self.port

    def stall(self, data):
        sock = socket.create_connection(('127.0.0.1', self.port), timeout=10)
        self.addCleanup(sock.close)
        sock.sendall(data)
        return sock

    def test_stalled_clients_saturation_and_recovery(self):
        # (no request before: its worker might not be free yet)
        stalled = [self.stall(b'GET /-/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAcc'),
                   self.stall(b'GET /-/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAcc'),
                   self.stall(b'POST /sample/ HTTP/1.1\r\nHost: 127.0.0.1\r\n'
                              b'Content-Length: 100\r\n\r\nab')]
        busy = self.stall(b'GET /-/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
        answer = _read_all(busy)
        self.assertTrue(answer.startswith(b'HTTP/1.1 503'), answer[:80])
        self.assertIn(b'retry-after: 7', answer.lower())
        for sock in stalled:
            self.assertTrue(_read_all(sock).startswith(b'HTTP/1.1 408'))
        deadline = time.monotonic() + 10
        while True:
            resp = requests.get(self.url + '-/', timeout=10)
            if resp.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        self.assertEqual(200, resp.status_code)

    def test_options(self):
        # OPTIONS on paths (the SM's own collection and the query
        # interface), and OPTIONS * with the SM's Host guard (noauth).
        for path, allow in (('-/', 'DELETE, GET, HEAD, OPTIONS, POST'),
                            ('sample/', 'DELETE, GET, HEAD, OPTIONS, POST')):
            resp = requests.options(self.url + path, timeout=10)
            self.assertEqual(200, resp.status_code, resp.text)
            self.assertEqual(allow, resp.headers['Allow'])
        self.assertEqual(404, requests.options(self.url + 'nothing/',
                                               timeout=10).status_code)
        for host, status in ((b'rebound.example', b'400'),
                             (b'bad host', b'400'), (b'127.0.0.1', b'200')):
            answer = _read_all(self.stall(
                b'OPTIONS * HTTP/1.1\r\nHost: %s\r\nConnection: close'
                b'\r\n\r\n' % host))
            self.assertTrue(answer.startswith(b'HTTP/1.1 ' + status),
                            (host, answer[:200]))
