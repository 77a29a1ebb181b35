"""The ``sdc`` Heat client plugin (entry point ``heat.clients``).

heat-engine builds one :class:`~hurtle.sdc.client.CloudAPIClient` per
request context from the ``[sdc]`` group of heat.conf (see
:mod:`hurtle.conf.sdc`). Resources get it with ``self.client('sdc')`` and
the plugin with ``self.client_plugin('sdc')``; the latter also resolves
image, package and network names to ids for the ``sdc.*`` custom
constraints.
"""
from heat.engine.clients import client_plugin
from oslo_config import cfg

from hurtle.conf import sdc as sdc_conf
from hurtle.sdc import client as sdc_client
from hurtle.sdc import exceptions
from hurtle.sdc import signing

sdc_conf.register_opts(cfg.CONF)

CLIENT_NAME = 'sdc'


def client_from_conf(conf):
    """Build a CloudAPI client from an oslo.config object's ``[sdc]``.

    :raises hurtle.sdc.exceptions.NotConfigured: url, account or key_file
        unset.
    :raises hurtle.sdc.exceptions.InvalidKey: the key cannot be used.
    """
    group = conf.sdc
    missing = [name for name in ('url', 'account', 'key_file')
               if not getattr(group, name)]
    if missing:
        raise exceptions.NotConfigured(
            'Joyent SDC is not configured: set %s in the [sdc] section of '
            'heat.conf' % ', '.join(missing))
    key = signing.load_private_key_file(group.key_file)
    signer = signing.RequestSigner(group.account, key, group.key_id)
    if group.insecure:
        verify = False
    else:
        verify = group.ca_file or True
    return sdc_client.CloudAPIClient(group.url, group.account, signer,
                                     api_version=group.api_version,
                                     verify=verify, timeout=group.timeout,
                                     retries=group.retries)


class SDCClientPlugin(client_plugin.ClientPlugin):
    """Heat client plugin for Joyent CloudAPI.

    CloudAPI is not in the Keystone catalogue: the endpoint and key come
    from heat.conf ``[sdc]``, the same for every project.
    """

    exceptions_module = exceptions
    service_types = []

    def _create(self, version=None):
        return client_from_conf(cfg.CONF)

    def is_not_found(self, ex):
        return isinstance(ex, exceptions.ResourceNotFound)

    def is_over_limit(self, ex):
        return isinstance(ex, exceptions.RequestThrottled)

    def is_conflict(self, ex):
        return isinstance(ex, exceptions.Conflict)

    def get_image_id(self, name_or_id):
        """Image id for an image id, ``name`` or ``name@version``.

        :raises hurtle.sdc.exceptions.ResourceNotFound: no such image.
        """
        return self.client().find_image(name_or_id)['id']

    def get_package_id(self, name_or_id):
        """Package id for a package name or id (GetPackage takes both)."""
        return self.client().get_package(name_or_id)['id']

    def get_network_id(self, name_or_id):
        """Network id for a network id or unique name."""
        return self.client().find_network(name_or_id)['id']
