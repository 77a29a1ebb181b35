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
"""SO secrets are encrypted in the database; SQLite files are 0600."""
import json
import os
import sqlite3
import stat

from occi import core_model
import sqlalchemy as sa
import testtools

from hurtle.cc import store as app_store
from hurtle.db import engine as db_engine
from hurtle.db import migration
from hurtle.db import models
from hurtle.db import types as db_types
from hurtle.occi import categories
from tests import conf_fixture

SECRET = 'so-secret-Zx81Qp0wL3mNv7Tt5Rr2'


class SecretsAtRestTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        old = os.umask(0o022)  # as a careless caller's
        self.addCleanup(os.umask, old)
        fixture = self.useFixture(conf_fixture.HurtleConf())
        self.state = fixture.state
        self.url = fixture.conf.database.connection
        self.path = os.path.join(self.state, 'hurtle.sqlite')
        migration.upgrade(self.url)
        self.sessions = db_engine.sessionmaker(self.url)

    def raw(self):
        data = b''
        for suffix in ('', '-wal'):
            if os.path.exists(self.path + suffix):
                with open(self.path + suffix, 'rb') as handle:
                    data += handle.read()
        return data

    def add_app(self, env):
        entity = core_model.Resource('/app/a1', categories.APP, [])
        entity.attributes.update({'occi.app.name': 'n',
                                  'occi.app.image': '/i',
                                  'occi.app.state': 'active'})
        entity.app_env = env
        app_store.AppStore(self.url).add('/app/a1', entity,
                                         {'project': 'service'})

    def test_app_env_and_so_secret_are_encrypted(self):
        self.add_app({'HURTLE_SO_SECRET': SECRET, 'HURTLE_PROJECT': 'p'})
        with self.sessions.begin() as session:
            session.add(models.ServiceInstance(
                id='i1', project='p', service='sample', state='active',
                attributes={}, so_secret=SECRET))
        self.assertNotIn(SECRET.encode(), self.raw())
        # Read back in clear.
        entity = app_store.AppStore(self.url).get('/app/a1',
                                                  {'project': 'service'})
        self.assertEqual({'HURTLE_SO_SECRET': SECRET, 'HURTLE_PROJECT': 'p'},
                         entity.app_env)
        with self.sessions() as session:
            self.assertEqual(SECRET, session.get(models.ServiceInstance,
                                                 'i1').so_secret)
        # The JSON column holds a JSON string (valid JSON elsewhere too).
        with sqlite3.connect(self.path) as conn:
            stored, = conn.execute('SELECT env FROM cc_apps').fetchone()
        self.assertTrue(json.loads(stored).startswith(db_types.PREFIX))

    def test_rows_written_in_clear_still_read(self):
        with sqlite3.connect(self.path) as conn:
            conn.execute(
                "INSERT INTO sm_instances (id, project, service, state, "
                "attributes, so_secret, created_at, updated_at) VALUES "
                "('old', 'p', 'sample', 'active', '{}', ?, "
                "'2020-01-01', '2020-01-01')", (SECRET,))
            conn.execute(
                "INSERT INTO cc_apps (id, project, name, image, env, state, "
                "created_at, updated_at) VALUES ('old', 'service', 'n', '/i',"
                " ?, 'active', '2020-01-01', '2020-01-01')",
                (json.dumps({'HURTLE_SO_SECRET': SECRET}),))
        with self.sessions() as session:
            self.assertEqual(SECRET, session.get(models.ServiceInstance,
                                                 'old').so_secret)
        entity = app_store.AppStore(self.url).get('/app/old',
                                                  {'project': 'service'})
        self.assertEqual({'HURTLE_SO_SECRET': SECRET}, entity.app_env)

    def test_another_key_is_a_clear_error(self):
        self.add_app({'HURTLE_SO_SECRET': SECRET})
        key_path = os.path.join(self.state, db_types.KEY_FILENAME)
        self.assertEqual(0o600, stat.S_IMODE(os.stat(key_path).st_mode))
        os.unlink(key_path)
        db_types.configure(self.state)  # a new key
        with self.sessions() as session:
            self.assertRaises(db_types.KeyError_, session.scalars(
                sa.select(models.App)).all)

    def test_sqlite_files_are_private(self):
        self.add_app({'HURTLE_SO_SECRET': SECRET})
        for suffix in ('', '-wal', '-shm'):
            if os.path.exists(self.path + suffix):
                self.assertEqual(0o600, stat.S_IMODE(
                    os.stat(self.path + suffix).st_mode), suffix)

    def test_an_existing_loose_database_is_tightened(self):
        url = 'sqlite:///' + os.path.join(self.state, 'loose.sqlite')
        path = os.path.join(self.state, 'loose.sqlite')
        sqlite3.connect(path).close()
        os.chmod(path, 0o644)
        db_engine.get_engine(url)
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))
