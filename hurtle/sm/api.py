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
"""The SM's northbound OCCI API (doc/source/user/occi-api.rst).

Each manifest becomes a kind at ``/<term>/``. On that location:

* ``POST /<term>/`` with the kind's Category and ``X-OCCI-Attribute``s
  records the instance (state ``initialise``) and answers 201 with its
  ``Location`` at once; the lifecycle runs in the background. With
  Keystone trusts (``[deployer] trusts``) the SM first creates the
  instance's trust with the request's token (``hurtle.sm.trusts``):
  Keystone refusing it → 403, Keystone unreachable → 503.
  Missing required attributes or attributes the SM manages
  (``mcn.service.state``, ``occi.so.url``, ``occi.mcn.*``) → 400.
* Attribute values are checked on arrival (create, update, PUT) against
  the schemas the manifest declares (``hurtle.sm.attributes``): a value
  breaking its schema → 400 naming the attribute and the rule; values
  from the text renderings are coerced to the declared type where
  unambiguous (``"5"`` → ``5``); a JSON ``null`` → 400. Values are stored
  and rendered typed.
* ``GET /<term>/<id>`` renders the record: ``occi.core.id``,
  ``mcn.service.state`` (+ ``mcn.service.state.reason`` on failure),
  ``occi.so.url``, the user's attributes and the SO's stack outputs.
* ``POST /<term>/<id>`` (partial update) changes mutable attributes of an
  ``active`` or ``degraded`` instance (immutable → 400; busy, failed or an
  update already in progress → 409: of concurrent updates exactly one is
  accepted). One that changes only the title, summary or mixins is
  accepted in ``failed`` too; while the instance is busy (being created,
  updated or deleted) every ``POST`` is 409 naming the state, whatever it
  changes, decided on a fresh read of the record before its attributes
  are checked (a rendering read in an earlier state and sent back is
  409, not 400), and its title, summary and mixins are written only if
  no operation (a delete) began since (``store.pin``).
* ``PUT /<term>/<id>`` on an existing instance is a full update (GFD.185
  3.4.4) with the same checks and states as ``POST``; every mutable
  attribute the instance has must be given (400 names the missing ones),
  immutable and SM-managed ones may be repeated unchanged. As for
  ``POST``, one that changes no service attribute (the title, summary or
  mixins at most) is accepted in ``failed`` too, and one that changes
  nothing is an update too: 200 while ``active``, ``degraded`` or
  ``failed``, else 409 naming the state (checked on a fresh read of the
  record, before the attributes are: a rendering sent back after the
  state moved on is 409). ``PUT`` on a free id creates the instance
  there.
* Adding an instance to a user mixin's collection or removing it
  (``POST``, ``PUT``, ``DELETE`` with locations on the mixin's location)
  follows the rule of a ``POST`` that changes only the mixins
  (:meth:`ServiceBackend.check_mixins`).
* ``DELETE /<term>/<id>`` moves the instance to ``destroy`` and answers
  202 Accepted: disposal runs in the background and the record disappears
  (404) once the SO and its resources are gone. Deleting an instance that
  is still being created or updated cancels that operation (it stops at
  its next step, then disposal removes whatever it had started); deleting
  it again while it is being destroyed answers 202 too. Updating or
  deleting an instance that a composed instance of this SM depends on →
  409.
* ``DELETE /<term>/`` (or ``DELETE /``) is all or nothing: every member is
  checked first (``ServiceBackend.check_delete``: policy, composition) and
  if any is refused nothing is deleted: 409 naming each refused instance
  and why. An instance whose composed instances are all in the same
  collection is left to them (they dispose it).

Instances are scoped by project: another project's instance is 404. Roles
are checked with ``hurtle.policy`` (403 when denied); a listing (``GET
/<term>/``, ``GET /``) needs ``hurtle:instance:get`` like one instance,
even when the project has none.
"""
import copy
import logging
import re

from occi import backend

