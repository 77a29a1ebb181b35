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
"""``[embedded_heat]`` options: the one-process Heat of ``hurtle-heat``.

See doc/source/contributor/embedded-heat.rst and :mod:`hurtle.heat`.
"""
from oslo_config import cfg

GROUP = 'embedded_heat'

embedded_heat_group = cfg.OptGroup(
    GROUP,
    title='Embedded Heat',
    help='The Heat engine and v1 API that hurtle-heat runs in one process '
         '(SQLite, fake:// transport; noauth by default, or checking '
         'Keystone tokens with auth_strategy = keystone).')

embedded_heat_opts = [
    cfg.HostAddressOpt('host',
                       default='127.0.0.1',
                       help='Address the Heat v1 API binds to.'),
    cfg.PortOpt('port',
                default=8004,
                help='TCP port of the Heat v1 API.'),
    cfg.StrOpt('state_path',
               sample_default='$state_path/heat',
               help='Directory of the embedded Heat: its generated heat.conf, '
                    'its SQLite database and its encryption key. Created '
                    'if missing; must be writable. Default: the "heat" '
                    'directory under [DEFAULT] state_path.'),
    cfg.BoolOpt('hurtle_plugins',
                default=True,
                help='Load Hurtle\'s own Heat resource plugins '
                     '(the hurtle/heat_plugins/resources directory of the '
                     'installed hurtle package).'),
    cfg.ListOpt('plugin_dirs',
                default=[],
                help='Extra Heat plugin directories, loaded after Hurtle\'s '
                     'own hurtle/heat_plugins/resources directory.'),
    cfg.StrOpt('heat_config',
               help='Optional heat.conf file merged after the generated one '
                    '(its values win), e.g. for an [sdc] section or Heat '
                    'tuning options.'),
    cfg.URIOpt('cc_url', schemes=['http', 'https'],
               help='Base URL of the CC this Heat tells of every change '
                    'of a stack (the oslo.messaging notifier driver '
                    'hurtle_cc posts each to <cc_url>stack-events, with '
                    'a token derived from the local secret of [DEFAULT] '
                    'state_path), so that SOs waiting for a stack read it '
                    'again at once. hurtle-all sets it to the CC it '
                    'starts (environment variable '
                    'OS_EMBEDDED_HEAT__CC_URL). Unset: no events (SOs '
                    'poll, [cc] stack_poll_interval).'),
    cfg.StrOpt('notification_transport_url',
               secret=True,
               help='oslo.messaging transport URL of a message bus this '
                    'Heat sends its notifications to, as a cloud\'s Heat '
                    'does (driver messagingv2, exchange heat, topic '
                    'notifications), instead of posting them to cc_url. '
                    'A CC then receives them with [heat_notifications] '
                    'transport_url (and polls, as a bus proves no '
                    'liveness). For tests of that path and sites whose '
                    'other consumers (Ceilometer) want Heat\'s '
                    'notifications. Unset: cc_url\'s driver.'),
    cfg.BoolOpt('fix_sqlite_id_reuse',
                default=True,
                advanced=True,
                help='Recreate the resource_properties_data table with '
                     'AUTOINCREMENT ids after the schema sync, so that '
                     'SQLite never reuses a freed id (otherwise a stack '
                     'update after its outputs were read can hang in '
                     'UPDATE_IN_PROGRESS). Only disable to reproduce '
                     'the fault.'),
    cfg.StrOpt('auth_strategy',
               default='noauth',
               choices=[('noauth', 'Heat\'s noauth pipeline behind the '
                                   'local secret; fake keystone client'),
                        ('keystone', 'Heat\'s keystone pipeline: tokens '
                                     'checked by keystonemiddleware '
                                     '(Hurtle\'s [keystone_authtoken] '
                                     'copied), deferred_auth_method = '
                                     'trusts with the trustee_* user, '
                                     'the stack user domain below')],
               help='How the embedded Heat authenticates its callers. '
                    'See doc/source/admin/openstack.rst.'),
    cfg.StrOpt('trustee_username',
               help='keystone: the Heat service user that Heat\'s trusts '
                    'delegate to ([trustee] of heat.conf). Default: '
                    '[keystone_authtoken] username.'),
    cfg.StrOpt('trustee_password',
               secret=True,
               help='keystone: password of trustee_username. Default: '
                    '[keystone_authtoken] password.'),
    cfg.StrOpt('trustee_user_domain_id',
               default='default',
               help='keystone: domain id of trustee_username.'),
    cfg.StrOpt('stack_user_domain_name',
               default='heat',
               help='keystone: the Keystone domain holding the users and '
                    'projects Heat creates for stacks (heat.conf '
                    '[DEFAULT] stack_user_domain_name).'),
    cfg.StrOpt('stack_domain_admin',
               default='heat_domain_admin',
               help='keystone: a user with the admin role on '
                    'stack_user_domain_name (heat.conf [DEFAULT] '
                    'stack_domain_admin).'),
    cfg.StrOpt('stack_domain_admin_password',
               secret=True,
               help='keystone: password of stack_domain_admin.'),
]


def register_opts(conf):
    conf.register_group(embedded_heat_group)
    conf.register_opts(embedded_heat_opts, group=embedded_heat_group)


def list_opts():
    return {GROUP: embedded_heat_opts}
