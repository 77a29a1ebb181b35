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
"""The ``openstack hurtle`` commands: an OpenStack CLI (osc-lib) plugin.

Installed with the ``cli`` extra (``pip install 'hurtle[cli]'``), it adds
``openstack hurtle service|instance|app ...`` (doc/source/user/cli.rst).
``hurtle.osc.plugin`` is the plugin module python-openstackclient loads
(entry point ``openstack.cli.extension``); the commands live in
``hurtle.osc.v1`` (entry point group ``openstack.hurtle.v1``) and talk to
the SM and the CC through :class:`hurtle.osc.client.HurtleClient`.
"""
