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
"""``[database]`` options: oslo.db's own, with Hurtle's default URL.

Reusing oslo.db's option objects keeps Hurtle's ``[database]`` group
identical to every other OpenStack service's (and lets Hurtle modules be
imported into heat-engine without option clashes).
"""
from oslo_db import options as db_options

DEFAULT_CONNECTION = 'sqlite:///$state_path/hurtle.sqlite'


def register_opts(conf):
    db_options.set_defaults(conf, connection=DEFAULT_CONNECTION)


def list_opts():
    return {'database': db_options.database_opts}
