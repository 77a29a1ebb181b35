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
"""The logs of deleted apps' SOs (``[cc] so_log_keep_days``,
:mod:`hurtle.cc.runtime.so_logs`): the rules on files in a directory,
then through a served CC, its ``local`` runtime, real SOs and the
watcher."""
import json
import os
import time

import fixtures
import testtools

from hurtle.cc import api
from hurtle.cc import recovery
from hurtle.cc.runtime import fork_server
from hurtle.cc.runtime import so_logs
from tests.unit.cc import test_app_api

DAY = 86400.0
NOW = 1_800_000_000.0


class PruneTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def write(self, name, age):
        """A file ``name`` last written ``age`` seconds before NOW."""
        path = os.path.join(self.dir, name)
        with open(path, 'w') as handle:
            handle.write('output\n')
        os.utime(path, (NOW - age, NOW - age))
        return path

    def left(self):
        return sorted(os.listdir(self.dir))

    def test_no_app_id_names_the_fork_server_log(self):
        # An instance named fork-server once wrote over the fork
        # server's log (and its delete would have removed it).
        stem = fork_server.LOG_NAME[:-len(so_logs.SUFFIX)]
        self.assertIsNone(api.APP_ID.match(stem))
        for app_id in ('fork-server', 'fork-server.log'):
            self.assertNotEqual(
                os.path.join(self.dir, fork_server.LOG_NAME),
                so_logs.log_path(self.dir, app_id))

    def test_old_logs_of_unrecorded_apps_go_the_others_stay(self):
        self.write('gone-1.log', 8 * DAY)
        self.write('kept-1.log', 30 * DAY)         # still recorded
        self.write('young-1.log', 6 * DAY)          # deleted, not old
        self.write('gone-1.json', 30 * DAY)         # not a log
        self.write(fork_server.LOG_NAME, 30 * DAY)  # not an app's
        os.mkdir(os.path.join(self.dir, 'hosts.log'))
        removed = so_logs.prune(self.dir, ['kept-1'], 7, now=NOW)
        self.assertEqual(['gone-1'], removed)
        self.assertEqual(['_fork-server.log', 'gone-1.json', 'hosts.log',
                          'kept-1.log', 'young-1.log'], self.left())

    def test_zero_days_still_spares_a_log_written_within_the_grace(self):
        self.write('new-1.log', so_logs.GRACE - 5)   # an app being created
        self.write('old-1.log', so_logs.GRACE + 5)
        self.assertEqual(['old-1'], so_logs.prune(self.dir, [], 0, now=NOW))
        self.assertEqual(['new-1.log'], self.left())

    def test_minus_one_keeps_every_log(self):
        self.write('gone-1.log', 400 * DAY)
        self.assertEqual([], so_logs.prune(self.dir, [], -1, now=NOW))
        self.assertEqual(['gone-1.log'], self.left())

    def test_a_symlink_is_not_followed_nor_removed(self):
        target = self.write('target.txt', 30 * DAY)
        os.symlink(target, os.path.join(self.dir, 'link-1.log'))
        self.assertEqual([], so_logs.prune(self.dir, [], 7, now=NOW))
        self.assertIn('link-1.log', self.left())

    def test_a_missing_directory_prunes_nothing(self):
        self.assertEqual([], so_logs.prune(
            os.path.join(self.dir, 'none'), [], 7, now=NOW))

    def test_remove_only_when_kept_zero_days(self):
        self.write('app-1.log', 0)
        self.assertFalse(so_logs.remove(self.dir, 'app-1', 7))
        self.assertFalse(so_logs.remove(self.dir, 'app-1', -1))
        self.assertTrue(so_logs.remove(self.dir, 'app-1', 0))
        self.assertFalse(so_logs.remove(self.dir, 'app-1', 0))
        self.assertEqual([], self.left())


class ServedCCTest(testtools.TestCase):
    """A served CC with the ``local`` runtime and real SOs."""

    def serve(self, keep_days):
        test_app_api.serve_cc(self, cc__so_start_timeout=60,
                              cc__allowed_images=[test_app_api.BUNDLE],
                              cc__so_log_keep_days=keep_days)
        self.workdir = os.path.join(self.conf.state_path, 'so')

    def create_and_delete(self, app_id):
        """Create app ``app_id`` (its SO starts and logs), delete it;
        returns its log's path."""
        self.client.put('/app/%s' % app_id, test_app_api.APP, {
            'occi.app.name': app_id, 'occi.app.image': test_app_api.BUNDLE,
            'occi.app.env': json.dumps({'HURTLE_SO_SECRET': 'x'})})
        path = so_logs.log_path(self.workdir, app_id)
        self.assertTrue(os.path.exists(path))
        self.client.delete('/app/%s' % app_id)
        test_app_api.wait_removed(self, app_id)
        return path

    def test_kept_after_delete_by_default_then_pruned_when_old(self):
        self.serve(7)
        path = self.create_and_delete('logged-1')
        self.assertTrue(os.path.exists(path))
        watcher = recovery.Watcher(self.conf, self.backend)
        watcher.check_all()             # the first round prunes
        self.assertTrue(os.path.exists(path))    # written just now
        old = time.time() - 8 * DAY
        os.utime(path, (old, old))
        watcher.check_all()             # within the hour: no prune
        self.assertTrue(os.path.exists(path))
        watcher._pruned_at -= so_logs.PRUNE_EVERY
        watcher.check_all()
        self.assertFalse(os.path.exists(path))

    def test_the_log_of_a_recorded_app_is_never_pruned(self):
        self.serve(0)
        self.client.put('/app/alive-1', test_app_api.APP, {
            'occi.app.name': 'alive-1', 'occi.app.image': test_app_api.BUNDLE,
            'occi.app.env': json.dumps({'HURTLE_SO_SECRET': 'x'})})
        self.addCleanup(self.client.delete, '/app/alive-1')
        path = so_logs.log_path(self.workdir, 'alive-1')
        old = time.time() - 30 * DAY
        os.utime(path, (old, old))
        self.assertTrue(recovery.Watcher(self.conf, self.backend).prune(
            self.backend.store.all_rows()))
        self.assertTrue(os.path.exists(path))

    def test_zero_days_removes_the_log_with_its_app(self):
        self.serve(0)
        path = self.create_and_delete('unlogged-1')
        self.assertFalse(os.path.exists(path))
