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
"""SO of the test service ``slow``: one stack whose resource takes
seconds to create and to update to a new ``slow.value``
(``hurtle.sdk.StackOrchestrator``), or fails when ``slow.fail`` is
true."""
from hurtle import sdk


class SlowOrchestrator(sdk.StackOrchestrator):
    """SO of ``http://schemas.hurtle.it/occi/sm#slow``."""

    def parameters(self, phase, attributes):
        return {'fail': attributes.get('slow.fail') in (True, 'true'),
                'value': str(attributes.get('slow.value') or 'slow')}
