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
"""The ``sdc`` Heat client plugin and its custom constraints.

heat-engine loads :class:`SDCClientPlugin` through the ``heat.clients``
entry point ``sdc`` and builds one
:class:`~hurtle.heat_plugins.sdc.client.CloudAPIClient` per request
context from the ``[sdc]`` group of heat.conf (see :mod:`hurtle.conf.sdc`).
Resources get the client with ``self.client('sdc')`` and the plugin with
``self.client_plugin('sdc')``; the plugin also resolves image, package and
network names to ids for the custom constraints ``sdc.image``,
``sdc.package`` and ``sdc.network`` (``heat.constraints`` entry points),
which live here as Heat keeps ``ServerConstraint`` with its nova plugin.
"""
from heat.engine.clients import client_plugin
from heat.engine import constraints
from oslo_config import cfg

from hurtle.conf import sdc as sdc_conf
from hurtle.heat_plugins.sdc import client as sdc_client
from hurtle.heat_plugins.sdc import exceptions
from hurtle.heat_plugins.sdc import signing

sdc_conf.register_opts(cfg.CONF)

CLIENT_NAME = 'sdc'


def client_from_conf(conf):
    """Build a CloudAPI client from an oslo.config object's ``[sdc]``.

    :raises hurtle.heat_plugins.sdc.exceptions.NotConfigured: url,
        account or key_file unset.
    :raises hurtle.heat_plugins.sdc.exceptions.InvalidKey: the key cannot
        be used.
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

        :raises hurtle.heat_plugins.sdc.exceptions.ResourceNotFound: no
            such image.
        """
        return self.client().find_image(name_or_id)['id']

    def get_package_id(self, name_or_id):
        """Package id for a package name or id (GetPackage takes both)."""
        return self.client().get_package(name_or_id)['id']

    def get_network_id(self, name_or_id):
        """Network id for a network id or unique name."""
        return self.client().find_network(name_or_id)['id']


# --- custom constraints (heat.constraints entry points) -------------------
#
# Each checks, at stack validation (before create), that CloudAPI knows the
# name or id; a failure reads "Error validating value 'x':
# ResourceNotFound (HTTP 404): ...".

class _SDCConstraint(constraints.BaseCustomConstraint):
    # Any CloudAPI failure (unknown name, unreachable endpoint, bad key,
    # missing configuration) fails validation with CloudAPI's message.
    expected_exceptions = (exceptions.CloudAPIError,)
    resource_client_name = CLIENT_NAME


class ImageConstraint(_SDCConstraint):
    """An image id, name or ``name@version`` CloudAPI can provision."""

    resource_getter_name = 'get_image_id'


class PackageConstraint(_SDCConstraint):
    """A package id or name of the account's packages."""

    resource_getter_name = 'get_package_id'


class NetworkConstraint(_SDCConstraint):
    """A network id or unique name the account can use."""

    resource_getter_name = 'get_network_id'
