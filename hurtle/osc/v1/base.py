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
"""What every ``openstack hurtle`` command shares: which client to use and
whether osc must authenticate first (not with ``--hurtle-url``)."""
import argparse
import sys

from osc_lib import exceptions as osc_exc

from hurtle.osc import attributes
from hurtle.osc import client

#: Default of ``--timeout`` (seconds).
DEFAULT_TIMEOUT = 600


class HurtleCommand(object):
    """Mixin of the commands (before osc-lib's command class)."""

    @property
    def auth_required(self):
        """Keystone auth unless ``--hurtle-url`` names the SM."""
        options = getattr(self.app, 'options', None)
        return not getattr(options, 'hurtle_url', None)

    def hurtle(self):
        """The :class:`~hurtle.osc.client.HurtleClient` to use."""
        options = self.app.options
        if getattr(options, 'hurtle_url', None):
            return client.from_options(
                options.hurtle_url, options.hurtle_project,
                options.hurtle_cc_url, options.hurtle_secret_file,
                verify=getattr(self.app.client_manager, 'verify', True))
        return self.app.client_manager.hurtle

    @property
    def progress(self):
        """Where ``--wait`` writes the states (stderr)."""
        return getattr(self.app, 'stderr', None) or sys.stderr


def add_type_argument(parser):
    parser.add_argument(
        'service', metavar='<type>',
        help='Service type: its name (e.g. sample) or scheme#term')


def add_attribute_option(parser, required=False, what='of the instance'):
    parser.add_argument(
        '--attribute', metavar='<name=value>', action='append',
        default=[], required=required, dest='attributes',
        help='An attribute %s, as NAME=VALUE (repeat for several)' % what)


def add_wait_options(parser, until):
    parser.add_argument(
        '--wait', action='store_true',
        help='Wait until the instance is %s, showing its states on stderr; '
             'fail if it reaches "failed"' % until)
    parser.add_argument(
        '--timeout', metavar='<seconds>', type=_positive,
        default=DEFAULT_TIMEOUT,
        help='With --wait: give up after this many seconds (default %d)'
             % DEFAULT_TIMEOUT)


def parse_attributes(options):
    """``--attribute`` options as a dict (CommandError when malformed)."""
    try:
        return attributes.parse(options)
    except attributes.AttributeError_ as exc:
        raise osc_exc.CommandError(str(exc))


def _positive(text):
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not value > 0:
        raise argparse.ArgumentTypeError(
            'expected a positive number of seconds, not %r' % text)
    return value


def show(info):
    """``(columns, values)`` of a ShowOne for an instance."""
    data = client.record(info)
    return tuple(data), tuple(data.values())
