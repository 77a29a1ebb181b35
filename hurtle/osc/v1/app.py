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
"""``openstack hurtle app list``: the CC's apps (one SO each), for
admins."""
from osc_lib.command import command

from hurtle.osc.v1 import base


class ListApp(base.HurtleCommand, command.Lister):
    """List the CC's apps (the SOs it runs) of your project (admins only;
    the SM runs its SOs in its service project)."""

    def take_action(self, parsed_args):
        columns = ('ID', 'Name', 'State', 'URL', 'Restarts')
        rows = []
        for info in sorted(self.hurtle().apps(), key=lambda i: i.id or ''):
            attrs = info.attributes
            rows.append((info.id, attrs.get('occi.app.name'),
                         attrs.get('occi.app.state'),
                         attrs.get('occi.app.url'),
                         attrs.get('hurtle.app.restarts')))
        return columns, rows
