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
"""``[design]`` options: the CC's design service, the catalogue of
service types and the SMs serving them (``hurtle.cc.design``). See
doc/source/admin/composition.rst."""
from oslo_config import cfg

GROUP = 'design'

design_group = cfg.OptGroup(
    GROUP, title='The CC\'s design service (service type -> SM endpoint)')

design_opts = [
    cfg.ListOpt('services', default=[],
                help='Service types the design service knows: entries '
                     '<service_type>=<collection URL>, e.g. '
                     'http://schemas.hurtle.it/occi/sm#dns='
                     'http://127.0.0.1:8890/dns/ . They come first; a bad '
                     'entry stops the CC at start.'),
    cfg.BoolOpt('sm_manifests', default=True,
                help='Also list the services of [sm] manifests, at '
                     'http://[sm] host:port/<term>/ (the SM sharing this '
                     'configuration file, as in the embedded default).'),
    cfg.BoolOpt('keystone_catalog', default=True,
                help='With auth_strategy = keystone: also list every '
                     'Hurtle service type (<scheme>#<term>) of the '
                     'Keystone catalog on catalog_interface in region, '
                     'read with the CC\'s [service_credentials].'),
    cfg.StrOpt('catalog_interface', default='public',
               choices=['public', 'internal', 'admin'],
               help='Keystone catalog interface of the endpoints listed.'),
    cfg.StrOpt('region', default='RegionOne',
               help='Keystone region of the endpoints listed.'),
]


def register_opts(conf):
    conf.register_group(design_group)
    conf.register_opts(design_opts, group=design_group)


def list_opts():
    return {design_group.name: design_opts}
