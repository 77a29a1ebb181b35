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
"""``hurtle.heat.db.use_deferred_readers``: oslo.db's enginefacade on a
real SQLite file, real threads. A read transaction no longer waits behind
a writer holding the write lock; writers still queue (no "database is
locked"); a reader nested in a writer stays on the writer's transaction;
and no reader of Heat's ``heat.db.api`` writes."""
import ast
import inspect
import os
import threading
import time

import fixtures
from oslo_db.sqlalchemy import enginefacade
import sqlalchemy as sa
import testtools

from hurtle.heat import db

HOLD = 0.5   # seconds a writer keeps the write lock


@enginefacade.transaction_context_provider
class Context(object):
    """The smallest context enginefacade accepts (Heat's is the same)."""


class _Facade(testtools.TestCase):
    """A fresh enginefacade on a SQLite file in a temporary directory, set
    up as the launcher sets up Heat's (``deferred`` False: as before,
    every transaction on the IMMEDIATE writer engine)."""

    deferred = True

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.url = 'sqlite:///' + os.path.join(tmp, 'heat.sqlite')
        self.cm = enginefacade.transaction_context()
        self.cm.configure(connection=self.url)
        if self.deferred:
            self.assertTrue(db.use_deferred_readers(self.cm, self.url))
        self.writer = self.cm.writer.get_engine()
        db.tune_sqlite(self.writer)
        reader = self.cm.reader.get_engine()
        if reader is not self.writer:
            db.tune_sqlite(reader, immediate=False)
        self.addCleanup(self.cm.dispose_pool)
        with self.writer.begin() as conn:
            conn.exec_driver_sql(
                'CREATE TABLE item (id INTEGER PRIMARY KEY, n INTEGER)')

    def count(self):
        with self.cm.reader.using(Context()) as session:
            return session.execute(sa.text('SELECT count(*) FROM item')
                                   ).scalar()

    def hold_write_lock(self):
        """Start a thread whose writer transaction has inserted a row and
        keeps the lock for ``HOLD`` s; return it once the lock is held."""
        held = threading.Event()

        def write():
            with self.cm.writer.using(Context()) as session:
                session.execute(sa.text('INSERT INTO item (n) VALUES (1)'))
                held.set()
                time.sleep(HOLD)

        thread = threading.Thread(target=write)
        thread.start()
        self.addCleanup(thread.join)
        self.assertTrue(held.wait(10))
        return thread


class TestDeferredReaders(_Facade):

    def test_reader_does_not_wait_for_writer(self):
        writer = self.hold_write_lock()
        t0 = time.monotonic()
        # The snapshot before the writer's commit.
        self.assertEqual(0, self.count())
        self.assertLess(time.monotonic() - t0, HOLD / 2)
        self.assertTrue(writer.is_alive())
        writer.join()
        self.assertEqual(1, self.count())

    def test_reader_in_writer_stays_on_its_transaction(self):
        context = Context()
        with self.cm.writer.using(context) as outer:
            outer.execute(sa.text('INSERT INTO item (n) VALUES (1)'))
            with self.cm.reader.using(context) as inner:
                self.assertIs(outer, inner)
                # Sees the uncommitted row: the same transaction.
                self.assertEqual(1, inner.execute(
                    sa.text('SELECT count(*) FROM item')).scalar())

    def test_writer_in_reader_is_refused(self):
        context = Context()
        with self.cm.reader.using(context):
            with testtools.ExpectedException(TypeError, '.*READER.*'):
                with self.cm.writer.using(context):
                    pass

    def test_parallel_read_then_write_writers_queue(self):
        # Each writer reads then writes (the deadlock pattern without
        # IMMEDIATE), readers run alongside; nothing is refused.
        errors = []
        threads, rounds = 6, 15

        def work():
            try:
                for _ in range(rounds):
                    with self.cm.writer.using(Context()) as session:
                        n = session.execute(sa.text(
                            'SELECT coalesce(max(n), 0) FROM item')).scalar()
                        session.execute(
                            sa.text('INSERT INTO item (n) VALUES (:n)'),
                            {'n': n + 1})
                    self.count()
            except Exception as exc:
                errors.append(exc)

        workers = [threading.Thread(target=work) for _ in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        self.assertEqual([], errors)
        self.assertEqual(threads * rounds, self.count())
        with self.writer.connect() as conn:
            # Serialised: every read-then-write saw the one before it.
            self.assertEqual(threads * rounds, conn.exec_driver_sql(
                'SELECT max(n) FROM item').scalar())


class TestImmediateReaders(_Facade):
    """The set-up before ``use_deferred_readers``: a reader queues."""

    deferred = False

    def test_reader_waits_for_writer(self):
        self.hold_write_lock()
        t0 = time.monotonic()
        self.assertEqual(1, self.count())
        self.assertGreater(time.monotonic() - t0, HOLD / 2)


class TestOnlySqliteFiles(testtools.TestCase):

    def test_not_configured(self):
        for url in ('sqlite://', 'sqlite:///:memory:',
                    'sqlite:///file:heat?mode=memory&uri=true',
                    'postgresql://u:p@127.0.0.1/heat'):
            self.assertFalse(db.use_deferred_readers(
                enginefacade.transaction_context(), url), url)

    def test_started_facade_left_alone(self):
        tmp = self.useFixture(fixtures.TempDir()).path
        url = 'sqlite:///' + os.path.join(tmp, 'heat.sqlite')
        cm = enginefacade.transaction_context()
        cm.configure(connection=url)
        engine = cm.writer.get_engine()
        self.addCleanup(cm.dispose_pool)
        self.assertFalse(db.use_deferred_readers(cm, url))
        self.assertIs(engine, cm.reader.get_engine())


_WRITES = {'add', 'delete', 'update', 'flush', 'merge', 'save', 'insert',
           'bulk_save_objects', 'bulk_insert_mappings', 'soft_delete',
           '_soft_delete'}


class TestHeatReadersDoNotWrite(testtools.TestCase):
    """The premise of ``use_deferred_readers`` checked on the installed
    Heat: no ``context_manager.reader`` function of ``heat.db.api``, nor
    a module function it calls, writes or opens a writer."""

    def test_heat_readers(self):
        from heat.db import api
        tree = ast.parse(inspect.getsource(api))
        funcs = {f.name: f for f in tree.body
                 if isinstance(f, ast.FunctionDef)}

        def kind(func):
            text = ' '.join(ast.unparse(d) for d in func.decorator_list)
            return ('writer' if 'writer' in text else
                    'reader' if 'reader' in text else None)

        def writes(name, seen):
            seen.add(name)
            found = []
            for node in ast.walk(funcs[name]):
                if isinstance(node, ast.Attribute) and node.attr == 'writer':
                    found.append('%s: %s' % (name, ast.unparse(node)))
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                called = (func.attr if isinstance(func, ast.Attribute) else
                          func.id if isinstance(func, ast.Name) else None)
                if called in _WRITES:
                    found.append('%s: %s' % (name, ast.unparse(node)))
                elif called in funcs and called not in seen:
                    if kind(funcs[called]) == 'writer':
                        found.append('%s calls writer %s' % (name, called))
                    else:
                        found += writes(called, seen)
            return found

        readers = [name for name, f in funcs.items() if kind(f) == 'reader']
        self.assertGreater(len(readers), 20)
        bad = [w for name in readers for w in writes(name, set())]
        self.assertEqual([], bad)
