"""``[cc]`` options: the Cloud Controller."""
from oslo_config import cfg

cc_group = cfg.OptGroup('cc', title='Cloud Controller')

cc_opts = [
    cfg.HostAddressOpt('host', default='127.0.0.1',
                       help='Address the CC app API binds to.'),
    cfg.PortOpt('port', default=8887, help='Port of the CC app API.'),
    cfg.StrOpt('runtime', default='local',
               help='Runtime driver deploying SOs (entry point in '
                    'hurtle.cc.runtime): "local" runs each SO as a process '
                    'on 127.0.0.1.'),
    cfg.StrOpt('deployer', default='heat',
               help='Resource deployer SOs use (entry point in '
                    'hurtle.cc.deployer).'),
    cfg.StrOpt('monitoring', default='none',
               help='Monitoring driver (entry point in '
                    'hurtle.cc.monitoring).'),
    cfg.URIOpt('heat_url', default='http://127.0.0.1:8004/v1/%(project)s',
               help='Heat orchestration endpoint; %(project)s is replaced '
                    'by the project. Used with auth_strategy=noauth; with '
                    'Keystone the catalog endpoint is used unless set.'),
    cfg.StrOpt('heat_user', default='admin',
               help='User name sent to a noauth Heat (X-Auth-User).'),
    cfg.StrOpt('heat_project', default='admin',
               help='Project SO stacks go into on a noauth Heat.'),
    cfg.IntOpt('so_start_timeout', default=60, min=1,
               help='Seconds an SO process may take to answer on its '
                    'port.'),
    cfg.HostAddressOpt('so_host', default='127.0.0.1',
                       help='Address local SO processes bind to.'),
    cfg.BoolOpt('insecure', default=False,
                help='Skip TLS verification towards Heat.'),
]


def register_opts(conf):
    conf.register_group(cc_group)
    conf.register_opts(cc_opts, group=cc_group)


def list_opts():
    return {cc_group.name: cc_opts}
