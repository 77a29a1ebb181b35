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
"""The sample service's Service Orchestrator.

One Heat stack from ``templates/sample.yaml``: deploy creates it, provision
updates it with ``provisioned=true``, an update of ``sample.greeting``
updates it again. Everything else (stack lifecycle, state, dispose) comes
from ``hurtle.sdk.StackOrchestrator``.

The greeting goes into the template twice: as it is (``greeting``, the
``sample.greeting`` output) and percent-encoded as a URL query value
(``greeting_query``, in ``mcn.endpoint.sample``), so that a greeting
with spaces, ``&``, ``#`` or non-ASCII letters gives a valid URL that
says what was asked.
"""
import urllib.parse

from hurtle import sdk


class SampleOrchestrator(sdk.StackOrchestrator):
    """SO of ``http://schemas.hurtle.it/occi/sm#sample``."""

    default_templates = {'deployment': '../templates/sample.yaml',
                         'provision': '../templates/sample.yaml'}

    def parameters(self, phase, attributes):
        params = {'provisioned': phase != 'deployment'}
        if 'sample.greeting' in attributes:
            greeting = str(attributes['sample.greeting'])
            params['greeting'] = greeting
            # UTF-8, every reserved character encoded (safe=''): a
            # greeting cannot add query parameters or a fragment.
            params['greeting_query'] = urllib.parse.quote(greeting, safe='')
        if 'sample.name_length' in attributes:
            length = attributes['sample.name_length']
            if (isinstance(length, bool) or not str(length).isdigit() or
                    not 4 <= int(length) <= 32):
                raise ValueError('sample.name_length must be a whole number '
                                 'from 4 to 32, not "%s"' % (length,))
            params['name_length'] = int(length)
        return params
