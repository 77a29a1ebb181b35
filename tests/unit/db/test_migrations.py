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
"""Every Alembic revision upgrades a database holding rows of the one
before, on SQLite and on a throw-away PostgreSQL cluster.

Each case makes a database at revision N-1, inserts rows with raw SQL in
that revision's schema (not today's models, which may have moved on),
upgrades to N and checks that the rows survived with the values and
defaults N gives them. A revision that defines ``downgrade`` is also taken
back to N-1 with its rows checked again (Hurtle's revisions have none so
far: like OpenStack's services, Hurtle migrates forward only). A new
revision needs a case here (``test_every_revision_has_a_case``).
"""
import json
import os
import subprocess
import sys

from alembic import autogenerate
from alembic import migration as alembic_migration
from alembic import script as alembic_script
import fixtures
import sqlalchemy
import testscenarios
import testtools

from hurtle.db import engine as db_engine
from hurtle.db import migration
from hurtle.db import models
from hurtle.db import schema_version
from tests import pg_fixture

BACKENDS = [('sqlite', {'backend': 'sqlite'}),
            ('postgresql', {'backend': 'postgresql'})]

INSTANCE_0001 = dict(
    id='11111111-1111-1111-1111-111111111111', project='p1',
    service='sample', state='active', reason=None,
    attributes=json.dumps({'sample.a': 'x', 'occi.core.id': '1111'}),
    pending=None, app_url='http://127.0.0.1:1/app/a1',
    so_url='http://127.0.0.1:2/', so_secret='fernet1:gAAAAA-not-a-key',
    created_at='2026-01-02 03:04:05', updated_at='2026-01-02 03:04:06')
APP_0001 = dict(
    id='22222222-2222-2222-2222-222222222222', project='service',
    name='so-sample', image='sample', env='"fernet1:gAAAAA-env"',
    state='active', url='http://127.0.0.1:2/',
    runtime_ref=json.dumps({'pid': 42, 'restarts': 1}),
    created_at='2026-01-02 03:04:05', updated_at='2026-01-02 03:04:06')
#: 0002 added ``dependencies``.
INSTANCE_0002 = dict(
    INSTANCE_0001, id='33333333-3333-3333-3333-333333333333',
    dependencies=json.dumps([{'service_type': 'http://x#dep',
                              'location': '/dep/4444'}]))
#: 0003 added ``operation``.
INSTANCE_0003 = dict(INSTANCE_0002,
                     id='55555555-5555-5555-5555-555555555555', operation=7)


def _insert(connection, table, row):
    columns = sorted(row)
    connection.execute(sqlalchemy.text(
        'INSERT INTO %s (%s) VALUES (%s)'
        % (table, ', '.join(columns),
           ', '.join(':' + c for c in columns))), row)


def _refused(testcase, connection, table, row):
    """Insert ``row`` into ``table``: the database refuses it
    (``IntegrityError``: a constraint), and the transaction goes on."""
    savepoint = connection.begin_nested()
    testcase.assertRaises(sqlalchemy.exc.IntegrityError, _insert,
                          connection, table, row)
    savepoint.rollback()


def _rows(connection, table, order='id'):
    result = connection.execute(sqlalchemy.text(
        'SELECT * FROM %s ORDER BY %s' % (table, order)))
    return [dict(row._mapping) for row in result]


def _same(testcase, expected, row):
    """``row`` (read back) holds the raw values of ``expected``."""
    for column, value in expected.items():
        got = row[column]
        if column in ('attributes', 'pending', 'runtime_ref', 'env',
                      'dependencies', 'access'):
            # SQLite gives the JSON text, psycopg2 the value.
            if testcase.backend == 'sqlite' and got is not None:
                got = json.loads(got)
            value = None if value is None else json.loads(value)
        elif column.endswith('_at'):
            got = str(got)
        testcase.assertEqual(value, got, column)


class _Case(object):
    """What one revision does to rows of the revision before it."""

    def insert(self, connection):
        """Rows in the schema of the previous revision."""

    def check(self, testcase, connection):
        """After the upgrade: the rows and the new schema."""

    def check_down(self, testcase, connection):
        """After a downgrade back: the rows as inserted."""


