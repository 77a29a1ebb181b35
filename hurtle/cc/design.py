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
"""The CC's design service: the OCCI ``service`` kind
(doc/source/contributor/cc-api.rst), a read-only catalogue of service
types and the SMs serving them.

Kind ``service`` (``http://schemas.hurtle.it/occi/cc#``) at
``/service/``; one entity per service type, at ``/service/<term>`` (the
type's term), with the immutable attributes

* ``hurtle.service.type``: the full ``<scheme>#<term>``;
* ``hurtle.service.endpoint``: the collection URL of its SM (ends with
  ``/``);
* ``hurtle.service.region``, ``hurtle.service.interface``: where in the
  Keystone catalog it was found (empty for the other sources);
* ``hurtle.service.source``: ``config`` (``[design] services``),
  ``sm`` (``[sm] manifests``, with ``[design] sm_manifests``) or
  ``keystone`` (the Keystone catalog, with ``auth_strategy = keystone``
  and ``[design] keystone_catalog``).

A type found in several sources is listed once, from the first in that
order; two types sharing a term are listed once too, the first (the
other is logged once, by type): composition (``[sm] design = cc``)
checks ``hurtle.service.type``.

* ``GET /service/`` lists them, ``GET /service/<term>`` shows one (404
  with a message naming the sources for an unknown term).
* ``OPTIONS`` answers ``Allow: GET, HEAD, OPTIONS``; every other
  method answers 405 with that ``Allow``.
* Callers need ``hurtle:service:get`` (:mod:`hurtle.policy`: admins,
  i.e. the SM's service user, and SOs authenticated by their secret,
  :mod:`hurtle.cc.so_auth`), else 403.
* The Keystone catalog unreachable answers 503.
"""
import collections
import logging

from keystoneauth1 import exceptions as ks_exc
from occi import backend
from occi import core_model

from hurtle import catalogue
from hurtle.cc import so_auth
from hurtle import conf as hurtle_conf
from hurtle.conf import service_credentials
from hurtle.conf import types as conf_types
from hurtle import manifest as manifest_mod
from hurtle.occi import app as occi_app
from hurtle.occi import categories
from hurtle.occi import errors
from hurtle.occi import registry
from hurtle import policy

LOG = logging.getLogger(__name__)

PREFIX = categories.SERVICE.location
RULE = 'hurtle:service:get'
#: Methods the kind answers (every other one: 405): those of a path under
#: the application's ``read_only`` (set up in :mod:`hurtle.cc.api`).
ALLOWED = occi_app.READ_ONLY_METHODS

#: One service type and its SM.
Service = collections.namedtuple(
    'Service', 'service_type endpoint region interface source')


def authorize(conf, extras):
    """Check :data:`RULE` for the caller (an SO is ``hurtle_caller:so``).

    :raises hurtle.occi.errors.Forbidden: the policy denies it (403).
    """
    caller = 'so' if so_auth.caller_of(extras) is not None else None
    policy.authorize(conf, RULE, extras, caller=caller)


def _sm_manifests(conf):
    """The manifests of ``[sm] manifests`` that load (others logged)."""
    loaded = []
    for path in conf.sm.manifests or []:
        try:
            loaded.append(manifest_mod.load(
                hurtle_conf.resolve_path(conf, path, 'manifests', 'sm')))
        except manifest_mod.ManifestError as exc:
            LOG.warning('design service: manifest %s not listed: %s',
                        path, exc)
    return loaded


