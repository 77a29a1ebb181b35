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
"""hurtle-all holds its children's ports until each child listens, and
its wait for them ends when a stop is requested."""
import socket
import subprocess
import sys
import threading
import types

import fixtures
import testtools

from hurtle.cmd import all as all_cmd
from tests import net


def _conf(heat, cc, sm):
    def part(port):
        return types.SimpleNamespace(host='127.0.0.1', port=port)
    return types.SimpleNamespace(embedded_heat=part(heat), cc=part(cc),
                                 sm=part(sm))


class ReservePortsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        ports = net.Ports()
        self.addCleanup(ports.release)
        self.ports = [ports.take() for _ in range(3)]
        ports.release()

    def test_a_held_port_is_bound_by_the_child_only(self):
        held = all_cmd._reserve_ports(_conf(*self.ports))
        self.addCleanup(lambda: [s.close() for s in held.values()])
        self.assertEqual(['hurtle-heat', 'hurtle-cc', 'hurtle-sm'],
                         list(held))
        sm_port = self.ports[2]
        # Another program (no SO_REUSEADDR) cannot have it...
        with socket.socket() as other:
            self.assertRaises(OSError, other.bind, ('127.0.0.1', sm_port))
        # ...while the child's server (SO_REUSEADDR, as
        # hurtle.occi.server) binds and listens on it.
        with socket.socket() as child:
            child.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            child.bind(('127.0.0.1', sm_port))
            child.listen()
            with socket.create_connection(('127.0.0.1', sm_port), 5):
                pass

    def test_a_port_in_use_names_it_and_holds_nothing(self):
        with socket.socket() as busy:
            busy.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            busy.bind(('127.0.0.1', self.ports[1]))
            busy.listen()
            exc = self.assertRaises(RuntimeError, all_cmd._reserve_ports,
                                    _conf(*self.ports))
        self.assertIn('port %d for the CC on 127.0.0.1 is not free'
                      % self.ports[1], str(exc))
        # The Heat port it had taken first was given back.
        with socket.socket() as other:
            other.bind(('127.0.0.1', self.ports[0]))


class WaitAllStopTest(testtools.TestCase):
    """``wait_all`` of a child that never answers (its port held, not
    listening) ends on a stop request, not at its timeout."""

    def setUp(self):
        super().setUp()
        port = net.held_port(self)
        self.child = all_cmd.Child(
            'silent', None, 'http://127.0.0.1:%d/' % port,
            types.SimpleNamespace(state_path=self.useFixture(
                fixtures.TempDir()).path, config_file=[]))
        self.child.proc = subprocess.Popen(
            [sys.executable, '-c', 'import time; time.sleep(120)'])
        self.addCleanup(self.child.proc.wait)
        self.addCleanup(self.child.proc.kill)

    def test_a_stop_set_before_ends_the_wait(self):
        stop = threading.Event()
        stop.set()
        self.assertRaises(all_cmd.StopRequested, all_cmd.wait_all,
                          [self.child], timeout=600, stop=stop)

    def test_a_stop_set_meanwhile_ends_the_wait(self):
        stop = threading.Event()
        threading.Timer(0.3, stop.set).start()
        self.assertRaises(all_cmd.StopRequested, all_cmd.wait_all,
                          [self.child], timeout=600, stop=stop)

    def test_without_a_stop_the_timeout_still_applies(self):
        err = self.assertRaises(RuntimeError, all_cmd.wait_all,
                                [self.child], timeout=0.3)
        self.assertIn('silent did not answer', str(err))


class HeatChildTest(testtools.TestCase):
    """hurtle-all tells its embedded Heat the URL of its CC (stack
    events, hurtle.heat.notifier), through the environment."""

    def conf(self, **overrides):
        from tests import conf_fixture
        return self.useFixture(conf_fixture.HurtleConf(**overrides)).conf

    def test_the_heat_child_gets_the_cc_url(self):
        conf = self.conf(cc__host='0.0.0.0', cc__port=9887)
        heat, cc, sm = all_cmd.children(conf)
        self.assertEqual({'OS_EMBEDDED_HEAT__CC_URL':
                          'http://127.0.0.1:9887/'}, heat.env)
        self.assertEqual({}, cc.env)
        self.assertEqual({}, sm.env)

    def test_ipv6_and_a_configured_url(self):
        heat = all_cmd.children(self.conf(cc__host='::1'))[0]
        self.assertEqual('http://[::1]:8887/',
                         heat.env['OS_EMBEDDED_HEAT__CC_URL'])
        heat = all_cmd.children(self.conf(
            embedded_heat__cc_url='http://cc.example/'))[0]
        self.assertEqual({}, heat.env)
