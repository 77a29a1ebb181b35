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

An instance of a Hurtle service, created through its Service Manager's (SM)
OCCI API (doc/source/user/heat-resources.rst).  The resource's physical id
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
``[hurtle_heat] auth_strategy``: ``keystone``
forwards a token of the stack's context (trust-scoped to the stack's project
when Heat uses trusts) as ``X-Auth-Token``; ``noauth`` sends the stack's
project as ``X-Project-Id``, ``X-Auth-Project`` and ``X-Tenant-Name`` (the
embedded default, doc/source/admin/trust-model.rst); ``auto`` (default) picks
``noauth`` when Heat itself runs with ``[paste_deploy] flavor = noauth`` and
``keystone`` otherwise.

Authentication, the catalogue and kind/action discovery are the
``hurtle_sm`` Heat client plugin's
(:mod:`hurtle.heat_plugins.clients.hurtle_sm`); the resource reaches SMs
through ``self.client()`` (its ``instances`` entity) and
``self.client_plugin()``.
"""

import time

from heat.common import exception
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from heat.engine import resource
from heat.engine import support
from oslo_log import log as logging

from hurtle.heat_plugins.clients import hurtle_sm
from hurtle.occi import client as occi_client
from hurtle.occi import errors as occi_errors

LOG = logging.getLogger(__name__)

RESOURCE_TYPE = 'Hurtle::Service::Instance'

# --- OCCI facts -----------------------------------------------------------

STATE_ATTR = 'mcn.service.state'
REASON_ATTRS = ('mcn.service.state.reason', 'mcn.service.reason')
ACTIVE = 'active'
FAILED = 'failed'
SUSPENDED_STATES = ('suspended',)
#: Consecutive polls answered 503/500 or unreachable before giving up.
MAX_TRANSIENT_ERRORS = 30


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

    default_client_name = hurtle_sm.CLIENT_NAME
    entity = 'instances'

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

    # --- helpers ---------------------------------------------------------

    def _failure(self, doing, url, ex):
        """An :class:`exception.Error` naming the SM and its answer."""
        return hurtle_sm.failure(doing, url, ex)

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

    def _instances(self):
        """The ``instances`` entity of the ``hurtle_sm`` client."""
        return getattr(self.client(), self.entity)

    def _get_or_not_found(self, doing):
        """GET the instance's attributes (``dict``).

        :raises hurtle.occi.errors.NotFound: the SM no longer knows it
            (for the plugin's ``ignore_not_found``).
        :raises exception.Error: any other SM failure (:meth:`_failure`).
        """
        try:
            return self._instances().get(self.resource_id)
        except occi_errors.OCCIError as ex:
            if self.client_plugin().is_not_found(ex):
                raise
            raise self._failure(doing, self.resource_id, ex)

    def _fetch(self, cookie):
        """One GET of a poll: the instance's attributes (``dict``), or
        ``None`` after a transient failure (counted in ``cookie``; poll
        again on the next step, never sleep here).

        :raises hurtle.occi.errors.NotFound: the SM no longer knows it.
        :raises exception.Error: another SM failure, or
            :data:`MAX_TRANSIENT_ERRORS` transient ones in a row.
        """
        try:
            attrs = self._instances().get(self.resource_id)
        except occi_errors.OCCIError as ex:
            plugin = self.client_plugin()
            if plugin.is_not_found(ex):
                raise
            if not plugin.is_transient(ex):
                raise self._failure(_('report instance %s')
                                    % self.resource_id, self.resource_id,
                                    ex)
            self._transient(cookie, ex)
            return None
        cookie['transient'] = 0
        return attrs

    def _poll(self, cookie):
        """One non-blocking poll towards ``cookie['target']`` state(s).

        :returns: ``True`` when the instance reached the target state.
        :raises ResourceInError: the SM reports ``failed`` or the instance
            disappeared.
        :raises exception.Error: the ``timeout`` property elapsed.
        """
        try:
            attrs = self._fetch(cookie)
        except Exception as ex:
            self.client_plugin().ignore_not_found(ex)
            raise exception.ResourceInError(
                resource_status='gone',
                status_reason=_('the service manager no longer knows '
                                'instance %s') % self.resource_id)
        if attrs is None:
            state = cookie['last_state']
        else:
            state = attrs.get(STATE_ATTR)
            cookie['last_state'] = state
            if state in cookie['target']:
                return True
            if state == FAILED:
                raise exception.ResourceInError(
                    resource_status=FAILED,
                    status_reason=self._reason(attrs))
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
        collection, kind = self.client_plugin().find_service(
            endpoint=self.properties[self.ENDPOINT],
            service_type=self.properties[self.SERVICE_TYPE])
        self.data_set('kind', kind.id)
        self.data_set('collection', collection)
        attrs = self._send_form(self.properties[self.ATTRIBUTES_PROP])
        try:
            location = self._instances().create(collection, kind.ref,
                                                attrs)
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
            self._instances().update(self.resource_id, self._kind(),
                                     changed)
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
        doing = _('delete instance %s') % self.resource_id
        with self.client_plugin().ignore_not_found:
            before = self._get_or_not_found(doing)
            try:
                self._instances().delete(self.resource_id)
            except occi_errors.OCCIError as ex:
                if self.client_plugin().is_not_found(ex):
                    raise
                raise self._failure(doing, self.resource_id, ex)
            cookie = self._cookie(self.DELETE, ())
            cookie['before'] = (before.get(STATE_ATTR), self._reason(before))
            return cookie
        return None

    def check_delete_complete(self, cookie):
        """Poll once; ``True`` when ``GET`` answers 404.

        :raises ResourceInError: the teardown failed: the instance is
            ``failed`` after ``DELETE`` (having been in another state, or
            with another reason, than before it).
        """
        if cookie is None:
            return True
        try:
            attrs = self._fetch(cookie)
        except Exception as ex:
            self.client_plugin().ignore_not_found(ex)
            return True
        if attrs is None:
            state = cookie['last_state']
        else:
            state = attrs.get(STATE_ATTR)
            reason = self._reason(attrs)
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

    def _trigger(self, term):
        if not self.resource_id:
            raise exception.Error(_('Cannot %(op)s %(name)s: it has no '
                                    'service instance.') % {
                                        'op': term, 'name': self.name})
        action = self.client_plugin().find_action(
            self.data().get('collection') or self.resource_id,
            self.data().get('kind'), term)
        try:
            self._instances().action(self.resource_id, action)
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
            attrs = self._instances().get(self.resource_id)
        except occi_errors.OCCIError as ex:
            raise self._failure(_('report instance %s') % self.resource_id,
                                self.resource_id, ex)
        state = attrs.get(STATE_ATTR)
        if state != ACTIVE:
            raise exception.Error(_(
                'Hurtle service instance %(url)s is %(state)s, not '
                'active.') % {'url': self.resource_id, 'state': state})

    def _show_resource(self):
        """The instance's attributes (Heat's ``show`` attribute).

        Not-found propagates: Heat's ``ignore_not_found`` makes it ``None``.
        """
        if not self.resource_id:
            return None
        return self._get_or_not_found(_('report instance %s')
                                      % self.resource_id)

    def _resolve_attribute(self, name):
        if name == self.URL:
            return self.resource_id
        if not self.resource_id:
            return None
        attrs = self._show_resource()
        if name == self.STATE:
            return attrs.get(STATE_ATTR)
        if name == self.ATTRIBUTES_ATTR:
            return attrs
        return None


def resource_mapping():
    """Heat's plugin hook: resource type names to classes."""
    return {RESOURCE_TYPE: ServiceInstance}
