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
"""hurtle.drivers: drivers chosen by an option, entry points read once."""
from importlib import metadata
import subprocess
import sys

import fixtures
import testtools

from hurtle import drivers
from hurtle.sdk.dns import none as dns_none

NAMESPACE = 'hurtle.sdk.dns'


class DriversTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.scans = []
        real = metadata.entry_points

        def counted(**kwargs):
            self.scans.append(kwargs)
            return real(**kwargs)
        self.useFixture(fixtures.MonkeyPatch(
            'hurtle.drivers.metadata.entry_points', counted))

    def test_each_load_builds_a_new_driver_but_scans_once(self):
        first = drivers.load(NAMESPACE, 'none', '[dns] driver', conf='a')
        second = drivers.load(NAMESPACE, 'none', '[dns] driver', conf='b')
        self.assertIsInstance(first, dns_none.NoDNS)
        self.assertIsNot(first, second)
        self.assertEqual(('a', 'b'), (first.conf, second.conf))
        # Read at most once in this process (perhaps before this test).
        self.assertLessEqual(len(self.scans), 1)
        self.assertEqual(['designate', 'none'], drivers.installed(NAMESPACE))

    def test_unknown_name_lists_the_installed_ones(self):
        exc = self.assertRaises(drivers.UnknownDriver, drivers.load,
                                NAMESPACE, 'nope', '[dns] driver')
        self.assertEqual(
            '[dns] driver = nope: no such driver; installed drivers in '
            'hurtle.sdk.dns: designate, none', str(exc))

    def test_a_constructor_failure_is_a_runtime_error_naming_the_option(self):
        exc = self.assertRaises(RuntimeError, drivers.load, NAMESPACE,
                                'none', '[dns] driver', unknown_keyword=1)
        self.assertIn('[dns] driver = none: cannot load the driver', str(exc))


#: Run in a new process: the SO fork server's preload, then no entry
#: point may be read (what its forked SOs then load).
AFTER_PRELOAD = """
from importlib import metadata
from hurtle.cmd import so_fork_server
from hurtle import drivers
so_fork_server.preload()
def scan(*args, **kwargs):
    raise AssertionError('entry points read again')
metadata.entry_points = scan
drivers.metadata.entry_points = scan
print(drivers.installed('hurtle.so.deployers'))
print(type(drivers.load('hurtle.sdk.dns', 'none', '[dns] driver',
                        conf=None)).__name__)
"""

#: Run in a new process: the preload, then Hurtle's version (every SO's
#: prepare_service asks for it) without reading any distribution.
VERSION_AFTER_PRELOAD = """
from importlib import metadata
from hurtle.cmd import so_fork_server
from hurtle import version
so_fork_server.preload()
def read(*args, **kwargs):
    raise AssertionError('distribution metadata read again')
metadata.Distribution.from_name = read
metadata.distribution = read
metadata.version = read
print(version.version_string())
"""


class ForkServerPreloadTest(testtools.TestCase):

    def test_the_sos_drivers_are_read_before_the_fork(self):
        # Each forked SO read every distribution's entry points, twice:
        # half of its CPU.
        result = subprocess.run([sys.executable, '-c', AFTER_PRELOAD],
                                capture_output=True, text=True, timeout=60)
        self.assertEqual(0, result.returncode, result.stderr)
        names, dns = result.stdout.splitlines()
        self.assertIn("'cc'", names)
        self.assertIn("'heat'", names)
        self.assertEqual('NoDNS', dns)

    def test_the_version_is_read_before_the_fork(self):
        # pbr read it from the distribution's metadata in each forked SO
        # (a twentieth of its CPU); read once, it is kept.
        result = subprocess.run(
            [sys.executable, '-c', VERSION_AFTER_PRELOAD],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(0, result.returncode, result.stderr)
        self.assertTrue(result.stdout.strip())
