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
"""The CC's OCCI ``stack`` kind: resources deployed for SOs
(doc/source/contributor/cc-api.rst).

Kind ``stack`` (``http://schemas.hurtle.it/occi/cc#``) at ``/stack/``,
for SOs only (authenticated by :mod:`hurtle.cc.so_auth`; any other
caller gets 403). The CC deploys with its own credentials (the Heat
deployer driver, ``hurtle.so.deployers.heat``, with the CC's
``[deployer]`` and ``[service_credentials]`` options), into the project
of the SO's instance and with the instance's trust when it has one.

* ``POST /stack/`` (or ``PUT /stack/<id>``) with ``occi.core.title``
  (the Heat stack name, required, unique per app: else 409),
  ``hurtle.stack.template`` (required), and optionally
  ``hurtle.stack.parameters`` (JSON object), ``hurtle.stack.files``
  (JSON object of strings), ``hurtle.stack.environment`` (JSON object,
  or YAML text of a mapping) and ``hurtle.stack.region``: creates the
  Heat stack and answers 201 once Heat accepted it (state
  ``CREATE_IN_PROGRESS``). Heat refusing it answers Heat's status (400
  for a bad template, 409 for a name in use) with Heat's reason, and
  nothing is kept; Heat unreachable answers 503. The Heat stack is
  tagged :data:`APP_TAG`: a create whose answer was lost, or refused
  (409) for a stack of that name the CC made for the same app, keeps
  that stack (see :meth:`StackBackend._create`).
* ``GET /stack/<ref>`` (``ref``: the CC's id, Heat's id or the name)
  reads the stack from Heat (one request with its outputs when an event
  just announced it complete, ``Deployer.details_at_rest``; one read and
  no look-up of its name when one announced it ``DELETE_COMPLETE``, and
  once it is recorded deleted, a look-up of its name and no read:
  :meth:`StackBackend._deletion_read`):
  ``hurtle.stack.state`` (Heat's status),
  ``hurtle.stack.reason``, ``hurtle.stack.outputs`` (a JSON object, once
  complete) and ``hurtle.stack.id`` (Heat's id). A stack deleted in
  Heat answers 404 and is forgotten. A stack whose create has no answer
  from Heat yet is ``CREATE_PENDING`` without ``hurtle.stack.id``
  (unless Heat has it by name and tag already). One whose create is not
  under way in this CC process either was claimed by an earlier CC
  process that stopped before Heat answered (only one CC runs on a
  state): when Heat answers it has no such stack, the create was lost,
  and the GET answers 404 and forgets the stack (create it again); when
  Heat cannot be asked now it stays ``CREATE_PENDING``. A create of that
  name sent again takes such a claim over (:meth:`StackBackend._claim`).
* ``POST /stack/<ref>`` (partial) or ``PUT`` with any of template,
  parameters, files, environment: updates the Heat stack (without a
  template Heat keeps the current one). The title and region cannot
  change (400). Each update sends the stack's :data:`APP_TAG` again
  (Heat would drop it on an update with a new template).
* ``DELETE /stack/<ref>`` answers 202 and deletes the Heat stack; GET
  shows ``DELETE_IN_PROGRESS`` until Heat has deleted it and freed its
  name (Heat reports ``DELETE_COMPLETE`` a moment before), then 404.
  From Heat's ``DELETE_COMPLETE`` until the name is free it also shows
  ``hurtle.stack.deleted`` (true): enough for a caller that makes no
  stack of that name again (an instance's final dispose:
  ``Deployer.deletion_by_id``); the row then records
  ``DELETE_COMPLETE``, and the app's delete (:meth:`dispose_app`) asks
  Heat nothing more about it.

An SO sees only its own app's stacks (404 for others').

A GET with ``If-None-Match`` and ``Prefer: wait=N`` is held by the OCCI
server until the stack changes: it calls :meth:`StackBackend.wait_change`
and reads the stack again after each return. That wait ends early when
an event names the stack's Heat id (:mod:`hurtle.cc.stack_events`),
else after ``[cc] stack_poll_interval`` (no live event source) or
``[cc] stack_recheck_interval`` seconds (a live one).
"""
import dataclasses
import json
import logging
import re
import threading
import time

