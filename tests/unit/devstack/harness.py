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
"""Run devstack/plugin.sh in bash as stack.sh does, helpers stubbed.

:class:`PluginCase` runs phases in one bash, as stack.sh, unstack.sh and
clean.sh do: ``stubs.sh`` (devstack's helpers: real ini editing, the
system-changing ones recorded), then ``devstack/settings`` under ``set -o
nounset``, then, per phase, each plugin of ``DEVSTACK_PLUGINS`` in order:
``heat`` is ``fake_heat.sh`` (what Heat's plugin does to heat.conf and
heat-engine), ``hurtle`` is ``devstack/plugin.sh``. Tests read the files
written and the calls recorded.

``HURTLE_TEST_DEVSTACK_DIR`` naming a devstack checkout makes the stubs
source its real ``inc/ini-config``.
"""
import configparser
import os
import pwd
import subprocess
import sys

import fixtures
import testtools
from testtools import content

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
DEVSTACK = os.path.join(ROOT, 'devstack')
STUBS = os.path.join(HERE, 'stubs.sh')
FAKE_HEAT = os.path.join(HERE, 'fake_heat.sh')
SAMPLE_TYPE = 'http://schemas.hurtle.it/occi/sm#sample'
#: Records its call as the stubs do.
RECORDER = """#!/bin/bash
IFS=$'\\x1f'
echo "%s$IFS$*" >> "$HURTLE_TEST_CALLS"
"""

DRIVER = '''
set -o errexit
set -o pipefail
source "$HURTLE_TEST_STUBS"
if [[ -n "${HURTLE_TEST_XTRACE:-}" ]]; then
    set -o xtrace
fi
set -o nounset
source "$HURTLE_TEST_DEVSTACK/settings"
while [[ $# -gt 0 ]]; do
    mode=$1
    phase=$2
    shift 2
    for plugin in ${DEVSTACK_PLUGINS//,/ }; do
        script=$HURTLE_TEST_DEVSTACK/plugin.sh
        if [[ "$plugin" == "heat" ]]; then
            script=$HURTLE_TEST_FAKE_HEAT
        fi
        if [[ "$phase" == "-" ]]; then
            source "$script" "$mode"
        else
            source "$script" "$mode" "$phase"
        fi
    done
done
echo "at the end: $(set +o | grep xtrace)"
'''

#: stack.sh's phases of a plugin, in order.
STACK = ('stack', 'install', 'stack', 'post-config', 'stack', 'extra',
         'stack', 'test-config')
UNSTACK = ('unstack', '-')
CLEAN = ('clean', '-')


def read_ini(path):
    # No default section: [DEFAULT] is read as a section like the others.
    parser = configparser.ConfigParser(interpolation=None,
                                       default_section='\x00')
    with open(path) as handle:
        parser.read_file(handle)
    return parser


def read(path):
    with open(path) as handle:
        return handle.read()