from hurtle.conf import deployer as deployer_conf
from hurtle.occi import app as occi_app
from hurtle.occi import categories
from hurtle.occi import errors
from hurtle.occi import hosts
from hurtle.occi import registry as occi_registry
from hurtle import policy
from hurtle.sm import attributes as attributes_mod
from hurtle.sm import browser
from hurtle.sm import catalogue
from hurtle.sm import lifecycle as lifecycle_mod
from hurtle.sm import mixins as sm_mixins
from hurtle.sm import peers as peers_mod
from hurtle.sm import states
from hurtle.sm import store as store_mod
from hurtle.sm import trusts

#: Characters no attribute value may hold: C0 controls but tab, LF and CR
#: (headers would carry them raw; PostgreSQL refuses NUL), and DEL.
_CONTROL = re.compile(r'[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]')

LOG = logging.getLogger(__name__)

#: Longest attribute value (characters) the SM accepts: values travel on
#: to the SO in OCCI headers, whose lines HTTP servers limit (64 KiB).
MAX_VALUE_LENGTH = 8192

#: Instance ids are unique across projects and services (they name SOs
#: and stacks); the message does not say who owns one.
ID_IN_USE = ('the id %s is already in use; choose another or let the SM '
             'choose one (POST to the collection)')
INSTANCE_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,35}$')

MANAGED = frozenset(['mcn.service.state', 'mcn.service.state.reason',
                     'occi.so.url', 'occi.mcn.stack.state',
                     'occi.mcn.stack.id', 'occi.mcn.stack.reason',
                     trusts.ATTRIBUTE])


def _user_attributes(entity):
    return {k: v for k, v in entity.attributes.items()
            if k != 'occi.core.id'}


