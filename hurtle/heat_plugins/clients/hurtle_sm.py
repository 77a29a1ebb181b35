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
"""The ``hurtle_sm`` Heat client plugin: Hurtle service managers (SMs).

heat-engine loads :class:`HurtleSMClientPlugin` through the
``heat.clients`` entry point ``hurtle_sm``. ``Hurtle::Service::Instance``
gets the plugin with ``self.client_plugin('hurtle_sm')`` and its client
(:class:`SMClient`, OCCI over HTTP to any SM) with
``self.client('hurtle_sm')``.

Authentication
--------------
``[hurtle_heat] auth_strategy``: ``keystone`` forwards a token of the
request context (trust-scoped to the stack's project when Heat uses
trusts) as ``X-Auth-Token``; ``noauth`` sends the context's project as
``X-Project-Id``, ``X-Auth-Project`` and ``X-Tenant-Name``; ``auto``
(default) picks ``noauth`` when Heat itself runs with ``[paste_deploy]
flavor = noauth`` and ``keystone`` otherwise. Headers are computed for
every request, so a refreshed token is used.

Finding a service
-----------------
:meth:`HurtleSMClientPlugin.find_service` takes the service's collection
URL (``endpoint``) or looks its ``service_type`` (``<scheme>#<term>``) up:
first in ``[hurtle_heat] service_catalogue`` (entries
``<service_type>=<URL>``), then, with Keystone, in the service catalog of
the context. The OCCI kind is read from the SM's query interface (``/-/``
at the SM's root).

Errors
------
The client raises :mod:`hurtle.occi.errors` exceptions; the plugin's
``is_not_found`` (404), ``is_conflict`` (409) and :meth:`is_transient`
(503, 500, unreachable) classify them, so resources get Heat's
``ignore_not_found``. Discovery failures raise
:class:`heat.common.exception.Error` naming the SM.
"""
import urllib.parse

from heat.common import exception
from heat.common.i18n import _
from heat.engine.clients import client_plugin
from oslo_config import cfg
from oslo_log import log as logging

from hurtle.conf import hurtle_heat as hurtle_heat_conf
from hurtle.conf import types as conf_types
from hurtle.occi import client as occi_client
from hurtle.occi import errors as occi_errors

LOG = logging.getLogger(__name__)

CLIENT_NAME = 'hurtle_sm'

OPT_GROUP = hurtle_heat_conf.GROUP

hurtle_heat_conf.register_opts(cfg.CONF)


def catalogue():
    """``{service_type: url}`` from ``[hurtle_heat] service_catalogue``.

    A malformed entry is logged and ignored.
    """
    mapping = {}
    for entry in cfg.CONF[OPT_GROUP].service_catalogue:
        try:
            mapping.update(conf_types.parse_catalogue_entries([entry]))
        except ValueError as exc:
            LOG.warning('Ignoring a [%s] service_catalogue entry: %s',
                        OPT_GROUP, exc)
    return mapping


def split_url(url):
    """``(root, path)`` of an SM URL: ``http://h:p`` and ``/sample/``."""
    parts = urllib.parse.urlsplit(url)
    root = urllib.parse.urlunsplit((parts.scheme, parts.netloc, '', '', ''))
    path = parts.path or '/'
    if not path.endswith('/'):
        path += '/'
    return root, path


def failure(doing, url, ex):
    """An :class:`exception.Error` naming the SM at ``url`` and its answer.

    :param doing: what the SM failed to do, e.g. ``_('delete instance x')``.
    """
    return exception.Error(_(
        'Hurtle service manager at %(url)s failed to %(doing)s: '
        '%(error)s') % {'url': url, 'doing': doing, 'error': ex})


class Instances(object):
    """Service instances, addressed by their absolute OCCI location.

    The manager Heat's ``entity = 'instances'`` convention uses:
    ``get`` and ``delete`` take the resource's physical id.
    """

    def __init__(self, sm_client):
        self._sm = sm_client

    def get(self, url):
        """The instance's OCCI attributes (``dict``).

        :raises hurtle.occi.errors.NotFound: the SM no longer knows it.
        :raises hurtle.occi.errors.OCCIError: any other failure.
        """
        return dict(self._sm.occi(url).get(url).attributes)

    def create(self, collection, kind, attributes):
        """POST an instance of ``kind`` (a ``CategoryRef``).

        :returns: the new instance's absolute location.
        """
        _root, path = split_url(collection)
        return self._sm.occi(collection).create(path, kind,
                                                attributes=attributes)

    def update(self, url, kind, attributes):
        """Partial update: POST ``attributes`` on the instance."""
        return self._sm.occi(url).update(url, kind, attributes)

    def delete(self, url):
        """DELETE the instance (the SM tears it down asynchronously)."""
        return self._sm.occi(url).delete(url)

    def action(self, url, action):
        """Trigger the OCCI ``action`` (a ``CategoryRef``)."""
        return self._sm.occi(url).action(url, action)


class SMClient(object):
    """OCCI requests to Hurtle SMs for one request context.

    :param auth_headers: callable returning the authentication headers;
        called for every request.
    """

    def __init__(self, auth_headers):
        self._auth_headers = auth_headers
        self.instances = Instances(self)

    def occi(self, url):
        """An OCCI client for the SM serving ``url`` (its root).

        Reads ``[hurtle_heat]`` ``insecure``, ``ca_file`` and
        ``request_timeout``. It never retries: retries sleep between
        attempts and a Heat plugin must never block the engine; pollers
        treat transient failures as "not yet" instead.
        """
        conf = cfg.CONF[OPT_GROUP]
        verify = False if conf.insecure else (conf.ca_file or True)
        root, _path = split_url(url)
        return occi_client.OCCIClient(root, headers=self._auth_headers(),
                                      verify=verify,
                                      timeout=conf.request_timeout,
                                      retries=0)

    def query(self, url):
        """The categories of the query interface of the SM of ``url``."""
        return self.occi(url).query()


