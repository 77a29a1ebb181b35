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
"""Make a Heat client plugin known to Heat for one test.

Uses the installed ``heat.clients`` entry point when present; otherwise
(hurtle not installed in develop mode) registers the class directly, for
the duration of the test only.
"""
import fixtures
from heat.engine import clients
from stevedore import extension


def use_client_plugin(test, name, plugin_class):
    """Register ``plugin_class`` as client ``name`` unless installed."""
    clients.initialise()
    if clients.has_client(name):
        return
    ext = extension.Extension(name, None, plugin_class, None)
    manager = extension.ExtensionManager.make_test_instance(
        list(clients._mgr.extensions) + [ext])
    test.useFixture(fixtures.MockPatchObject(clients, '_mgr', manager))
