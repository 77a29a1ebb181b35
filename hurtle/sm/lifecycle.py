"""Service instance lifecycle, run off the request thread (DESIGN.md 5).

``initialise → activate → deploy → provision → active``; ``update`` and
back to ``active``; ``destroy`` then gone; any failure → ``failed`` with
``mcn.service.state.reason``; ``degraded`` (with a reason) while an active
instance's SO is down or unreachable, ``active`` again once it answers
(``hurtle.sm.watcher``). The clients of the CC, SOs, other SMs and the
deployer, and the one polling loop, are in ``hurtle.sm.peers``.

One operation at a time: the API accepts an operation with
``InstanceStore.begin`` (an atomic conditional update that returns the new
operation number) and hands the number to :meth:`Lifecycle.create`,
:meth:`Lifecycle.update` or :meth:`Lifecycle.destroy`. Every later write
of that lifecycle is conditional on the number, so a lifecycle whose
operation was superseded (a create cancelled by a DELETE) stops at its
next step and never overwrites the newer operation's record.

Each transition is written to the database before the phase's work starts
and after it ends, and every step can be repeated (the SO answers where it
stands), so a restarted SM resumes what was in progress (``recover``).

Phases and the calls they make (all through ``hurtle.occi.client``, see
``hurtle.sm.peers``):

* initialise: first, for a composed service, an instance of each
  ``depends_on`` service is created at its SM (``hurtle.sm.catalogue``), in
  manifest order, each waited for until ``active``; a dependency's declared
  inputs (``<service_type>#<attribute>``) are taken from the instances
  created before it, and the composed instance gets every attribute of its
  dependencies that its own manifest declares. Then the SO's app is
  recorded as ``<cc>/app/<instance id>`` (with the SO's secret) *before*
  ``PUT <cc>/app/<instance id>`` asks the CC to start it, so that a
  restarted SM or a DELETE finds the app by that id.
* activate: ``PUT <so>/orchestrator/default`` with the instance's
  attributes and the provider's ``initialise``/``activate`` parameters
  (409: the SO exists already, from an interrupted attempt).
* deploy / provision: unless the SO reports that the phase was already
  requested, ``POST <so>/orchestrator/default?action=...``; then poll
  ``GET`` until ``occi.mcn.stack.state`` is ``*_COMPLETE`` (next phase) or
  ``*_FAILED``/``ROLLBACK_*`` (instance failed with the stack's reason), at
  most ``[sm] phase_timeout`` seconds.
* update: ``POST`` the changed attributes to the SO, poll as above. If the
  SO or its deployer refuses them (400, 409: the stack did not change) or
  the stack update is rolled back, the instance goes back to ``active``
  with ``mcn.service.state.reason`` saying why, and the refused values are
  not recorded.
* an SO answering 503 (its deployer cannot reach Heat) or an SO that
  cannot be reached is retried until the phase deadline (the deploy and
  provision actions and the polling); a failure reason names the component
  ("cloud controller (CC) unreachable", "service orchestrator (SO)
  unreachable", "orchestration service unreachable"), the URL and
  exception go to the log.
* destroy (also of an instance still being created: its create stops
  first): ``DELETE`` the SO (it disposes its resources and answers when
  they are gone) or, when the SO is gone or does not answer, delete the
  recorded stack (``occi.mcn.stack.id``) through the deployer; ``DELETE``
  the CC app, ``DELETE`` the dependency instances in reverse order (each
  waited for until its SM answers 404), remove the record.
"""
import concurrent.futures
import json
import logging
import secrets
import threading

from keystoneauth1 import exceptions as ks_exc

from hurtle.occi import categories
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle.sdk import deployer as deployer_api
from hurtle.sm import peers as peers_mod
from hurtle.sm import store as states
from hurtle.sm import watcher as watcher_mod

LOG = logging.getLogger(__name__)

SO_PATH = 'orchestrator/default'
ORCHESTRATOR = occi_client.CategoryRef(categories.SO_SCHEME, 'orchestrator',
                                       'kind')
DEPLOY = occi_client.CategoryRef(categories.SO_SCHEME, 'deploy', 'action')
PROVISION = occi_client.CategoryRef(categories.SO_SCHEME, 'provision',
                                    'action')