class PluginCase(testtools.TestCase):
    """A devstack host in a temporary directory."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.dest = os.path.join(self.tmp, 'stack')
        os.makedirs(self.dest)
        # devstack clones the plugin's repository to $DEST/hurtle.
        os.symlink(ROOT, os.path.join(self.dest, 'hurtle'))
        self.plugins_dir = os.path.join(self.dest, 'hurtle', 'hurtle',
                                        'heat_plugins', 'resources')
        self.conf_dir = os.path.join(self.tmp, 'etc', 'hurtle')
        self.hurtle_conf = os.path.join(self.conf_dir, 'hurtle.conf')
        self.data_dir = os.path.join(self.tmp, 'data')
        self.state_dir = os.path.join(self.data_dir, 'hurtle')
        self.heat_conf = os.path.join(self.tmp, 'heat.conf')
        self.tempest_conf = os.path.join(self.tmp, 'tempest.conf')
        self.calls_path = os.path.join(self.tmp, 'calls')
        self.bin = os.path.join(self.tmp, 'venv', 'bin')
        os.makedirs(self.bin)
        self.add_recorder('hurtle-manage')
        os.symlink(os.path.join(os.path.dirname(sys.executable),
                                'oslopolicy-sample-generator'),
                   os.path.join(self.bin, 'oslopolicy-sample-generator'))
        self.env = {
            'PATH': os.environ['PATH'],
            'HOME': self.tmp,
            'HURTLE_TEST_STUBS': STUBS,
            'HURTLE_TEST_DEVSTACK': DEVSTACK,
            'HURTLE_TEST_FAKE_HEAT': FAKE_HEAT,
            'HURTLE_TEST_CALLS': self.calls_path,
            'HURTLE_TEST_BIN': self.bin,
            # What stack.sh and local.conf define before plugins run.
            'DEVSTACK_PLUGINS': 'heat,hurtle',
            'ENABLED_SERVICES': 'key,mysql,h-eng,h-api,tempest',
            'DEST': self.dest,
            'DATA_DIR': self.data_dir,
            'STACK_USER': pwd.getpwuid(os.getuid()).pw_name,
            'SERVICE_HOST': '192.0.2.10',
            'SERVICE_PROTOCOL': 'http',
            'SERVICE_TIMEOUT': '60',
            'API_WORKERS': '2',
            'ENABLE_DEBUG_LOG_LEVEL': 'True',
            'REGION_NAME': 'RegionTwo',
            'SERVICE_PROJECT_NAME': 'service',
            'SERVICE_DOMAIN_NAME': 'Default',
            'SERVICE_PASSWORD': 'service-secret',
            'DATABASE_TYPE': 'mysql',
            'DATABASE_USER': 'root',
            'DATABASE_PASSWORD': 'db-secret',
            'DATABASE_HOST': '127.0.0.1',
            'MYSQL_HOST': '127.0.0.1',
            'KEYSTONE_SERVICE_URI': 'http://192.0.2.10/identity',
            'PYTHON': sys.executable,
            'HEAT_CONF': self.heat_conf,
            'TEMPEST_CONFIG': self.tempest_conf,
            'HURTLE_CONF_DIR': self.conf_dir,
        }
        real = os.environ.get('HURTLE_TEST_DEVSTACK_DIR')
        if real:
            self.env['HURTLE_TEST_DEVSTACK_DIR'] = real

    def add_recorder(self, name):
        """An executable ``name`` in the Python bin directory that records
        its call."""
        path = os.path.join(self.bin, name)
        with open(path, 'w') as handle:
            handle.write(RECORDER % name)
        os.chmod(path, 0o755)
        return path

    def write_heat_conf(self, text):
        with open(self.heat_conf, 'w') as handle:
            handle.write(text)

    def run_phases(self, *phases, expect_status=0, **env):
        """Run ``mode phase`` pairs (phase ``-`` for none) in one bash.

        :returns: the ``subprocess.CompletedProcess``.
        """
        environ = dict(self.env)
        environ.update(env)
        proc = subprocess.run(
            ['bash', '-c', DRIVER, 'driver'] + list(phases),
            env=environ, capture_output=True, text=True, timeout=120)
        self.addDetail('bash-%d' % len(self.getDetails()),
                       content.text_content(proc.stdout + proc.stderr))
        self.assertEqual(expect_status, proc.returncode, proc.stderr)
        return proc

    def calls(self, name=None):
        """The recorded calls: tuples (name, args...), or the argument
        tuples of the calls of ``name``."""
        return self._lines(self.calls_path, name)

    def hurtle_calls(self, name):
        """The argument tuples of the calls of ``name`` about Hurtle's
        services (not the fake Heat's ``h-eng``)."""
        return [c for c in self.calls(name) if not c[0].startswith('h-')]

    def catalog(self, kind):
        """The catalog entries of ``kind`` (``service``, ``endpoint``)."""
        return self._lines(self.calls_path + '.catalog', kind)

    def running(self):
        path = self.calls_path + '.running'
        if not os.path.exists(path):
            return []
        return read(path).split()

    @staticmethod
    def _lines(path, name):
        if not os.path.exists(path):
            return []
        with open(path) as handle:
            lines = [tuple(line.rstrip('\n').split('\x1f'))
                     for line in handle if line.strip()]
        if name is not None:
            lines = [c[1:] for c in lines if c[0] == name]
        return lines
