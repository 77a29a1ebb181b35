"""``[heat_auth]``: Keystone credentials the CC's Heat deployer uses.

Only read with ``[DEFAULT] auth_strategy = keystone``; the options are
keystoneauth1's own (``auth_type``, ``auth_url``, ``username``, ...,
``cafile``, ``insecure``, ``timeout``).
"""
from keystoneauth1 import loading as ks_loading

GROUP = 'heat_auth'


def register_opts(conf):
    ks_loading.register_session_conf_options(conf, GROUP)
    ks_loading.register_auth_conf_options(conf, GROUP)


def list_opts():
    opts = (ks_loading.get_session_conf_options() +
            ks_loading.get_auth_common_conf_options() +
            ks_loading.get_auth_plugin_conf_options('password'))
    return {GROUP: opts}
