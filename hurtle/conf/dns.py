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
"""``[dns]`` options: the DNS support service SOs use through the SDK
(``hurtle.sdk.dns``). See doc/source/admin/dns.rst."""
from oslo_config import cfg

GROUP = 'dns'

dns_group = cfg.OptGroup(GROUP, title='DNS names of service endpoints')

dns_opts = [
    cfg.StrOpt('driver', default='none',
               help='DNS driver (entry point in hurtle.sdk.dns): "none" '
                    'registers nothing, "designate" creates recordsets in '
                    'an OpenStack Designate zone. An unknown name stops '
                    'the SO with the list of the installed drivers.'),
    cfg.StrOpt('zone', default='',
               help='Zone (fully qualified, ending with a dot, e.g. '
                    'services.example.org.) the names of endpoints are '
                    'registered in; required by the designate driver.'),
    cfg.IntOpt('ttl', default=300, min=1,
               help='Time to live, in seconds, of the records created.'),
    cfg.URIOpt('endpoint',
               help='URL of the Designate v2 API (e.g. '
                    'http://127.0.0.1:9001/v2). Unset: from the Keystone '
                    'catalog ([service_credentials]); required when '
                    'auth_strategy is noauth.'),
    cfg.BoolOpt('insecure', default=False,
                help='Skip TLS verification towards the DNS service.'),
]


def register_opts(conf):
    conf.register_group(dns_group)
    conf.register_opts(dns_opts, group=dns_group)


def list_opts():
    return {dns_group.name: dns_opts}