from occi import backend
import yaml

from hurtle.cc import so_auth
from hurtle.cc import stack_events
from hurtle.cc import stack_reads
from hurtle.cc import stack_store
from hurtle.occi import errors
from hurtle.occi import memo
from hurtle import polling
from hurtle.sdk import deployer as deployers

LOG = logging.getLogger(__name__)

#: The driver the CC deploys with (entry point in hurtle.so.deployers).
HEAT_DRIVER = 'heat'
#: Heat deployers the CC keeps (:meth:`StackBackend.heat_deployer`): one
#: per project, trust (an instance's, in Keystone mode) and region.
KEPT_DEPLOYERS = 64
#: Heat's rule for stack names.
STACK_NAME = re.compile(r'^[A-Za-z][A-Za-z0-9_.-]{0,254}$')
#: Ids given with PUT name nothing else (no path characters).
STACK_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,35}$')

#: Heat tag of the stacks the CC creates for app ``%s``: finds the stack
#: of a create whose answer was lost (:meth:`StackBackend._create`).
APP_TAG = 'hurtle-app-%s'

#: Seconds the CC waits for one stack of a deleted app to be deleted.
DISPOSE_TIMEOUT = 300.0
DISPOSE_INTERVAL = 0.5

#: Where :meth:`StackBackend.retrieve` notes on the entity when its read
#: began (the hub's clock), for :meth:`StackBackend.wait_change`.
READ_AT = '_hurtle_read_at'
#: Seconds between two reads of a stack whose latest event announced
#: another state than Heat's answer shows: Heat announces a state a
#: moment before it writes it, or the event came between a read and
#: the wait that followed it (within ``stack_events.HINT_SECONDS``).
SETTLE_STEP = 0.05

INPUTS = ('hurtle.stack.template', 'hurtle.stack.parameters',
          'hurtle.stack.files', 'hurtle.stack.environment')


def _json_object(name, value, scalars):
    """``value`` (a dict, or its JSON text) as a dict; {} if empty.

    :param scalars: the types the values may have.
    :raises BadRequest: not a JSON object of such values.
    """
    if value in (None, ''):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise errors.BadRequest('%s must be a JSON object' % name)
    if not isinstance(value, dict) or not all(
            isinstance(v, scalars) for v in value.values()):
        raise errors.BadRequest('%s must be a JSON object of %s' % (
            name, 'strings' if scalars is str else 'strings or numbers'))
    return value


def _environment(value):
    """A Heat environment: a JSON object or YAML text of a mapping."""
    if value in (None, ''):
        return {}
    if isinstance(value, str):
        try:
            value = yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise errors.BadRequest('hurtle.stack.environment is not YAML '
                                    'or JSON: %s' % str(exc)[:200])
    if not isinstance(value, dict):
        raise errors.BadRequest('hurtle.stack.environment must be a '
                                'mapping (JSON object or YAML)')
    return value


def inputs(attrs):
    """The Heat inputs among ``attrs``: ``{'template': str|None,
    'parameters', 'files', 'environment'}`` (dicts; None when absent).

    :raises BadRequest: a value of the wrong shape (the message names
        the attribute).
    """
    template = attrs.get('hurtle.stack.template')
    if template is not None and not isinstance(template, str):
        raise errors.BadRequest('hurtle.stack.template must be the text '
                                'of a Heat template')
    result = {'template': template or None}
    for key, parse in (
            ('parameters', lambda v: _json_object(
                'hurtle.stack.parameters', v, (str, int, float, bool))),
            ('files', lambda v: _json_object('hurtle.stack.files', v,
                                             str)),
            ('environment', _environment)):
        name = 'hurtle.stack.' + key
        result[key] = parse(attrs[name]) if name in attrs else None
    return result


