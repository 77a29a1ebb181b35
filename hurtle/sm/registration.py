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
"""Registering the SM's services in the Keystone catalog (the design
module of the 2016 Hurtle: other SMs and Heat find a service by its type).

With ``auth_strategy = keystone`` and ``[sm] register_service = true`` the
SM makes sure, at start, that for each manifest it serves the catalog has

* a service of type ``service_type`` (the full ``<scheme>#<term>``, as 2016
  SMs registered it), named after the manifest's term;
* one endpoint of that service on ``[sm] catalog_interface`` in ``[sm]
  region``, at the service's collection URL.

A second start adds nothing: an existing service of the type is reused,
an existing endpoint with the same URL is kept, one with another URL is
updated in place. :class:`hurtle.sm.catalogue.Catalogue` looks services up
on the same interface and region.
"""
import logging

from keystoneauth1 import exceptions as ks_exc

LOG = logging.getLogger(__name__)


class RegistrationError(Exception):
    """The catalog could not be read or written; ``str()`` says which
    service and why (Keystone's answer), never a credential."""


def collection_url(conf, manifest):
    """The URL clients create instances of ``manifest`` at (with a
    trailing slash): ``[sm] public_url``, else the manifest's
    ``service_endpoint``, else ``http://[sm] host:port/<term>/``."""
    if conf.sm.public_url:
        return '%s/%s/' % (conf.sm.public_url.rstrip('/'), manifest.term)
    if manifest.endpoint:
        return manifest.endpoint.rstrip('/') + '/'
    return 'http://%s:%d/%s/' % (conf.sm.host, conf.sm.port, manifest.term)


def register_services(conf, manifests, session):
    """Register every manifest's service and endpoint (see module doc).

    :param conf: oslo.config object (``[sm] region``,
        ``catalog_interface``, ``host``, ``port``, ``public_url``).
    :param manifests: iterable of ``hurtle.manifest.Manifest``.
    :param session: keystoneauth1 session allowed to manage the catalog
        (``hurtle.sm.peers.Peers.keystone_session()``).
    :returns: ``[(service_type, url, what)]`` where ``what`` is
        ``'created'``, ``'updated'`` or ``'unchanged'``.
    :raises RegistrationError: Keystone refused a request (e.g. 403: the
        user may not manage the catalog) or could not be reached.
    """
    # Imported here: python-keystoneclient costs about 0.4 s of every SM's
    # start-up, and only an SM with [sm] register_service uses it.
    from keystoneclient.v3 import client as ks_client
    keystone = ks_client.Client(session=session,
                                interface=conf.sm.catalog_interface)
    region = conf.sm.region
    interface = conf.sm.catalog_interface
    done = []
    for manifest in manifests:
        url = collection_url(conf, manifest)
        try:
            what = _register(keystone, manifest, url, region, interface)
        except ks_exc.ClientException as exc:
            raise RegistrationError(
                'cannot register service %s in the Keystone catalog: %s'
                % (manifest.service_type, exc))
        LOG.info('Keystone catalog: %s %s at %s (%s, region %s)',
                 manifest.service_type, what, url, interface, region)
        done.append((manifest.service_type, url, what))
    return done


def _register(keystone, manifest, url, region, interface):
    services = keystone.services.list(type=manifest.service_type)
    if services:
        service = services[0]
    else:
        service = keystone.services.create(
            manifest.term, manifest.service_type,
            description=manifest.description or None)
    endpoints = keystone.endpoints.list(service=service,
                                        interface=interface, region=region)
    if not endpoints:
        keystone.endpoints.create(service, url, interface=interface,
                                  region=region)
        return 'created'
    if endpoints[0].url != url:
        keystone.endpoints.update(endpoints[0], url=url)
        return 'updated'
    return 'unchanged'
