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
"""The ``none`` monitoring driver: nothing is monitored.

It says so once in the log when the CC starts; defining an alarm is
refused (409 to the SO) so that an SO never believes it is watched.
"""
import logging

from hurtle.cc.monitoring import base

LOG = logging.getLogger(__name__)


class NoMonitoring(base.MonitoringDriver):

    def __init__(self, conf):
        super().__init__(conf)
        LOG.info('[monitoring] driver is none: nothing is monitored, SOs '
                 'cannot define alarms')

    def create_alarm(self, app_id, spec, webhook):
        raise base.MonitoringError('no monitoring service is configured')

    def list_alarms(self, app_id):
        return []

    def delete_alarm(self, app_id, name):
        pass

    def measures(self, metric, resource_id=None, dimensions=None):
        raise base.MonitoringError('no monitoring service is configured')
