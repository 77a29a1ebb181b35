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
one-value stack pointing at it: ``mcn.endpoint.composed`` is
``http://<label>.composed.invalid/?backend=<the sample's URL>``, the URL
percent-encoded as a query value (``backend_query``), so that its own
``?``, ``&``, ``#`` or spaces stay part of the value instead of ending it
or adding query parameters.
"""
import urllib.parse

from hurtle import sdk


class ComposedOrchestrator(sdk.StackOrchestrator):
    """SO of ``http://schemas.hurtle.it/occi/sm#composed``."""

    def parameters(self, phase, attributes):
        backend = attributes.get('mcn.endpoint.sample')
        if not backend:
            raise ValueError('mcn.endpoint.sample of the sample dependency '
                             'is missing')
        backend = str(backend)
        # One query parameter, RFC 3986 percent-encoding (UTF-8, every
        # reserved character encoded): parse_qs gives the URL back.
        params = {'backend_query': urllib.parse.urlencode(
            {'backend': backend}, quote_via=urllib.parse.quote)}
        if attributes.get('composed.label'):
            params['label'] = str(attributes['composed.label'])
        return params
