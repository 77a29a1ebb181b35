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
"""Heat resource ``Hurtle::Service::Instance``: compose Hurtle services.

An instance of a Hurtle service, created through its Service Manager's
(SM) OCCI API (DESIGN.md sections 4 and 7).  The resource's physical id
(``resource_id``, also ``get_resource``) is the instance's absolute OCCI
location, e.g. ``http://127.0.0.1:8888/sample/3f2a...``.

Finding the SM and the service's OCCI kind
------------------------------------------
* ``endpoint`` (the service's collection URL, the manifest's
  ``service_endpoint``, e.g. ``http://127.0.0.1:8888/sample/``) names the
  SM directly;
* otherwise ``service_type`` (``<scheme>#<term>``) is looked up in the
  catalogue: first in the ``[hurtle_heat] service_catalogue`` option of
  heat.conf (the embedded default; entries ``<service_type>=<URL>``), then,
  when Heat uses Keystone, in the Keystone service catalog of the stack's
  context (the 2016 Hurtle SMs registered their ``service_endpoint`` there
  under the full ``service_type``).

The kind is always read from the SM's OCCI query interface (``/-/`` at the
SM's root): the kind whose scheme and term equal ``service_type`` when it is
given, else the kind whose location is the endpoint's path.  The kind and
the collection URL are stored in the resource's data, so update, delete,
suspend and resume use the SM the instance was created on.

Lifecycle
---------
* ``handle_create`` POSTs the kind and ``attributes`` to the collection;
  ``check_create_complete`` GETs the instance on every engine step (never
  sleeps) until ``mcn.service.state`` is ``active``; ``failed`` raises
  :class:`heat.common.exception.ResourceInError` carrying the SM's reason
  (``mcn.service.state.reason``, or ``mcn.service.reason``), which Heat
  turns into a resource failure;
* update sends only the attributes whose value changed (a partial OCCI
  update, ``POST`` on the instance) and waits for ``active`` again.  OCCI
  has no attribute removal: an attribute removed from the template keeps
  its value on the instance.  A change of ``endpoint`` or ``service_type``
  replaces the instance;
* delete sends ``DELETE`` and waits until ``GET`` answers 404; an instance
  that is already gone counts as deleted;
* suspend and resume trigger the kind's OCCI actions ``suspend`` and
  ``resume`` when the SM's query interface lists them (then wait for
  ``suspended`` or ``active``); otherwise they fail with a "not supported"
  message;
* ``timeout`` (seconds) bounds each of these waits; Heat's stack timeout
  applies as well.

Authentication
--------------
``[hurtle_heat] auth_strategy``: ``keystone`` forwards a token of the
stack's context (trust-scoped to the stack's project when Heat uses
trusts) as ``X-Auth-Token``; ``noauth`` sends the stack's project as
``X-Project-Id``, ``X-Auth-Project`` and ``X-Tenant-Name`` (the embedded
default, DESIGN.md section 8); ``auto`` (default) picks ``noauth`` when
Heat itself runs with ``[paste_deploy] flavor = noauth`` and ``keystone``
otherwise.
"""

import time
import urllib.parse

from heat.common import exception
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import resource
from heat.engine import support
from oslo_config import cfg
from oslo_log import log as logging

from hurtle.conf import hurtle_heat as hurtle_heat_conf
from hurtle.occi import client as occi_client
from hurtle.occi import errors as occi_errors
from hurtle.sm import catalogue as sm_catalogue

LOG = logging.getLogger(__name__)

RESOURCE_TYPE = 'Hurtle::Service::Instance'

# --- heat.conf options read by heat-engine --------------------------------

OPT_GROUP = hurtle_heat_conf.GROUP

hurtle_heat_conf.register_opts(cfg.CONF)

# --- OCCI facts -----------------------------------------------------------

STATE_ATTR = 'mcn.service.state'
REASON_ATTRS = ('mcn.service.state.reason', 'mcn.service.reason')
ACTIVE = 'active'
FAILED = 'failed'
SUSPENDED_STATES = ('suspended',)
#: Consecutive polls answered 503/500 or unreachable before giving up.
MAX_TRANSIENT_ERRORS = 30
_TRANSIENT = (occi_errors.ServiceUnavailable, occi_errors.InternalError)


def _catalogue():
    """``{service_type: url}`` from ``[hurtle_heat] service_catalogue``."""
    mapping = {}
    for entry in cfg.CONF[OPT_GROUP].service_catalogue:
        try:
            mapping.update(sm_catalogue.parse_entries([entry]))
        except ValueError as exc:
            LOG.warning('Ignoring a [%s] service_catalogue entry: %s',
                        OPT_GROUP, exc)
    return mapping


