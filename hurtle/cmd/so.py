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
"""
import json
import logging
import os
import sys

from oslo_config import cfg

from hurtle.cmd import common
from hurtle.conf import monitoring as monitoring_conf
from hurtle.sdk import context as so_context
from hurtle.sdk import deployer as deployers
from hurtle.sdk import dns as sdk_dns
from hurtle.sdk import monitoring as sdk_monitoring
from hurtle import service
from hurtle.so import api as so_api
from hurtle.so import bundle as so_bundle
from hurtle.so import secret as so_secret

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


def _json_env(name):
    """The JSON object in environment variable ``name`` ({} if unset);
    exits naming the variable if it is not one."""
    try:
        value = json.loads(os.environ.get(name) or '{}')
    except ValueError:
        value = None
    if not isinstance(value, dict):
        sys.exit('hurtle-so: %s is not a JSON object' % name)
    return value


def main(argv=None):
    service.CONF.register_cli_opts(cli_opts)
    conf = service.prepare_service(sys.argv[1:] if argv is None else argv,
                                   'Hurtle Service Orchestrator runtime',
                                   database=False)
    secret = os.environ.get(so_secret.ENV_VAR, '')
    if not secret:
        sys.exit('hurtle-so: %s is not set; an SO never serves without its '
                 'secret' % so_secret.ENV_VAR)
    bundle_dir = os.path.abspath(conf.bundle)
    try:
        so_class = so_bundle.load_class(bundle_dir)
    except so_bundle.BundleError as exc:
        sys.exit('hurtle-so: %s' % exc)
    instance_id = os.environ.get('HURTLE_INSTANCE_ID', 'default')
    project = os.environ.get('HURTLE_PROJECT', conf.deployer.heat_project)
    templates = _json_env('HURTLE_SO_TEMPLATES')
    regions = _json_env('HURTLE_SO_REGIONS')
    trust_id = os.environ.get('HURTLE_TRUST_ID')
    try:
        deployer = deployers.load(conf, project, trust_id=trust_id)
        regional = {region: deployers.load(conf, project, trust_id=trust_id,
                                           region=region)
                    for region in regions}
        dns = sdk_dns.load(conf)
    except RuntimeError as exc:   # also an unknown driver name
        sys.exit('hurtle-so: %s' % exc)
    # The CC's monitoring service, where the CC said it is (HURTLE_CC_URL,
    # [cc] url): an SO given only so.conf knows no [cc] host and port.
    cc_url = (os.environ.get('HURTLE_CC_URL', '').rstrip('/') or
              monitoring_conf.webhook_base(conf))
    monitoring = sdk_monitoring.Monitoring(cc_url + '/monitoring',
                                           instance_id, secret)

    def factory():
        return so_class(so_context.SOContext(
            instance_id=instance_id, bundle_dir=bundle_dir,
            templates=templates, deployer=deployer, project=project,
            monitoring=monitoring, dns=dns, regions=regions,
            regional_deployers=regional))

    state_dir = os.path.join(conf.state_path, 'so')
    os.makedirs(state_dir, exist_ok=True)
    application = so_secret.SecretMiddleware(
        so_api.make_application(
            factory, os.path.join(state_dir, '%s.json' % instance_id)),
        secret)

    def on_bound(port):
        if conf.port_file:
            _write_port(conf.port_file, port)
    common.serve(conf, application, conf.host, conf.port,
                 'hurtle-so %s' % instance_id, on_bound=on_bound)


if __name__ == '__main__':
    main()