class _Initial(_Case):
    """0001 on an empty database (or one shared with other tables)."""

    def insert(self, connection):
        connection.execute(sqlalchemy.text(
            'CREATE TABLE other_app (id INTEGER PRIMARY KEY, v TEXT)'))
        connection.execute(sqlalchemy.text(
            "INSERT INTO other_app (id, v) VALUES (1, 'kept')"))

    def check(self, testcase, connection):
        testcase.assertEqual([{'id': 1, 'v': 'kept'}],
                             _rows(connection, 'other_app'))
        _insert(connection, 'sm_instances', INSTANCE_0001)
        _insert(connection, 'cc_apps', APP_0001)
        _same(testcase, INSTANCE_0001, _rows(connection, 'sm_instances')[0])
        _same(testcase, APP_0001, _rows(connection, 'cc_apps')[0])


class _Dependencies(_Case):
    """0002: ``sm_instances.dependencies``, NULL for existing rows."""

    def insert(self, connection):
        _insert(connection, 'sm_instances', INSTANCE_0001)
        _insert(connection, 'cc_apps', APP_0001)

    def check(self, testcase, connection):
        row, = _rows(connection, 'sm_instances')
        _same(testcase, INSTANCE_0001, row)
        testcase.assertIsNone(row['dependencies'])
        _same(testcase, APP_0001, _rows(connection, 'cc_apps')[0])
        _insert(connection, 'sm_instances', INSTANCE_0002)
        _same(testcase, INSTANCE_0002, _rows(connection, 'sm_instances')[1])

    def check_down(self, testcase, connection):
        _same(testcase, INSTANCE_0001, _rows(connection, 'sm_instances')[0])


class _Operations(_Case):
    """0003: ``sm_instances.operation``, 0 for existing rows and for rows
    inserted without it."""

    def insert(self, connection):
        _insert(connection, 'sm_instances', INSTANCE_0001)
        _insert(connection, 'sm_instances', INSTANCE_0002)
        _insert(connection, 'cc_apps', APP_0001)

    def check(self, testcase, connection):
        first, second = _rows(connection, 'sm_instances')
        _same(testcase, INSTANCE_0001, first)
        _same(testcase, INSTANCE_0002, second)
        testcase.assertEqual([0, 0], [first['operation'],
                                      second['operation']])
        _same(testcase, APP_0001, _rows(connection, 'cc_apps')[0])
        # The server default also serves a writer that leaves it out.
        connection.execute(sqlalchemy.text(
            'UPDATE sm_instances SET operation = operation + 1 '
            'WHERE id = :id AND operation = 0'), {'id': first['id']})
        testcase.assertEqual(1, _rows(connection, 'sm_instances')[0][
            'operation'])

    def check_down(self, testcase, connection):
        _same(testcase, INSTANCE_0002, _rows(connection, 'sm_instances')[1])


class _UserMixins(_Case):
    """0004: ``user_mixins`` (unique per project by id and by location),
    ``sm_instances.mixins``/``title``/``summary``, NULL for existing
    rows."""

    def insert(self, connection):
        _insert(connection, 'sm_instances', INSTANCE_0003)
        _insert(connection, 'cc_apps', APP_0001)

    def check(self, testcase, connection):
        row, = _rows(connection, 'sm_instances')
        _same(testcase, INSTANCE_0003, row)
        for column in ('mixins', 'title', 'summary'):
            testcase.assertIsNone(row[column], column)
        _same(testcase, APP_0001, _rows(connection, 'cc_apps')[0])
        mixin = dict(project='p1', scheme='http://example.org/my#',
                     term='fav', title='', location='/fav/',
                     related='[]', created_at='2026-01-02 03:04:05')
        _insert(connection, 'user_mixins', mixin)
        testcase.assertEqual(1, _rows(connection, 'user_mixins')[0]['id'])
        # Another project may reuse both; the same project neither.
        _insert(connection, 'user_mixins', dict(mixin, project='p2'))
        for duplicate in (dict(mixin, location='/other/'),
                          dict(mixin, term='other')):
            _refused(testcase, connection, 'user_mixins', duplicate)

    def check_down(self, testcase, connection):
        _same(testcase, INSTANCE_0003, _rows(connection, 'sm_instances')[0])