APP = occi_client.CategoryRef(categories.APP_SCHEME, 'app', 'kind')
APP_START = occi_client.CategoryRef(categories.APP_ACTION_SCHEME, 'start',
                                    'action')
APP_STOP = occi_client.CategoryRef(categories.APP_ACTION_SCHEME, 'stop',
                                   'action')

#: SO attributes that are bookkeeping, not outputs.
_NOT_OUTPUTS = frozenset(['occi.core.id', 'occi.core.title',
                          'occi.core.summary', 'occi.mcn.stack.reason'])

#: Create phases in order; a resumed create starts at its recorded state.
_CREATE_ORDER = (states.INITIALISE, states.ACTIVATE, states.DEPLOY,
                 states.PROVISION)


class PhaseError(Exception):
    """A lifecycle phase failed; ``str()`` is the reason users see."""


class SOUnavailable(PhaseError):
    """The instance's SO is gone or cannot be (re)started."""


class Superseded(Exception):
    """A newer operation owns the instance (or it is gone): stop quietly."""


class Stopping(Exception):
    """The SM is shutting down: stop here, the record says where the work
    is, and the next start resumes it (``Lifecycle.recover``)."""


def dependency_inputs(dependency, created):
    """Attributes to create ``dependency`` with, from its declared inputs.

    :param dependency: a ``hurtle.sm.manifest.Dependency``; each input
        ``(<service_type>, <attribute>)`` names an attribute of an instance
        created before it.
    :param created: ``{service_type: attributes}`` of those instances.
    :returns: ``{attribute: value}``.
    :raises PhaseError: an input's service or attribute is not available.
    """
    inputs = {}
    for source_type, attribute in dependency.inputs:
        source = created.get(source_type)
        if source is None or attribute not in source:
            raise PhaseError('input %s#%s of %s is not available (inputs '
                             'must come from dependencies listed before it)'
                             % (source_type, attribute,
                                dependency.service_type))
        inputs[attribute] = source[attribute]
    return inputs


def inherited_attributes(manifest, created):
    """The dependencies' attributes that ``manifest`` declares itself."""
    inherited = {}
    for attrs in created.values():
        for name, value in attrs.items():
            if name in manifest.attributes:
                inherited[name] = value
    return inherited


def _stack_state(info):
    return str(info.attributes.get('occi.mcn.stack.state', '') or '')


def _stack_reason(info):
    return str(info.attributes.get('occi.mcn.stack.reason', '') or '')


class Operation(object):
    """One accepted operation on one instance: every write it makes is
    conditional on its number (``InstanceStore.transition(operation=)``).
    """

    def __init__(self, store, instance_id, number, stopping=None):
        self.store = store
        self.instance_id = instance_id
        self.number = number
        self.stopping = stopping

    def row(self):
        """The record, or :class:`Superseded` if another operation owns it
        (or it is gone), or :class:`Stopping` once the SM shuts down (every
        wait of the lifecycle asks for the row before each attempt)."""
        if self.stopping is not None and self.stopping.is_set():
            raise Stopping()
        row = self.store.load(self.instance_id)
        if row is None or row.operation != self.number:
            raise Superseded()
        return row

    def move(self, state, **fields):
        """Record ``state`` and ``fields``; return the new record."""
        if not self.store.transition(self.instance_id, state,
                                     operation=self.number, **fields):
            raise Superseded()
        return self.row()


class FollowedSO(object):
    """The SO client of one operation's instance that follows the SO when
    the CC restarts it elsewhere (a new ``occi.app.url``): after a
    connection failure :meth:`refresh` asks the CC where it serves now.
    Other attributes are the current ``OCCIClient``'s."""

    def __init__(self, lifecycle, op, row):
        self._lifecycle = lifecycle
        self._op = op
        self.client = lifecycle._so(row)

    def refresh(self):
        """Point at the SO's current URL (recorded on the instance).

        :raises SOUnavailable: its app is gone or cannot be started.
        :raises hurtle.occi.errors.OCCIError: the CC failed.
        """
        row = self._lifecycle._current_so(self._op, self._op.row())
        self.client = self._lifecycle._so(row)

    def __getattr__(self, name):
        return getattr(self.client, name)


