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
"""SO of the test service ``regional``: one stack in each region of its
manifest's ``regions`` (``hurtle.sdk.StackOrchestrator``); the stack of
the region named by ``regional.fail_in`` fails."""
from hurtle import sdk


class RegionalOrchestrator(sdk.StackOrchestrator):
    """SO of ``http://schemas.hurtle.it/occi/sm#regional``."""

    def region_parameters(self, phase, attributes, region):
        params = {'provisioned': phase != 'deployment',
                  'fail': attributes.get('regional.fail_in') == region}
        if 'regional.greeting' in attributes:
            params['greeting'] = str(attributes['regional.greeting'])
        return params