class _Leases(_UserMixins):
    """0005: ``sm_instances.owner``/``lease_expires``, NULL for existing
    rows (any SM may resume them at once); a claim is a conditional
    UPDATE of both. Rows and downgrade check as for 0004."""

    def check(self, testcase, connection):
        row, = _rows(connection, 'sm_instances')
        _same(testcase, INSTANCE_0003, row)
        testcase.assertIsNone(row['owner'])
        testcase.assertIsNone(row['lease_expires'])
        _same(testcase, APP_0001, _rows(connection, 'cc_apps')[0])
        claim = sqlalchemy.text(
            "UPDATE sm_instances SET owner = :me, lease_expires = "
            "'2026-01-02 03:04:05' WHERE id = :id AND owner IS NULL")
        first = connection.execute(claim, {'me': 'sm-a', 'id': row['id']})
        second = connection.execute(claim, {'me': 'sm-b', 'id': row['id']})
        testcase.assertEqual((1, 0), (first.rowcount, second.rowcount))
        testcase.assertEqual('sm-a',
                             _rows(connection, 'sm_instances')[0]['owner'])


class _Stacks(_Case):
    """0006: the CC's ``cc_stacks`` (unique title per app), empty; rows
    of 0005 (an instance holding a lease, an app, a user mixin) kept."""

    LEASED = dict(INSTANCE_0003, owner='sm-a',
                  lease_expires='2026-01-02 03:04:05')
    MIXIN = dict(project='p1', scheme='http://example.org/my#', term='fav',
                 title='', location='/fav/', related='[]',
                 created_at='2026-01-02 03:04:05')
    STACK = dict(id='s1', app_id=APP_0001['id'], title='web',
                 heat_id=None, region=None, state='CREATE_PENDING',
                 reason=None, outputs=None,
                 created_at='2026-01-02 03:04:05',
                 updated_at='2026-01-02 03:04:05')

    def insert(self, connection):
        _insert(connection, 'sm_instances', self.LEASED)
        _insert(connection, 'cc_apps', APP_0001)
        _insert(connection, 'user_mixins', self.MIXIN)

    def check(self, testcase, connection):
        row, = _rows(connection, 'sm_instances')
        _same(testcase, INSTANCE_0003, row)
        testcase.assertEqual('sm-a', row['owner'])
        _same(testcase, APP_0001, _rows(connection, 'cc_apps')[0])
        testcase.assertEqual('/fav/',
                             _rows(connection, 'user_mixins')[0]['location'])
        testcase.assertEqual([], _rows(connection, 'cc_stacks'))
        _insert(connection, 'cc_stacks', self.STACK)
        testcase.assertEqual('web', _rows(connection, 'cc_stacks')[0]['title'])
        # Another app may use the same title; the same app may not.
        _insert(connection, 'cc_stacks', dict(self.STACK, id='s2',
                                              app_id='other'))
        _refused(testcase, connection, 'cc_stacks', dict(self.STACK, id='s3'))


class _ListingIndex(_Stacks):
    """0007: ``ix_sm_instances_listing``; rows of 0006 kept, and a
    project's instances of a service are read in listing order."""

    def insert(self, connection):
        super().insert(connection)
        _insert(connection, 'cc_stacks', self.STACK)

    def check(self, testcase, connection):
        row, = _rows(connection, 'sm_instances')
        _same(testcase, INSTANCE_0003, row)
        testcase.assertEqual('sm-a', row['owner'])
        _same(testcase, self.STACK, _rows(connection, 'cc_stacks')[0])
        names = [index['name'] for index in
                 sqlalchemy.inspect(connection).get_indexes('sm_instances')]
        testcase.assertIn('ix_sm_instances_listing', names)
        for ident, created in (('b', '2026-01-01 00:00:00'),
                               ('a', '2026-01-01 00:00:00'),
                               ('c', '2025-12-31 00:00:00')):
            _insert(connection, 'sm_instances',
                    dict(self.LEASED, id=ident, created_at=created))
        listed = connection.execute(sqlalchemy.text(
            "SELECT id FROM sm_instances WHERE project = 'p1' AND "
            "service = 'sample' ORDER BY created_at, id")).scalars().all()
        testcase.assertEqual(['c', 'a', 'b', self.LEASED['id']], listed)


