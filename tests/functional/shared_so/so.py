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
"""An SO for the shared runtime's tests: no stack; it keeps
``echo.value`` (from create, deploy or update), reports it and its
instance id as outputs, and keeps both in its state file. A deploy with
``echo.crash`` raises an error no SO API mapping expects."""
from hurtle import sdk


class EchoOrchestrator(sdk.ServiceOrchestrator):

    def initialise(self, attributes):
        self.value = str(attributes.get('echo.value', ''))

    def deploy(self, attributes):
        if attributes.get('echo.crash'):
            raise ZeroDivisionError('echo.crash asked for it')
        if 'echo.value' in attributes:
            self.value = str(attributes['echo.value'])

    provision = deploy

    def dispose(self):
        self.value = ''

    def state(self):
        return sdk.SOState('CREATE_COMPLETE', 'echo', {
            'echo.value': getattr(self, 'value', ''),
            'echo.instance': self.context.instance_id})

    def snapshot(self):
        return {'value': self.value}

    def restore(self, data):
        self.value = data.get('value', '')
