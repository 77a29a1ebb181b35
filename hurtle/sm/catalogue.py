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
"""Finding the SM of a service type (the design-phase catalogue).

``resolve(service_type)`` returns the collection URL of the service
(its manifest's ``service_endpoint``, e.g. ``http://127.0.0.1:8888/svc/``),
looked up in this order:

1. the services this SM serves itself (``http://[sm] host:port/<term>/``);
2. ``[sm] service_catalogue``: entries ``<service_type>=<URL>``;
3. with ``auth_strategy = keystone``: the Keystone service catalog (the
   endpoint of the service type on ``[sm] catalog_interface`` in ``[sm]
   region``), where SMs register their services (``[sm]
   register_service``, :mod:`hurtle.sm.registration`) as 2016 Hurtle SMs
   did, under the full service type.

Raises ``LookupError`` (with the service type) when none knows it.
"""
import logging

from keystoneauth1 import exceptions as ks_exc

from hurtle.conf import types as conf_types

LOG = logging.getLogger(__name__)


class Catalogue(object):
    """Service type → collection URL, for composition.

    :param conf: oslo.config object.
    :param manifests: the manifests this SM serves.
    :param keystone_session: function returning the SM's keystoneauth1
        session (``hurtle.sm.peers.Peers.keystone_session``), called only
        with ``auth_strategy = keystone``.
    """

    def __init__(self, conf, manifests, keystone_session):
        self.conf = conf
        base = 'http://%s:%d' % (conf.sm.host, conf.sm.port)
        self.local = {m.service_type: '%s/%s/' % (base, m.term)
                      for m in manifests}
        self.configured = conf_types.parse_catalogue_entries(
            conf.sm.service_catalogue)
        self._keystone_session = keystone_session

    def resolve(self, service_type):
        url = self.local.get(service_type) or self.configured.get(
            service_type)
        if url:
            return url
        if self.conf.auth_strategy == 'keystone':
            try:
                url = self._keystone_session().get_endpoint(
                    service_type=service_type,
                    interface=self.conf.sm.catalog_interface,
                    region_name=self.conf.sm.region)
            except ks_exc.EndpointNotFound:
                # keystoneauth1 raises this when the type is in the
                # catalog but not on this interface or in this region.
                url = None
            if url:
                return url if url.endswith('/') else url + '/'
        raise LookupError('no SM known for service type %s (set [sm] '
                          'service_catalogue)' % service_type)