class ServiceBackend(backend.KindBackend):
    """Backend of one service kind: records instances, drives lifecycles."""

    #: :meth:`retrieve` is :meth:`authorize_list`'s check and changes
    #: nothing: listings render the store's records as they are
    #: (``hurtle.occi.entities.EntityEngine.retrieve_free``).
    retrieve_checks_only = True

    def __init__(self, manifest, store, lifecycle):
        self.manifest = manifest
        self.store = store
        self.lifecycle = lifecycle
        self.checker = attributes_mod.AttributeChecker(manifest)

    def _check_attributes(self, attributes):
        managed = sorted(MANAGED.intersection(attributes))
        if managed:
            raise errors.BadRequest('attributes set by the SM cannot be '
                                    'given: %s' % ', '.join(managed))
        declared = self.manifest.attributes
        unknown = sorted(k for k in attributes
                         if k not in declared and
                         not k.startswith('occi.core.'))
        if unknown:
            raise errors.BadRequest('unknown attributes for %s: %s'
                                    % (self.manifest.term,
                                       ', '.join(unknown)))
        too_long = sorted(k for k, v in attributes.items()
                          if len(str(v)) > MAX_VALUE_LENGTH)
        if too_long:
            raise errors.BadRequest(
                'attribute values are limited to %d characters: %s'
                % (MAX_VALUE_LENGTH, ', '.join(too_long)))
        controls = sorted(k for k, v in attributes.items()
                          if _CONTROL.search(str(v)))
        if controls:
            raise errors.BadRequest(
                'attribute values may not hold control characters other '
                'than tab, line feed and carriage return: %s'
                % ', '.join(controls))

    def _typed(self, attributes, extras):
        """Check declared types and rules; values coerced from text."""
        return self.checker.check(
            attributes, typed=attributes_mod.typed_request(extras))

    def _instance_id(self, key):
        """The id in ``/<term>/<id>``, or BadRequest for any other path
        (an OCCI PUT may choose the path, but not outside the kind's
        location)."""
        prefix = self.manifest.location
        instance_id = key[len(prefix):] if key.startswith(prefix) else ''
        if not INSTANCE_ID.match(instance_id):
            raise errors.BadRequest(
                'instances of %s are created at %s<id>, with an id of 1 to '
                '36 letters, digits, ".", "_" or "-" that starts with a '
                'letter or digit'
                % (self.manifest.term, prefix))
        return instance_id

    def _authorize(self, action, extras):
        policy.authorize(self.lifecycle.conf, 'hurtle:instance:' + action,
                         extras)

    def _refuse_if_part_of_composition(self, instance_id, what):
        parents = self.store.dependents(self.manifest.term, instance_id)
        if parents:
            raise errors.Conflict('instance is part of the composed '
                                  'instance(s) %s; %s that instead'
                                  % (', '.join(sorted(parents)), what))

    def create(self, entity, extras):
        self._authorize('create', extras)
        attributes = _user_attributes(entity)
        for name, value in (('occi.core.title', entity.title),
                            ('occi.core.summary',
                             getattr(entity, 'summary', None))):
            if value:
                attributes[name] = value
        self._check_attributes(attributes)
        attributes = self._typed(attributes, extras)
        missing = sorted(name for name, flag in
                         self.manifest.attributes.items()
                         if flag == 'required' and
                         attributes.get(name) in (None, ''))
        if missing:
            raise errors.BadRequest('required attributes missing: %s'
                                    % ', '.join(missing))
        instance_id = self._instance_id(entity.identifier)
        if self.store.load(instance_id) is not None:
            raise errors.Conflict(ID_IN_USE % instance_id)
        # Before the trust is made; the store checks again as it inserts.
        self.store.check_quota(occi_registry.project_of(extras))
        for name in ('occi.core.title', 'occi.core.summary'):
            attributes.pop(name, None)
        if deployer_conf.uses_trusts(self.lifecycle.conf):
            attributes[trusts.ATTRIBUTE] = self._create_trust(extras)
        entity.attributes.update(attributes)
        entity.attributes['occi.core.id'] = instance_id
        entity.attributes['mcn.service.state'] = states.INITIALISE
        entity.actions = []

    def _create_trust(self, extras):
        """The trust of the instance being created (``hurtle.sm.trusts``).

        :raises BadRequest: no user token to make it from (400).
        :raises Forbidden: Keystone refused it (403, its message).
        :raises ServiceUnavailable: Keystone unreachable or failing (503).
        """
        try:
            return trusts.create(
                self.lifecycle.conf,
                self.lifecycle.peers.keystone_session(),
                (extras or {}).get('environ') or {})
        except trusts.TrustError as exc:
            if exc.status == 400:
                raise errors.BadRequest(str(exc))
            if exc.status in (401, 403, 404):
                raise errors.Forbidden(str(exc))
            raise errors.ServiceUnavailable(str(exc))

    def after_create(self, entity, extras):
        """Start the create lifecycle of the instance just recorded (the
        OCCI layer calls this once the store keeps it). Should starting
        fail, the record stays in ``initialise``, which the next start of
        the SM resumes (``Lifecycle.recover``)."""
        self.lifecycle.create(entity.attributes['occi.core.id'],
                              states.FIRST_OPERATION)

    def retrieve(self, entity, extras):
        """The store renders the persisted record; only the policy check."""
        self._authorize('get', extras)

    def retrieve_many(self, entities, extras):
        """:meth:`retrieve` for the instances of a listing: one policy
        check for all (the rule depends on the caller, not the record)."""
        self._authorize('get', extras)

    def authorize_list(self, extras):
        """A listing of instances follows ``hurtle:instance:get`` too.

        :raises Forbidden: the policy denies the caller (403).
        """
        self._authorize('get', extras)

    def _changes(self, old, given, extras):
        """Checked, typed ``given`` attributes that differ from ``old``'s.

        :raises BadRequest: managed, unknown, too long, breaking a rule,
            or changing an immutable/required attribute.
        """
        # Compare typed values ("5" from text is no change of 5); check
        # only what changes, as values repeated unchanged (a rendering
        # sent back) are the instance's own.
        given = self.checker.coerce(
            given, typed=attributes_mod.typed_request(extras))
        changed = {k: v for k, v in given.items()
                   if old.attributes.get(k) != v}
        self._check_attributes(changed)
        changed = self.checker.check(changed)
        immutable = sorted(k for k in changed
                           if self.manifest.attributes.get(k) != '')
        if immutable:
            raise errors.BadRequest('attributes cannot be changed: %s'
                                    % ', '.join(immutable))
        return changed

    def _start_update(self, old, changed):
        """Accept an update of ``old`` (POST or PUT) and start it.

        :raises Conflict: part of a composed instance, or not active.
        """
        instance_id = old.attributes['occi.core.id']
        self._refuse_if_part_of_composition(instance_id, 'update')
        # Atomic: of concurrent updates exactly one gets an operation.
        operation = self.store.begin(instance_id, states.UPDATE,
                                     states.UPDATABLE, pending=changed,
                                     lease=self.lifecycle.leases.lease())
        if operation is None:
            raise _not_updatable(self.store.load(instance_id))
        store_mod.pin(old, operation)
        old.attributes.update(changed)
        old.attributes['mcn.service.state'] = states.UPDATE
        # begin cleared the reason (e.g. "update pending after ...").
        old.attributes.pop('mcn.service.state.reason', None)
        self.lifecycle.update(instance_id, changed, operation)

    def check_update(self, entity, extras, full=False):
        """Refuse (raise) an update of ``entity`` by its state, before the
        OCCI layer checks the request's attributes: a rendering read in an
        earlier state and sent back (``mcn.service.state`` and all) is
        then a 409 naming the state, not a 400 for the managed attributes
        whose values moved on. :meth:`update` and :meth:`replace` decide
        again (this is a fresh read, not the decision).

        Both a ``POST`` and a ``PUT`` (``full``) pass in
        :data:`states.EDITABLE`: one that changes service attributes is
        then refused in ``failed`` by :meth:`_start_update`.

        :raises Forbidden: policy (403).
        :raises Conflict: the instance is busy, or gone (409).
        """
        self._authorize('update', extras)
        row = self.store.read(entity.attributes['occi.core.id'])
        if row is None or row.state not in states.EDITABLE:
            raise _not_updatable(row)

    def check_mixins(self, entity, extras):
        """Refuse (raise) a change of ``entity``'s mixins through a mixin
        collection (``POST``, ``PUT`` or ``DELETE`` on a user mixin's
        location with the instance's location), by the rule of a ``POST``
        that changes only its mixins: ``hurtle:instance:update``, then
        accepted in :data:`states.EDITABLE` (decided on a fresh read of
        the record); the entity is pinned to the operation read
        (``store.pin``), so its write fails (409) once a delete began.

        :raises Forbidden: policy (403).
        :raises Conflict: busy (being created, updated or deleted) or gone
            (409, naming the state).
        """
        self._authorize('update', extras)
        row = self.store.read(entity.attributes['occi.core.id'])
        if row is None or row.state not in states.EDITABLE:
            raise _not_updatable(row)
        store_mod.pin(entity, row.operation)

    def update(self, old, new, extras):
        """Partial update (POST): the given attributes change.

        Service attributes change only while ``active``/``degraded``
        (:meth:`_start_update`); one that changes none of them (the
        title, summary or mixins at most, which the OCCI layer writes
        next) is accepted in ``failed`` too, decided on a fresh read
        (:meth:`_recheck_unchanged`), and the entity is pinned to the
        operation read so that write fails (409) once a delete began.

        :raises BadRequest: see :meth:`_changes` (400).
        :raises Conflict: busy, failed with service attributes changed,
            part of a composed instance, or gone (409).
        """
        self._authorize('update', extras)
        given = _user_attributes(new)
        changed = self._changes(self._as_asked(old), given, extras)
        if not changed:
            changed = self._recheck_unchanged(old, given, extras)
            if not changed:
                return
        self._start_update(old, changed)

    def replace(self, old, new, extras):
        """Full update (PUT, GFD.185 3.4.4): ``new`` is the whole entity.

        Same checks and states as :meth:`update` (400, 403, 409). Every
        mutable attribute the instance has must be given (the SO cannot
        unset a value: 400 names the missing ones); immutable and
        SM-managed attributes may be repeated unchanged or left out. As
        for :meth:`update`, one that changes no service attribute is
        accepted in ``failed`` too, and one that changes nothing is still
        held to the states: 409 outside :data:`states.EDITABLE`
        (:meth:`_recheck_unchanged`).
        """
        self._authorize('update', extras)
        given = _user_attributes(new)
        missing = sorted(k for k, flag in self.manifest.attributes.items()
                         if flag == '' and k not in given and
                         old.attributes.get(k) is not None)
        if missing:
            raise errors.BadRequest(
                'a full update (PUT) gives every attribute; missing: %s '
                '(POST updates only the attributes it gives)'
                % ', '.join(missing))
        changed = self._changes(self._as_asked(old), given, extras)
        if not changed:
            changed = self._recheck_unchanged(old, given, extras)
            if not changed:
                return
        self._start_update(old, changed)

    def _recheck_unchanged(self, old, given, extras):
        """The changes of an update that changes nothing of ``old``, made
        again on one fresh read of the record: an update is one whatever
        it changes, accepted only in :data:`states.EDITABLE`. ``old`` is
        pinned to the operation read
        (``store.pin``): its title, summary and mixins are written only
        if no operation began since.

        The state and the comparison come from the same read, so an
        operation that began (or an update that ended) since ``old`` was
        read is seen: a delete under way → 409; values another update
        changed meanwhile → they are changes again (returned, for
        :meth:`_start_update`, whose ``begin`` is the atomic check).

        :returns: the changes against the fresh record ({} if none: the
            instance is active or degraded and already as given).
        :raises Conflict: the instance is in no updatable state (409,
            naming it) or gone.
        """
        row = self.store.read(old.attributes['occi.core.id'])
        if row is None or row.state not in states.EDITABLE:
            raise _not_updatable(row)
        store_mod.pin(old, row.operation)
        return self._changes(_as_asked(self.store.to_entity(row), row),
                             given, extras)

    def _as_asked(self, old):
        """``old`` as its last update asked (:func:`_as_asked`, on a
        fresh read of the record)."""
        return _as_asked(old, self.store.read(old.attributes['occi.core.id']))

    def check_delete(self, entity, extras, batch=()):
        """Refuse (raise) a delete of ``entity`` before anything changes.

        Called by :meth:`delete` and, for ``DELETE`` on a collection, by
        the OCCI layer for every member before any is deleted.

        :param batch: the entities the same request deletes.
        :returns: False if the instance is part of composed instances that
            are all in ``batch`` (their delete disposes it), else None.
        :raises Forbidden: policy; :raises Conflict: the instance is part
            of a composed instance (any state can be deleted: a create or
            update in progress is cancelled).
        """
        self._authorize('delete', extras)
        instance_id = entity.attributes['occi.core.id']
        parents = self.store.dependents(self.manifest.term, instance_id)
        if parents:
            deleted = {e.attributes.get('occi.core.id') for e in batch}
            if set(parents) <= deleted:
                return False
            self._refuse_if_part_of_composition(instance_id, 'delete')
        return None

    def delete(self, entity, extras):
        """Start disposing of the instance; 202 (see the module doc).

        :raises Conflict: part of a composed instance (409).
        """
        self.check_delete(entity, extras)
        instance_id = entity.attributes['occi.core.id']
        # A live lease of another SM replica (e.g. one still creating the
        # instance) is left to it: it stops at its next step, and the
        # destroy waits for the lease (hurtle.sm.leases).
        operation = self.store.begin(instance_id, states.DESTROY,
                                     states.DELETABLE,
                                     lease=self.lifecycle.leases.lease())
        if operation is None:
            row = self.store.load(instance_id)
            if row is None or row.state == states.DESTROY:
                return 202  # already being disposed: idempotent
            raise errors.Conflict('instance is in state %s; it cannot be '
                                  'deleted now' % row.state)
        self.lifecycle.destroy(instance_id, operation)
        return 202


