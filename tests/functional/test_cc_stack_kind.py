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
"""An SO deploys through the CC's ``stack`` kind (the default ``cc``
deployer) on hurtle-all with its real embedded Heat: the SO holds no Heat
URL and no credentials, its stack is the CC's, and ``[deployer] driver =
heat`` still works."""
import configparser
import os
import stat
import time
import urllib.parse

import requests

from hurtle.cc import stack_reads
from hurtle.occi import client as occi_client
from tests.functional import hurtle_fixture
from tests.functional import test_cc_hardening
from tests import proc_sockets

SAMPLE = test_cc_hardening.SAMPLE
TIMEOUT = 120


class _DeployerTest(hurtle_fixture.HurtleTestCase):
    """One hurtle-all with the sample service and ``[deployer] driver``
    (None: the default)."""

    driver = None

    @classmethod
    def make_hurtle(cls):
        extra = '[deployer]\ndriver = %s\n' % cls.driver if cls.driver \
            else ''
        return hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,), extra_conf=extra)

    def setUp(self):
        super().setUp()
        self.sm = occi_client.OCCIClient(self.hurtle.sm_url,
                                         headers={'X-Project-Id': 'demo'})
        self.heat = self.hurtle.heat_client()

    def create_instance(self):
        location = self.sm.create('/sample/', SAMPLE,
                                  {'sample.greeting': 'via-cc'})
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            attrs = self.sm.get(location).attributes
            if attrs['mcn.service.state'] == 'failed':
                self.fail(attrs.get('mcn.service.state.reason'))
            if attrs['mcn.service.state'] == 'active':
                return location, attrs
            time.sleep(0.2)
        self.fail('instance not active within %d s' % TIMEOUT)

    def so_environ(self, instance_id):
        for pid, environ in test_cc_hardening._so_processes(
                self.hurtle.conf_path).items():
            if environ.get('HURTLE_INSTANCE_ID') == instance_id:
                with open('/proc/%d/cmdline' % pid, 'rb') as handle:
                    args = handle.read().decode().split('\0')
                return environ, args
        self.fail('no SO process for %s' % instance_id)

    def wait_gone(self, location):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            resp = requests.get(location, headers={'X-Project-Id': 'demo'})
            if resp.status_code == 404:
                return
            time.sleep(0.2)
        self.fail('instance not gone within %d s' % TIMEOUT)


class CCStackKindTest(_DeployerTest):

    def test_an_so_deploys_through_the_cc_with_no_cloud_credentials(self):
        location, attrs = self.create_instance()
        instance_id = attrs['occi.core.id']
        stack_id = attrs['occi.mcn.stack.id']
        self.assertIn('greeting=via-cc', attrs['mcn.endpoint.sample'])
        stack = self.heat.stacks.get(stack_id)
        # deploy created it, provision updated it
        self.assertEqual('UPDATE_COMPLETE', stack.stack_status)
        environ, args = self.so_environ(instance_id)
        self.assertEqual(instance_id, environ['HURTLE_APP_ID'])
        self.assertEqual(self.hurtle.cc_url.rstrip('/'),
                         environ['HURTLE_CC_URL'].rstrip('/'))
        self.assertEqual([], [k for k in environ if k.startswith('OS_')])
        # Its only configuration file holds no Heat URL, database or
        # secret, and only Hurtle's user may read it.
        so_conf = args[args.index('--config-file') + 1]
        self.assertEqual(1, args.count('--config-file'))
        self.assertEqual(os.path.join(self.hurtle.state, 'so', 'so.conf'),
                         so_conf)
        self.assertEqual(0o600, stat.S_IMODE(os.stat(so_conf).st_mode))
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(so_conf)
        self.assertEqual('cc', parser['deployer']['driver'])
        self.assertNotIn('heat_url', parser['deployer'])
        self.assertFalse(parser.has_section('database'))
        self.assertFalse(parser.has_section('service_credentials'))
        # The stack is the CC's: the SO finds it there with its secret.
        so_cc = occi_client.OCCIClient(self.hurtle.cc_url, retries=0,
                                       headers={
                                           'X-Auth-Token':
                                               environ['HURTLE_SO_SECRET'],
                                           'X-Hurtle-App-Id': instance_id})
        listed = so_cc.list('/stack/')
        self.assertEqual(1, len(listed))
        cc_stack = so_cc.get(listed[0]).attributes
        self.assertEqual(stack_id, cc_stack['hurtle.stack.id'])
        self.assertEqual('hurtle-%s' % instance_id, stack.stack_name)
        # Another SO's secret opens nothing.
        resp = requests.get(listed[0], headers={
            'X-Auth-Token': 'wrong', 'X-Hurtle-App-Id': instance_id})
        self.assertEqual(401, resp.status_code)
        self.sm.delete(location)
        self.wait_gone(location)
        hurtle_fixture.wait_unlisted(self, self.heat, [stack_id])

    def test_the_cc_keeps_its_connection_to_heat(self):
        # Each stack call used to build a new Heat client, hence open a
        # new connection to Heat (and drop it).
        location, attrs = self.create_instance()
        instance_id = attrs['occi.core.id']
        environ, _args = self.so_environ(instance_id)
        so_cc = occi_client.OCCIClient(self.hurtle.cc_url, retries=0,
                                       headers={
                                           'X-Auth-Token':
                                               environ['HURTLE_SO_SECRET'],
                                           'X-Hurtle-App-Id': instance_id})
        stack = so_cc.list('/stack/')[0]
        cc_pid = self.hurtle.part_pid('hurtle.cmd.cc')
        heat_port = urllib.parse.urlsplit(self.hurtle.heat_url).port
        seen = set()
        for _ in range(5):
            # Past stack_reads.REUSE_SECONDS: each GET reads from Heat.
            time.sleep(stack_reads.REUSE_SECONDS + 0.1)
            self.assertEqual('UPDATE_COMPLETE', so_cc.get(stack).attributes[
                'hurtle.stack.state'])
            held = proc_sockets.local_ports(cc_pid, heat_port)
            self.assertTrue(held, 'the CC kept no connection to Heat')
            seen |= held
        self.assertLessEqual(len(seen), 2, seen)
        self.sm.delete(location)
        self.wait_gone(location)


class HeatDriverTest(_DeployerTest):
    """``[deployer] driver = heat``: the SO talks to Heat itself with the
    CC's configuration, as before the CC served stacks."""

    driver = 'heat'

    def test_the_heat_driver_still_deploys(self):
        location, attrs = self.create_instance()
        environ, args = self.so_environ(attrs['occi.core.id'])
        self.assertIn(self.hurtle.conf_path, args)
        self.assertEqual('UPDATE_COMPLETE', self.heat.stacks.get(
            attrs['occi.mcn.stack.id']).stack_status)
        self.sm.delete(location)
        self.wait_gone(location)
