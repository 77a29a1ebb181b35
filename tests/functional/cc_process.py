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
"""A real ``hurtle-cc`` process alone (no SM, no Heat) for tests of its
runtimes: started on a held loopback port with a hurtle.conf of the
test's, killed (SIGKILL) and started again at will."""
import os
import types

import fixtures

from hurtle.cmd import all as all_cmd
from hurtle import local_secret
from hurtle.occi import client as occi_client
from tests import net

TIMEOUT = 60

CONF = """
[DEFAULT]
state_path = {state}
auth_strategy = noauth

[cc]
port = {port}
"""


class CCProcess(fixtures.Fixture):
    """``hurtle-cc`` with ``<state>/hurtle.conf`` (noauth, ``state``, a
    held port) whose ``[cc]`` section ends with ``cc_options`` (a
    ``str.format`` template given ``state``, ``port`` and ``values``,
    which may open further sections); ``.url``, ``.child``
    (``hurtle.cmd.all.Child``), ``.client`` (an OCCI client as the SM
    calls it: project ``service`` and the local secret),
    ``.conf_path``."""

    def __init__(self, state, cc_options, **values):
        super().__init__()
        self.state = state
        self.conf = CONF + cc_options
        self.values = values

    def _setUp(self):
        ports = net.Ports()
        self.addCleanup(ports.release)
        port = ports.take()
        self.conf_path = os.path.join(self.state, 'hurtle.conf')
        with open(self.conf_path, 'w') as handle:
            handle.write(self.conf.format(state=self.state, port=port,
                                          **self.values))
        self.url = 'http://127.0.0.1:%d/' % port
        self.child = all_cmd.Child(
            'hurtle-cc', 'hurtle.cmd.cc', self.url + '-/',
            types.SimpleNamespace(state_path=self.state,
                                  config_file=[self.conf_path]))
        self.addCleanup(self.child.stop)
        self.start()
        self.client = occi_client.OCCIClient(
            self.url, retries=0, headers=dict(
                local_secret.headers(self.state), **{
                    'X-Project-Id': 'service'}))

    def start(self):
        """Start it; return once it answers."""
        self.child.start()
        self.child.wait_ready(TIMEOUT)

    def kill(self):
        """SIGKILL it (by its pid) and reap it."""
        self.child.proc.kill()
        self.child.proc.wait()

    def log(self):
        """Its log so far (text)."""
        with open(self.child.log_path, 'rb') as handle:
            return handle.read().decode('utf-8', 'replace')
