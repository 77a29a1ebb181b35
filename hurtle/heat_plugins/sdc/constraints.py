"""Heat custom constraints ``sdc.image``, ``sdc.package``, ``sdc.network``.

Registered through the ``heat.constraints`` entry point. Each checks, at
stack validation (before create), that CloudAPI knows the name or id; a
failure reads ``Error validating value 'x': ResourceNotFound (HTTP 404):
...``.
"""
from heat.engine import constraints

from hurtle.sdc import exceptions


class _SDCConstraint(constraints.BaseCustomConstraint):
    # Any CloudAPI failure (unknown name, unreachable endpoint, bad key,
    # missing configuration) fails validation with CloudAPI's message.
    expected_exceptions = (exceptions.CloudAPIError,)
    resource_client_name = 'sdc'


class ImageConstraint(_SDCConstraint):
    """An image id, name or ``name@version`` CloudAPI can provision."""

    resource_getter_name = 'get_image_id'


class PackageConstraint(_SDCConstraint):
    """A package id or name of the account's packages."""

    resource_getter_name = 'get_package_id'


class NetworkConstraint(_SDCConstraint):
    """A network id or unique name the account can use."""

    resource_getter_name = 'get_network_id'
