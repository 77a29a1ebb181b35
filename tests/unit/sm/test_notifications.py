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
"""``hurtle.sm.notifications.Notifier`` with oslo.messaging's ``log``
driver, read back from the logger it writes to."""
import datetime
import json
import os
import subprocess
import sys
import types

import fixtures
import testtools

from hurtle.sm import notifications
from tests import conf_fixture

ROW = types.SimpleNamespace(
    id='i-1', project='p1', service='sample', state='initialise',
    created_at=datetime.datetime(2026, 12, 3, 1, 2, 3))


class NotifierTest(testtools.TestCase):

    def notifier(self, text):
        conf = self.useFixture(conf_fixture.HurtleConf()).conf
        path = os.path.join(self.useFixture(fixtures.TempDir()).path,
                            'hurtle.conf')
        with open(path, 'w') as handle:
            handle.write(text)
        conf(['--config-file', path], project='hurtle-tests',
             default_config_files=[])
        return notifications.Notifier(conf, 'sm-a')

    def logged(self):
        return self.useFixture(fixtures.FakeLogger(
            name='oslo.messaging.notification', level='INFO',
            format='%(levelname)s %(message)s'))

    def messages(self, logger):
        return [(line.split(' ', 1)[0], json.loads(line.split(' ', 1)[1]))
                for line in logger.output.splitlines() if line]

    def test_off_without_a_driver(self):
        for text in ('', '[oslo_messaging_notifications]\ndriver =\n'):
            notifier = self.notifier(text)
            self.assertFalse(notifier.enabled)
            self.assertIsNone(notifier.operation('create', ROW, True))

    def test_start_then_end_with_the_payload(self):
        logger = self.logged()
        notifier = self.notifier('[oslo_messaging_notifications]\n'
                                 'driver = log\n')
        done = notifier.operation('create', ROW, accepted=True)
        done(types.SimpleNamespace(**dict(vars(ROW), state='active')), None)
        (p1, start), (p2, end) = self.messages(logger)
        self.assertEqual(('INFO', 'INFO'), (p1, p2))
        self.assertEqual('hurtle.instance.create.start', start['event_type'])
        self.assertEqual('hurtle-sm.sm-a', start['publisher_id'])
        self.assertEqual({'instance_id': 'i-1', 'project_id': 'p1',
                          'service_type': 'sample', 'state': 'initialise',
                          'created_at': '2026-12-03T01:02:03Z'},
                         start['payload'])
        self.assertEqual('hurtle.instance.create.end', end['event_type'])
        self.assertEqual('active', end['payload']['state'])
        self.assertGreaterEqual(end['payload']['duration'], 0)

    def test_resumed_work_sends_no_start_and_errors_carry_the_reason(self):
        logger = self.logged()
        notifier = self.notifier('[oslo_messaging_notifications]\n'
                                 'driver = log\n')
        done = notifier.operation('delete', ROW, accepted=False)
        done(None, 'dispose failed: no')
        [(priority, error)] = self.messages(logger)
        self.assertEqual('ERROR', priority)
        self.assertEqual('hurtle.instance.delete.error', error['event_type'])
        self.assertEqual('dispose failed: no', error['payload']['reason'])
        self.assertIsNone(error['payload']['state'])

    def test_oslo_messaging_is_not_imported_when_off(self):
        code = ('import sys\n'
                'from oslo_config import cfg\n'
                'from hurtle.sm import lifecycle, notifications\n'
                'conf = cfg.ConfigOpts()\n'
                'conf([], default_config_files=[])\n'
                'assert not notifications.Notifier(conf, "x").enabled\n'
                'print("oslo_messaging" in sys.modules)\n')
        out = subprocess.run([sys.executable, '-c', code], check=True,
                             capture_output=True, text=True, timeout=120)
        self.assertEqual('False', out.stdout.strip())
