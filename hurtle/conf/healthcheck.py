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
"""``[healthcheck]`` options: oslo.middleware's own.

The SM's and the CC's APIs answer ``GET /healthcheck`` without
authentication (oslo.middleware's ``Healthcheck`` application, mapped
in api-paste.ini). Left empty, ``backends`` means each API's own checks
(:mod:`hurtle.healthcheck`): ``hurtle_database, hurtle_cloud_controller``
for the SM, ``hurtle_database`` for the CC; a list given replaces them
(add ``disable_by_file`` to take an API out of a load balancer's pool).
"""
from oslo_middleware.healthcheck import opts as healthcheck_opts


def register_opts(conf):
    conf.register_opts(healthcheck_opts.HEALTHCHECK_OPTS, group='healthcheck')


def list_opts():
    return {'healthcheck': healthcheck_opts.HEALTHCHECK_OPTS}
