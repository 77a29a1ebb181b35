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
"""An SO that dies while the CC starts it fails its instance with the
CC's reason (the SO's exit), not with a confusing "No entity".

A real CC (``hurtle.cc.api`` over HTTP, the ``local`` runtime) serves an
SO bundle that exits at import; the SM's create asks it for the SO.
"""
import os
import shutil
import time

import fixtures
import testtools

from hurtle.occi import client as occi_client
from hurtle.sm import states
from tests.unit.cc import test_app_api
from tests.unit.sm import sm_server

KIND = occi_client.CategoryRef('http://example.org/occi/sm#', 'svc', 'kind')


class SOStartFailureTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.bundle = os.path.join(tmp, 'so')
        shutil.copytree(test_app_api.BUNDLE, self.bundle)
        with open(os.path.join(self.bundle, 'so.py'), 'w') as handle:
            handle.write('raise SystemExit("broken on purpose")\n')
        test_app_api.serve_cc(self, cc__allowed_images=[self.bundle],
                              cc__restart_attempts=0)
        self.sm = self.useFixture(sm_server.SMServer(
            {'svc.size': ''}, so_bundle=self.bundle, cc_url=self.url,
            sm__phase_timeout=120))

    def test_so_exiting_at_start_fails_the_instance_with_its_reason(self):
        location = self.sm.client.create('/svc/', KIND, {'svc.size': 1})
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            attrs = self.sm.client.get(location).attributes
            if attrs['mcn.service.state'] == states.FAILED:
                break
            time.sleep(0.1)
        reason = attrs['mcn.service.state.reason']
        self.assertEqual(states.FAILED, attrs['mcn.service.state'], reason)
        self.assertIn('starting the SO failed', reason)
        self.assertIn('exited', reason)
        self.assertNotIn('No entity', reason)
        # The CC kept nothing of the failed start.
        self.assertEqual([], self.client.list('/app/'))