class HurtleSMClientPlugin(client_plugin.ClientPlugin):
    """Heat client plugin for Hurtle service managers (OCCI).

    SMs are found per service (``endpoint`` or the catalogue), not
    through one service type of the Keystone catalog: ``service_types`` is
    empty, so the resource type is always available.
    """

    exceptions_module = occi_errors
    service_types = []

    def _create(self, version=None):
        return SMClient(self.auth_headers)

    # -- exception classes (Heat's client plugin conventions) --------------

    def is_not_found(self, ex):
        return isinstance(ex, occi_errors.NotFound)

    def is_conflict(self, ex):
        return isinstance(ex, occi_errors.Conflict)

    def is_transient(self, ex):
        """True for 503, 500 and unreachable SMs: poll again later."""
        return isinstance(ex, (occi_errors.ServiceUnavailable,
                               occi_errors.InternalError))

    # -- authentication ------------------------------------------------------

    def auth_strategy(self):
        """``noauth`` or ``keystone`` (``auto`` resolved)."""
        strategy = cfg.CONF[OPT_GROUP].auth_strategy
        if strategy == 'auto':
            try:
                flavor = cfg.CONF.paste_deploy.flavor or ''
            except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
                flavor = ''
            strategy = 'noauth' if 'noauth' in flavor else 'keystone'
        return strategy

    def auth_headers(self):
        """HTTP headers authenticating the context's project to an SM.

        :raises exception.Error: no Keystone token can be had.
        """
        if self.auth_strategy() == 'noauth':
            project = self.context.project_id or self.context.project_name
            if not project:
                return {}
            return {'X-Project-Id': project, 'X-Auth-Project': project,
                    'X-Tenant-Name': self.context.project_name or project}
        try:
            token = self.context.keystone_session.get_token()
        except Exception as ex:
            raise exception.Error(_(
                'Cannot get a Keystone token for the stack\'s project to '
                'call the Hurtle service manager: %s') % ex)
        return {'X-Auth-Token': token}

    # -- finding services ----------------------------------------------------

    def lookup_service_type(self, service_type):
        """Resolve ``service_type`` to a URL through the catalogue.

        :raises exception.Error: in no catalogue.
        """
        url = catalogue().get(service_type)
        if url:
            return url
        if self.auth_strategy() == 'noauth':
            raise exception.Error(_(
                'Service type %(t)s is not in the catalogue ([%(g)s] '
                'service_catalogue in heat.conf).') % {
                    't': service_type, 'g': OPT_GROUP})
        try:
            url = self.context.keystone_session.get_endpoint(
                service_type=service_type,
                interface=cfg.CONF[OPT_GROUP].endpoint_interface,
                region_name=self.context.region_name)
        except Exception as ex:
            raise exception.Error(_(
                'Cannot find service type %(t)s in the Keystone service '
                'catalog: %(e)s') % {'t': service_type, 'e': ex})
        if not url:
            raise exception.Error(_(
                'Service type %s has no endpoint in the Keystone service '
                'catalog.') % service_type)
        return url

    def find_service(self, endpoint=None, service_type=None):
        """Find the SM collection URL and the service's kind.

        :param endpoint: the service's collection URL, or ``None`` to look
            ``service_type`` up in the catalogue.
        :param service_type: ``<scheme>#<term>`` of the kind; without it
            the kind whose location is the endpoint's path.
        :returns: ``(collection_url, kind)``: the absolute URL of the
            kind's collection and the kind as the SM's query interface
            describes it (:class:`hurtle.occi.client.CategoryInfo`).
        :raises exception.Error: no such service, unreachable SM.
        """
        url = endpoint or self.lookup_service_type(service_type)
        root, path = split_url(url)
        try:
            kinds = [c for c in self.client().query(url) if c.cls == 'kind']
        except occi_errors.OCCIError as ex:
            raise failure(_('answer its query interface'), root, ex)
        for kind in kinds:
            if service_type:
                if kind.id != service_type:
                    continue
            elif not kind.location or split_url(kind.location)[1] != path:
                continue
            collection = kind.location or root + path
            root_k, path_k = split_url(collection)
            return root_k + path_k, kind
        if service_type:
            what = _('service type %s') % service_type
        else:
            what = _('a kind at location %s') % path
        raise exception.Error(_(
            'The Hurtle service manager at %(root)s does not offer '
            '%(what)s.') % {'root': root, 'what': what})

    def find_action(self, collection, kind_id, term):
        """The OCCI action ``term`` of kind ``kind_id``, from the query
        interface of the SM of ``collection``.

        :returns: a :class:`hurtle.occi.client.CategoryRef`.
        :raises exception.Error: the SM does not offer it ("not
            supported") or cannot be queried.
        """
        try:
            categories = self.client().query(collection)
        except occi_errors.OCCIError as ex:
            raise failure(_('answer its query interface'), collection, ex)
        for cat in categories:
            if cat.cls == 'kind' and cat.id == kind_id:
                for action_id in cat.actions:
                    if action_id.rpartition('#')[2] == term:
                        return occi_client.CategoryRef.from_id(action_id,
                                                               'action')
        raise exception.Error(_(
            '%(op)s is not supported by service type %(kind)s: its '
            'service manager offers no OCCI action "%(op)s".') % {
                'op': term, 'kind': kind_id})
