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
"""``[cc] parallel_starts``: the CC's ``local`` runtime starts at most
that many SO processes at once; a further start waits until one of them
answers, then runs (real CC API, real processes)."""
import concurrent.futures
import json
import os
import sys
import time

import fixtures
import testtools

from hurtle.cc.runtime import local
from tests.unit.cc import test_app_api
from tests.unit.cc import test_command_bundle

#: ``test_command_bundle.SERVER`` (an SO in "another language",
#: ``bundle.json``) that first records that its process runs
#: (``<app id>.began`` in its bundle directory), then waits for a file
#: ``go`` there before it listens and writes its port file.
GATED = r'''
import os, time

open(os.environ['HURTLE_APP_ID'] + '.began', 'w').close()
while not os.path.exists('go'):
    time.sleep(0.05)
''' + test_command_bundle.SERVER


class ParallelStartsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.bundle = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(self.bundle, 'gated.py'), 'w') as handle:
            handle.write(GATED)
        with open(os.path.join(self.bundle, 'bundle.json'), 'w') as handle:
            json.dump({'command': [sys.executable, 'gated.py']}, handle)
        test_app_api.serve_cc(self, cc__so_start_timeout=60,
                              cc__parallel_starts=1,
                              cc__allowed_images=[self.bundle])
        self.pool = concurrent.futures.ThreadPoolExecutor(2)
        self.addCleanup(self.pool.shutdown)
        # Whatever happens, the gated SOs may go on.
        self.addCleanup(self.release)

    def release(self):
        open(os.path.join(self.bundle, 'go'), 'w').close()

    def began(self, app_id):
        return os.path.exists(os.path.join(self.bundle, app_id + '.began'))

    def create(self, app_id):
        return self.pool.submit(
            self.client.put, '/app/%s' % app_id, test_app_api.APP,
            {'occi.app.name': 'so-%s' % app_id,
             'occi.app.image': self.bundle})

    def test_a_start_beyond_the_limit_waits_until_one_answers(self):
        first = self.create('first')
        deadline = time.monotonic() + 30
        while not self.began('first') and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertTrue(self.began('first'))
        second = self.create('second')
        # Time enough for the second process to run, were it started.
        time.sleep(2)
        self.assertFalse(first.done())
        self.assertFalse(second.done())
        self.assertFalse(self.began('second'))
        self.release()
        for future, app_id in ((first, 'first'), (second, 'second')):
            app = self.client.get(future.result(timeout=60))
            self.assertEqual('active', app.attributes['occi.app.state'])
            self.assertTrue(self.began(app_id))

    def test_by_default_four_per_cpu(self):
        self.conf.set_override('parallel_starts', None, group='cc')
        runtime = local.LocalRuntime(self.conf)
        count = 4 * (os.cpu_count() or 1)
        for _ in range(count):
            self.assertTrue(runtime._starting.acquire(blocking=False))
        self.assertFalse(runtime._starting.acquire(blocking=False))
