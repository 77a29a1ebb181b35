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
"""The deployer drivers of the SOs.

A driver implements ``hurtle.sdk.Deployer`` and is installed under the
entry point group ``hurtle.so.deployers``; ``[deployer] driver`` names the
one every SO uses (``cc``, the default: :mod:`hurtle.so.deployers.cc`,
through the CC's ``stack`` kind; ``heat``:
:mod:`hurtle.so.deployers.heat`, Heat directly) and
:func:`hurtle.sdk.deployer.load` loads it. An SO reaches it as
``self.context.deployer``.
"""
