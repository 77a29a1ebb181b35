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
"""``hurtle.sm.mixins.SQLMixinStore``: a listing follows every add and
delete of any store, of this process or another, per project; on a
SQLite file it is kept between writes (``hurtle.db.changes``: any
write through Hurtle's engines), and read every time while a write is in
progress or its writer died in it."""
import os
import sqlite3
import subprocess
import sys


from hurtle.db import changes
from hurtle.db import engine as db_engine
from hurtle.db import models
from hurtle.occi import errors
from hurtle.sm import mixins
from tests.unit.db import test_migrations

SCHEME = 'http://example.org/user#'


def _mixin(term, location=None, related=()):
    return {'scheme': SCHEME, 'term': term, 'title': term.upper(),
            'location': location or '/%s/' % term, 'related': list(related)}


def _terms(definitions):
    return [item['term'] for item in definitions]


class MixinStoreTest(test_migrations.MigratedCase):

    def setUp(self):
        super().setUp()
        self.store = mixins.SQLMixinStore(self.url)

    def _insert_behind(self, project, term):
        """A row written without any store (as another program would)."""
        with db_engine.sessionmaker(self.url).begin() as session:
            session.add(models.UserMixin(
                project=project, scheme=SCHEME, term=term, title='',
                location='/%s/' % term, related=[]))

    def test_listings_follow_adds_and_deletes_per_project(self):
        self.assertEqual([], self.store.list('p1'))
        self.store.add('p1', [_mixin('a'), _mixin('b', related=[
            SCHEME + 'a'])], 10)
        self.assertEqual([_mixin('a'), _mixin('b', related=[SCHEME + 'a'])],
                         self.store.list('p1'))
        self.assertEqual([], self.store.list('p2'))
        self.store.add('p2', [_mixin('a')], 10)
        self.store.delete('p1', SCHEME, 'a')
        self.assertEqual(['b'], _terms(self.store.list('p1')))
        self.assertEqual(['a'], _terms(self.store.list('p2')))

    def test_a_refused_add_changes_nothing(self):
        self.store.add('p1', [_mixin('a')], 10)
        self.assertEqual(['a'], _terms(self.store.list('p1')))
        self.assertRaises(errors.Forbidden, self.store.add, 'p1',
                          [_mixin('b')], 1)
        self.assertEqual(['a'], _terms(self.store.list('p1')))

    def test_what_is_handed_out_is_a_copy(self):
        self.store.add('p1', [_mixin('a', related=[SCHEME + 'x'])], 10)
        for _ in range(2):
            listed = self.store.list('p1')
            listed[0]['related'].append('changed')
            listed[0]['term'] = 'changed'
            listed.append('changed')
        self.assertEqual([_mixin('a', related=[SCHEME + 'x'])],
                         self.store.list('p1'))

    def test_another_process_adding_and_deleting_shows_at_once(self):
        self.assertEqual([], self.store.list('p1'))
        code = ('import sys; from hurtle.sm import mixins; '
                's = mixins.SQLMixinStore(sys.argv[1]); '
                's.add("p1", [{"scheme": "%s", "term": "o", '
                '"location": "/o/"}], 10) if sys.argv[2] == "add" else '
                's.delete("p1", "%s", "o")' % (SCHEME, SCHEME))
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            p for p in sys.path if p))
        subprocess.check_call([sys.executable, '-c', code, self.url, 'add'],
                              env=env, timeout=60)
        self.assertEqual(['o'], _terms(self.store.list('p1')))
        subprocess.check_call([sys.executable, '-c', code, self.url,
                               'delete'], env=env, timeout=60)
        self.assertEqual([], self.store.list('p1'))

    def test_rows_written_behind_the_stores(self):
        self.assertEqual([], self.store.list('p1'))
        # Through a session of Hurtle's engine, not a store: counted.
        self._insert_behind('p1', 'behind')
        self.assertEqual(['behind'], _terms(self.store.list('p1')))
        if self.backend != 'sqlite':
            return
        # By another program (sqlite3 itself): kept until a counted write
        # ends (the counter's documented limit) ...
        database = self.url[len('sqlite:///'):]
        connection = sqlite3.connect(database)
        with connection:
            connection.execute(
                "INSERT INTO user_mixins (project, scheme, term, title, "
                "location, related, created_at) VALUES ('p1', ?, 'other', "
                "'', '/other/', '[]', '2026-12-05 00:00:00')", (SCHEME,))
        connection.close()
        self.assertEqual(['behind'], _terms(self.store.list('p1')))
        self.store.add('p2', [_mixin('a')], 10)
        self.assertEqual(['behind', 'other'],
                         _terms(self.store.list('p1')))

    def test_read_every_time_while_a_write_is_in_progress(self):
        if self.backend != 'sqlite':
            self.skipTest('only a SQLite file has a change counter')
        counter = changes.for_engine(db_engine.get_engine(self.url))
        self.assertEqual([], self.store.list('p1'))
        writing = counter.writing()
        writing.__enter__()     # as a writer that died in its write
        self._insert_behind('p1', 'one')
        self.assertEqual(['one'], _terms(self.store.list('p1')))
        self._insert_behind('p1', 'two')
        self.assertEqual(['one', 'two'], _terms(self.store.list('p1')))
        writing.__exit__(None, None, None)
        self.assertEqual(['one', 'two'], _terms(self.store.list('p1')))