def _refused(exc):
    """The OCCI error for a ``DeployerError`` from Heat."""
    if isinstance(exc, deployers.DeployerUnavailable):
        LOG.warning('stack: %s (%s)', exc, exc.detail)
        return errors.ServiceUnavailable(str(exc))
    status = getattr(exc, 'status', None)
    cls = {400: errors.BadRequest, 403: errors.Forbidden,
           404: errors.NotFound}.get(status, errors.Conflict)
    return cls(str(exc))


#: The attributes of a stack entity that its row records
#: (``StackStore.update``), written when a read of Heat changes one.
_RECORDED = ('hurtle.stack.id', 'hurtle.stack.state', 'hurtle.stack.reason',
             'hurtle.stack.outputs', stack_store.DELETED)


class StackBackend(backend.KindBackend):
    """Creates, reads, updates and deletes the Heat stacks of SOs.

    :param conf: the CC's oslo.config object.
    :param store: :class:`hurtle.cc.stack_store.StackStore`.
    :param deployer_factory: ``f(caller, region)`` → a
        ``hurtle.sdk.Deployer`` (default: the Heat driver, see
        :meth:`heat_deployer`).
    :param events: the :class:`hurtle.cc.stack_events.Hub`
        :meth:`wait_change` waits on (default: one of its own, which no
        source feeds).
    """

    def __init__(self, conf, store, deployer_factory=None, events=None):
        self.conf = conf
        self.store = store
        self.deployer_factory = deployer_factory or self.heat_deployer
        self.events = events if events is not None else stack_events.Hub()
        self.reads = stack_reads.RecentReads(self.events)
        self._deployers = memo.Memo(KEPT_DEPLOYERS)
        #: The CC's ids of the stacks whose create runs in this process
        #: (:meth:`create`): a claimed stack not among them was claimed
        #: by an earlier CC process (see :meth:`retrieve`).
        self._creating = set()
        self._creating_lock = threading.Lock()

    def heat_deployer(self, caller, region):
        """The Heat deployer for ``caller``'s project, with its trust.

        One per project, trust and region, kept (the last
        :data:`KEPT_DEPLOYERS` used): each stack call made a new one,
        with a new HTTP session, hence a new connection to Heat, and read
        the local secret from disk again; that was a third of the CC's
        CPU. A kept deployer's keystoneauth session renews its token
        itself.

        :raises hurtle.occi.errors.ServiceUnavailable: the driver cannot
            be loaded.
        """
        project = caller.project or self.conf.deployer.heat_project
        try:
            return self._deployers.get(
                (project, caller.trust_id, region),
                lambda: deployers.load_driver(
                    HEAT_DRIVER, self.conf, project,
                    trust_id=caller.trust_id, region=region,
                    http_pool=self.conf.wsgi.wsgi_default_pool_size))
        except RuntimeError as exc:
            LOG.error('stack: %s', exc)
            raise errors.ServiceUnavailable(
                'the CC cannot reach its deployment service')

    @staticmethod
    def _caller(extras):
        caller = so_auth.caller_of(extras)
        if caller is None:
            raise errors.Forbidden('the stack kind serves SOs only (send '
                                   '%s and the SO\'s secret)'
                                   % so_auth.APP_HEADER)
        return caller

    def _deployer(self, caller, entity):
        return self.deployer_factory(
            caller, entity.attributes.get('hurtle.stack.region') or None)

    def create(self, entity, extras):
        caller = self._caller(extras)
        attrs = entity.attributes
        stack_id = entity.identifier[len(stack_store.PREFIX):] \
            if entity.identifier.startswith(stack_store.PREFIX) else ''
        if not STACK_ID.match(stack_id):
            raise errors.BadRequest(
                'stacks are created at /stack/ or /stack/<id>, with an id '
                'of 1 to 36 letters, digits, ".", "_" or "-"')
        title = str(entity.title or attrs.get('occi.core.title') or '')
        if not STACK_NAME.match(title):
            raise errors.BadRequest(
                'occi.core.title (the stack name) is required: 1 to 255 '
                'letters, digits, "_", "-" or ".", starting with a letter')
        given = inputs(attrs)
        if not given['template']:
            raise errors.BadRequest('hurtle.stack.template is required')
        region = attrs.get('hurtle.stack.region') or None
        if region is not None and not isinstance(region, str):
            raise errors.BadRequest('hurtle.stack.region must be a string')
        deployer = self._deployer(caller, entity)
        # In flight before the claim, so no read of the claimed row takes
        # it for a create lost with an earlier CC process.
        with self._creating_lock:
            self._creating.add(stack_id)
        try:
            self._claim(stack_id, caller.app_id, title, region)
            try:
                # Its stack may be one Heat had (made for the app):
                # the app's reads are outdated.
                with self.reads.writing(app_id=caller.app_id):
                    heat_id = self._create(deployer, caller, title, given,
                                           region)
            except BaseException:
                self.store.discard(stack_id)
                raise
        finally:
            with self._creating_lock:
                self._creating.discard(stack_id)
        for name in INPUTS:
            attrs.pop(name, None)
        attrs.update({'occi.core.id': stack_id, 'hurtle.stack.id': heat_id,
                      'hurtle.stack.state': 'CREATE_IN_PROGRESS',
                      'hurtle.stack.reason': '',
                      'hurtle.stack.outputs': '{}'})
        entity.actions = []
        LOG.info('stack %s (%s) of app %s: create accepted by Heat (%s)',
                 stack_id, title, caller.app_id, heat_id)

    def _claim(self, stack_id, app_id, title, region):
        """Claim the stack ``title`` for a create (``StackStore.claim``).
        A claim of that title left by an earlier CC process, whose create
        Heat never answered, is taken over: that create is the one this
        request tries again (an SO whose request was cut by the CC's stop
        sends it again to the CC started after; it was refused 409 and
        its instance failed). Whether Heat made that stack after all is
        :meth:`_create`'s to find (by name and :data:`APP_TAG`).

        :raises hurtle.occi.errors.Conflict: the app has a stack of that
            title (or a create of it runs in this process).
        """
        try:
            self.store.claim(stack_id, app_id, title, region)
            return
        except errors.Conflict:
            with self._creating_lock:
                running = set(self._creating)
            if not self.store.discard_stale_claim(app_id, title, running):
                raise
        LOG.warning('stack %s of app %s: its create was lost when the CC '
                    'stopped before Heat answered; a new create takes it '
                    'over', title, app_id)
        self.store.claim(stack_id, app_id, title, region)

    def _create(self, deployer, caller, title, given, region):
        """Create the Heat stack ``title`` tagged with the app; Heat's id.

        A create whose answer was lost (Heat slow or unreachable:
        ``DeployerUnavailable``) may have been done all the same, and a
        stack of that name may be one the CC created for this app but no
        longer records (a create answered too late): Heat's 409 then.
        Either way the stack the CC created for this app is taken, found
        by name and :data:`APP_TAG`, never another app's. Found none, the
        create is recorded lost (:meth:`_lost`): Heat may still do it.

        :raises hurtle.occi.errors.OCCIError: Heat refused the create
            (:func:`_refused`).
        """
        tag = APP_TAG % caller.app_id
        try:
            return deployer.deploy(title, given['template'],
                                   given['parameters'], given['files'],
                                   given['environment'], tags=[tag])
        except deployers.DeployerError as exc:
            lost = (isinstance(exc, deployers.DeployerUnavailable) or
                    getattr(exc, 'status', None) == 409)
            heat_id = self._made_for(deployer, title, caller) if lost \
                else None
            if heat_id is None:
                if lost:
                    self._lost(caller, title, region, exc)
                raise _refused(exc)
            LOG.warning('stack %s of app %s: the create answered "%s", '
                        'but Heat has the stack the CC made for the app '
                        '(%s): kept', title, caller.app_id, exc, heat_id)
            return heat_id

    def _lost(self, caller, title, region, why):
        """Record the create of stack ``title`` of ``caller``'s app (in
        ``region``) lost (``StackStore.record_lost``): a stack Heat makes
        for it once its app is deleted is deleted then
        (:mod:`hurtle.cc.orphan_stacks`). A record that cannot be
        written is logged (the caller's own failure goes on)."""
        try:
            self.store.record_lost(caller.app_id, title, region,
                                   caller.project, caller.trust_id)
        except Exception:
            LOG.exception('stack %s of app %s: its lost create could not '
                          'be recorded', title, caller.app_id)
            return
        LOG.info('stack %s of app %s: its create may still be done by '
                 'Heat (%s): recorded as a lost create', title,
                 caller.app_id, why)

    @staticmethod
    def _name_held(deployer, title, heat_id, unknown=False):
        """Whether Heat still resolves ``title`` to the stack ``heat_id``
        (``HeatDeployer.holds_name``: one look-up by name, which Heat
        resolves to live stacks only, so False means that stack is
        deleted); ``unknown`` when it cannot tell now (False by default:
        for a stack read DELETE_COMPLETE gone is the safe answer)."""
        try:
            return deployer.holds_name(title, heat_id)
        except deployers.DeployerError:
            return unknown

    @staticmethod
    def _made_for(deployer, title, caller):
        """Heat's id of the live stack ``title`` the CC created for
        ``caller``'s app (tagged :data:`APP_TAG`), or None (also when Heat
        cannot tell now)."""
        try:
            return deployer.tagged(title, APP_TAG % caller.app_id)
        except deployers.DeployerError:
            return None

    def retrieve(self, entity, extras):
        caller = self._caller(extras)
        # For wait_change: an event after this moment may be news.
        setattr(entity, READ_AT, self.events.now())
        attrs = entity.attributes
        recorded = {name: attrs.get(name) for name in _RECORDED}
        heat_id = attrs.get('hurtle.stack.id')
        deployer = self._deployer(caller, entity)
        if not heat_id:
            # Claimed, no answer from Heat yet: the create runs, or died
            # with an earlier CC process (before or after Heat made the
            # stack).
            heat_id = self._pending(deployer, entity, caller, extras)
            if heat_id is None:
                return
            attrs['hurtle.stack.id'] = heat_id
            LOG.info('stack %s of app %s: found in Heat (%s) before its '
                     'create answered', entity.title, caller.app_id,
                     heat_id)
        details, deleted = self._deletion_read(deployer, caller, entity,
                                               heat_id)
        if details is None or details.status == 'DELETE_COMPLETE':
            self.store.delete(entity.identifier, extras)
            LOG.info('stack %s (%s) of app %s: gone from Heat, forgotten',
                     entity.title, heat_id, caller.app_id)
            raise errors.NotFound('stack %s was deleted' % entity.title)
        attrs.update({'hurtle.stack.state': details.status,
                      'hurtle.stack.reason': details.reason or '',
                      'hurtle.stack.outputs': json.dumps(
                          details.outputs or {}, sort_keys=True)})
        if deleted:
            attrs[stack_store.DELETED] = True
        else:
            attrs.pop(stack_store.DELETED, None)
        if any(attrs.get(name) != value for name, value in recorded.items()):
            # Most reads (an SO's polls and held waits) find what the row
            # has already: writing it again was a tenth of the CC's CPU.
            self.store.update(entity.identifier, entity, extras)

    def _deletion_read(self, deployer, caller, entity, heat_id):
        """``(details, deleted)`` of the stack ``entity`` (Heat's
        ``heat_id``): the ``StackDetails`` to show (None: gone, its name
        free), and whether Heat deleted it though its name is not free
        yet (shown ``DELETE_IN_PROGRESS``, :data:`stack_store.DELETED`).

        * A stack recorded deleted (Heat never undoes it) is one look-up
          of its name, no read.
        * One Heat just announced ``DELETE_COMPLETE`` is one read by id:
          read deleted, it is shown so without asking for the name now
          (Heat, finishing the delete, answers slowly then; the
          announcement that the name is free, or the next look, asks).
        * Any other is read; read ``DELETE_COMPLETE`` (no announcement
          came), its name is looked up.

        :raises hurtle.occi.errors.OCCIError: as :meth:`_read`.
        """
        if entity.attributes.get(stack_store.DELETED) is True:
            if not self._name_held(deployer, entity.title, heat_id):
                return None, False
            return deployers.StackDetails(
                id=heat_id, status='DELETE_IN_PROGRESS',
                reason=entity.attributes.get('hurtle.stack.reason') or
                ''), True
        announced = self.events.hint(heat_id) == 'DELETE_COMPLETE'
        details = self._read(deployer, caller, heat_id)
        if details is None or details.status != 'DELETE_COMPLETE':
            return details, False
        if not announced and not self._name_held(deployer, entity.title,
                                                 heat_id):
            return None, False
        # Heat frees the name just after: until then the stack is not
        # gone (a new stack of that name would be refused), but a caller
        # that makes none may go on (DELETED).
        return dataclasses.replace(details,
                                   status='DELETE_IN_PROGRESS'), True

    def _pending(self, deployer, entity, caller, extras):
        """Heat's id of the claimed stack ``entity`` (no Heat id
        recorded) if Heat has it by name and :data:`APP_TAG`, else None
        (still ``CREATE_PENDING``).

        :raises hurtle.occi.errors.NotFound: its create does not run in
            this process, and Heat answered it has no such stack: the
            create died with an earlier CC process before Heat made the
            stack (only one CC runs on a state), so nothing would ever
            make it; the record is forgotten, and the SO creates the
            stack again (a create that reached Heat all the same is
            taken then: :meth:`_create`).
        """
        stack_id = entity.identifier[len(stack_store.PREFIX):]
        with self._creating_lock:
            running = stack_id in self._creating
        if running:
            return self._made_for(deployer, entity.title, caller)
        try:
            heat_id = deployer.tagged(entity.title, APP_TAG % caller.app_id)
        except deployers.DeployerError as exc:
            # Heat cannot tell now: it may have the stack; ask again at
            # the next read.
            LOG.info('stack %s of app %s: claimed by an earlier CC process; '
                     'Heat cannot tell whether it made it (%s)',
                     entity.title, caller.app_id, exc)
            return None
        if heat_id is not None:
            return heat_id
        self.store.delete(entity.identifier, extras)
        LOG.warning('stack %s of app %s: its create was lost when the CC '
                    'stopped before Heat answered, and Heat has no such '
                    'stack: forgotten', entity.title, caller.app_id)
        raise errors.NotFound(
            'stack %s was not created: its create was lost when the CC '
            'stopped; create the stack again' % entity.title)

    def _read(self, deployer, caller, heat_id):
        """Heat's ``StackDetails`` of ``heat_id``, or None when Heat has
        no such stack (404): a read of it that still stands
        (:mod:`hurtle.cc.stack_reads`), else a read of Heat, in one
        request with the outputs when an event just announced the stack
        complete.

        :raises hurtle.occi.errors.OCCIError: Heat refused or cannot be
            reached (:func:`_refused`).
        """
        details = self.reads.get(caller.app_id, heat_id)
        if details is not None:
            return details
        began = self.reads.begin()
        read = deployer.details
        if deployers.outputs_due(self.events.hint(heat_id)):
            read = getattr(deployer, 'details_at_rest', read)
        try:
            details = read(heat_id)
        except deployers.DeployerError as exc:
            if getattr(exc, 'status', None) != 404:
                raise _refused(exc)
            return None
        self.reads.put(caller.app_id, heat_id, details, began)
        return details

    def wait_change(self, entity, extras, timeout):
        """Block until the Heat stack of ``entity`` may have changed, for
        ``timeout`` seconds (float) at most; returns None. The OCCI
        server then reads the stack again (:meth:`retrieve`, with the
        caller's credentials): an event is a hint, never data.

        It returns at once when an event named the stack since the
        :meth:`retrieve` of ``entity`` began (that read may predate the
        change), when an event names the stack's Heat id, else after
        ``[cc] stack_poll_interval`` seconds while no event source is
        live, ``[cc] stack_recheck_interval`` while one is, and
        :data:`SETTLE_STEP` while the latest event (of any source, a
        message bus included) announced another state than
        ``hurtle.stack.state`` shows. A stack without a Heat
        id yet (``CREATE_PENDING``) is polled.

        :param entity: the stack, as :meth:`retrieve` last left it.
        :raises hurtle.occi.errors.Forbidden: the caller is no SO (403).
        :raises hurtle.occi.errors.NotFound: the stack is not one of
            the calling SO's app (404).
        """
        self._caller(extras)
        if self.store.get(entity.identifier, extras) is None:
            raise errors.NotFound('no stack %s' % entity.identifier)
        timeout = float(timeout)
        if timeout <= 0:
            return None
        attrs = entity.attributes
        heat_id = attrs.get('hurtle.stack.id')
        if not heat_id:
            time.sleep(min(timeout, self.conf.cc.stack_poll_interval))
            return None
        if self.events.named_since(heat_id, getattr(entity, READ_AT, None)):
            # An event came while the stack was read: read it again now
            # (the read may have been made before the change).
            return None
        step = self.conf.cc.stack_poll_interval
        if self.events.live():
            step = self.conf.cc.stack_recheck_interval
        # Any source's hint (a bus's too): Heat announces a state just
        # before it writes it.
        hint = self.events.hint(heat_id)
        if hint is not None and hint != attrs.get('hurtle.stack.state'):
            step = SETTLE_STEP
        if self.events.wait(heat_id, min(timeout, step)):
            LOG.debug('stack %s: woken by an event (%s)', heat_id,
                      self.events.hint(heat_id))
        return None

    def update(self, old, new, extras):
        caller = self._caller(extras)
        changed = new.attributes
        if new.title and new.title != old.title:
            raise errors.BadRequest('occi.core.title of a stack cannot '
                                    'change')
        region = changed.get('hurtle.stack.region')
        if region and region != old.attributes.get('hurtle.stack.region'):
            raise errors.BadRequest('hurtle.stack.region of a stack cannot '
                                    'change')
        given = inputs(changed)
        if all(v is None for v in given.values()):
            raise errors.BadRequest(
                'nothing to update: give hurtle.stack.template, '
                '.parameters, .files or .environment')
        deployer = self._deployer(caller, old)
        try:
            with self.reads.writing(
                    heat_id=old.attributes['hurtle.stack.id']):
                # The tag again: Heat drops the tags a PUT leaves out,
                # and the tag finds the stack of a lost create answer.
                deployer.update(old.attributes['hurtle.stack.id'],
                                given['template'], given['parameters'],
                                given['files'], given['environment'],
                                tags=[APP_TAG % caller.app_id])
        except deployers.DeployerError as exc:
            raise _refused(exc)
        old.attributes['hurtle.stack.state'] = 'UPDATE_IN_PROGRESS'
        old.attributes['hurtle.stack.reason'] = ''
        self.store.update(old.identifier, old, extras)
        LOG.info('stack %s of app %s: update accepted by Heat', old.title,
                 caller.app_id)

    replace = update

    def delete(self, entity, extras):
        """Start deleting the Heat stack: answers 202 (the row stays,
        ``DELETE_IN_PROGRESS``, until a GET finds the stack gone)."""
        caller = self._caller(extras)
        heat_id = entity.attributes.get('hurtle.stack.id')
        if not heat_id:
            self.store.delete(entity.identifier, extras)
            return None
        try:
            with self.reads.writing(heat_id=heat_id):
                self._deployer(caller, entity).dispose(heat_id)
        except deployers.DeployerError as exc:
            raise _refused(exc)
        entity.attributes['hurtle.stack.state'] = 'DELETE_IN_PROGRESS'
        self.store.update(entity.identifier, entity, extras)
        LOG.info('stack %s of app %s: delete accepted by Heat', entity.title,
                 caller.app_id)
        return 202

    def dispose_app(self, app_id, env):
        """Delete every stack of app ``app_id`` (its app is being
        deleted) and wait until Heat has deleted each (not for Heat to
        free its name: no stack of the app is made again). A stack a
        read found deleted already (recorded ``DELETE_COMPLETE``) is
        forgotten without asking Heat. One still waiting for Heat's
        answer that Heat does not have (yet) is recorded as a lost create
        (:meth:`_lost`).

        :param env: the app's environment (``HURTLE_PROJECT``,
            ``HURTLE_TRUST_ID``: where and how its stacks were made).
        :raises hurtle.occi.errors.Conflict: a stack could not be deleted
            (Heat's reason, or still there after :data:`DISPOSE_TIMEOUT`
            seconds); the stacks not yet deleted stay recorded.
        :raises hurtle.occi.errors.ServiceUnavailable: Heat unreachable.
        """
        caller = so_auth.SOCaller(app_id=app_id,
                                  project=env.get('HURTLE_PROJECT'),
                                  trust_id=env.get('HURTLE_TRUST_ID'))
        self.reads.written(app_id=app_id)
        for row in self.store.rows_of(app_id):
            if row.state == stack_store.DELETED_STATE:
                # Heat deleted it (the SO's dispose saw it): nothing to
                # ask Heat, and the app makes no stack of its name again.
                self.store.discard(row.id)
                LOG.info('stack %s of deleted app %s was deleted',
                         row.title, app_id)
                continue
            deployer = self.deployer_factory(caller, row.region)
            # A row still waiting for Heat's answer may have a stack.
            heat_id = row.heat_id or self._made_for(deployer, row.title,
                                                    caller)
            if not heat_id:
                # Its create runs, or died with an earlier CC process,
                # and Heat has no such stack now: it may make it later.
                self._lost(caller, row.title, row.region,
                           'its app is deleted before Heat answered')
            if heat_id:
                try:
                    # The app makes no stack of that name again: deleted
                    # is enough, its name may be freed a moment later.
                    deployer.dispose_and_wait(heat_id, DISPOSE_TIMEOUT,
                                              DISPOSE_INTERVAL,
                                              reuse_name=False)
                except deployers.DeployerUnavailable as exc:
                    raise _refused(exc)
                except (deployers.DeployerError, polling.Timeout) as exc:
                    raise errors.Conflict('cannot delete stack %s of app '
                                          '%s: %s' % (row.title, app_id,
                                                      exc))
            self.store.discard(row.id)
            LOG.info('stack %s of deleted app %s deleted', row.title,
                     app_id)
        if caller.trust_id:
            # The SM deletes the instance's trust next: its deployers (and
            # the token each holds) serve nobody any more.
            self.forget_trust(caller.trust_id)

    def leftovers(self, app_id, env):
        """Record as lost creates, and forget, the stack rows of app
        ``app_id`` claimed after :meth:`dispose_app` read them (its SO
        created a stack while its app's delete ran; the app is now
        recorded ``deleting``, so its SO is no longer served): Heat has
        made, or may make, those stacks, which the CC deletes once the
        app is removed (:mod:`hurtle.cc.orphan_stacks`). One database
        query, no Heat call.

        :param env: the app's environment, as for :meth:`dispose_app`.
        :returns: how many rows were left over.
        """
        caller = so_auth.SOCaller(app_id=app_id,
                                  project=env.get('HURTLE_PROJECT'),
                                  trust_id=env.get('HURTLE_TRUST_ID'))
        rows = self.store.rows_of(app_id)
        for row in rows:
            self._lost(caller, row.title, row.region,
                       'created while its app was being deleted')
            self.store.discard(row.id)
        return len(rows)

    def forget_trust(self, trust_id):
        """Drop the kept deployers (and their tokens) of ``trust_id``."""
        self._deployers.forget(lambda key: key[1] == trust_id)
