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
"""Running the real ``openstack`` command (python-openstackclient with
Hurtle's plugin, the ``cli`` extra) as a subprocess, for the CLI tests."""
import collections
import os
import subprocess
import sys

from tests import absent

#: The ``openstack`` console script next to the test interpreter.
OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')
#: Seconds one command may take (a --wait runs longer: its --timeout).
TIMEOUT = 300

Result = collections.namedtuple('Result', 'code out err')


def require():
    """Skip (or, in CI, fail) when the ``openstack`` command is missing."""
    if not os.access(OPENSTACK, os.X_OK):
        absent.skip_or_fail('the openstack command is not installed',
                            "pip install -e '.[cli]'")


def clean_env(**extra):
    """The environment without any ``OS_*`` or ``HURTLE_*`` variable, plus
    ``extra``."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(('OS_', 'HURTLE_'))}
    env.update(extra)
    return env


def error_lines(text):
    """stderr's lines without other plugins' load errors: stevedore logs
    "Could not load '<command>': ..." for a broken entry point of any
    installed client while the openstack client loads every plugin's
    commands (python-blazarclient 4.6.0's ``reservation_host_unset``;
    doc/source/user/cli.rst)."""
    return [line for line in text.splitlines()
            if line.strip() and not line.startswith('Could not load ')]


def run(args, env, timeout=TIMEOUT):
    """Run ``openstack *args``; a :class:`Result` (exit code, stdout,
    stderr)."""
    proc = subprocess.run([OPENSTACK] + list(args), env=env,
                          stdin=subprocess.DEVNULL, capture_output=True,
                          timeout=timeout)
    return Result(proc.returncode, proc.stdout.decode('utf-8', 'replace'),
                  proc.stderr.decode('utf-8', 'replace'))
