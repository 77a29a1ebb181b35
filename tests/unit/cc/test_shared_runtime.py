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
"""The ``shared`` runtime's failure paths, with real host processes: a
bundle the host cannot import, a state_path too long for a Unix socket,
an SO the host refuses, a host that is not there; and what its
references say once the SO or its host is gone."""
import os

import fixtures
import testtools

from hurtle.cc.runtime import base
from hurtle.cc.runtime import shared
from hurtle import so_host_protocol as protocol
from tests import conf_fixture

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
ECHO = os.path.join(ROOT, 'tests', 'functional', 'shared_so')


class SharedRuntimeTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            cc__so_start_timeout=60)).conf
        self.runtime = shared.SharedRuntime(self.conf)
        self.addCleanup(self.runtime.stop_all)

    def bundle(self, source):
        path = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(path, 'so.py'), 'w') as handle:
            handle.write(source)
        return path

    def test_a_bundle_the_host_cannot_import_fails_the_start(self):
        bundle = self.bundle('import no_such_module_anywhere\n')
        error = self.assertRaises(base.RuntimeError_, self.runtime.start,
                                  'app1', bundle, {'HURTLE_SO_SECRET': 's'})
        self.assertIn('shared SO host exited with code 1', str(error))
        self.assertIn('no_such_module_anywhere', str(error))
        # The dead host's record is gone with it.
        self.assertEqual([], [name for name in os.listdir(
            protocol.hosts_dir(self.conf.state_path))
            if name.endswith('.pid')])

    def test_a_state_path_too_long_for_a_socket_is_refused(self):
        long_state = os.path.join(self.conf.state_path, 'x' * 120)
        self.conf.set_override('state_path', long_state)
        error = self.assertRaises(base.RuntimeError_, self.runtime.start,
                                  'app1', ECHO, {'HURTLE_SO_SECRET': 's'})
        self.assertIn('use a shorter state_path', str(error))

    def test_an_so_the_host_refuses_fails_its_start_only(self):
        error = self.assertRaises(base.RuntimeError_, self.runtime.start,
                                  'app1', ECHO, {})
        self.assertIn('HURTLE_SO_SECRET is not set', str(error))
        url, ref = self.runtime.start('app2', ECHO,
                                      {'HURTLE_SO_SECRET': 's2',
                                       'HURTLE_INSTANCE_ID': 'app2'})
        self.assertTrue(self.runtime.is_running(ref))
        self.assertEqual(url, ref['url'])
        # Stopped: no longer running, and stopping again is fine.
        self.runtime.stop(ref)
        self.assertFalse(self.runtime.is_running(ref))
        self.runtime.stop(ref)
        # A reference to another host process is never taken for it.
        url, ref = self.runtime.start('app2', ECHO,
                                      {'HURTLE_SO_SECRET': 's2',
                                       'HURTLE_INSTANCE_ID': 'app2'})
        self.assertFalse(self.runtime.is_running(dict(ref, host_pid=1)))
        self.assertFalse(self.runtime.is_running(dict(ref, port=1)))
        # Its host gone: the SO is not running, and stopping it is fine.
        self.runtime.stop_all()
        self.assertFalse(self.runtime.is_running(ref))
        self.runtime.stop(ref)

    def test_no_host_listening_is_a_host_error(self):
        path = os.path.join(self.conf.state_path, 'nothing.sock')
        error = self.assertRaises(protocol.HostError, protocol.call, path,
                                  {'op': 'list'}, 2)
        self.assertIn('nothing.sock', str(error))
