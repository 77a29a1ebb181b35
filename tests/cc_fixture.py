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
"""The CC's real paste pipeline (``hurtle-cc``) served in a thread on a
loopback port, with apps recorded as the SM's create leaves them (their
SO's secret in the environment), for tests of the ``stack`` kind."""
import fixtures

from hurtle.db import engine as db_engine
from hurtle.db import migration
from hurtle.db import models
from hurtle.occi import server
from hurtle.wsgi import app as wsgi_app


class CCServer(fixtures.Fixture):
    """``.url`` of a CC serving with ``conf``.

    :param apps: ``{app id: SO secret}`` of the apps to record (project
        ``service``, their instance's project ``p1``).
    :param port: the port to serve on (0: a free one).
    :param server_options: more keywords of
        ``hurtle.occi.server.make_server`` (e.g. ``keep_alive=False``).

    ``.backend``: the CC's ``AppBackend`` (its ``stacks``: the stack
    kind's backend).
    """

    def __init__(self, conf, apps, port=0, **server_options):
        super().__init__()
        self.conf = conf
        self.apps = dict(apps)
        self.port = port
        self.server_options = server_options

    def _setUp(self):
        url = self.conf.database.connection
        migration.upgrade(url)
        with db_engine.sessionmaker(url).begin() as session:
            for app_id, secret in self.apps.items():
                session.add(models.App(
                    id=app_id, project='service', name=app_id,
                    image='bundle', state='active',
                    env={'HURTLE_SO_SECRET': secret,
                         'HURTLE_PROJECT': 'p1'}))
        application, self.backend = wsgi_app.load_app(self.conf,
                                                      'hurtle-cc')
        srv, _thread = server.serve_in_thread(application, port=self.port,
                                              **self.server_options)
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        self.url = 'http://127.0.0.1:%d/' % srv.server_port
