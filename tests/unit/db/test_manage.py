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
"""``hurtle-manage db_sync`` and ``db_version``: the installed console
script, run as a process, on SQLite and on a throw-away PostgreSQL
cluster."""
import os
import subprocess
import sys

import fixtures
import testscenarios
import testtools

from hurtle.db import engine as db_engine
from hurtle.db import migration
from tests import pg_fixture

PARALLEL = 4
MANAGE = os.path.join(os.path.dirname(sys.executable), 'hurtle-manage')


class ManageTest(testscenarios.WithScenarios, testtools.TestCase):

    scenarios = [('sqlite', {'backend': 'sqlite'}),
                 ('postgresql', {'backend': 'postgresql'})]

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        if self.backend == 'sqlite':
            self.sqlite_file = os.path.join(self.tmp, 'db', 'h.sqlite')
            self.url = 'sqlite:///' + self.sqlite_file
        else:
            pg_fixture.require()
            self.cluster = self.useFixture(pg_fixture.PostgreSQL())
            self.url = self.cluster.url
        self.addCleanup(lambda: db_engine.get_engine(self.url).dispose())

    def write_conf(self, url=None):
        conf = os.path.join(self.tmp, 'hurtle.conf')
        with open(conf, 'w') as handle:
            handle.write('[DEFAULT]\nstate_path = %s\n[database]\n'
                         'connection = %s\n'
                         % (os.path.join(self.tmp, 'state'),
                            (url or self.url).replace('%', '%%')))
        return conf

    def manage(self, command, url=None):
        """Run ``hurtle-manage --config-file <conf> command``; return
        (exit status, stdout, stderr)."""
        proc = subprocess.run(
            [MANAGE, '--config-file', self.write_conf(url), command],
            capture_output=True, text=True, stdin=subprocess.DEVNULL,
            timeout=120)
        self.assertNotIn('Traceback', proc.stderr)
        return proc.returncode, proc.stdout, proc.stderr

    def test_db_version_of_a_database_never_synced(self):
        status, out, err = self.manage('db_version')
        self.assertEqual(1, status)
        self.assertEqual('', out)
        self.assertIn('holds no Hurtle schema: run "hurtle-manage '
                      'db_sync"', err)
        if self.backend == 'sqlite':
            self.assertFalse(os.path.exists(self.sqlite_file))

    def test_db_sync_is_idempotent_and_db_version_prints_the_head(self):
        head = migration.head()
        for _ in range(2):
            status, out, err = self.manage('db_sync')
            self.assertEqual(0, status, err)
            self.assertIn('is at revision %s' % head, out)
        self.assertEqual(head, migration.current(self.url))
        self.assertEqual((0, head + '\n', ''), self.manage('db_version'))
        # db_sync touches nothing else under state_path.
        self.assertFalse(os.path.exists(os.path.join(self.tmp, 'state',
                                                     'db_key')))

    def test_concurrent_db_syncs_of_one_new_database(self):
        # As processes starting together (hurtle-sm, hurtle-cc, WSGI
        # workers) that each migrate the database at start.
        conf = self.write_conf()
        procs = [subprocess.Popen([MANAGE, '--config-file', conf,
                                   'db_sync'],
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True,
                                  stdin=subprocess.DEVNULL)
                 for _ in range(PARALLEL)]
        results = [proc.communicate(timeout=120) + (proc.returncode,)
                   for proc in procs]
        for out, err, status in results:
            self.assertEqual(0, status, err)
        self.assertEqual(migration.head(), migration.current(self.url))

    def test_db_version_of_an_older_schema_and_db_sync_from_it(self):
        migration.upgrade(self.url, '0003')
        status, out, err = self.manage('db_version')
        self.assertEqual((0, '0003\n'), (status, out))
        self.assertIn('the newest revision is %s' % migration.head(), err)
        self.assertEqual(0, self.manage('db_sync')[0])
        self.assertEqual(migration.head(), migration.current(self.url))

    def test_unreachable_database_is_a_message_without_the_password(self):
        if self.backend == 'sqlite':
            # A directory where the file should be: cannot be opened.
            os.makedirs(self.sqlite_file)
            url = self.url
        else:
            url = ('postgresql+psycopg2://hurtle:s3cret@/hurtle?host=%s'
                   % os.path.join(self.tmp, 'nothing-here'))
        for command, words in (('db_sync', 'cannot migrate'),
                               ('db_version', 'cannot read')):
            status, out, err = self.manage(command, url)
            self.assertEqual(1, status, err)
            self.assertIn('hurtle-manage: %s the database' % words, err)
            self.assertNotIn('s3cret', err)
            self.assertEqual(1, len(err.splitlines()), err)

    def test_without_a_command_it_shows_the_usage(self):
        conf = os.path.join(self.tmp, 'empty.conf')
        open(conf, 'w').close()
        proc = subprocess.run([MANAGE, '--config-file', conf],
                              capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, timeout=120)
        self.assertEqual(2, proc.returncode)
        self.assertIn('{db_sync,db_version}', proc.stderr)
