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
"""``[monitoring]`` options: the CC's runtime (monitoring) module.

The driver (entry point in ``hurtle.cc.monitoring``) defines alarms on an
instance's resources and reads their metrics; the alarm service calls the
CC back on a webhook, and the CC hands the alarm to the instance's SO
(its ``notify`` action). See doc/source/admin/monitoring.rst.
"""
from oslo_config import cfg

GROUP = 'monitoring'

monitoring_group = cfg.OptGroup(GROUP, title='Monitoring of instances')

monitoring_opts = [
    cfg.StrOpt('driver', default='none',
               help='Monitoring driver (entry point in '
                    'hurtle.cc.monitoring): "none" monitors nothing (it '
                    'says so once in the log), "aodh" defines OpenStack '
                    'Aodh alarms, "monasca" Monasca alarm definitions. '
                    'An unknown name stops the CC with the list of the '
                    'installed drivers.'),
    cfg.URIOpt('endpoint',
               help='URL of the alarming (aodh, e.g. '
                    'http://127.0.0.1:8042) or monitoring (monasca, e.g. '
                    'http://127.0.0.1:8070/v2.0) API. Unset: from the '
                    'Keystone catalog ([service_credentials]); required '
                    'when auth_strategy is noauth.'),
    cfg.BoolOpt('insecure', default=False,
                help='Skip TLS verification towards the monitoring '
                     'service.'),
    cfg.URIOpt('webhook_url',
               help='URL at which the alarm service reaches the CC, e.g. '
                    'http://cc.example.org:8887; alarm webhooks are '
                    '<webhook_url>/monitoring/hooks/<app>/<alarm>/<token>. '
                    'Unset: http://<[cc] host>:<[cc] port>.'),
]


def webhook_base(conf):
    """The CC's URL as seen by the alarm service (no trailing ``/``)."""
    if conf.monitoring.webhook_url:
        return conf.monitoring.webhook_url.rstrip('/')
    return 'http://%s:%d' % (conf.cc.host, conf.cc.port)


def register_opts(conf):
    conf.register_group(monitoring_group)
    conf.register_opts(monitoring_opts, group=monitoring_group)


def list_opts():
    return {monitoring_group.name: monitoring_opts}
