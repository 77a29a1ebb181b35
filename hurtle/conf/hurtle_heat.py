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
"""``[hurtle_heat]``: heat.conf options of ``Hurtle::Service::Instance``.

Read by heat-engine (the resource registers this group on Heat's CONF);
listed here so that oslo-config-generator documents them. For the
embedded Heat, ``hurtle-heat`` copies the group from Hurtle's own config
files into the heat.conf it generates (after the local SM's services in
``service_catalogue``).
"""
from oslo_config import cfg

GROUP = 'hurtle_heat'

_opts = [
    cfg.StrOpt('auth_strategy', default='auto',
               choices=[('auto', 'noauth when Heat runs with '
                                 '[paste_deploy] flavor = noauth, else '
                                 'keystone'),
                        ('keystone', 'forward a Keystone token of the '
                                     "stack's context"),
                        ('noauth', "send the stack's project in "
                                   'X-Project-Id/X-Auth-Project headers')],
               help='How Hurtle::Service::Instance authenticates to '
                    'service managers.'),
    cfg.MultiStrOpt('service_catalogue', default=[],
                    help='Catalogue of Hurtle services for the '
                         'service_type property: repeatable entries '
                         '"<service_type>=<service endpoint URL>", e.g. '
                         '"http://schemas.mobile-cloud-networking.eu/occi/'
                         'sm#sample=http://127.0.0.1:8888/sample/". '
                         'Consulted before the Keystone service catalog.'),
    cfg.StrOpt('endpoint_interface', default='public',
               choices=['public', 'internal', 'admin'],
               help='Keystone catalog interface used to find a service '
                    'manager by service type.'),
    cfg.BoolOpt('insecure', default=False,
                help='Do not verify the TLS certificates of service '
                     'managers (testing only).'),
    cfg.StrOpt('ca_file',
               help='CA bundle used to verify service managers\' TLS '
                    'certificates (default: the system bundle).'),
    cfg.FloatOpt('request_timeout', default=30.0, min=0.1,
                 help='Timeout in seconds of each HTTP request to a '
                      'service manager.'),
]


def register_opts(conf):
    """Register the ``[hurtle_heat]`` options on ``conf``."""
    conf.register_opts(_opts, group=GROUP)


def list_opts():
    """``{group: [opts]}`` for oslo-config-generator."""
    return {GROUP: list(_opts)}
