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
"""SO of the composed sample service.

The SM creates the sample instance this service depends on before it
starts this SO and hands over the dependency's ``mcn.endpoint.sample``
(declared in this service's manifest) as an attribute; this SO deploys a
one-value stack pointing at it.
"""
from hurtle import sdk


class ComposedOrchestrator(sdk.StackOrchestrator):
    """SO of ``http://schemas.hurtle.it/occi/sm#composed``."""

    def parameters(self, phase, attributes):
        backend = attributes.get('mcn.endpoint.sample')
        if not backend:
            raise ValueError('mcn.endpoint.sample of the sample dependency '
                             'is missing')
        params = {'backend': str(backend)}
        if attributes.get('composed.label'):
            params['label'] = str(attributes['composed.label'])
        return params