def _split_url(url):
    """``(root, path)`` of an SM URL: ``http://h:p`` and ``/sample/``."""
    parts = urllib.parse.urlsplit(url)
    root = urllib.parse.urlunsplit((parts.scheme, parts.netloc, '', '', ''))
    path = parts.path or '/'
    if not path.endswith('/'):
        path += '/'
    return root, path


class ServiceInstance(resource.Resource):
    """An instance of a Hurtle service, managed through its SM's OCCI API.

    Use it to compose Hurtle services in any Heat template: one instance's
    attributes (``get_attr: [inst, attributes, <name>]``) can feed another
    instance's ``attributes``.  Creation waits until the service manager
    reports the instance ``active``; deletion waits until it is gone.
    """

    support_status = support.SupportStatus(
        version='27.0.0',
        message=_('Provided by the Hurtle Heat plugins.'))

    default_client_name = None
    entity = None

    PROPERTIES = (
        ENDPOINT, SERVICE_TYPE, ATTRIBUTES_PROP, TIMEOUT,
    ) = (
        'endpoint', 'service_type', 'attributes', 'timeout',
    )

    ATTRIBUTES = (
        URL, STATE, ATTRIBUTES_ATTR,
    ) = (
        'url', 'state', 'attributes',
    )

    properties_schema = {
        ENDPOINT: properties.Schema(
            properties.Schema.STRING,
            _('URL of the service on its Hurtle service manager: the '
              'collection instances are created in (the manifest\'s '
              'service_endpoint), e.g. http://127.0.0.1:8888/sample/. '
              'Give this or service_type.'),
            constraints=[constraints.AllowedPattern(
                r'^https?://[^/\s]+(/\S*)?$',
                description=_('Must be an http:// or https:// URL.'))],
        ),
        SERVICE_TYPE: properties.Schema(
            properties.Schema.STRING,
            _('Service type of the Hurtle service, <scheme>#<term> as in '
              'its manifest, e.g. http://schemas.mobile-cloud-networking.eu'
              '/occi/sm#sample. Without endpoint, the service manager is '
              'found in the catalogue ([hurtle_heat] service_catalogue in '
              'heat.conf, then the Keystone service catalog). With '
              'endpoint, it selects the OCCI kind at that service '
              'manager.'),
            constraints=[constraints.AllowedPattern(
                r'^\S+#[^#\s]+$',
                description=_('Must be <scheme>#<term>.'))],
        ),
        ATTRIBUTES_PROP: properties.Schema(
            properties.Schema.MAP,
            _('OCCI attributes of the instance (name: string, number or '
              'boolean), e.g. inputs taken from another instance\'s '
              'attributes. On update, only changed attributes are sent to '
              'the service manager; null values are not sent.'),
            default={},
            update_allowed=True,
        ),
        TIMEOUT: properties.Schema(
            properties.Schema.INTEGER,
            _('Seconds to wait for the instance to become active (create, '
              'update, resume) or gone (delete). Default: only Heat\'s '
              'stack timeout applies.'),
            constraints=[constraints.Range(min=1)],
            update_allowed=True,
        ),
    }

    attributes_schema = {
        URL: attributes.Schema(
            _('Absolute OCCI location (URL) of the service instance.'),
            type=attributes.Schema.STRING,
        ),
        STATE: attributes.Schema(
            _('Lifecycle state the service manager reports '
              '(mcn.service.state), e.g. active.'),
            type=attributes.Schema.STRING,
        ),
        ATTRIBUTES_ATTR: attributes.Schema(
            _('Every OCCI attribute of the instance as a map, including '
              'the outputs its service orchestrator reports; select one '
              'with a path: {get_attr: [<resource>, attributes, '
              'mcn.endpoint.api]}.'),
            type=attributes.Schema.MAP,
        ),
    }

    # --- validation ---

    def validate(self):
        """Check that the service is named and attribute values are scalar.

        :raises StackValidationFailed: neither ``endpoint`` nor
            ``service_type`` is given, or an attribute value is a list/map.
        """
        super(ServiceInstance, self).validate()
        if not (self.properties[self.ENDPOINT] or
                self.properties[self.SERVICE_TYPE]):
            raise exception.StackValidationFailed(message=_(
                'Either "%(e)s" or "%(s)s" must be given.') % {
                    'e': self.ENDPOINT, 's': self.SERVICE_TYPE})
        for name, value in (self.properties[self.ATTRIBUTES_PROP] or
                            {}).items():
            if isinstance(value, (dict, list)):
                raise exception.StackValidationFailed(message=_(
                    'Attribute "%s" must be a string, number or boolean, '
                    'not a list or map.') % name)

    # --- helpers: auth, client, service discovery ------------------------

    def _auth_strategy(self):
        strategy = cfg.CONF[OPT_GROUP].auth_strategy
        if strategy == 'auto':
            try:
                flavor = cfg.CONF.paste_deploy.flavor or ''
            except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
                flavor = ''
            strategy = 'noauth' if 'noauth' in flavor else 'keystone'
        return strategy

    def _auth_headers(self):
        """HTTP headers authenticating the stack's project to an SM."""
        if self._auth_strategy() == 'noauth':
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

    def _client(self, url):
        conf = cfg.CONF[OPT_GROUP]
        verify = False if conf.insecure else (conf.ca_file or True)
        root, _path = _split_url(url)
        # retries=0: the client's retries sleep between attempts, and a
        # Heat plugin must never block the engine.  Polls treat transient
        # failures (503, connection errors) as "not yet" instead.
        return occi_client.OCCIClient(root, headers=self._auth_headers(),
                                      verify=verify,
                                      timeout=conf.request_timeout,
                                      retries=0)

    def _failure(self, doing, url, ex):
        """An :class:`exception.Error` naming the SM and its answer."""
        return exception.Error(_(
            'Hurtle service manager at %(url)s failed to %(doing)s: '
            '%(error)s') % {'url': url, 'doing': doing, 'error': ex})

    def _lookup_service_type(self, service_type):
        """Resolve ``service_type`` to a URL through the catalogue."""
        url = _catalogue().get(service_type)
        if url:
            return url
        if self._auth_strategy() == 'noauth':
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

    def _discover(self):
        """Find the SM collection URL and the service's kind.

        :returns: ``(collection_url, kind)``: the absolute URL of the
            kind's collection and the kind as the SM's query interface
            describes it (:class:`hurtle.occi.client.CategoryInfo`).
        :raises exception.Error: no such service, unreachable SM.
        """
        endpoint = self.properties[self.ENDPOINT]
        service_type = self.properties[self.SERVICE_TYPE]
        url = endpoint or self._lookup_service_type(service_type)
        root, path = _split_url(url)
        client = self._client(url)
        try:
            kinds = [c for c in client.query() if c.cls == 'kind']
        except occi_errors.OCCIError as ex:
            raise self._failure(_('answer its query interface'), root, ex)
        for kind in kinds:
            if service_type:
                if kind.id != service_type:
                    continue
            elif not kind.location or \
                    _split_url(kind.location)[1] != path:
                continue
            collection = kind.location or root + path
            root_k, path_k = _split_url(collection)
            return root_k + path_k, kind
        if service_type:
            what = _('service type %s') % service_type
        else:
            what = _('a kind at location %s') % path
        raise exception.Error(_(
            'The Hurtle service manager at %(root)s does not offer '
            '%(what)s.') % {'root': root, 'what': what})

    def _kind(self):
        """The stored kind as a :class:`occi_client.CategoryRef`."""
        return occi_client.CategoryRef.from_id(self.data()['kind'])

    def _timeout(self, props=None):
        props = props if props is not None else self.properties
        return props[self.TIMEOUT]

    def _cookie(self, action, target, props=None):
        timeout = self._timeout(props)
        return {'action': action, 'target': target, 'timeout': timeout,
                'deadline': (time.monotonic() + timeout
                             if timeout else None),
                'last_state': None, 'transient': 0}

    def _transient(self, cookie, ex):
        """Count a transient polling failure; poll again next step.

        :raises exception.Error: after :data:`MAX_TRANSIENT_ERRORS` in a
            row (a broken SM must not be polled until Heat's timeout).
        """
        cookie['transient'] += 1
        LOG.warning('Polling %(url)s: %(err)s (%(n)d in a row)',
                    {'url': self.resource_id, 'err': ex,
                     'n': cookie['transient']})
        if cookie['transient'] >= MAX_TRANSIENT_ERRORS:
            raise self._failure(_('report instance %(url)s %(n)d times in '
                                  'a row') % {
                                      'url': self.resource_id,
                                      'n': cookie['transient']},
                                self.resource_id, ex)

    @staticmethod
    def _reason(attrs):
        for name in REASON_ATTRS:
            if attrs.get(name):
                return str(attrs[name])
        return _('the service manager gave no reason')

    @staticmethod
    def _send_form(attrs):
        """Attributes to send: ``None`` values are left out."""
        return {k: v for k, v in (attrs or {}).items() if v is not None}

    def _get(self):
        """GET the instance: :class:`EntityInfo`, raising OCCI errors."""
        return self._client(self.resource_id).get(self.resource_id)

    def _poll(self, cookie):
        """One non-blocking poll towards ``cookie['target']`` state(s).

        :returns: ``True`` when the instance reached the target state.
        :raises ResourceInError: the SM reports ``failed`` or the instance
            disappeared.
        :raises exception.Error: the ``timeout`` property elapsed.
        """
        try:
            info = self._get()
        except occi_errors.NotFound:
            raise exception.ResourceInError(
                resource_status='gone',
                status_reason=_('the service manager no longer knows '
                                'instance %s') % self.resource_id)
        except _TRANSIENT as ex:
            # Poll again on the next step (never sleep here).
            self._transient(cookie, ex)
            state = cookie['last_state']
        except occi_errors.OCCIError as ex:
            raise self._failure(_('report instance %s')
                                % self.resource_id, self.resource_id, ex)
        else:
            cookie['transient'] = 0
            state = info.attributes.get(STATE_ATTR)
            cookie['last_state'] = state
            if state in cookie['target']:
                return True
            if state == FAILED:
                raise exception.ResourceInError(
                    resource_status=FAILED,
                    status_reason=self._reason(info.attributes))
        self._check_deadline(cookie, state)
        return False

    def _check_deadline(self, cookie, state):
        if cookie['deadline'] is not None and \
                time.monotonic() > cookie['deadline']:
            raise exception.Error(_(
                'Hurtle service instance %(url)s did not reach state '
                '%(target)s within %(t)d s of %(action)s (last state: '
                '%(state)s).') % {
                    'url': self.resource_id,
                    'target': ' or '.join(cookie['target']),
                    't': cookie['timeout'], 'action': cookie['action'],
                    'state': state})

    # --- create ---

    def handle_create(self):
        """POST the instance to the SM; return the polling cookie."""
        collection, kind = self._discover()
        self.data_set('kind', kind.id)
        self.data_set('collection', collection)
        attrs = self._send_form(self.properties[self.ATTRIBUTES_PROP])
        root, path = _split_url(collection)
        try:
            location = self._client(collection).create(
                path, kind.ref, attributes=attrs)
        except occi_errors.OCCIError as ex:
            raise self._failure(_('create an instance of %s') % kind.id,
                                collection, ex)
        self.resource_id_set(location)
        LOG.info('Created Hurtle service instance %s', location)
        return self._cookie(self.CREATE, (ACTIVE,))

    def check_create_complete(self, cookie):
        """Poll once; ``True`` when the instance is ``active``."""
        return self._poll(cookie)

    # --- update ---

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        """Send the attributes whose value changed (partial OCCI update)."""
        if self.ATTRIBUTES_PROP not in prop_diff or not self.resource_id:
            return None
        old = self.properties[self.ATTRIBUTES_PROP] or {}
        new = prop_diff[self.ATTRIBUTES_PROP] or {}
        changed = {k: v for k, v in new.items()
                   if v is not None and (k not in old or old[k] != v)}
        removed = sorted(set(old) - set(new))
        if removed:
            LOG.info('Attributes %s removed from the template of %s keep '
                     'their value (OCCI has no attribute removal)',
                     ', '.join(removed), self.resource_id)
        if not changed:
            return None
        try:
            self._client(self.resource_id).update(
                self.resource_id, self._kind(), changed)
        except occi_errors.OCCIError as ex:
            raise self._failure(_('update instance %s') % self.resource_id,
                                self.resource_id, ex)
        new_props = json_snippet.properties(self.properties_schema,
                                            self.context)
        return self._cookie(self.UPDATE, (ACTIVE,), new_props)

    def check_update_complete(self, cookie):
        """Poll once; ``True`` when nothing was sent or ``active`` again."""
        if cookie is None:
            return True
        return self._poll(cookie)

    # --- delete ---

    def handle_delete(self):
        """DELETE the instance; an already-gone instance is deleted."""
        if not self.resource_id:
            return None
        client = self._client(self.resource_id)
        try:
            before = client.get(self.resource_id).attributes
            client.delete(self.resource_id)
        except occi_errors.NotFound:
            return None
        except occi_errors.OCCIError as ex:
            raise self._failure(_('delete instance %s') % self.resource_id,
                                self.resource_id, ex)
        cookie = self._cookie(self.DELETE, ())
        cookie['before'] = (before.get(STATE_ATTR), self._reason(before))
        return cookie

    def check_delete_complete(self, cookie):
        """Poll once; ``True`` when ``GET`` answers 404.

        :raises ResourceInError: the teardown failed: the instance is
            ``failed`` after ``DELETE`` (having been in another state, or
            with another reason, than before it).
        """
        if cookie is None:
            return True
        try:
            info = self._get()
        except occi_errors.NotFound:
            return True
        except _TRANSIENT as ex:
            self._transient(cookie, ex)
            state = cookie['last_state']
        except occi_errors.OCCIError as ex:
            raise self._failure(_('report instance %s')
                                % self.resource_id, self.resource_id, ex)
        else:
            cookie['transient'] = 0
            state = info.attributes.get(STATE_ATTR)
            reason = self._reason(info.attributes)
            # An instance that was already failed may still show that
            # state until the SM starts the teardown.
            still_old = (cookie['before'] == (state, reason) and
                         cookie['last_state'] in (None, FAILED))
            cookie['last_state'] = state
            if state == FAILED and not still_old:
                raise exception.ResourceInError(
                    resource_status=FAILED, status_reason=reason)
        self._check_deadline(cookie, state)
        return False

    # --- suspend / resume ---

    def _find_action(self, term):
        """The kind's OCCI action named ``term`` from the query interface.

        :raises exception.Error: the SM does not offer it ("not
            supported").
        """
        collection = self.data().get('collection') or self.resource_id
        kind_id = self.data().get('kind')
        try:
            categories = self._client(collection).query()
        except occi_errors.OCCIError as ex:
            raise self._failure(_('answer its query interface'),
                                collection, ex)
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

    def _trigger(self, term):
        if not self.resource_id:
            raise exception.Error(_('Cannot %(op)s %(name)s: it has no '
                                    'service instance.') % {
                                        'op': term, 'name': self.name})
        action = self._find_action(term)
        try:
            self._client(self.resource_id).action(self.resource_id, action)
        except occi_errors.OCCIError as ex:
            raise self._failure(_('%(op)s instance %(url)s') % {
                'op': term, 'url': self.resource_id}, self.resource_id, ex)

    def handle_suspend(self):
        """Trigger the kind's ``suspend`` action (if offered)."""
        self._trigger('suspend')
        return self._cookie(self.SUSPEND, SUSPENDED_STATES)

    def check_suspend_complete(self, cookie):
        """Poll once; ``True`` when the instance is ``suspended``."""
        return self._poll(cookie)

    def handle_resume(self):
        """Trigger the kind's ``resume`` action (if offered)."""
        self._trigger('resume')
        return self._cookie(self.RESUME, (ACTIVE,))

    def check_resume_complete(self, cookie):
        """Poll once; ``True`` when the instance is ``active`` again."""
        return self._poll(cookie)

    # --- check / attributes ---

    def handle_check(self):
        """Stack check: the instance exists and is ``active``."""
        try:
            info = self._get()
        except occi_errors.OCCIError as ex:
            raise self._failure(_('report instance %s') % self.resource_id,
                                self.resource_id, ex)
        state = info.attributes.get(STATE_ATTR)
        if state != ACTIVE:
            raise exception.Error(_(
                'Hurtle service instance %(url)s is %(state)s, not '
                'active.') % {'url': self.resource_id, 'state': state})

    def _instance_attributes(self):
        """The instance's attributes (``dict``), ``None`` when gone."""
        if not self.resource_id:
            return None
        try:
            return dict(self._get().attributes)
        except occi_errors.NotFound:
            return None
        except occi_errors.OCCIError as ex:
            raise self._failure(_('report instance %s') % self.resource_id,
                                self.resource_id, ex)

    def _show_resource(self):
        return self._instance_attributes()

    def _resolve_attribute(self, name):
        if name == self.URL:
            return self.resource_id
        attrs = self._instance_attributes()
        if attrs is None:
            return None
        if name == self.STATE:
            return attrs.get(STATE_ATTR)
        if name == self.ATTRIBUTES_ATTR:
            return attrs
        return None


def resource_mapping():
    """Heat's plugin hook: resource type names to classes."""
    return {RESOURCE_TYPE: ServiceInstance}
