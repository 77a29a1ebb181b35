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
"""``hurtle.db.prepared.PreparedSelect`` gives what SQLAlchemy Core gives
for the same statement, on SQLite and PostgreSQL, and hands its
connection back to the pool whatever happens."""
import datetime

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
import testscenarios
import testtools

from hurtle.db import engine as db_engine
from hurtle.db import migration
from hurtle.db import models
from hurtle.db import prepared
from tests.unit.db import test_migrations

TABLE = models.ServiceInstance
COLUMNS = (TABLE.id, TABLE.project, TABLE.state, TABLE.attributes,
           TABLE.mixins, TABLE.created_at, TABLE.operation)


class PreparedSelectTest(testscenarios.WithScenarios, testtools.TestCase):

    scenarios = [('sqlite', {'backend': 'sqlite'}),
                 ('postgresql', {'backend': 'postgresql'})]

    def setUp(self):
        super().setUp()
        url = test_migrations._database(self, self.backend)
        migration.upgrade(url)
        self.engine = db_engine.get_engine(url)
        with db_engine.sessionmaker(url).begin() as session:
            for i, (project, attributes) in enumerate((
                    ('p1', {'a': 1, 'b': ['x', None], 'c': 'Zürich'}),
                    ('p1', {}), ('p2', {'d': {'e': 1.5}}))):
                session.add(TABLE(
                    id='i%d' % i, project=project, service='svc',
                    state='active', attributes=attributes, operation=i,
                    mixins=['http://example.org/u#m'] if i else None))

    def _both(self, statement, **values):
        """Rows of ``statement`` from Core and from a PreparedSelect."""
        with self.engine.connect() as connection:
            core = [tuple(row) for row in
                    connection.execute(statement, values)]
        ours = prepared.PreparedSelect(self.engine, statement).all(**values)
        return core, [tuple(row) for row in ours], ours

    def test_same_rows_and_types_as_core(self):
        statement = sa.select(*COLUMNS).where(
            TABLE.project == sa.bindparam('project')).order_by(TABLE.id)
        for project in ('p1', 'p2', 'nobody'):
            core, ours, rows = self._both(statement, project=project)
            self.assertEqual(core, ours)
        core, ours, rows = self._both(statement, project='p1')
        self.assertEqual(2, len(rows))
        self.assertEqual({'a': 1, 'b': ['x', None], 'c': 'Zürich'},
                         rows[0].attributes)
        self.assertIsNone(rows[0].mixins)
        self.assertEqual(['http://example.org/u#m'], rows[1].mixins)
        self.assertIsInstance(rows[0].created_at, datetime.datetime)
        self.assertEqual('i0', rows[0].id)

    def test_literal_values_and_several_parameters(self):
        statement = sa.select(TABLE.id).where(
            TABLE.service == 'svc', TABLE.project == sa.bindparam('p'),
            TABLE.operation >= sa.bindparam('least')).order_by(TABLE.id)
        core, ours, _rows = self._both(statement, p='p1', least=1)
        self.assertEqual([('i1',)], ours)
        self.assertEqual(core, ours)

    def test_one_or_none(self):
        select = prepared.PreparedSelect(self.engine, sa.select(
            TABLE.id, TABLE.state).where(TABLE.id == sa.bindparam('i')))
        self.assertEqual(('i2', 'active'), tuple(select.one_or_none(i='i2')))
        self.assertIsNone(select.one_or_none(i='none'))
        many = prepared.PreparedSelect(self.engine, sa.select(TABLE.id))
        self.assertRaises(sa_exc.MultipleResultsFound, many.one_or_none)

    def test_connections_go_back_to_the_pool(self):
        select = prepared.PreparedSelect(self.engine, sa.select(
            TABLE.id).where(TABLE.id == sa.bindparam('i')))
        for _ in range(3 * self.engine.pool.size()):
            select.all(i='i0')
        self.assertEqual(0, self.engine.pool.checkedout())
        # A failing query too, with the database's error as Core's.
        broken = prepared.PreparedSelect(self.engine, sa.select(
            sa.column('nothing')).select_from(sa.table('no_such_table')))
        for _ in range(3):
            self.assertRaises(sa_exc.DBAPIError, broken.all)
        self.assertEqual(0, self.engine.pool.checkedout())
        self.assertEqual([('i0',)], [tuple(r) for r in select.all(i='i0')])

    def test_writes_are_seen_by_the_next_read(self):
        select = prepared.PreparedSelect(self.engine, sa.select(
            TABLE.state).where(TABLE.id == sa.bindparam('i')))
        self.assertEqual('active', select.one_or_none(i='i1').state)
        with self.engine.begin() as connection:
            connection.execute(sa.update(TABLE).where(TABLE.id == 'i1')
                               .values(state='destroy'))
        self.assertEqual('destroy', select.one_or_none(i='i1').state)
