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
"""``openstack hurtle service list|show``: the SM's services (kinds)."""
from osc_lib.cli import format_columns
from osc_lib.command import command

from hurtle.osc.v1 import base


class ListService(base.HurtleCommand, command.Lister):
    """List the services the SM offers, with their attributes."""

    def take_action(self, parsed_args):
        columns = ('Name', 'Title', 'Location', 'Attributes')
        rows = [(kind.term, kind.title, kind.location,
                 format_columns.ListColumn(sorted(kind.attributes)))
                for kind in self.hurtle().services()]
        return columns, rows


class ShowService(base.HurtleCommand, command.ShowOne):
    """Show one service: its kind, location, attributes and actions."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        base.add_type_argument(parser)
        return parser

    def take_action(self, parsed_args):
        kind = self.hurtle().service(parsed_args.service)
        data = {
            'name': kind.term,
            'kind': kind.id,
            'title': kind.title,
            'location': kind.location,
            'attributes': format_columns.DictColumn(kind.attributes),
            'actions': format_columns.ListColumn(kind.actions),
        }
        return tuple(data), tuple(data.values())