class Lifecycle(object):
    """Runs instance lifecycles on a thread pool.

    :param conf: oslo.config object (``[sm]`` options).
    :param store: the ``InstanceStore``.
    :param manifests: ``{term: Manifest}``.
    """

    def __init__(self, conf, store, manifests, catalogue=None):
        self.conf = conf
        self.store = store
        self.manifests = dict(manifests)
        self.catalogue = catalogue
        self.peers = peers_mod.Peers(conf)
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=conf.sm.workers, thread_name_prefix='lifecycle')
        self._jobs = {}     # instance id -> Event set when its job ends
        self._jobs_lock = threading.Lock()
        self._stopping = threading.Event()
        self.watcher = watcher_mod.SOWatcher(conf, store, self.peers)

    # scheduling
    def _composed(self, instance_id):
        row = self.store.load(instance_id)
        manifest = self.manifests.get(row.service) if row else None
        return bool(manifest is not None and manifest.depends_on)

    def _dispatch(self, work, instance_id, number):
        """Run ``work(Operation)`` after the instance's previous job ended.

        A composed instance's job runs on a thread of its own: its create
        and destroy wait for its dependencies' own lifecycles, which may
        need the pool's workers (dependencies on this SM), so it must never
        hold one. Returns the Future or Thread.
        """
        done = threading.Event()
        with self._jobs_lock:
            previous = self._jobs.get(instance_id)
            self._jobs[instance_id] = done

        def job():
            try:
                if previous is not None:
                    # A superseded job stops at its next step.
                    previous.wait(self.conf.sm.phase_timeout)
                self._guard(work, Operation(self.store, instance_id,
                                            number, self._stopping))
            finally:
                done.set()
                with self._jobs_lock:
                    if self._jobs.get(instance_id) is done:
                        del self._jobs[instance_id]

        if not self._composed(instance_id):
            return self._pool.submit(job)
        thread = threading.Thread(target=job, daemon=True,
                                  name='lifecycle-composed-%s' % instance_id)
        thread.start()
        return thread

    def _guard(self, work, op):
        try:
            work(op)
        except Superseded:
            LOG.info('instance %s: operation %d superseded, stopped',
                     op.instance_id, op.number)
        except Stopping:
            LOG.info('instance %s: the SM is stopping; operation %d is left '
                     'for the next start to resume', op.instance_id,
                     op.number)
        except (PhaseError, peers_mod.Timeout) as exc:
            self._fail(op, str(exc))
        except errors.OCCIError as exc:
            self._fail(op, exc.message)
        except ks_exc.ClientException as exc:
            self._fail(op, 'Keystone authentication for the CC failed: %s'
                       % type(exc).__name__)
        except Exception:  # never lose a worker thread silently
            LOG.exception('lifecycle of instance %s crashed', op.instance_id)
            self._fail(op, 'internal error in the SM')

    def _fail(self, op, reason):
        LOG.warning('instance %s failed: %s', op.instance_id, reason)
        self.store.transition(op.instance_id, states.FAILED, reason=reason,
                              operation=op.number)

    # entry points
    def create(self, instance_id, operation=states.FIRST_OPERATION):
        """Start the create lifecycle of a recorded instance."""
        return self._dispatch(self._create, instance_id, operation)

    def update(self, instance_id, changed, operation):
        """Start applying ``changed`` attributes (operation ``operation``,
        accepted by ``InstanceStore.begin(..., UPDATE, ...)``)."""
        return self._dispatch(lambda op: self._update(op, changed),
                              instance_id, operation)

    def destroy(self, instance_id, operation):
        """Start disposing of an instance (operation ``operation``, accepted
        by ``InstanceStore.begin(..., DESTROY, ...)``); a create or update
        still running for it stops first."""
        return self._dispatch(self._destroy, instance_id, operation)

    def shutdown(self, wait=True):
        """Stop: running lifecycles end at their next step (their records
        say where they are; the next start resumes them)."""
        self._stopping.set()
        self.watcher.stop()
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def recover(self):
        """Resume what a previous SM process left in progress, then start
        watching the SOs of active instances (``hurtle.sm.watcher``).

        Creates continue from their recorded phase, updates re-send their
        pending values once the stack is at rest, disposals run again;
        every step asks the SO (and CC) where it stands first.
        """
        for row in self.store.in_states(states.BUSY):
            number = self.store.begin(row.id, row.state, {row.state},
                                      reason=row.reason)
            if number is None:
                continue   # taken over meanwhile
            LOG.info('resuming instance %s in state %s', row.id, row.state)
            if row.state == states.DESTROY:
                self.destroy(row.id, number)
            elif row.state == states.UPDATE:
                self.update(row.id, row.pending or {}, number)
            else:
                self._dispatch(
                    lambda op, start=row.state: self._create(op, start),
                    row.id, number)
        self.watcher.start()

    # SO and stack
    def _params(self, row, *phases):
        manifest = self.manifests.get(row.service)
        params = {}
        for phase in phases:
            if manifest is not None:
                params.update(manifest.params_for(phase))
        return params

    def _so(self, row):
        if not row.so_url:
            raise SOUnavailable('the instance has no SO (it never started)')
        return self.peers.so(row)

    def _current_so(self, op, row):
        """The row, with ``so_url`` where the SO serves now.

        The CC may have restarted the SO (after a CC restart, or a
        stop/start of its app) on another port: ask the CC, start the app
        again if it is not active, and record a changed URL.

        :raises SOUnavailable: the app is gone or cannot be started.
        """
        if not row.app_url:
            return row
        cc = self.peers.cc()
        try:
            app = cc.get(row.app_url)
            if app.attributes.get('occi.app.state') != 'active':
                self._restart_app(cc, row.app_url)
                app = cc.get(row.app_url)
        except errors.NotFound:
            raise SOUnavailable('the SO is gone: its app no longer exists '
                                'at the CC')
        url = app.attributes.get('occi.app.url')
        if not url:
            raise SOUnavailable('the SO is down (app state %s)'
                                % app.attributes.get('occi.app.state'))
        if url != row.so_url:
            LOG.info('instance %s: SO moved to %s', row.id, url)
            row = op.move(row.state, reason=row.reason, so_url=url)
        return row

    @staticmethod
    def _restart_app(cc, app_url):
        """Start the app of a dead SO again (``start``; a CC that still
        records the app active refuses that: ``stop`` first).

        :raises SOUnavailable: the CC cannot start it.
        """
        try:
            try:
                cc.action(app_url, APP_START)
            except errors.Conflict:
                try:
                    cc.action(app_url, APP_STOP)
                except errors.Conflict:
                    pass   # stopped meanwhile
                cc.action(app_url, APP_START)
        except errors.Conflict as exc:
            raise SOUnavailable('the CC cannot restart the SO: %s'
                                % exc.message)

    @staticmethod
    def _unavailable(op, so, exc, phase, seen):
        """Note a 503 or connection failure of ``so`` (a
        :class:`FollowedSO`) in ``seen``; after a connection failure, ask
        the CC where the SO serves now (it may have restarted it)."""
        seen['unavailable'] = exc.message
        LOG.info('instance %s, %s: %s; trying again', op.instance_id, phase,
                 exc.message)
        if isinstance(exc, errors.ConnectionFailed):
            try:
                so.refresh()
            except (SOUnavailable, errors.OCCIError) as refresh_exc:
                LOG.info('instance %s: %s', op.instance_id,
                         _message(refresh_exc))

    def _transient(self, op, so, call, phase):
        """``call()``, retried every ``[sm] poll_interval`` seconds while it
        fails with 503 (an SO whose deployer cannot reach Heat, or an SO
        that cannot be reached: then followed where the CC restarted it),
        until ``[sm] phase_timeout``.

        :param so: the :class:`FollowedSO` that ``call`` uses.
        :raises PhaseError: still failing then; the reason names the
            component ("orchestration service unreachable", "service
            orchestrator (SO) unreachable"), never a URL.
        :raises Superseded: another operation took over meanwhile.
        """
        seen = {}

        def attempt():
            op.row()
            try:
                return (call(),)
            except errors.ServiceUnavailable as exc:
                self._unavailable(op, so, exc, phase, seen)
                return None
        try:
            return peers_mod.poll_until(
                attempt, self.conf.sm.phase_timeout,
                self.conf.sm.poll_interval, phase)[0]
        except peers_mod.Timeout:
            raise PhaseError('%s did not complete within %d s: %s'
                             % (phase, self.conf.sm.phase_timeout,
                                seen.get('unavailable')))

    def _wait_stack(self, op, so, phase):
        """Poll the SO until its stack is ``*_COMPLETE`` or ``*_FAILED``;
        return the SO's ``EntityInfo`` then. An SO answering 503 (its
        deployer cannot reach Heat) or not reachable (``so``, a
        :class:`FollowedSO`, is then followed where the CC restarted it)
        is polled again, until the deadline.

        :raises PhaseError: not at rest within ``[sm] phase_timeout``; the
            reason names the stack state, or the component that was
            unavailable at the end.
        :raises Superseded: another operation took over meanwhile.
        """
        seen = {}

        def at_rest():
            op.row()
            try:
                info = so.get(SO_PATH)
            except errors.ServiceUnavailable as exc:
                self._unavailable(op, so, exc, phase, seen)
                return None
            seen.pop('unavailable', None)
            state = seen['state'] = _stack_state(info)
            if state.endswith('_COMPLETE') or state.endswith('_FAILED'):
                return info
            return None
        try:
            return peers_mod.poll_until(
                at_rest, self.conf.sm.phase_timeout,
                self.conf.sm.poll_interval, phase)
        except peers_mod.Timeout:
            if seen.get('unavailable'):
                raise PhaseError('%s did not complete within %d s: %s'
                                 % (phase, self.conf.sm.phase_timeout,
                                    seen['unavailable']))
            raise PhaseError('%s did not complete within %d s (stack '
                             'state %s)' % (phase, self.conf.sm.phase_timeout,
                                            seen.get('state') or 'unknown'))

    @staticmethod
    def _require_complete(info, phase):
        state = _stack_state(info)
        if state.endswith('_FAILED') or state.startswith('ROLLBACK_'):
            raise PhaseError('%s failed: stack %s: %s'
                             % (phase, state, _stack_reason(info)))

    @staticmethod
    def _outputs(info):
        return {k: v for k, v in info.attributes.items()
                if k not in _NOT_OUTPUTS}

    # create
    def _create(self, op, start=states.INITIALISE):
        row = op.row()
        manifest = self.manifests[row.service]
        steps = [(states.INITIALISE, self._create_dependencies),
                 (states.INITIALISE, self._start_so),
                 (states.ACTIVATE, self._activate),
                 (states.DEPLOY, self._deploy),
                 (states.PROVISION, self._provision)]
        first = _CREATE_ORDER.index(start)
        for state, step in steps:
            if _CREATE_ORDER.index(state) >= first:
                step(op, manifest)

    def _wait_dependency(self, op, client, location, service_type):
        def active():
            op.row()
            attrs = client.get(location).attributes
            state = attrs.get('mcn.service.state')
            if state == states.FAILED:
                raise PhaseError('dependency %s failed: %s' % (
                    service_type, attrs.get('mcn.service.state.reason', '')))
            return attrs if state == states.ACTIVE else None
        try:
            return peers_mod.poll_until(
                active, self.conf.sm.phase_timeout,
                self.conf.sm.poll_interval, 'dependency %s active'
                % service_type)
        except peers_mod.Timeout:
            raise PhaseError('dependency %s not active within %d s'
                             % (service_type, self.conf.sm.phase_timeout))

    def _create_dependencies(self, op, manifest):
        if not manifest.depends_on:
            return
        row = op.row()
        records = list(row.dependencies or [])
        known = {r['service_type']: r['location'] for r in records}
        created = {}   # service type -> attributes
        for dep in manifest.depends_on:
            location = known.get(dep.service_type)
            if location is None:
                try:
                    url = self.catalogue.resolve(dep.service_type)
                except LookupError as exc:
                    raise PhaseError(str(exc))
                inputs = dependency_inputs(dep, created)
                scheme, term = dep.service_type.rsplit('#', 1)
                location = self.peers.sm(row, url).create(
                    url, occi_client.CategoryRef(scheme + '#', term, 'kind'),
                    inputs)
                records.append({'service_type': dep.service_type,
                                'location': location})
                # Recorded before waiting, so that dispose finds it.
                row = op.move(states.INITIALISE, dependencies=list(records))
            created[dep.service_type] = self._wait_dependency(
                op, self.peers.sm(row, location), location,
                dep.service_type)
        op.move(states.INITIALISE,
                attributes=inherited_attributes(manifest, created))

    def _dispose_dependencies(self, row):
        for record in reversed(row.dependencies or []):
            client = self.peers.sm(row, record['location'])
            try:
                client.delete(record['location'])
            except errors.NotFound:
                continue

            def gone(location=record['location'], client=client):
                try:
                    attrs = client.get(location).attributes
                except errors.NotFound:
                    return True
                if attrs.get('mcn.service.state') == states.FAILED:
                    raise PhaseError('dependency %s could not be disposed: '
                                     '%s' % (location, attrs.get(
                                         'mcn.service.state.reason', '')))
                return None
            try:
                peers_mod.poll_until(gone, self.conf.sm.phase_timeout,
                                     self.conf.sm.poll_interval,
                                     'disposal of %s' % record['location'])
            except peers_mod.Timeout:
                raise PhaseError('dependency %s still exists after %d s'
                                 % (record['location'],
                                    self.conf.sm.phase_timeout))

    def _start_so(self, op, manifest):
        """Start (or find again) the SO's app at ``<cc>/app/<instance id>``.

        The app's URL and the SO's secret are recorded before the CC is
        asked, so an SM killed meanwhile finds the app by that id.
        """
        if not manifest.so_bundle:
            raise PhaseError('service %s has no so_bundle in its manifest'
                             % manifest.term)
        row = op.row()
        cc = self.peers.cc()
        fresh = not (row.app_url and row.so_secret)
        if fresh:
            row = op.move(states.INITIALISE,
                          app_url=cc.url('/app/%s' % row.id),
                          so_secret=secrets.token_urlsafe(32))
        env = {'HURTLE_SO_SECRET': row.so_secret,
               'HURTLE_INSTANCE_ID': row.id,
               'HURTLE_PROJECT': row.project,
               'HURTLE_SO_TEMPLATES': json.dumps(
                   manifest.templates(self.conf.sm.region))}
        try:
            try:
                app = cc.get(row.app_url)   # started by an earlier attempt
            except errors.ConnectionFailed:
                if fresh:   # the CC was asked nothing: no app to find
                    op.move(states.INITIALISE, app_url=None, so_secret=None)
                raise
            except errors.NotFound:
                try:
                    cc.put(row.app_url, APP, {
                        'occi.app.name': '%s-%s' % (manifest.term, row.id),
                        'occi.app.image': manifest.so_bundle,
                        'occi.app.env': json.dumps(env)})
                except errors.Conflict as exc:
                    # Started meanwhile by a concurrent attempt (the app
                    # exists), or the CC could not start it (it keeps
                    # nothing: the 409 says why).
                    try:
                        cc.get(row.app_url)
                    except errors.NotFound:
                        raise PhaseError('starting the SO failed: %s'
                                         % exc.message)
                app = cc.get(row.app_url)
        except errors.OCCIError as exc:
            raise PhaseError('starting the SO failed: %s' % exc.message)
        row = self._current_so(op, row)
        if not row.so_url:
            raise PhaseError('the CC started no SO (app state %s)'
                             % app.attributes.get('occi.app.state'))

    def _activate(self, op, manifest):
        row = op.move(states.ACTIVATE)
        attributes = dict(row.attributes or {})
        attributes.update(self._params(row, 'initialise', 'activate'))
        so = FollowedSO(self, op, row)

        def put():
            try:
                so.put(SO_PATH, ORCHESTRATOR, attributes)
            except errors.Conflict:
                LOG.info('instance %s: SO initialised already', row.id)
        self._transient(op, so, put, states.ACTIVATE)

    def _deploy(self, op, manifest):
        row = op.move(states.DEPLOY)
        so = FollowedSO(self, op, row)

        def current_stack_id():
            return self._transient(op, so, lambda: so.get(SO_PATH),
                                   states.DEPLOY).attributes.get(
                                       'occi.mcn.stack.id')
        if not current_stack_id():
            # Not deployed yet (a repeated deploy is no error either).
            self._transient(op, so, lambda: so.action(
                SO_PATH, DEPLOY, self._params(row, states.DEPLOY)),
                states.DEPLOY)
        stack_id = current_stack_id()
        if stack_id:   # recorded at once: a DELETE can dispose it by id
            op.move(states.DEPLOY, attributes={'occi.mcn.stack.id':
                                               stack_id})
        info = self._wait_stack(op, so, states.DEPLOY)
        self._require_complete(info, states.DEPLOY)
        op.move(states.DEPLOY, attributes=self._outputs(info))

    def _provision(self, op, manifest):
        row = op.move(states.PROVISION)
        so = FollowedSO(self, op, row)
        if not _stack_state(self._transient(
                op, so, lambda: so.get(SO_PATH),
                states.PROVISION)).startswith('UPDATE_'):
            # Not requested yet (a provision makes the stack UPDATE_*).
            self._transient(op, so, lambda: so.action(
                SO_PATH, PROVISION, self._params(row, states.PROVISION)),
                states.PROVISION)
        info = self._wait_stack(op, so, states.PROVISION)
        self._require_complete(info, states.PROVISION)
        op.move(states.ACTIVE, attributes=self._outputs(info))

    # update
    def _update(self, op, changed):
        row = op.row()
        try:
            row = self._current_so(op, row)
            so = FollowedSO(self, op, row)
            if _stack_state(so.get(SO_PATH)).endswith('_IN_PROGRESS'):
                # A resumed update may find the stack still busy.
                self._wait_stack(op, so, states.UPDATE)
            attributes = dict(changed)
            attributes.update(self._params(row, 'update'))
            so.update(SO_PATH, ORCHESTRATOR, attributes)
        except (errors.BadRequest, errors.Conflict) as exc:
            # The SO or its deployer refused the values before the stack
            # changed: still active, the refused values not recorded.
            op.move(states.ACTIVE, reason='update rejected: %s'
                    % exc.message, pending=None)
            return
        except (SOUnavailable, errors.ConnectionFailed) as exc:
            op.move(states.DEGRADED, reason='update not applied: %s'
                    % _message(exc), pending=None)
            return
        info = self._wait_stack(op, so, states.UPDATE)
        state = _stack_state(info)
        if state.startswith('ROLLBACK_') and state.endswith('_COMPLETE'):
            op.move(states.ACTIVE, reason='update rolled back: %s'
                    % (_stack_reason(info) or state), pending=None,
                    attributes=self._outputs(info))
            return
        self._require_complete(info, states.UPDATE)
        outputs = self._outputs(info)
        outputs.update(changed)
        op.move(states.ACTIVE, attributes=outputs, pending=None)

    # destroy
    def _destroy(self, op):
        row = op.row()
        try:
            try:
                row = self._current_so(op, row)
                if row.so_url:
                    try:
                        self._so(row).delete(SO_PATH)
                    except errors.NotFound:
                        pass  # never created, or disposed already
            except (SOUnavailable, errors.ConnectionFailed) as exc:
                LOG.warning('instance %s: %s; disposing its stack directly',
                            row.id, _message(exc))
                self._dispose_stack(row)
            if row.app_url:
                try:
                    self.peers.cc().delete(row.app_url)
                except errors.NotFound:
                    pass
            self._dispose_dependencies(row)
        except errors.OCCIError as exc:
            self._fail(op, 'dispose failed: %s (DELETE again to retry)'
                       % exc.message)
            return
        except (PhaseError, peers_mod.Timeout) as exc:
            self._fail(op, 'dispose failed: %s (DELETE again to retry)'
                       % exc)
            return
        if self.store.purge(row.id, operation=op.number):
            LOG.info('instance %s disposed', row.id)

    def _dispose_stack(self, row):
        """Delete the recorded stack through the deployer, as its SO would,
        and wait until it is gone."""
        stack_id = (row.attributes or {}).get('occi.mcn.stack.id')
        if not stack_id:
            return
        try:
            deployer = self.peers.deployer(row)
            deployer.dispose(stack_id)

            def gone():
                if deployer.is_gone(stack_id):
                    return True
                details = deployer.details(stack_id)
                if details.status == 'DELETE_FAILED':
                    raise PhaseError('deleting stack %s failed: %s'
                                     % (stack_id, details.reason))
                return None
            peers_mod.poll_until(gone, self.conf.sm.phase_timeout,
                                 self.conf.sm.poll_interval,
                                 'deletion of stack %s' % stack_id)
        except (deployer_api.DeployerError, RuntimeError) as exc:
            raise PhaseError(str(exc))


def _message(exc):
    return getattr(exc, 'message', None) or str(exc)
