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
"""``[occi]`` options: the OCCI interface of the SM and CC APIs."""
from oslo_config import cfg

occi_group = cfg.OptGroup('occi', title='OCCI interface')

occi_opts = [
    cfg.StrOpt('category_locations', default='absolute',
               choices=[('absolute', 'absolute URLs, e.g. '
                                     'http://host:8888/sample/'),
                        ('path', 'paths, e.g. /sample/')],
               help='How the query interface (/-/) of the SM and the CC '
                    'renders the location of kinds and mixins. Clients '
                    'of the rOCCI/pOCCI lineage build request URLs as '
                    'endpoint + location and break on absolute '
                    'locations: choose "path" for them. Clients that '
                    'resolve a location against the endpoint (Hurtle\'s '
                    'own, most HTTP libraries) accept either; "absolute" '
                    'also tells clients the public URL when they reached '
                    'the service through another name. Entity locations '
                    '(Location, X-OCCI-Location) are always absolute; '
                    'OCCI Core\'s entity/resource/link kinds have none '
                    '(they cannot be instantiated).'),
    cfg.IntOpt('max_page', default=1000, min=1,
               help='Most members of a collection in one page: a larger '
                    '"?limit=" is cut to it, a larger GFD.185 '
                    '"?number=" is answered 413. Without either, a GET '
                    'lists the whole collection.'),
    cfg.IntOpt('max_user_mixins', default=100, min=0,
               help='Most user-defined mixins one project may define on '
                    'the query interface; past it a definition is '
                    'answered 403.'),
]


def register_opts(conf):
    conf.register_group(occi_group)
    conf.register_opts(occi_opts, group=occi_group)


def list_opts():
    return {occi_group.name: occi_opts}
