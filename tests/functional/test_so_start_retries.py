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
"""An SO killed (SIGKILL) between its start and its first answer, through
the whole stack (``hurtle-all``: SM, CC with its fork server, embedded
Heat): the CC starts it again and the instance reaches ``active``; an SO
that dies at every attempt fails the instance with a reason that says
how, and leaves nothing.

The service is a copy of the sample whose ``so.py`` first sleeps 1 s
(the window to kill it in), or kills itself while a ``die`` file is in
its bundle.
"""
import os
import shutil
import signal
import tempfile
import threading
import time

import requests

from tests.functional import hurtle_fixture

SCHEME = 'http://schemas.hurtle.it/occi/sm#'
TIMEOUT = 120
PREFIX = '''import os as _os, signal as _signal, time as _time
if _os.path.exists(_os.path.join(_os.path.dirname(
        _os.path.abspath(__file__)), 'die')):
    _os.kill(_os.getpid(), _signal.SIGKILL)
_time.sleep(1.0)
'''


class SOStartRetriesTest(hurtle_fixture.HurtleTestCase):

    @classmethod
    def make_hurtle(cls):
        cls.service = tempfile.mkdtemp(prefix='hurtle-retry-')
        target = os.path.join(cls.service, 'sample')
        shutil.copytree(os.path.dirname(hurtle_fixture.SAMPLE_MANIFEST),
                        target)
        so_py = os.path.join(target, 'so', 'so.py')
        with open(so_py) as handle:
            text = handle.read()
        with open(so_py, 'w') as handle:
            handle.write(PREFIX + text)
        cls.die = os.path.join(target, 'so', 'die')
        return hurtle_fixture.HurtleParts(
            manifests=(os.path.join(target, 'manifest.json'),))

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(cls.service, ignore_errors=True)

    def setUp(self):
        super().setUp()
        self.client = self.sm_client('demo')
        self.cc = self.hurtle.cc_client()

    def create(self):
        resp = requests.post(self.hurtle.sm_url + 'sample/', headers=dict(
            self.headers(), **{
                'Category': 'sample; scheme="%s"; class="kind"' % SCHEME,
                'Content-Type': 'text/occi'}), timeout=30)
        self.assertEqual(201, resp.status_code, resp.text)
        return resp.headers['Location']

    def wait_state(self, location, wanted):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            attrs = self.client.get(location).attributes
            if attrs['mcn.service.state'] in wanted:
                return attrs
            time.sleep(0.2)
        self.fail('%s never reached %s\n%s'
                  % (location, wanted, self.hurtle.output()))

    def delete(self, location):
        requests.delete(location, headers=self.headers(), timeout=30)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            resp = requests.get(location, headers=self.headers(),
                                timeout=30)
            if resp.status_code == 404:
                return
            time.sleep(0.2)
        self.fail('%s still exists' % location)

    def test_an_so_killed_before_it_answers_is_started_again(self):
        before = set(self.hurtle.so_pids())
        killed = []

        def kill_the_first_new_so():
            deadline = time.monotonic() + 60
            while not killed and time.monotonic() < deadline:
                for pid in set(self.hurtle.so_pids()) - before:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    break
                time.sleep(0.01)
        killer = threading.Thread(target=kill_the_first_new_so, daemon=True)
        killer.start()
        location = self.create()
        killer.join(60)
        self.assertEqual(1, len(killed))
        attrs = self.wait_state(location, {'active', 'failed'})
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        instance_id = attrs['occi.core.id']
        # Started again by the start itself, not by the watcher after a
        # crash (which would count a restart); one SO, not the dead one.
        app = self.cc.get(self.hurtle.cc_url + 'app/' + instance_id)
        self.assertEqual(0, int(app.attributes['hurtle.app.restarts']))
        pids = self.hurtle.so_pids(instance_id)
        self.assertEqual(1, len(pids), pids)
        self.assertNotIn(pids[0], killed)
        self.delete(location)
        self.hurtle.wait_sos_gone(instance_id)

    def test_an_so_that_dies_at_every_attempt_fails_the_instance(self):
        with open(self.die, 'w'):
            pass
        self.addCleanup(os.unlink, self.die)
        location = self.create()
        attrs = self.wait_state(location, {'active', 'failed'})
        self.assertEqual('failed', attrs['mcn.service.state'])
        reason = attrs['mcn.service.state.reason']
        self.assertIn('starting the SO failed', reason)
        self.assertIn('killed by SIGKILL before it answered', reason)
        self.assertIn('3 attempts', reason)
        instance_id = attrs['occi.core.id']
        self.assertEqual([], self.hurtle.so_pids(instance_id))
        self.assertNotIn(instance_id, [
            loc.rstrip('/').rsplit('/', 1)[-1]
            for loc in self.cc.list('/app/')])
        self.assertFalse(any(
            name.startswith(instance_id) and name.endswith(
                ('.pid', '.port'))
            for name in os.listdir(os.path.join(self.hurtle.state, 'so'))))
        self.delete(location)
