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
"""An SM served over real HTTP on 127.0.0.1, for the SM's unit tests.

``SMServer`` writes a one-service manifest, brings an SQLite database up to
date and serves the SM's OCCI application behind the noauth middleware
(requests without a project header belong to ``p1``). No CC runs: ``[sm]
cc_url`` points at a closed port, so instances fail in ``initialise``
after :data:`PHASE_TIMEOUT` (or,
once active by hand, an update ends ``degraded``) and the tests check the
API's own rules around that.
"""
import json
import os

import fixtures

from hurtle.db import migration
from hurtle import manifest as manifest_mod
from hurtle.occi import client as occi_client
from hurtle.occi import middleware
from hurtle.occi import server
from hurtle.sm import api
from hurtle.sm import states
from tests import conf_fixture
from tests import net

DEFAULT_TYPE = 'http://example.org/occi/sm#svc'
#: ``[sm] phase_timeout`` unless given: the CC is unreachable, which an
#: instance's start waits out until then before it fails.
PHASE_TIMEOUT = 1


class SMServer(fixtures.Fixture):
    """Attributes after setUp: ``conf``, ``manifest``, ``url`` (with a
    trailing slash), ``client`` (OCCI client as project ``p1``),
    ``application`` (the SM's OCCI application, without middleware),
    ``lifecycle`` and ``store`` of the application serving now.

    :param service_attributes: the manifest's ``service_attributes``.
    :param so_bundle: the manifest's ``so_bundle`` (default: an empty
        directory).
    :param cc_url: ``[sm] cc_url`` (default: a closed port).
    :param overrides: more ``group__option=value`` of the configuration
        (e.g. ``database__connection``: another database than the SQLite
        one under ``state_path``).
    """

    def __init__(self, service_attributes, service_type=DEFAULT_TYPE,
                 description='test service', so_bundle=None, cc_url=None,
                 **overrides):
        super().__init__()
        self.overrides = overrides
        self.document = {'service_type': service_type,
                         'service_description': description,
                         'service_attributes': service_attributes}
        self.so_bundle = so_bundle
        self.cc_url = cc_url

    def _setUp(self):
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            sm__cc_url=self.cc_url or
            'http://127.0.0.1:%d/' % net.held_port(self),
            sm__call_retries=0, sm__poll_interval=0.05,
            **dict({'sm__phase_timeout': PHASE_TIMEOUT},
                   **self.overrides))).conf
        migration.upgrade(self.conf.database.connection)
        tmp = self.useFixture(fixtures.TempDir()).path
        path = os.path.join(tmp, 'manifest.json')
        with open(path, 'w') as handle:
            json.dump(dict(self.document, so_bundle=self.so_bundle or tmp),
                      handle)
        self.manifest = manifest_mod.load(path)
        self.start()

    def start(self):
        """Serve a new SM application on the same database (as an SM
        restart does); the previous one keeps serving until cleanUp."""
        application, self.lifecycle = api.make_application(
            self.conf, [self.manifest])
        self.application = application
        self.addCleanup(self.lifecycle.shutdown)
        srv, _thread = server.serve_in_thread(
            middleware.NoAuthMiddleware(application, default_project='p1'),
            host_check=api.host_guard(self.conf))   # as hurtle-sm
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        self.url = 'http://127.0.0.1:%d/' % srv.server_port
        self.client = occi_client.OCCIClient(
            self.url, headers={'X-Project-Id': 'p1'}, retries=0)
        self.store = self.lifecycle.store


def move(store, instance_id, state):
    """Put the instance in ``state`` as its lifecycle would (``destroy``:
    from ``active``, a delete begun as ``DELETE`` begins it); return
    whether it is there."""
    if state == states.DESTROY:
        store.transition(instance_id, states.ACTIVE)
        return store.begin(instance_id, states.DESTROY,
                           states.DELETABLE) is not None
    return store.transition(instance_id, state)