class DesignCatalogue(object):
    """The service types the design service knows (see module doc).

    :param conf: the CC's oslo.config object.
    :param keystone_session: function returning a keystoneauth1 session
        (default: one of the CC's ``[service_credentials]``, loaded on
        first use), called only in Keystone mode.
    :raises ValueError: a bad ``[design] services`` entry.
    """

    def __init__(self, conf, keystone_session=None):
        self.conf = conf
        self.configured = conf_types.parse_catalogue_entries(
            conf.design.services)
        self.local = catalogue.local_services(
            conf, _sm_manifests(conf)) if conf.design.sm_manifests else {}
        self._keystone_session = keystone_session or self._session
        self._session_loaded = None
        self._warned = set()

    def _session(self):
        if self._session_loaded is None:
            self._session_loaded = service_credentials.load_session(
                self.conf)
        return self._session_loaded

    def _keystone(self):
        design = self.conf.design
        if self.conf.auth_strategy != 'keystone' or \
                not design.keystone_catalog:
            return {}
        try:
            return catalogue.keystone_services(
                self._keystone_session(), design.catalog_interface,
                design.region)
        except ks_exc.ClientException as exc:
            LOG.warning('design service: cannot read the Keystone catalog: '
                        '%s', exc)
            raise errors.ServiceUnavailable(
                'the CC cannot read the Keystone catalog now; try again '
                'later')

    def services(self):
        """``{term: Service}`` in source order (see module doc).

        :raises hurtle.occi.errors.ServiceUnavailable: Keystone
            unreachable (Keystone mode only).
        """
        design = self.conf.design
        found = collections.OrderedDict()
        sources = [('config', self.configured, '', ''),
                   ('sm', self.local, '', ''),
                   ('keystone', self._keystone(), design.region,
                    design.catalog_interface)]
        for source, entries, region, interface in sources:
            for service_type, url in entries.items():
                term = catalogue.term_of(service_type)
                have = found.get(term)
                if have is None:
                    found[term] = Service(service_type,
                                          catalogue.with_slash(url),
                                          region, interface, source)
                elif have.service_type != service_type and \
                        service_type not in self._warned:
                    self._warned.add(service_type)
                    LOG.warning('design service: %s (%s) not listed: its '
                                'term is that of %s (%s)', service_type,
                                source, have.service_type, have.source)
        return found


def to_entity(term, service):
    """The PySSF resource of one :class:`Service` at ``/service/<term>``."""
    entity = core_model.Resource(PREFIX + term, categories.SERVICE, [],
                                 title=service.service_type)
    entity.attributes.update({
        'occi.core.id': term,
        'occi.core.title': service.service_type,
        'hurtle.service.type': service.service_type,
        'hurtle.service.endpoint': service.endpoint,
        'hurtle.service.region': service.region,
        'hurtle.service.interface': service.interface,
        'hurtle.service.source': service.source,
    })
    entity.actions = []
    return entity


def _read_only():
    return errors.MethodNotAllowed(
        'the design service is read-only: %s only' % ', '.join(ALLOWED),
        headers=[('Allow', ', '.join(ALLOWED))])


class ServiceStore(registry.EntityStore):
    """Read-only :class:`hurtle.occi.registry.EntityStore` of the
    ``service`` kind, computed from a :class:`DesignCatalogue` on each
    call (not scoped by project: every allowed caller sees the same).
    :meth:`get` checks :data:`RULE` first; listings are checked by the
    OCCI layer before anything is rendered
    (:meth:`ServiceBackend.authorize_list`), so that a listing of ``/``
    answers the first kind's refusal."""

    def __init__(self, conf, design):
        self.conf = conf
        self.design = design

    def get(self, key, extras):
        """:raises hurtle.occi.errors.NotFound: no type with this term."""
        authorize(self.conf, extras)
        term = str(key)[len(PREFIX):]
        service = self.design.services().get(term)
        if service is None:
            raise errors.NotFound(
                'the design service knows no service type with term %s '
                '([design] services, [sm] manifests, Keystone catalog)'
                % term[:80])
        return to_entity(term, service)

    def add(self, key, entity, extras):
        raise _read_only()

    def update(self, key, entity, extras):
        """Nothing is kept: entities are computed."""

    def delete(self, key, extras):
        raise _read_only()

    def keys(self, extras):
        return [e.identifier for e in self.values(extras)]

    def values(self, extras):
        return [to_entity(term, service)
                for term, service in self.design.services().items()]


class ServiceBackend(backend.KindBackend):
    """The ``service`` kind's backend: reads are the store's; writes are
    refused (405, ``Allow: GET, HEAD, OPTIONS``)."""

    def __init__(self, conf):
        self.conf = conf

    def authorize_list(self, extras):
        """:raises Forbidden: the policy denies the caller (403)."""
        authorize(self.conf, extras)

    def create(self, entity, extras):
        raise _read_only()

    def update(self, old, new, extras):
        raise _read_only()

    replace = update

    def delete(self, entity, extras):
        raise _read_only()
