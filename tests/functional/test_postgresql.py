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
"""The end-to-end suite again, with the SM and the CC on PostgreSQL
(``[database] connection`` of a throw-away cluster, ``tests.pg_fixture``)
instead of the default SQLite file. The lifecycle-fault suite runs on
PostgreSQL in Keystone mode (``test_keystone_suite``); CI time keeps it
from running a third time here (``HURTLE_TEST_DATABASE=postgresql`` runs
every class on PostgreSQL).

The classes are imported by module, so that the loader does not find
(and run) the SQLite ones a second time here.
"""
import os

import sqlalchemy

from hurtle.db import engine as db_engine
from tests.functional import test_end_to_end


class EndToEndPostgreSQLTest(test_end_to_end.EndToEndTest):

    database = 'postgresql'

    def test_state_is_in_postgresql(self):
        location = self.create('sample.greeting="in-pg"')
        self.wait_state(location, {'active'})
        instance_id = location.rstrip('/').rsplit('/', 1)[-1]
        engine = db_engine.get_engine(self.hurtle.database_url)
        self.addCleanup(engine.dispose)
        with engine.connect() as connection:
            self.assertEqual('postgresql', connection.dialect.name)
            row = connection.execute(sqlalchemy.text(
                'SELECT state, attributes, app_url FROM sm_instances '
                'WHERE id = :id'), {'id': instance_id}).one()
            self.assertEqual('active', row.state)
            self.assertEqual('in-pg', row.attributes['sample.greeting'])
            app_id = row.app_url.rstrip('/').rsplit('/', 1)[-1]
            self.assertEqual('active', connection.execute(sqlalchemy.text(
                'SELECT state FROM cc_apps WHERE id = :id'),
                {'id': app_id}).scalar_one())
        self.assertFalse(os.path.exists(os.path.join(self.hurtle.state,
                                                     'hurtle.sqlite')))
        self.client.delete(location)
        self.wait_gone(location)
