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
"""A throw-away RabbitMQ node for tests (doc/source/contributor/
testing.rst).

``RabbitMQ`` runs Debian's ``rabbitmq-server`` (package
``rabbitmq-server``, ``/usr/lib/rabbitmq/bin``) as the current user
on a temporary directory: AMQP on 127.0.0.1 at a free port, its own
Erlang port mapper (epmd) on another free port, no plugins; ``.url`` is
an oslo.messaging transport URL (user ``guest``, which RabbitMQ admits
from localhost only). The node and its epmd are stopped at clean-up.
``require()`` skips the test when it cannot run here, or fails it in
CI (``tests.absent``).
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import fixtures

from tests import absent
from tests import net

SERVER = '/usr/lib/rabbitmq/bin/rabbitmq-server'
HINT = 'install RabbitMQ (Debian: apt-get install rabbitmq-server)'
#: Seconds to wait for the node to accept AMQP connections.
START_TIMEOUT = 120


def unavailable():
    """Why no node can be started here (a sentence), or None."""
    if not os.access(SERVER, os.X_OK):
        return 'RabbitMQ (%s) is not installed' % SERVER
    return None


def require():
    why = unavailable()
    if why:
        absent.skip_or_fail(why, HINT)


def start_for_class(cls):
    """For a test class's ``setUpClass``, before its parent's: skip (or
    fail, see :func:`require`) without RabbitMQ, else start a node as
    ``cls.rabbit``, stopped after the class's later cleanups (those of
    the services using it)."""
    require()
    cls.rabbit = RabbitMQ()
    cls.rabbit.setUp()
    cls.addClassCleanup(cls.rabbit.cleanUp)


def _amqp_answers(port):
    """True once the node answers an AMQP 0-9-1 protocol header."""
    try:
        with socket.create_connection(('127.0.0.1', port), 2) as sock:
            sock.sendall(b'AMQP\x00\x00\x09\x01')
            sock.settimeout(5)
            return sock.recv(1) == b'\x01'   # a Connection.Start frame
    except OSError:
        return False


def _pids_with_env(entry):
    """Pids of processes whose environment holds ``entry`` (bytes)."""
    found = []
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/environ' % name, 'rb') as handle:
                if entry in handle.read().split(b'\0'):
                    found.append(int(name))
        except OSError:
            continue
    return found


class RabbitMQ(fixtures.Fixture):
    """A running RabbitMQ node; ``.url`` (``rabbit://...``),
    ``.port``, ``.dir``."""

    def _setUp(self):
        self.dir = tempfile.mkdtemp(prefix='hurtle-rabbitmq-')
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.port = net.free_port()
        epmd_port = net.free_port()
        with open(os.path.join(self.dir, 'rabbitmq.conf'), 'w') as handle:
            handle.write('listeners.tcp.default = 127.0.0.1:%d\n'
                         'loopback_users.guest = true\n' % self.port)
        open(os.path.join(self.dir, 'enabled_plugins'), 'w').close()
        self._epmd_entry = b'ERL_EPMD_PORT=%d' % epmd_port
        env = dict(
            os.environ, HOME=self.dir,
            RABBITMQ_NODENAME='hurtle-test-%d@localhost' % self.port,
            RABBITMQ_USE_LONGNAME='false',
            RABBITMQ_MNESIA_BASE=os.path.join(self.dir, 'mnesia'),
            RABBITMQ_LOG_BASE=os.path.join(self.dir, 'log'),
            RABBITMQ_CONFIG_FILE=os.path.join(self.dir, 'rabbitmq.conf'),
            RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(self.dir,
                                                       'enabled_plugins'),
            RABBITMQ_PID_FILE=os.path.join(self.dir, 'pid'),
            RABBITMQ_DIST_PORT=str(net.free_port()),
            ERL_EPMD_PORT=str(epmd_port))
        self.log_path = os.path.join(self.dir, 'server.out')
        with open(self.log_path, 'wb') as out:
            self.proc = subprocess.Popen(
                [SERVER], env=env, cwd=self.dir, stdout=out,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        self.addCleanup(self._stop)
        deadline = time.monotonic() + START_TIMEOUT
        while not _amqp_answers(self.port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                with open(self.log_path, errors='replace') as handle:
                    raise RuntimeError('RabbitMQ did not start:\n%s'
                                       % handle.read()[-2000:])
            time.sleep(0.3)
        self.url = 'rabbit://guest:guest@127.0.0.1:%d/' % self.port

    def _stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(30)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        # epmd daemonised itself out of the node's session: find ours by
        # the port we gave it.
        for pid in _pids_with_env(self._epmd_entry):
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
