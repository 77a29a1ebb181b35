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
"""What Service Orchestrator authors import.

An SO is a class deriving from ``hurtle.sdk.ServiceOrchestrator`` (or from
``hurtle.sdk.StackOrchestrator``, which runs the usual one-Heat-stack
lifecycle) in a file ``so.py`` of an *SO bundle* directory. Hurtle's SO
runtime (``hurtle-so --bundle DIR``) imports it and serves the SO API
(doc/source/contributor/so-api.rst) for it; the SM drives it through
deploy, provision, update and dispose.
"""
from hurtle.sdk.context import SOContext  # noqa
from hurtle.sdk.deployer import Deployer  # noqa
from hurtle.sdk.deployer import DeployerError  # noqa
from hurtle.sdk.deployer import DeployerUnavailable  # noqa
from hurtle.sdk.deployer import StackDetails  # noqa
from hurtle.sdk.orchestrator import ServiceOrchestrator  # noqa
from hurtle.sdk.orchestrator import SOState  # noqa
from hurtle.sdk.stack import StackOrchestrator  # noqa
