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
"""The python-openstackclient plugin module of Hurtle (entry point
``openstack.cli.extension``: ``hurtle = hurtle.osc.plugin``).

It adds the global options of the embedded default to ``openstack``:

``--hurtle-url URL`` (``$HURTLE_URL``)
    the SM's root URL; given, the ``hurtle`` commands talk to it without
    Keystone (noauth) and need no ``OS_*`` settings.
``--hurtle-project PROJECT`` (``$HURTLE_PROJECT``)
    sent as ``X-Project-Id`` (default: the SM's default project).
``--hurtle-cc-url URL`` (``$HURTLE_CC_URL``) and
``--hurtle-secret-file PATH`` (``$HURTLE_SECRET_FILE``)
    the CC and its local secret, for ``app list`` without Keystone.

Without ``--hurtle-url`` the commands authenticate with the usual
``OS_*`` settings and find the SM (``service-manager``) and the CC
(``cloud-controller``) in the Keystone catalog (:func:`make_client`).
"""
from osc_lib import utils

from hurtle.osc import client

DEFAULT_API_VERSION = '1'
API_VERSION_OPTION = 'os_hurtle_api_version'
API_NAME = 'hurtle'
API_VERSIONS = ('1',)


def make_client(instance):
    """The :class:`~hurtle.osc.client.HurtleClient` of Keystone mode.

    :param instance: osc's ``ClientManager`` (authenticated: its
        ``session``, ``interface``, ``region_name`` and ``verify``).
    """
    return client.from_session(instance.session,
                               interface=instance.interface,
                               region_name=instance.region_name,
                               verify=instance.verify)


def build_option_parser(parser):
    """Add Hurtle's global options to ``openstack``'s parser."""
    parser.add_argument(
        '--os-hurtle-api-version', metavar='<version>',
        default=utils.env('OS_HURTLE_API_VERSION'),
        help='Hurtle API version, default=%s (Env: OS_HURTLE_API_VERSION)'
             % DEFAULT_API_VERSION)
    parser.add_argument(
        '--hurtle-url', metavar='<url>', default=utils.env('HURTLE_URL'),
        help='URL of a Hurtle SM to use without Keystone (noauth, the '
             'embedded default), e.g. http://127.0.0.1:8888/ '
             '(Env: HURTLE_URL)')
    parser.add_argument(
        '--hurtle-project', metavar='<project>',
        default=utils.env('HURTLE_PROJECT'),
        help='With --hurtle-url: act as this project (X-Project-Id) '
             '(Env: HURTLE_PROJECT)')
    parser.add_argument(
        '--hurtle-cc-url', metavar='<url>',
        default=utils.env('HURTLE_CC_URL'),
        help='With --hurtle-url: URL of the CC, for "hurtle app list" '
             '(Env: HURTLE_CC_URL)')
    parser.add_argument(
        '--hurtle-secret-file', metavar='<path>',
        default=utils.env('HURTLE_SECRET_FILE'),
        help='With --hurtle-url: the local secret file of the embedded '
             'default (<state_path>/local_secret), for the CC '
             '(Env: HURTLE_SECRET_FILE)')
    return parser