def _as_asked(entity, row):
    """``entity`` (rendered from ``row``) with the values of an update
    still pending (``row.pending``: its SO did not answer; they are sent
    again once it does) over the recorded ones: an update is compared
    with what was last asked, so that asking for the recorded value
    again is a change (the stack may hold the pending one)."""
    if row is None or not row.pending:
        return entity
    asked = copy.copy(entity)
    asked.attributes = dict(entity.attributes, **row.pending)
    return asked


def _not_updatable(row):
    """The 409 of an update refused in ``row``'s state (None: gone, its
    destroy finished): what :data:`states.UPDATABLE` accepts, and what a
    ``failed`` instance accepts (:data:`states.EDITABLE`). The reason of
    an operation in progress comes with its state (``instance is in
    state update (service orchestrator (SO) not answering since ...);
    ...``): it says what the operation waits for."""
    state = row.state if row else states.DESTROY
    if row is not None and row.state in states.BUSY and row.reason:
        state = '%s (%s)' % (state, row.reason)
    return errors.Conflict(
        'instance is in state %s; only an instance in state %s can be '
        'updated (one in state failed only in its title, summary and '
        'mixins)' % (state, ' or '.join(sorted(states.UPDATABLE))))


def host_guard(conf):
    """The SM's :class:`hurtle.occi.hosts.HostGuard` (noauth mode, or
    ``[sm] allowed_hosts`` set), else None: a check of the application
    and of the server (``OPTIONS *``, :func:`hurtle.cmd.sm.main`)."""
    if conf.auth_strategy == 'noauth' or conf.sm.allowed_hosts:
        return hosts.HostGuard(conf.sm.allowed_hosts, conf.sm.public_url,
                               '[sm] allowed_hosts')
    return None


