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
"""``[deployer]`` options: the resource deployer of the SOs.

Every SO deploys its resources through the driver named by ``driver``
(``hurtle.so.deployers``; ``cc`` by default: through the CC's ``stack``
kind); the SM uses the same driver to dispose a stack by id when the SO
that made it is gone. The Heat options below are read by the CC (which
deploys with the ``heat`` driver for its ``stack`` kind) and, with
``driver = heat``, by the SOs and the SM. These options were in ``[cc]``
until the deployer moved to the SO side: ``[cc] deployer`` (now
``driver``), ``heat_url``, ``heat_user``, ``heat_project`` and
``insecure`` are still read, with a deprecation warning in the log.
"""
from oslo_config import cfg

GROUP = 'deployer'

deployer_group = cfg.OptGroup(GROUP, title='Resource deployer of the SOs')

deployer_opts = [
    cfg.StrOpt('driver', default='cc',
               deprecated_name='deployer', deprecated_group='cc',
               help='Deployer driver SOs deploy their resources with '
                    '(entry point in hurtle.so.deployers): "cc" asks '
                    'the CC\'s stack kind (the CC holds the cloud '
                    'credentials; SOs get only their secret, app id and '
                    'the CC\'s URL, and a config file without '
                    'credentials); "heat" talks to Heat directly with '
                    'the options below (SOs then read the CC\'s '
                    'configuration files, credentials included). The CC '
                    'itself always deploys with "heat".'),
    cfg.StrOpt('auth_strategy', default='auto',
               choices=[('auto', 'as [DEFAULT] auth_strategy'),
                        ('noauth', 'a noauth Heat such as the embedded '
                                   'one: heat_url (with %(project)s), '
                                   'heat_project, heat_user and the local '
                                   'secret'),
                        ('keystone', 'tokens of [service_credentials]; '
                                     'Heat from the catalog unless '
                                     'heat_url names an endpoint')],
               help='How SOs (and the SM disposing of a stack) '
                    'authenticate to Heat. "noauth" lets Hurtle in '
                    'Keystone mode deploy to the embedded noauth Heat.'),
    cfg.URIOpt('heat_url', default='http://127.0.0.1:8004/v1/%(project)s',
               deprecated_opts=[cfg.DeprecatedOpt('heat_url', group='cc')],
               help='Heat orchestration endpoint; %(project)s is replaced '
                    'by the project. Used when auth_strategy resolves to '
                    'noauth; with Keystone the catalog endpoint is used '
                    'unless set (without %(project)s).'),
    cfg.DictOpt('heat_region_urls', default={},
                help='Heat endpoint per region for a noauth Heat, as '
                     'region:URL pairs (e.g. RegionOne:http://h1:8004/v1/'
                     '%(project)s,RegionTwo:http://h2:8004/v1/%(project)s'
                     '); %(project)s as in heat_url. A stack of a region '
                     'listed here (manifests with "regions", or the CC\'s '
                     'stack kind with hurtle.stack.region) goes to that '
                     'Heat; any other to heat_url. Several regions may '
                     'name the same Heat. Ignored with keystone, where '
                     'each region\'s Heat comes from the catalog.'),
    cfg.StrOpt('heat_user', default='admin',
               deprecated_opts=[cfg.DeprecatedOpt('heat_user', group='cc')],
               help='User name sent to a noauth Heat (X-Auth-User).'),
    cfg.StrOpt('heat_project', default='admin',
               deprecated_opts=[cfg.DeprecatedOpt('heat_project', group='cc')],
               help='Project SO stacks go into on a noauth Heat.'),
    cfg.FloatOpt('heat_timeout', default=30.0, min=0.1,
                 help='Seconds one request to a noauth Heat (the '
                      'embedded one) may take before it is given up '
                      '(the CC\'s stack calls; an SO of the "heat" '
                      'driver). A create given up on may still be done '
                      'by Heat later: the CC deletes a stack of an app '
                      'deleted meanwhile ([cc] orphan_stack_window).'),
    cfg.BoolOpt('insecure', default=False,
                deprecated_opts=[cfg.DeprecatedOpt('insecure', group='cc')],
                help='Skip TLS verification towards Heat.'),
    cfg.BoolOpt('trusts', default=True,
                help='When auth_strategy resolves to keystone: the SM '
                     'creates, at each instance create, a Keystone trust '
                     'from the user to the [service_credentials] user '
                     '(impersonation, the user\'s roles in the user\'s '
                     'project, redelegation allowed so that Heat can '
                     'make its own trust from it), and the SO deploys '
                     'with it: stacks land in the user\'s project. The '
                     'trust is deleted with the instance. False: stacks '
                     'go into the [service_credentials] project. See '
                     'doc/source/admin/openstack.rst.'),
]


#: The driver deploying through the CC's stack kind.
CC_DRIVER = 'cc'


def through_cc(conf):
    """Whether SOs deploy through the CC (``driver = cc``): their stacks
    then belong to their CC app, and go with it."""
    return conf.deployer.driver == CC_DRIVER


def noauth_heat_url(conf, region, project):
    """The noauth Heat endpoint of ``region`` (None: the default) for
    ``project``: ``heat_region_urls[region]`` or ``heat_url``, with
    ``%(project)s`` replaced."""
    url = (conf.deployer.heat_region_urls.get(region) if region else None)
    return (url or conf.deployer.heat_url) % {'project': project}


def strategy(conf):
    """``noauth`` or ``keystone``: ``auth_strategy`` with ``auto``
    resolved to ``[DEFAULT] auth_strategy``."""
    value = conf.deployer.auth_strategy
    return conf.auth_strategy if value == 'auto' else value


def uses_trusts(conf):
    """Whether instances get a trust (``trusts`` and a Keystone
    deployer)."""
    return conf.deployer.trusts and strategy(conf) == 'keystone'


def report_deprecated(conf):
    """Read every ``[deployer]`` option once, so that values still taken
    from their old ``[cc]`` names are reported when a process starts
    (oslo.config logs its deprecation warning on the first read), not
    only in the SO logs or when the SM first disposes of a stack."""
    for opt in deployer_opts:
        getattr(conf.deployer, opt.dest)


def register_opts(conf):
    conf.register_group(deployer_group)
    conf.register_opts(deployer_opts, group=deployer_group)


def list_opts():
    return {deployer_group.name: deployer_opts}
