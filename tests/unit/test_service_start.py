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