def make_application(conf, manifests):
    """Build the SM's OCCI WSGI application.

    :param manifests: list of ``hurtle.manifest.Manifest``.
    :returns: ``(application, lifecycle)``.
    :raises ValueError: two manifests share a kind term.
    """
    kinds = {}
    by_term = {}
    for manifest in manifests:
        if manifest.term in kinds:
            raise ValueError('two manifests define the service %s'
                             % manifest.term)
        kinds[manifest.term] = categories.service_kind(
            manifest.service_type, manifest.description,
            manifest.attributes)
        by_term[manifest.term] = manifest
    store = store_mod.InstanceStore(
        conf.database.connection, kinds,
        max_per_project=conf.sm.max_instances_per_project,
        max_total=conf.sm.max_instances)
    peers = peers_mod.Peers(conf)
    lifecycle = lifecycle_mod.Lifecycle(
        conf, store, by_term,
        catalogue.Catalogue(conf, manifests, peers.keystone_session,
                            peers.cc), peers)
    registry = occi_registry.Registry(
        store, mixin_store=sm_mixins.SQLMixinStore(conf.database.connection),
        max_user_mixins=conf.occi.max_user_mixins)
    store.mixins_of = lambda project: {
        str(c): c for c in registry.get_categories({'project': project})
        if repr(c) == 'mixin'}
    application = occi_app.Application(
        registry, public_url=conf.sm.public_url,
        max_page=conf.occi.max_page,
        category_locations=conf.occi.category_locations,
        listing_cache=conf.sm.listing_cache_mb * 1024 * 1024)
    guard = host_guard(conf)
    if guard is not None:
        application.checks.append(guard)
    for term, kind in kinds.items():
        application.register_backend(
            kind, ServiceBackend(by_term[term], store, lifecycle))
    browser.configure(application, manifests, MANAGED)
    return application, lifecycle
