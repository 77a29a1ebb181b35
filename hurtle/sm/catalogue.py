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
(its manifest's ``service_endpoint``, e.g. ``http://127.0.0.1:8888/svc/``).

With ``[sm] design = local`` (the default) it is looked up here, in this
order (:mod:`hurtle.catalogue`):

1. the services this SM serves itself (``http://[sm] host:port/<term>/``);
2. ``[sm] service_catalogue``: entries ``<service_type>=<URL>``;
3. with ``auth_strategy = keystone``: the Keystone service catalog (the
   endpoint of the service type on ``[sm] catalog_interface`` in ``[sm]
   region``), where SMs register their services (``[sm]
   register_service``, :mod:`hurtle.sm.registration`) as 2016 Hurtle SMs
   did, under the full service type.

With ``[sm] design = cc`` the CC's design service answers alone
(``GET <[sm] cc_url>/service/<term>``, :mod:`hurtle.cc.design`), as the
SM's service project.

Raises ``LookupError`` (with the service type) when none knows it.
"""
import logging
import urllib.parse

from hurtle import catalogue
from hurtle.conf import types as conf_types
from hurtle.occi import errors

LOG = logging.getLogger(__name__)

#: Attribute of the CC's ``service`` entities holding the service type.
TYPE_ATTRIBUTE = 'hurtle.service.type'
#: ... and the collection URL.
ENDPOINT_ATTRIBUTE = 'hurtle.service.endpoint'


class Catalogue(object):
    """Service type → collection URL, for composition.

    :param conf: oslo.config object.
    :param manifests: the manifests this SM serves.
    :param keystone_session: function returning the SM's keystoneauth1
        session (``hurtle.sm.peers.Peers.keystone_session``), called only
        with ``auth_strategy = keystone``.
    :param cc_client: function returning an OCCI client of the CC as the
        service project (``hurtle.sm.peers.Peers.cc``), called only with
        ``[sm] design = cc``.
    """

    def __init__(self, conf, manifests, keystone_session, cc_client=None):
        self.conf = conf
        self.local = catalogue.local_services(conf, manifests)
        self.configured = conf_types.parse_catalogue_entries(
            conf.sm.service_catalogue)
        self._keystone_session = keystone_session
        self._cc_client = cc_client

    def resolve(self, service_type):
        if self.conf.sm.design == 'cc':
            return self._ask_cc(service_type)
        url = self.local.get(service_type) or self.configured.get(
            service_type)
        if url:
            return url
        if self.conf.auth_strategy == 'keystone':
            url = catalogue.keystone_endpoint(
                self._keystone_session(), service_type,
                self.conf.sm.catalog_interface, self.conf.sm.region)
            if url:
                return url
        raise LookupError('no SM known for service type %s (set [sm] '
                          'service_catalogue)' % service_type)

    def _ask_cc(self, service_type):
        """The URL the CC's design service gives for ``service_type``.

        :raises LookupError: the CC knows no such type, or could not be
            asked (its answer in the message).
        """
        term = catalogue.term_of(service_type)
        location = '%s/service/%s' % (self.conf.sm.cc_url.rstrip('/'),
                                      urllib.parse.quote(term, safe=''))
        try:
            attrs = self._cc_client().get(location).attributes
        except errors.NotFound:
            attrs = {}
        except errors.OCCIError as exc:
            raise LookupError('cannot ask the CC\'s design service for '
                              'service type %s: %s'
                              % (service_type, exc.message))
        if attrs.get(TYPE_ATTRIBUTE) != service_type or \
                not attrs.get(ENDPOINT_ATTRIBUTE):
            raise LookupError(
                'the CC\'s design service knows no SM for service type %s '
                '(set [design] services on the CC, or register the service '
                'in the Keystone catalog)' % service_type)
        return catalogue.with_slash(attrs[ENDPOINT_ATTRIBUTE])
