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
"""``hurtle.cmd.common.serve`` stops on SIGTERM without waiting for its
accept loop's poll interval (``wake_accept_loop``): an SO the CC stops
for an instance's delete is waited for. The child serves with a poll
interval of 60 s, so a stop that waited for it would take a minute."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import fixtures
import testtools

from hurtle.occi import server as occi_server
from hurtle.so import host

CHILD = r'''
import sys
from oslo_config import cfg
from hurtle.cmd import common
from hurtle.conf import wsgi as wsgi_conf

common.POLL_INTERVAL = 60.0
conf = cfg.ConfigOpts()
wsgi_conf.register_opts(conf)
conf([])


def app(environ, start_response):
    start_response('200 OK', [('Content-Type', 'text/plain')])
    return [b'ok']


def bound(port):
    print(port, flush=True)


common.serve(conf, app, '127.0.0.1', 0, 'test', on_bound=bound)
print('stopped', flush=True)
'''


class TestStopOnSignal(testtools.TestCase):

    def test_sigterm_stops_at_once(self):
        child = subprocess.Popen([sys.executable, '-c', CHILD],
                                 stdout=subprocess.PIPE,
                                 stderr=subprocess.DEVNULL, text=True)
        self.addCleanup(child.stdout.close)
        self.addCleanup(lambda: child.poll() is None and child.kill())
        port = int(child.stdout.readline())
        with urllib.request.urlopen('http://127.0.0.1:%d/' % port,
                                    timeout=30) as answer:
            self.assertEqual(b'ok', answer.read())
        # Serving: the accept loop waits in its 60 s poll.
        time.sleep(0.2)
        started = time.monotonic()
        os.kill(child.pid, signal.SIGTERM)
        self.assertEqual(0, child.wait(30))
        elapsed = time.monotonic() - started
        self.assertEqual('stopped\n', child.stdout.read())
        # Interpreter exit included; the poll interval would be 60 s.
        self.assertLess(elapsed, 10.0)


class TestWakeAcceptLoop(testtools.TestCase):

    def test_no_connection_is_accepted_after(self):
        server = occi_server.make_server(lambda e, s: [], '127.0.0.1', 0)
        self.addCleanup(server.server_close)
        port = server.server_port
        occi_server.wake_accept_loop(server)
        self.assertRaises(OSError, socket.create_connection,
                          ('127.0.0.1', port), 5)

    def test_a_closed_socket_does_not_raise(self):
        server = occi_server.make_server(lambda e, s: [], '127.0.0.1', 0)
        server.server_close()
        occi_server.wake_accept_loop(server)


class TestHostedSOStop(testtools.TestCase):
    """An SO of the shared runtime's host stops without waiting for its
    accept loop's poll (``hurtle.so.host._Hosted.stop``)."""

    def test_stop_does_not_wait_for_the_poll(self):
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.so.host.POLL_INTERVAL', 60))
        server = occi_server.make_server(lambda e, s: [], '127.0.0.1', 0)
        hosted = host._Hosted('app-1', 'i-1', server)
        hosted.thread.start()
        started = time.monotonic()
        hosted.stop()
        # The poll interval would be 60 s.
        self.assertLess(time.monotonic() - started, 10.0)
        self.assertFalse(hosted.thread.is_alive())
        self.assertRaises(OSError, socket.create_connection,
                          ('127.0.0.1', server.server_port), 5)
