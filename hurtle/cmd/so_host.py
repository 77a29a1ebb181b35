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
"""``hurtle-so-host``: many SOs of one bundle in one process
(:mod:`hurtle.so.host`).

Started by the CC's ``shared`` runtime as::

    hurtle-so-host --config-file so.conf --bundle DIR --host 127.0.0.1 \
        --socket <state_path>/so/hosts/<key>.sock

It starts no SO by itself: the CC sends ``start``/``stop``/``list``
commands over the socket (:mod:`hurtle.so_host_protocol`). SIGTERM or
SIGINT stops every SO (their state files stay) and the host.
"""
import logging
import os
import sys
import threading

from oslo_config import cfg

from hurtle.cmd import so as so_cmd
from hurtle import service
from hurtle import signal_relay
from hurtle.so import bundle as so_bundle
from hurtle.so import host as so_host

LOG = logging.getLogger(__name__)

#: ``--bundle`` and ``--host`` as ``hurtle-so`` takes them, and the socket.
cli_opts = so_cmd.cli_opts[:2] + [
    cfg.StrOpt('socket', required=True,
               help='Unix socket to take the CC\'s commands on.'),
]


def main(argv=None):
    service.CONF.register_cli_opts(cli_opts)
    conf = service.prepare_service(sys.argv[1:] if argv is None else argv,
                                   'Hurtle shared SO host', database=False,
                                   server=False)
    so_host.install_log_tags()
    bundle_dir = os.path.abspath(conf.bundle)
    try:
        so_class = so_bundle.load_class(bundle_dir)
    except so_bundle.BundleError as exc:
        sys.exit('hurtle-so-host: %s' % exc)
    host = so_host.Host(conf, bundle_dir, so_class, conf.host)
    try:
        server = so_host.CommandServer(conf.socket, host)
    except OSError as exc:
        sys.exit('hurtle-so-host: cannot listen on %s: %s'
                 % (conf.socket, exc.strerror or exc))
    stopping = threading.Event()

    def _stop(signum):
        if not stopping.is_set():
            stopping.set()
            LOG.info('hurtle-so-host: signal %d, stopping', signum)
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal_relay.handle(signal_relay.STOP_SIGNALS, _stop)
    LOG.info('hurtle-so-host of %s takes commands on %s', bundle_dir,
             conf.socket)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        host.stop_all()
    LOG.info('hurtle-so-host of %s stopped', bundle_dir)


if __name__ == '__main__':
    main()
