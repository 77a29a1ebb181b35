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
"""``hurtle-so``: serves the SO API of one Service Orchestrator bundle.

Started by the CC's ``local`` runtime as::

    hurtle-so --config-file hurtle.conf --bundle DIR --port 0 \
        --port-file FILE

with the per-instance environment set by the SM: ``HURTLE_SO_SECRET``
(required; callers must send it as ``X-Auth-Token``),
``HURTLE_INSTANCE_ID``, ``HURTLE_PROJECT``, ``HURTLE_SO_TEMPLATES`` (JSON
``{"deployment": path, "provision": path}``), ``HURTLE_SO_REGIONS``
(JSON ``{region: {"deployment": path, "provision": path}}``, for a
manifest that lists ``regions``: the SO gets a deployer per region),
``HURTLE_TRUST_ID`` (the
instance's Keystone trust: the deployer deploys with it, see
``hurtle.sm.trusts``), and from the CC ``HURTLE_APP_ID`` and
``HURTLE_CC_URL`` (the default ``cc`` deployer creates the SO's stacks at
the CC's ``stack`` kind with them and the secret). The SO's snapshot is
kept in
``<state_path>/so/<instance id>.json`` so a restarted SO resumes.

With ``HURTLE_SO_READY_FD`` in its environment (the CC's ``local``
runtime sets it), the SO writes its port there once it listens, after
the port file (:mod:`hurtle.so_ready`): the CC learns at once that it
answers.
"""
import logging
import os
import sys

from oslo_config import cfg

from hurtle.cmd import common
from hurtle import service
from hurtle.so import bundle as so_bundle
from hurtle.so import instance as so_instance
from hurtle import so_ready

LOG = logging.getLogger(__name__)

cli_opts = [
    cfg.StrOpt('bundle', required=True,
               help='SO bundle directory (contains so.py).'),
    cfg.HostAddressOpt('host', default='127.0.0.1',
                       help='Address to bind the SO API to.'),
    cfg.PortOpt('port', default=0, help='Port (0: any free port).'),
    cfg.StrOpt('port-file',
               help='File to write the bound port to, once listening.'),
]


def _write_port(path, port):
    tmp = path + '.tmp'
    with open(tmp, 'w') as handle:
        handle.write('%d\n' % port)
    os.replace(tmp, path)


def main(argv=None):
    # First: whatever fails below closes it by the exit, which the CC
    # reads as this SO's end.
    ready_fd = so_ready.take(os.environ)
    service.CONF.register_cli_opts(cli_opts)
    conf = service.prepare_service(sys.argv[1:] if argv is None else argv,
                                   'Hurtle Service Orchestrator runtime',
                                   database=False, server=False)
    env = dict(os.environ)
    bundle_dir = os.path.abspath(conf.bundle)
    try:
        so_class = so_bundle.load_class(bundle_dir)
    except so_bundle.BundleError as exc:
        sys.exit('hurtle-so: %s' % exc)
    try:
        application = so_instance.build(conf, bundle_dir, so_class, env)
    except so_instance.InstanceError as exc:
        sys.exit('hurtle-so: %s' % exc)
    instance_id = so_instance.instance_id(env)

    def on_bound(port):
        if conf.port_file:
            _write_port(conf.port_file, port)
        so_ready.notify(ready_fd, port)
    common.serve(conf, application, conf.host, conf.port,
                 'hurtle-so %s' % instance_id, on_bound=on_bound)


if __name__ == '__main__':
    main()
