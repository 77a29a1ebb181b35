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
"""Instance quotas: ``[sm] max_instances_per_project`` and
``max_instances``, through a real SM over HTTP (noauth: the project is the
``X-Project-Id`` header) on SQLite and on a throw-away PostgreSQL cluster
when PostgreSQL is installed.

No CC runs (``tests.unit.sm.sm_server``): instances fail in
``initialise`` and keep their records, which count until deleted and
purged.
"""
import threading
import time

import sqlalchemy as sa
import testscenarios
import testtools

from hurtle.db import engine as db_engine
from hurtle.db import models
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle.sm import states
from tests import pg_fixture
from tests.unit.sm import sm_server

KIND = occi_client.CategoryRef('http://example.org/occi/sm#', 'svc', 'kind')
PARALLEL = 8
ROUNDS = 3


class QuotaTest(testscenarios.WithScenarios, testtools.TestCase):

    scenarios = [('sqlite', {'backend': 'sqlite'}),
                 ('postgresql', {'backend': 'postgresql'})]

    def serve(self, per_project, total):
        """An SM with these limits; its ``(url, store)``."""
        overrides = {}
        if self.backend == 'postgresql':
            pg_fixture.require()
            if not hasattr(self, 'pg_url'):
                self.pg_url = self.useFixture(pg_fixture.PostgreSQL()).url
                self.addCleanup(
                    lambda: db_engine.get_engine(self.pg_url).dispose())
            overrides['database__connection'] = self.pg_url
        self.sm = self.useFixture(sm_server.SMServer(
            {'svc.size': ''}, sm__max_instances_per_project=per_project,
            sm__max_instances=total, **overrides))
        self.store = self.sm.store

    def client(self, project):
        return occi_client.OCCIClient(
            self.sm.url, headers={'X-Project-Id': project}, retries=0)

    def count(self, project=None):
        """Instance records in the database (of ``project``)."""
        query = sa.select(sa.func.count()).select_from(
            models.ServiceInstance)
        if project is not None:
            query = query.where(models.ServiceInstance.project == project)
        engine = db_engine.get_engine(self.sm.conf.database.connection)
        with engine.connect() as connection:
            return connection.scalar(query)

    def wait_failed(self, client, location):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            state = client.get(location).attributes['mcn.service.state']
            if state == states.FAILED:
                return
            time.sleep(0.05)
        self.fail('%s never failed' % location)

    def wait_purged(self, client, location):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                client.get(location)
            except errors.NotFound:
                return
            time.sleep(0.05)
        self.fail('%s never purged' % location)

    def test_at_the_project_limit_a_create_is_403_and_stores_nothing(self):
        self.serve(per_project=2, total=-1)
        p1 = self.client('p1')
        for _ in range(2):
            p1.create('/svc/', KIND, {'svc.size': 1})
        err = self.assertRaises(errors.Forbidden, p1.create, '/svc/', KIND,
                                {'svc.size': 1})
        self.assertEqual(
            'Quota exceeded: project p1 has 2 instances (at most 2, [sm] '
            'max_instances_per_project).', err.message)
        # PUT of a new id is a create too.
        err = self.assertRaises(errors.Forbidden, p1.put, '/svc/newid',
                                KIND, {'svc.size': 1})
        self.assertIn('max_instances_per_project', err.message)
        self.assertIsNone(self.store.load('newid'))
        self.assertEqual(2, self.count())
        self.assertEqual(2, len(p1.list('/svc/')))
        # Another project has its own quota.
        self.client('p2').create('/svc/', KIND, {'svc.size': 1})
        self.assertEqual(3, self.count())

    def test_deleted_instance_counts_until_purged(self):
        self.serve(per_project=1, total=-1)
        p1 = self.client('p1')
        location = p1.create('/svc/', KIND, {'svc.size': 1})
        instance_id = location.rstrip('/').rsplit('/', 1)[-1]
        self.wait_failed(p1, location)
        # Being deleted (state destroy, record kept): still counted.
        self.assertIsNotNone(self.store.begin(instance_id, states.DESTROY,
                                              states.DELETABLE))
        self.assertRaises(errors.Forbidden, p1.create, '/svc/', KIND,
                          {'svc.size': 1})
        self.store.purge(instance_id)
        location = p1.create('/svc/', KIND, {'svc.size': 1})
        # Through the API: DELETE, the lifecycle purges, room again.
        self.assertRaises(errors.Forbidden, p1.put, '/svc/other', KIND,
                          {'svc.size': 1})
        self.wait_failed(p1, location)
        p1.delete(location)
        self.wait_purged(p1, location)
        self.assertTrue(p1.put('/svc/other', KIND, {'svc.size': 1})
                        .endswith('/svc/other'))
        self.assertEqual(1, self.count('p1'))

    def test_total_limit_across_projects(self):
        self.serve(per_project=5, total=3)
        for project in ('p1', 'p1', 'p2'):
            self.client(project).create('/svc/', KIND, {'svc.size': 1})
        err = self.assertRaises(errors.Forbidden, self.client('p3').create,
                                '/svc/', KIND, {'svc.size': 1})
        self.assertEqual(
            'Quota exceeded: this service manager has 3 instances of all '
            'projects (at most 3, [sm] max_instances).', err.message)
        self.assertEqual(3, self.count())
        self.assertEqual(0, self.count('p3'))

    def test_zero_refuses_every_create(self):
        self.serve(per_project=0, total=-1)
        self.assertRaises(errors.Forbidden, self.client('p1').create,
                          '/svc/', KIND, {'svc.size': 1})
        self.assertEqual(0, self.count())

    def test_minus_one_is_unlimited(self):
        self.serve(per_project=-1, total=-1)
        p1 = self.client('p1')
        for _ in range(5):
            p1.create('/svc/', KIND, {'svc.size': 1})
        # Beyond the defaults (100, 1000), in the store the API uses.
        entity = type('Entity', (), {'title': None, 'summary': None,
                                     'mixins': (), 'attributes': {}})
        for number in range(1001):
            self.store.add('/svc/bulk%d' % number, entity(),
                           {'project': 'p1'})
        self.assertEqual(1006, self.count('p1'))
        p1.create('/svc/', KIND, {'svc.size': 1})

    def race(self, projects):
        """POST one create per project in ``projects`` at once; the list
        of outcomes: a location or the error."""
        barrier = threading.Barrier(len(projects))
        results = [None] * len(projects)

        def run(index):
            client = self.client(projects[index])
            barrier.wait()
            try:
                results[index] = client.create('/svc/', KIND,
                                               {'svc.size': 1})
            except errors.OCCIError as exc:
                results[index] = exc
        threads = [threading.Thread(target=run, args=(i,))
                   for i in range(len(projects))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return results

    def assert_one_won(self, results):
        """Exactly one of ``results`` is a location, the others 403;
        the id of the instance created."""
        created = [r for r in results if isinstance(r, str)]
        refused = [r for r in results if isinstance(r, errors.Forbidden)]
        self.assertEqual((1, len(results) - 1), (len(created),
                                                 len(refused)), results)
        return created[0].rstrip('/').rsplit('/', 1)[-1]

    def test_parallel_creates_at_project_limit_minus_one(self):
        self.serve(per_project=2, total=-1)
        self.client('p1').create('/svc/', KIND, {'svc.size': 1})
        for _round in range(ROUNDS):
            winner = self.assert_one_won(self.race(['p1'] * PARALLEL))
            self.assertEqual(2, self.count('p1'))
            self.assertTrue(self.store.purge(winner))

    def test_parallel_creates_of_projects_at_total_limit_minus_one(self):
        self.serve(per_project=-1, total=2)
        self.client('p0').create('/svc/', KIND, {'svc.size': 1})
        for round_ in range(ROUNDS):
            winner = self.assert_one_won(self.race(
                ['r%d-%d' % (round_, n) for n in range(PARALLEL)]))
            self.assertEqual(2, self.count())
            self.assertTrue(self.store.purge(winner))
