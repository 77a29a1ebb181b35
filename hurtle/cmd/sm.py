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
"""``hurtle-sm``: the Service Manager API ([sm] host:port, default 8888).

Once it listens it resumes the work in progress (``Lifecycle.recover``);
the take-over of that work and the SO watcher wait until the CC answers
(at most ``[sm] phase_timeout`` seconds), so that the SM and the CC can
start together (``hurtle-all``) without the resumed work or the watcher
finding the CC unreachable.
"""
import logging
import socket
import sys

from hurtle.cmd import common
from hurtle import manifest as manifest_mod
from hurtle import service
from hurtle.sm import api as sm_api
from hurtle.sm import registration
from hurtle.sm import service as sm_service
from hurtle.wsgi import app as wsgi_app

LOG = logging.getLogger(__name__)


def main(argv=None):
    conf = service.prepare_service(sys.argv[1:] if argv is None else argv,
                                   'Hurtle Service Manager')
    service.upgrade_database(conf)
    if not conf.sm.replica_id and conf.sm.port:
        # One hurtle-sm per host and port: a stable replica id lets a
        # restarted SM resume its own work at once instead of after its
        # leases expire. Recovery runs only once the port is bound, so a
        # second SM started by mistake on the same port exits before it
        # touches the first one's work.
        conf.set_default('replica_id', '%s:%d' % (socket.gethostname(),
                                                  conf.sm.port), group='sm')
    try:
        application, lifecycle = wsgi_app.load_app(conf, 'hurtle-sm')
    except (manifest_mod.ManifestError, ValueError) as exc:
        sys.exit('hurtle-sm: %s' % exc)
    try:
        sm_service.register_services(conf, lifecycle)
    except registration.RegistrationError as exc:
        sys.exit('hurtle-sm: %s' % exc)
    common.serve(conf, application, conf.sm.host, conf.sm.port, 'hurtle-sm',
                 on_bound=lambda port: lifecycle.recover(
                     peers_ready=lifecycle.wait_for_cc),
                 on_signal=lifecycle.stop_work,
                 on_stop=lambda: lifecycle.shutdown(wait=False),
                 host_check=sm_api.host_guard(conf))


if __name__ == '__main__':
    main()