class _LostCreates(_ListingIndex):
    """0008: the CC's ``cc_lost_creates``, empty; rows of 0007 kept."""

    LOST = dict(app_id=APP_0001['id'], title='hurtle-i1', region=None,
                project='p1', access='{}', lost_at='2026-01-02 03:04:05')

    def check(self, testcase, connection):
        super().check(testcase, connection)

        def lost():
            return _rows(connection, 'cc_lost_creates', 'id')
        testcase.assertEqual([], lost())
        # Several of one app (ids given by the database).
        _insert(connection, 'cc_lost_creates', self.LOST)
        _insert(connection, 'cc_lost_creates', dict(self.LOST,
                                                    title='hurtle-i2'))
        rows = lost()
        testcase.assertEqual(['hurtle-i1', 'hurtle-i2'],
                             [row['title'] for row in rows])
        testcase.assertEqual(['p1', 'p1'],
                             [row['project'] for row in rows])
        testcase.assertNotEqual(rows[0]['id'], rows[1]['id'])
        _refused(testcase, connection, 'cc_lost_creates',
                 dict(self.LOST, lost_at=None))


class _KeptTrusts(_LostCreates):
    """0009: the CC's ``cc_kept_trusts``, empty; ``cc_lost_creates``
    gets ``stack_id`` and ``gone_at``, NULL on its rows of 0008; rows of
    0008 kept."""

    KEPT = dict(app_id=APP_0001['id'], project='service', access='{}',
                kept_at='2026-01-02 03:04:05')

    def insert(self, connection):
        super().insert(connection)
        _insert(connection, 'cc_lost_creates', self.LOST)

    def check(self, testcase, connection):
        _ListingIndex.check(self, testcase, connection)
        row, = _rows(connection, 'cc_lost_creates', 'id')
        _same(testcase, self.LOST, row)
        testcase.assertEqual((None, None), (row['stack_id'], row['gone_at']))
        connection.execute(sqlalchemy.text(
            "UPDATE cc_lost_creates SET stack_id = 'h-1', gone_at = "
            "'2026-01-02 03:04:06'"))
        row, = _rows(connection, 'cc_lost_creates', 'id')
        testcase.assertEqual('h-1', row['stack_id'])
        testcase.assertEqual([], _rows(connection, 'cc_kept_trusts'))
        _insert(connection, 'cc_kept_trusts', self.KEPT)
        _insert(connection, 'cc_kept_trusts', self.KEPT)
        rows = _rows(connection, 'cc_kept_trusts')
        testcase.assertEqual(['service', 'service'],
                             [kept['project'] for kept in rows])
        testcase.assertNotEqual(rows[0]['id'], rows[1]['id'])
        _refused(testcase, connection, 'cc_kept_trusts',
                 dict(self.KEPT, kept_at=None))


CASES = {'0001': _Initial(), '0002': _Dependencies(),
         '0003': _Operations(), '0004': _UserMixins(), '0005': _Leases(),
         '0006': _Stacks(), '0007': _ListingIndex(),
         '0008': _LostCreates(), '0009': _KeptTrusts()}


def _database(testcase, backend):
    """A URL of an empty database on ``backend``, dropped after the
    test."""
    if backend == 'sqlite':
        tmp = testcase.useFixture(fixtures.TempDir()).path
        url = 'sqlite:///' + os.path.join(tmp, 'hurtle.sqlite')
    else:
        pg_fixture.require()
        url = testcase.useFixture(pg_fixture.PostgreSQL()).url
    testcase.addCleanup(lambda: db_engine.get_engine(url).dispose())
    return url


class MigratedCase(testscenarios.WithScenarios, testtools.TestCase):
    """A test run on each of :data:`BACKENDS`, with ``self.url`` a new
    database upgraded to the head revision."""

    scenarios = BACKENDS

    def setUp(self):
        super().setUp()
        self.url = _database(self, self.backend)
        migration.upgrade(self.url)


