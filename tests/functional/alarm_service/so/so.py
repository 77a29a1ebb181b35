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
"""A test SO: the sample stack, plus an alarm defined at deploy through
the SDK; ``notify`` is the SDK's default (it logs the alarm in the SO's
log, ``<state_path>/so/<app id>.log``)."""
from hurtle import sdk


class WatchedOrchestrator(sdk.StackOrchestrator):

    def deploy(self, attributes):
        super().deploy(attributes)
        names = [a['name'] for a in self.context.monitoring.alarms()]
        if 'cpu-high' not in names:
            self.context.monitoring.define_alarm(
                'cpu-high', metric='cpu', threshold=80,
                resource_id=self.context.instance_id)
