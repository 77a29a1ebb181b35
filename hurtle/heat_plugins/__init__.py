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
"""Hurtle's Heat plugins: code that runs only inside heat-engine.

Laid out like Heat's own ``heat/engine`` tree:

* ``resources/``: the resource modules; the directory is a heat.conf
  ``plugin_dirs`` entry (heat-engine imports every module in it itself,
  as ``heat.engine.plugins.<name>``);
* ``clients/``: Heat client plugins (``heat.clients`` entry points) with
  their custom constraints (``heat.constraints`` entry points), as Heat
  keeps ``ServerConstraint`` with its nova client plugin;
* ``sdc/``: the Joyent CloudAPI client library the ``sdc`` client plugin
  builds on.

Nothing here imports the packages of Hurtle's processes (``hurtle.sm``,
``hurtle.cc``, ``hurtle.so``): only the shared libraries.
"""
