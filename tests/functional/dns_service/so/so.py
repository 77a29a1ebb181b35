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
"""A test SO: one stack whose outputs ``named.address`` (an IPv4
address) and ``named.host`` (a host name) are registered through the
SDK's DNS driver as ``addr-<instance id>`` (A) and ``web-<instance id>``
(CNAME) in ``[dns] zone`` (``StackOrchestrator.dns_names``)."""
from hurtle import sdk


class NamedOrchestrator(sdk.StackOrchestrator):

    dns_names = {'addr-{instance_id}': 'named.address',
                 'web-{instance_id}': 'named.host'}

    def parameters(self, phase, attributes):
        if 'named.address' in attributes:
            return {'address': str(attributes['named.address'])}
        return {}
