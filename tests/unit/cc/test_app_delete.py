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
"""The CC's app DELETE answering before its SO's exit (issue 12), over
real HTTP with real SO processes: a slow SO (:mod:`tests.slow_so`)
serves on for a while after its SIGTERM."""
import json
import time

import fixtures
import testtools

from hurtle.cc import store as app_store
from hurtle.occi import errors
from tests import slow_so
from tests.unit.cc import test_app_api

#: Seconds the slow SO serves on after a SIGTERM.
SLOW_EXIT = 3.0


class SlowSODeleteTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.bundle = self.useFixture(fixtures.TempDir()).path
        slow_so.write_bundle(self.bundle, SLOW_EXIT)
        test_app_api.serve_cc(self, cc__so_start_timeout=60,
                              cc__allowed_images=[self.bundle])
        self.client.put('/app/slow-1', test_app_api.APP, {
            'occi.app.name': 'slow', 'occi.app.image': self.bundle,
            'occi.app.env': json.dumps({'HURTLE_SO_SECRET': 'x'})})
        self.extras = {'project': 'service', 'user': None,
                       'roles': ['admin']}
        self.runtime = self.backend.runtime
        self.ref = app_store.runtime_ref(self.backend.store.row('slow-1'))

    def test_the_answer_comes_before_the_exit(self):
        began = time.monotonic()
        self.client.delete('/app/slow-1')
        self.assertLess(time.monotonic() - began, SLOW_EXIT / 2)
        self.assertTrue(self.runtime.is_running(self.ref))
        self.assertEqual(app_store.DELETING,
                         self.backend.store.row('slow-1').state)
        self.assertRaises(errors.NotFound, self.client.get, '/app/slow-1')
        test_app_api.wait_removed(self, 'slow-1')
        self.assertFalse(self.runtime.is_running(self.ref))
        self.assertEqual({}, self.runtime._children)

    def test_a_delete_that_read_the_app_before_another_changes_nothing(self):
        # Read (as the OCCI layer does) before the first DELETE answered;
        # its own delete then finds the app being deleted.
        entity = self.backend.store.get('/app/slow-1', self.extras)
        self.client.delete('/app/slow-1')
        self.backend.delete(entity, self.extras)
        self.assertEqual(app_store.DELETING,
                         self.backend.store.row('slow-1').state)
        # The registry's removal that follows leaves the row to the
        # thread waiting for the SO.
        self.backend.store.delete('/app/slow-1', self.extras)
        self.assertTrue(self.backend.store.exists('slow-1'))
        test_app_api.wait_removed(self, 'slow-1')
        self.assertFalse(self.runtime.is_running(self.ref))
