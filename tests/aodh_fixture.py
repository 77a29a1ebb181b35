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
"""A real Aodh API (PyPI ``aodh``) for tests, in its own virtualenv.

:data:`VENV` (``.tox/aodh``, or ``$HURTLE_AODH_VENV``) is created with
pip on first use and reused (``tests.keystone_fixture.ensure_venv``'s
way). :class:`Aodh` writes an aodh.conf (SQLite storage, ``[api]
auth_mode = noauth``, no messaging), runs ``aodh-dbsync`` and serves
``aodh-api`` on a free loopback port (``.url``), stopped by its pid.

Aodh checks a Gnocchi threshold alarm's ``aggregation_method`` against
Gnocchi's ``GET /v1/capabilities`` when the alarm is created; Gnocchi
does not run here, so :class:`GnocchiCapabilities` answers that one
request (with the methods Gnocchi 4 lists), reached through Gnocchi's own
``gnocchi-noauth`` keystoneauth plugin. Alarms are stored and validated
by the real Aodh; nothing evaluates them (no evaluator or notifier), so
tests that need an alarm to fire use ``tests/aodh_simulator.py``.
"""
import json
import os
import subprocess
import time

import fixtures
import requests

from tests import json_api_server
from tests import keystone_fixture
from tests import net
from tests import processes

REQUIREMENT = 'aodh==23.0.0'
VENV = os.environ.get('HURTLE_AODH_VENV') or os.path.join(
    keystone_fixture.ROOT, '.tox', 'aodh')
#: Gnocchi 4's aggregation methods (its capabilities document).
AGGREGATION_METHODS = ['mean', 'min', 'max', 'sum', 'count', 'std',
                       'median', 'first', 'last', 'rate:mean',
                       'rate:last']

CONF_TEMPLATE = """
[DEFAULT]
transport_url = fake://
log_file = {dir}/aodh.log

[api]
auth_mode = noauth

[database]
connection = sqlite:///{dir}/aodh.sqlite

[oslo_messaging_notifications]
driver = noop

[service_credentials]
auth_type = gnocchi-noauth
user_id = aodh
project_id = service
roles = admin
endpoint = {gnocchi}
"""


class GnocchiCapabilities(json_api_server.JSONAPIServer):
    """Gnocchi's ``GET /v1/capabilities``, the one call aodh-api makes to
    Gnocchi when it validates a ``gnocchi_resources_threshold`` alarm."""

    ROUTES = [('GET', r'/v1/capabilities/?', 'capabilities')]

    def __init__(self):
        super().__init__(token=None)

    def capabilities(self, query, body):
        return 200, {'aggregation_methods': AGGREGATION_METHODS,
                     'dynamic_aggregation_methods': {}}


class Aodh(fixtures.Fixture):
    """``aodh-api`` on ``.url``; requests need ``X-Project-Id`` and
    ``X-User-Id`` (noauth)."""

    start_timeout = 120

    def _setUp(self):
        self.bindir = keystone_fixture.ensure_venv(VENV, (REQUIREMENT,))
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.gnocchi = GnocchiCapabilities().start()
        self.addCleanup(self.gnocchi.stop)
        self.conf_path = os.path.join(self.dir, 'aodh.conf')
        with open(self.conf_path, 'w') as handle:
            handle.write(CONF_TEMPLATE.format(dir=self.dir,
                                              gnocchi=self.gnocchi.url))
        subprocess.run([os.path.join(self.bindir, 'aodh-dbsync'),
                        '--config-file', self.conf_path], check=True,
                       capture_output=True, timeout=300)
        # Held while the fixture lives (tests.net.reserve_port).
        ports = net.Ports()
        self.addCleanup(ports.release)
        self.port = ports.take()
        self.url = 'http://127.0.0.1:%d' % self.port
        self._out = open(os.path.join(self.dir, 'aodh-api.out'), 'ab')
        self.addCleanup(self._out.close)
        self.proc = subprocess.Popen(
            [os.path.join(self.bindir, 'aodh-api'), '--host', '127.0.0.1',
             '--port', str(self.port), '--', '--config-file',
             self.conf_path],
            stdout=self._out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, cwd=self.dir)
        self.addCleanup(self.stop)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('aodh-api exited (%s):\n%s'
                                   % (self.proc.returncode, self.output()))
            try:
                if requests.get(self.url + '/v2/alarms', timeout=5,
                                headers=self.headers()).ok:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError('aodh-api did not start:\n%s' % self.output())

    @staticmethod
    def headers(project='service'):
        return {'X-Project-Id': project, 'X-User-Id': 'hurtle',
                'X-Roles': 'admin'}

    def alarms(self, project='service'):
        """Every alarm of ``project`` (list of dicts), read from aodh."""
        return json.loads(requests.get(self.url + '/v2/alarms', timeout=10,
                                       headers=self.headers(project)).text)

    def stop(self):
        """Stop aodh-api (SIGTERM, SIGKILL after 30 s) by its pid."""
        proc, self.proc = self.proc, None
        processes.terminate(proc)

    def output(self):
        return processes.tails(self.dir, ('aodh-api.out', 'aodh.log'))
