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
"""``hurtle.service.prepare_service`` in a fresh interpreter: a process
that opens the database gets its encryption key; ``hurtle-so``, which
never does, neither creates a key nor imports SQLAlchemy or Alembic
(they were about half of every SO's start-up, benchmarks/so_start.py)."""
import json
import os
import stat
import subprocess
import sys

import fixtures
import testtools

from hurtle.db import types as db_types

#: Runs in a child: prepare the service as the named console script's
#: module does, then report which heavy modules got imported.
CHILD = r'''
import json, sys
from hurtle import service
database = sys.argv[1] == 'database'
if sys.argv[2] == 'so':
    from hurtle.cmd import so  # noqa: F401  what hurtle-so imports
service.prepare_service(['--config-file', sys.argv[3]], 'test',
                        database=database)
print(json.dumps(sorted(m for m in ('sqlalchemy', 'alembic')
                        if m in sys.modules)))
'''


class PrepareServiceTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path
        self.conf = os.path.join(self.state, 'hurtle.conf')
        with open(self.conf, 'w') as handle:
            handle.write('[DEFAULT]\nstate_path = %s\n' % self.state)

    def prepare(self, database, imports):
        out = subprocess.run(
            [sys.executable, '-c', CHILD, database, imports, self.conf],
            capture_output=True, text=True, timeout=60, check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])

    def key_path(self):
        return os.path.join(self.state, db_types.KEY_FILENAME)

    def test_the_so_imports_no_database_library_and_makes_no_key(self):
        self.assertEqual([], self.prepare('no-database', 'so'))
        self.assertFalse(os.path.exists(self.key_path()))

    def test_a_database_process_gets_a_private_key(self):
        self.prepare('database', 'service')
        mode = stat.S_IMODE(os.stat(self.key_path()).st_mode)
        self.assertEqual(0o600, mode)


class BadValueTest(testtools.TestCase):
    """A value its option refuses fails the start at once, with one line
    naming the option and the file (trial: ``[sm] port = abc`` ended
    hurtle-all with two tracebacks, at the first use of the port)."""

    def start(self, text, module):
        state = self.useFixture(fixtures.TempDir()).path
        conf = os.path.join(state, 'bad.conf')
        with open(conf, 'w') as handle:
            handle.write('[DEFAULT]\nstate_path = %s\n%s' % (state, text))
        return subprocess.run(
            [sys.executable, '-P', '-m', module, '--config-file', conf],
            capture_output=True, text=True, timeout=60,
            stdin=subprocess.DEVNULL), conf

    def test_each_service_names_the_bad_value_in_one_line(self):
        for module in ('hurtle.cmd.all', 'hurtle.cmd.sm', 'hurtle.cmd.cc'):
            for text, why in (
                    ('[sm]\nport = abc\n',
                     "invalid literal for int() with base 10: 'abc'"),
                    ('[sm]\nport = 70000\n',
                     'Should be less than or equal to 65535'),
                    ('[cc]\norphan_stack_interval = soon\n',
                     "could not convert string to float: 'soon'")):
                done, conf = self.start(text, module)
                self.assertEqual(1, done.returncode, done.stderr)
                group, name = text[1:].split('\n')[0].rstrip(']'), \
                    text.split('\n')[1].split(' =')[0]
                self.assertEqual(
                    'hurtle: configuration error: [%s] %s: Value for option '
                    '%s from %s is not valid: %s\n' % (group, name, name,
                                                       conf, why),
                    done.stderr)
                self.assertEqual('', done.stdout)

    def test_the_embedded_heat_names_the_bad_value_without_traceback(self):
        # hurtle-heat parses its own options (re-check trial: tracebacks).
        for text, option in (('[embedded_heat]\nport = x\n',
                              '[embedded_heat] port'),
                             ('[sm]\nport = abc\n', '[sm] port')):
            done, conf = self.start(text, 'hurtle.cmd.heat')
            self.assertEqual(2, done.returncode, done.stderr)
            self.assertIn('hurtle-heat: error: invalid configuration: %s: '
                          'Value for option %s from %s is not valid: '
                          % (option, option.split()[1], conf), done.stderr)
            self.assertNotIn('Traceback', done.stderr)
