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
"""``[heat_notifications]`` options: the CC listening to a cloud's Heat
notifications on a message bus (:mod:`hurtle.cc.heat_notifications`)."""
from oslo_config import cfg

GROUP = 'heat_notifications'

heat_notifications_group = cfg.OptGroup(
    GROUP,
    title='Heat notifications',
    help='The CC listens to Heat\'s stack notifications on a message bus '
         '(a cloud\'s Heat with [oslo_messaging_notifications] driver = '
         'messagingv2 in heat.conf), so that an SO waiting for a stack '
         'reads it again as soon as Heat announces a change. The CC '
         'still polls every [cc] stack_poll_interval: a bus proves no '
         'liveness. See doc/source/admin/openstack.rst.')

heat_notifications_opts = [
    cfg.StrOpt('transport_url',
               secret=True,
               default='',
               help='oslo.messaging transport URL of the bus Heat '
                    'notifies on (heat.conf [oslo_messaging_notifications] '
                    'transport_url, else its [DEFAULT] transport_url), '
                    'e.g. rabbit://hurtle:<password>@rabbit-host:5672/. '
                    'Empty: no listener (the CC polls Heat). Never '
                    'logged; only its hosts are.'),
    cfg.ListOpt('topics',
                default=['notifications'],
                help='Topics Heat notifies on (heat.conf '
                     '[oslo_messaging_notifications] topics).'),
    cfg.StrOpt('exchange',
               default='heat',
               help='Exchange Heat notifies on (heat.conf [DEFAULT] '
                    'control_exchange; Heat\'s default is "heat").'),
    cfg.StrOpt('pool',
               default='hurtle-cc',
               help='Name of the CC\'s own queue on each topic: the CC '
                    'receives a copy of every notification instead of '
                    'taking its share from other consumers (Ceilometer) '
                    'of the topic. Give each CC of a cloud its own pool: '
                    'CCs sharing one would split the notifications.'),
    cfg.FloatOpt('probe_interval',
                 default=10.0,
                 min=0.1,
                 advanced=True,
                 help='Seconds between two attempts to reach the bus\'s '
                      'hosts while none answers at start-up (one '
                      'warning, then quiet retries; the CC polls Heat '
                      'meanwhile).'),
]


def register_opts(conf):
    conf.register_group(heat_notifications_group)
    conf.register_opts(heat_notifications_opts, group=heat_notifications_group)


def list_opts():
    return {GROUP: heat_notifications_opts}