class RevisionTest(testscenarios.WithScenarios, testtools.TestCase):
    """One test per backend and revision."""

    scenarios = testscenarios.multiply_scenarios(
        BACKENDS,
        [(revision, {'revision': revision, 'down_revision': down})
         for revision, down in migration.revisions()])

    def test_upgrade_keeps_rows_of_the_revision_before(self):
        case = CASES[self.revision]
        url = _database(self, self.backend)
        engine = db_engine.get_engine(url)
        if self.down_revision is not None:
            migration.upgrade(url, self.down_revision)
        with engine.begin() as connection:
            case.insert(connection)
        migration.upgrade(url, self.revision)
        self.assertEqual(self.revision, migration.current(url))
        with engine.begin() as connection:
            case.check(self, connection)
        scripts = alembic_script.ScriptDirectory(migration.SCRIPTS)
        if not hasattr(scripts.get_revision(self.revision).module,
                       'downgrade'):
            return
        migration.downgrade(url, self.down_revision or 'base')
        self.assertEqual(self.down_revision, migration.current(url))
        with engine.begin() as connection:
            case.check_down(self, connection)


UPGRADE_AND_REPORT = """
import sys
from hurtle import service
service.prepare_service(['--config-file', sys.argv[1]], 'test')
service.upgrade_database(service.CONF)
print('alembic imported' if 'alembic' in sys.modules else 'no alembic')
"""


class StartUpCheckTest(testtools.TestCase):
    """``hurtle.service.upgrade_database`` at every SM and CC start."""

    def upgrade_in_a_process(self, tmp):
        conf = os.path.join(tmp, 'hurtle.conf')
        with open(conf, 'w') as handle:
            handle.write('[DEFAULT]\nstate_path = %s\n' % tmp)
        return subprocess.run(
            [sys.executable, '-P', '-c', UPGRADE_AND_REPORT, conf],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, check=True,
            timeout=120).stdout.decode()

    def test_alembic_is_imported_only_when_there_is_work(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        self.assertIn('alembic imported', self.upgrade_in_a_process(tmp))
        # At the head now: checked with SQLAlchemy alone.
        self.assertIn('no alembic', self.upgrade_in_a_process(tmp))


class SchemaTest(testscenarios.WithScenarios, testtools.TestCase):

    scenarios = BACKENDS

    def test_every_revision_has_a_case(self):
        self.assertEqual(sorted(CASES),
                         sorted(r for r, _ in migration.revisions()))

    def test_schema_version_head_is_alembic_head(self):
        # A new revision must bump schema_version.HEAD, or every process
        # would migrate (import Alembic) at each start.
        self.assertEqual(migration.head(), schema_version.HEAD)

    def test_at_head_only_at_the_newest_revision(self):
        url = _database(self, self.backend)
        self.assertFalse(schema_version.at_head(url))   # no version table
        older = migration.revisions()[-2][0]
        migration.upgrade(url, older)
        self.assertFalse(schema_version.at_head(url))
        migration.upgrade(url)
        self.assertTrue(schema_version.at_head(url))

    def test_at_head_is_false_when_the_database_cannot_be_read(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        # A directory where the SQLite file should be: cannot be opened.
        os.mkdir(os.path.join(tmp, 'hurtle.sqlite'))
        self.assertFalse(schema_version.at_head(
            'sqlite:///' + os.path.join(tmp, 'hurtle.sqlite')))

    def test_upgrade_to_head_is_idempotent_and_keeps_rows(self):
        url = _database(self, self.backend)
        migration.upgrade(url)
        with db_engine.get_engine(url).begin() as connection:
            _insert(connection, 'cc_apps', APP_0001)
        migration.upgrade(url)
        self.assertEqual(migration.head(), migration.current(url))
        with db_engine.get_engine(url).begin() as connection:
            _same(self, APP_0001, _rows(connection, 'cc_apps')[0])

    def test_migrated_schema_matches_the_models(self):
        url = _database(self, self.backend)
        migration.upgrade(url)
        with db_engine.get_engine(url).connect() as connection:
            context = alembic_migration.MigrationContext.configure(
                connection)
            diff = autogenerate.compare_metadata(context,
                                                 models.Base.metadata)
        self.assertEqual([], diff)
