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
"""``openstack hurtle instance create|list|show|set|delete``."""
from osc_lib.command import command
from osc_lib import exceptions as osc_exc

from hurtle.osc import client as hurtle_client
from hurtle.osc.v1 import base
from hurtle.osc import waiting

#: States ending ``create --wait`` and ``set --wait``.
SETTLED = ('active',)


def _label(location):
    """``sample/<id>``: how progress lines name an instance."""
    return '/'.join(location.rstrip('/').split('/')[-2:])


def _wait(hurtle, location, timeout, progress, gone_ok=False):
    with hurtle_client.command_errors('SM'):
        return waiting.wait(lambda: hurtle.sm.get(location),
                            _label(location), SETTLED, timeout, progress,
                            gone_ok=gone_ok)


def _follow(hurtle, location, parsed_args, progress):
    """With ``--wait``: wait until active (the last record); else
    ``None``."""
    if not parsed_args.wait:
        return None
    return _wait(hurtle, location, parsed_args.timeout, progress)


def _add_id(parser, nargs=None):
    parser.add_argument(
        'instance', metavar='<instance>', nargs=nargs,
        help='Instance id (or its path on the SM, e.g. sample/<id>)')


class CreateInstance(base.HurtleCommand, command.ShowOne):
    """Create an instance of a service."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        base.add_type_argument(parser)
        base.add_attribute_option(parser)
        base.add_wait_options(parser, 'active')
        return parser

    def take_action(self, parsed_args):
        attributes = base.parse_attributes(parsed_args.attributes)
        hurtle = self.hurtle()
        kind = hurtle.service(parsed_args.service)
        location = hurtle.create(kind, attributes)
        info = _follow(hurtle, location, parsed_args, self.progress)
        return base.show(info or hurtle.get(location))


class ListInstance(base.HurtleCommand, command.Lister):
    """List your project's instances."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        parser.add_argument(
            '--type', metavar='<type>', dest='service',
            help='Only instances of this service type')
        return parser

    def take_action(self, parsed_args):
        hurtle = self.hurtle()
        kind = hurtle.service(parsed_args.service) \
            if parsed_args.service else None
        rows = []
        for location in hurtle.instance_locations(kind):
            try:
                with hurtle_client.command_errors('SM'):
                    info = hurtle.sm.get(location)
            except osc_exc.CommandError:
                if location in hurtle.instance_locations(kind):
                    raise
                continue    # deleted while listing
            rec = hurtle_client.record(info)
            rows.append((rec['id'], rec['type'],
                         rec.get(waiting.STATE), location))
        rows.sort(key=lambda row: (row[1] or '', row[0] or ''))
        return ('ID', 'Type', 'State', 'Location'), rows


class ShowInstance(base.HurtleCommand, command.ShowOne):
    """Show an instance: its state, attributes and outputs."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_id(parser)
        return parser

    def take_action(self, parsed_args):
        hurtle = self.hurtle()
        return base.show(hurtle.get(hurtle.locate(parsed_args.instance)))


class SetInstance(base.HurtleCommand, command.Command):
    """Change attributes of an instance (a partial update)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_id(parser)
        base.add_attribute_option(parser, required=True,
                                  what='to change')
        base.add_wait_options(parser, 'active again')
        return parser

    def take_action(self, parsed_args):
        attributes = base.parse_attributes(parsed_args.attributes)
        hurtle = self.hurtle()
        location = hurtle.locate(parsed_args.instance)
        hurtle.update(location, attributes)
        if parsed_args.wait:
            with hurtle_client.command_errors('SM'):
                waiting.wait_update(lambda: hurtle.sm.get(location),
                                    _label(location), parsed_args.timeout,
                                    self.progress)


class DeleteInstance(base.HurtleCommand, command.Command):
    """Delete instances (their resources are disposed of in the
    background; --wait waits until they are gone)."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_id(parser, nargs='+')
        base.add_wait_options(parser, 'gone')
        return parser

    def take_action(self, parsed_args):
        hurtle = self.hurtle()
        locations = [hurtle.locate(ident) for ident in parsed_args.instance]
        for location in locations:
            hurtle.delete(location)
        if parsed_args.wait:
            for location in locations:
                _wait(hurtle, location, parsed_args.timeout, self.progress,
                      gone_ok=True)
