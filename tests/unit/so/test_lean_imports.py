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
"""What an SO process imports: ``hurtle-so`` serving the sample bundle
(its real entry point, ``hurtle.cmd.so.main``, in a fresh interpreter,
until it answers ``GET /-/``) holds none of the libraries only the API
servers use (each was megabytes of every SO's resident memory,
benchmarks/so_memory.py); and the SO parts that read a left-out option
group, the ``heat`` deployer and the ``designate`` DNS driver, still get
their ``[service_credentials]`` from the SO's configuration file."""
import json
import os
import subprocess
import sys

import fixtures
import testtools

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BUNDLE = os.path.join(ROOT, 'samples', 'sample', 'so')

#: Top-level packages an SO never uses (the SM's and CC's database,
#: middleware, policy and Keystone client stacks).
SERVER_LIBRARIES = ('alembic', 'greenlet', 'heatclient', 'jinja2',
                    'keystoneauth1', 'keystonemiddleware', 'oslo_concurrency',
                    'oslo_db', 'oslo_middleware', 'oslo_policy', 'osprofiler',
                    'sqlalchemy', 'webob')

# Runs hurtle-so's main() as is; a thread waits until it serves, asks
# GET /-/, writes the top-level modules loaded then and stops the SO as
# the CC does (SIGTERM).
SO_CHILD = r'''
import json, os, signal, sys, threading, time, urllib.request
from hurtle.cmd import so
port_file, out = sys.argv[1], sys.argv[2]

def watch():
    for _ in range(600):
        if os.path.exists(port_file):
            break
        time.sleep(0.1)
    port = int(open(port_file).read())
    req = urllib.request.Request('http://127.0.0.1:%d/-/' % port,
                                 headers={'X-Auth-Token': 'lean-secret'})
    status = urllib.request.urlopen(req, timeout=30).status
    with open(out, 'w') as handle:
        json.dump({'status': status, 'modules': sorted(
            {m.split('.')[0] for m in sys.modules})}, handle)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=watch, daemon=True).start()
so.main(sys.argv[3:])
'''

# A process started as hurtle-so is (server=False) loads the heat
# deployer with keystone credentials from its configuration file.
HEAT_CHILD = r'''
import json, sys
from hurtle import service
from hurtle.sdk import deployer
conf = service.prepare_service(['--config-file', sys.argv[1]], 'test',
                               database=False, server=False)
heat = deployer.load(conf, 'p')
auth = heat.client.http_client.session.auth
print(json.dumps({'interface': heat.client.http_client.interface,
                  'auth_url': auth.auth_url, 'username': auth._username}))
'''

# The same for the designate DNS driver: its Keystone session's options.
DNS_CHILD = r'''
import json, sys
from hurtle import service
from hurtle.sdk import dns
conf = service.prepare_service(['--config-file', sys.argv[1]], 'test',
                               database=False, server=False)
session = dns.load(conf).client.session.session
print(json.dumps({'timeout': session.timeout,
                  'auth_url': session.auth.auth_url}))
'''

CREDENTIALS = ('[service_credentials]\nauth_type = password\n'
               'auth_url = http://keystone.test/v3\nusername = hurtle\n'
               'password = pw\nproject_name = service\n'
               'user_domain_id = default\nproject_domain_id = default\n')


class LeanImportsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.state = self.useFixture(fixtures.TempDir()).path

    def write_conf(self, text):
        path = os.path.join(self.state, 'so.conf')
        with open(path, 'w') as handle:
            handle.write('[DEFAULT]\nstate_path = %s\n%s' % (self.state, text))
        return path

    def test_a_serving_so_holds_no_server_library(self):
        conf = self.write_conf('[deployer]\ndriver = cc\n')
        port_file = os.path.join(self.state, 'port')
        out = os.path.join(self.state, 'modules.json')
        env = dict(os.environ, HURTLE_SO_SECRET='lean-secret',
                   HURTLE_INSTANCE_ID='lean', HURTLE_APP_ID='lean-app',
                   HURTLE_CC_URL='http://127.0.0.1:9/')
        subprocess.run(
            [sys.executable, '-P', '-c', SO_CHILD, port_file, out,
             '--config-file', conf, '--bundle', BUNDLE, '--port', '0',
             '--port-file', port_file],
            env=env, capture_output=True, timeout=120, check=True)
        with open(out) as handle:
            seen = json.load(handle)
        self.assertEqual(200, seen['status'])
        # What it does need is there (the check sees the SO's modules).
        self.assertIn('oslo_config', seen['modules'])
        self.assertIn('hurtle', seen['modules'])
        self.assertEqual([], sorted(set(SERVER_LIBRARIES) &
                                    set(seen['modules'])))

    def test_the_heat_deployer_reads_its_service_credentials(self):
        conf = self.write_conf(
            'auth_strategy = keystone\n'
            '[deployer]\ndriver = heat\nheat_url = http://heat.test/v1\n' +
            CREDENTIALS + 'interface = internal\n')
        self.assertEqual({'interface': 'internal',
                          'auth_url': 'http://keystone.test/v3',
                          'username': 'hurtle'}, self.child(HEAT_CHILD, conf))

    def test_the_designate_driver_reads_its_service_credentials(self):
        conf = self.write_conf(
            'auth_strategy = keystone\n'
            '[dns]\ndriver = designate\nzone = example.test.\n' +
            CREDENTIALS + 'timeout = 7\n')
        self.assertEqual({'timeout': 7, 'auth_url': 'http://keystone.test/v3'},
                         self.child(DNS_CHILD, conf))

    def child(self, script, conf):
        out = subprocess.run([sys.executable, '-P', '-c', script, conf],
                             capture_output=True, text=True, timeout=60,
                             check=True)
        return json.loads(out.stdout.strip().splitlines()[-1])
