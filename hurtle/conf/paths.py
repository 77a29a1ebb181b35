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
"""``[DEFAULT]`` options shared by every Hurtle process."""
from oslo_config import cfg

path_opts = [
    cfg.StrOpt('state_path',
               default='/var/lib/hurtle',
               help='Directory where Hurtle keeps its state: databases, '
                    'the embedded Heat, SO working directories.'),
    cfg.StrOpt('auth_strategy',
               default='noauth',
               choices=[('noauth', 'No authentication: the project comes '
                                   'from X-Project-Id / X-Tenant-Name '
                                   '(embedded default).'),
                        ('keystone', 'keystonemiddleware auth_token.')],
               help='How the OCCI APIs authenticate callers.'),
    cfg.StrOpt('noauth_default_project',
               default='demo',
               help='With auth_strategy=noauth, the project of a request '
                    'that names none.'),
]


def register_opts(conf):
    conf.register_opts(path_opts)


def list_opts():
    return {'DEFAULT': path_opts}
