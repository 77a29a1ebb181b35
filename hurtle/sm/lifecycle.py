"""Service instance lifecycle, run off the request thread (DESIGN.md 5).

``initialise → activate → deploy → provision → active``; ``update`` and
back to ``active``; ``destroy`` then gone; any failure → ``failed`` with
``mcn.service.state.reason``. Each transition is written to the database
before the phase's work starts and after it ends, so a restarted SM knows
what was in progress (``recover``).

Phases and the calls they make (all through ``hurtle.occi.client``):

* initialise: first, for a composed service, an instance of each
  ``depends_on`` service is created at its SM (``hurtle.sm.catalogue``), in
  manifest order, each waited for until ``active``; a dependency's declared
  inputs (``<service_type>#<attribute>``) are taken from the instances
  created before it, and the composed instance gets every attribute of its
  dependencies that its own manifest declares. Then ``POST <cc>/app/``
  (the CC starts the SO and answers once it serves) and ``GET`` the app for
  ``occi.app.url``.
* activate: ``PUT <so>/orchestrator/default`` with the instance's
  attributes and the provider's ``initialise``/``activate`` parameters.
* deploy / provision: ``POST <so>/orchestrator/default?action=...``, then
  poll ``GET`` until ``occi.mcn.stack.state`` is ``*_COMPLETE`` (next
  phase) or ``*_FAILED`` (instance failed with the stack's reason), at most
  ``[sm] phase_timeout`` seconds.
* update: ``POST`` the changed attributes to the SO, poll as above; if the
  SO refuses them (400) the instance goes back to ``active`` unchanged,
  with the SO's message as ``mcn.service.state.reason``.
* an SO answering 503 (its deployer cannot reach Heat) or an SO that
  cannot be reached is retried with backoff until the phase deadline
  (the deploy/provision action and the polling); a failure reason names
  the component ("cloud controller (CC) unreachable", "service
  orchestrator (SO) unreachable", "orchestration service unreachable"),
  the URL and exception go to the log.
* destroy: ``DELETE`` the SO (it disposes its resources and answers when
  they are gone), ``DELETE`` the CC app, ``DELETE`` the dependency
  instances in reverse order (each waited for until its SM answers 404),
  remove the record.
"""
import concurrent.futures
import json
import logging
import secrets
import threading
import time

from keystoneauth1 import exceptions as ks_exc

from hurtle.conf import service_credentials
from hurtle import local_secret
from hurtle.occi import categories
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle.sm import store as states

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

#: SO attributes that are bookkeeping, not outputs.
_NOT_OUTPUTS = frozenset(['occi.core.id', 'occi.core.title',
                          'occi.core.summary', 'occi.mcn.stack.reason'])


class PhaseError(Exception):
    """A lifecycle phase failed; ``str()`` is the reason users see."""


class _ComponentClient(occi_client.OCCIClient):
    """OCCI client of one component (the CC, an SO): when it cannot be
    reached its error says which component, ``"<component> unreachable"``
    (the reason users see); the URL and exception go to the log only."""

    def __init__(self, component, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.component = component

    def request(self, *args, **kwargs):
        try:
            return super().request(*args, **kwargs)
        except errors.ConnectionFailed as exc:
            LOG.warning('%s unreachable: %s', self.component, exc.message)
            raise errors.ConnectionFailed('%s unreachable' % self.component)


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
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=conf.sm.workers, thread_name_prefix='lifecycle')
        self._keystone = None

    # scheduling
    def _submit(self, func, instance_id):
        future = self._pool.submit(self._guard, func, instance_id)
        return future

    def _guard(self, func, instance_id):
        try:
            func(instance_id)
        except Exception:  # never lose a worker thread silently
            LOG.exception('lifecycle of instance %s crashed', instance_id)
            self.store.transition(instance_id, states.FAILED,
                                  reason='internal error in the SM')

    def _composed(self, instance_id):
        row = self.store.load(instance_id)
        manifest = self.manifests.get(row.service) if row else None
        return bool(manifest is not None and manifest.depends_on)

    def _dispatch(self, func, instance_id):
        """Run ``func(instance_id)`` in the pool, or, for a composed
        instance, on a thread of its own: its create and destroy wait for
        its dependencies' own lifecycles, which may need the pool's
        workers (dependencies on this SM), so it must never hold one."""
        if not self._composed(instance_id):
            return self._submit(func, instance_id)
        thread = threading.Thread(target=self._guard,
                                  args=(func, instance_id),
                                  name='lifecycle-composed-%s' % instance_id,
                                  daemon=True)
        thread.start()
        return thread

    def create(self, instance_id):
        """Start the create lifecycle of a recorded instance."""
        return self._dispatch(self._create, instance_id)

    def update(self, instance_id, changed):
        """Start applying ``changed`` attributes to an active instance."""
        return self._submit(lambda i: self._update(i, changed), instance_id)

    def destroy(self, instance_id):
        """Start disposing of an instance (it must be in ``destroy``)."""
        return self._dispatch(self._destroy, instance_id)

    def shutdown(self, wait=True):
        self._pool.shutdown(wait=wait, cancel_futures=not wait)

    def recover(self):
        """Resume or fail what a previous SM process left in progress.

        Instances being destroyed are disposed again; instances in any
        other busy state are failed with a reason saying so (their SO may
        be half-way: a DELETE disposes of them).
        """
        for row in self.store.in_states(states.BUSY):
            if row.state == states.DESTROY:
                LOG.info('resuming disposal of instance %s', row.id)
                self.destroy(row.id)
            else:
                self.store.transition(
                    row.id, states.FAILED,
                    reason='interrupted in state %s by an SM restart'
                    % row.state, expect={row.state})

    # helpers
    @property
    def cc(self):
        """An OCCI client of the CC, as ``[sm] service_project``.

        noauth: it also sends the local secret (``hurtle.local_secret``)
        as ``X-Auth-Token``, which the CC requires; only the CC gets it.
        """
        headers = self._auth_headers(self.conf.sm.service_project)
        if self.conf.auth_strategy != 'keystone':
            headers.update(local_secret.headers(self.conf.state_path))
        return _ComponentClient(
            'cloud controller (CC)', self.conf.sm.cc_url,
            headers=headers,
            verify=not self.conf.sm.insecure,
            timeout=self.conf.sm.phase_timeout,
            retries=self.conf.sm.call_retries)

    def _auth_headers(self, project):
        """Headers authenticating the SM towards the CC or another SM.

        noauth: ``X-Project-Id: project``. keystone: a token of the
        ``[service_credentials]`` (keystoneauth1 renews it), so that
        instances the SM creates elsewhere belong to its service project.
        """
        if self.conf.auth_strategy == 'keystone':
            if self._keystone is None:
                self._keystone = service_credentials.load_session(self.conf)
            return {'X-Auth-Token': self._keystone.get_token()}
        return {'X-Project-Id': project}

    def _so(self, row):
        if not row.so_url:
            raise PhaseError('the instance has no SO (it never started)')
        return _ComponentClient(
            'service orchestrator (SO)',
            row.so_url, headers={'X-Auth-Token': row.so_secret,
                                 'X-Tenant-Name': row.project},
            verify=not self.conf.sm.insecure,
            timeout=self.conf.sm.phase_timeout,
            retries=self.conf.sm.call_retries)

    def _current_so(self, row):
        """The row, with ``so_url`` where the SO serves now.

        The CC may have restarted the SO (after a CC restart, or a
        stop/start of its app) on another port: ask the CC, start the app
        again if it is not active, and record a changed URL.
        """
        if not row.app_url:
            return row
        try:
            app = self.cc.get(row.app_url)
            if app.attributes.get('occi.app.state') != 'active':
                self.cc.action(row.app_url, APP_START)
                app = self.cc.get(row.app_url)
        except errors.NotFound:
            return row  # the app is gone; the SO with it
        url = app.attributes.get('occi.app.url')
        if url and url != row.so_url:
            LOG.info('instance %s: SO moved to %s', row.id, url)
            self.store.transition(row.id, row.state, reason=row.reason,
                                  so_url=url)
            row = self.store.load(row.id)
        return row

    def _move(self, instance_id, state, **fields):
        if not self.store.transition(instance_id, state, **fields):
            raise PhaseError('instance vanished')
        return self.store.load(instance_id)

    def _fail(self, instance_id, reason):
        LOG.warning('instance %s failed: %s', instance_id, reason)
        self.store.transition(instance_id, states.FAILED, reason=reason)

    def _params(self, row, *phases):
        manifest = self.manifests.get(row.service)
        params = {}
        for phase in phases:
            if manifest is not None:
                params.update(manifest.params_for(phase))
        return params

    def _transient(self, call, deadline, phase):
        """``call()``, retried with backoff while it fails with 503 (an SO
        whose deployer is unreachable, or an SO or CC that cannot be
        reached) until ``deadline`` (``time.monotonic()``).

        :raises PhaseError: still failing at the deadline (the reason
            names the component, e.g. "orchestration service
            unreachable").
        """
        delay = self.conf.sm.poll_interval
        while True:
            try:
                return call()
            except errors.ServiceUnavailable as exc:
                if time.monotonic() + delay > deadline:
                    raise PhaseError('%s did not complete within %d s: %s'
                                     % (phase, self.conf.sm.phase_timeout,
                                        exc.message))
                LOG.info('%s: %s; retrying in %.1f s', phase, exc.message,
                         delay)
                time.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _wait_stack(self, so, phase, deadline=None):
        if deadline is None:
            deadline = time.monotonic() + self.conf.sm.phase_timeout
        while True:
            info = self._transient(lambda: so.get(SO_PATH), deadline, phase)
            state = str(info.attributes.get('occi.mcn.stack.state', ''))
            if state.endswith('_COMPLETE'):
                return info
            if state.endswith('_FAILED'):
                raise PhaseError('%s failed: stack %s: %s' % (
                    phase, state,
                    info.attributes.get('occi.mcn.stack.reason', '')))
            if time.monotonic() > deadline:
                raise PhaseError('%s did not complete within %d s (stack '
                                 'state %s)' % (phase,
                                                self.conf.sm.phase_timeout,
                                                state or 'unknown'))
            time.sleep(self.conf.sm.poll_interval)

    @staticmethod
    def _outputs(info):
        return {k: v for k, v in info.attributes.items()
                if k not in _NOT_OUTPUTS}

    def _run(self, instance_id, steps):
        try:
            for step in steps:
                step()
        except PhaseError as exc:
            self._fail(instance_id, str(exc))
        except errors.OCCIError as exc:
            self._fail(instance_id, exc.message)
        except ks_exc.ClientException as exc:
            self._fail(instance_id, 'Keystone authentication for the CC '
                                    'failed: %s' % type(exc).__name__)

    # create
    def _create(self, instance_id):
        row = self.store.load(instance_id)
        if row is None:
            return
        manifest = self.manifests[row.service]
        self._run(instance_id, [
            lambda: self._create_dependencies(instance_id, manifest),
            lambda: self._start_so(instance_id, manifest),
            lambda: self._activate(instance_id),
            lambda: self._phase(instance_id, states.DEPLOY, DEPLOY),
            lambda: self._phase(instance_id, states.PROVISION, PROVISION),
        ])

    def _dependency_client(self, row, url):
        return occi_client.OCCIClient(
            url, headers=self._auth_headers(row.project),
            verify=not self.conf.sm.insecure,
            timeout=self.conf.sm.phase_timeout,
            retries=self.conf.sm.call_retries)

    def _wait_dependency(self, client, location, service_type):
        deadline = time.monotonic() + self.conf.sm.phase_timeout
        while True:
            attrs = client.get(location).attributes
            state = attrs.get('mcn.service.state')
            if state == states.ACTIVE:
                return attrs
            if state == states.FAILED:
                raise PhaseError('dependency %s failed: %s' % (
                    service_type, attrs.get('mcn.service.state.reason', '')))
            if time.monotonic() > deadline:
                raise PhaseError('dependency %s not active within %d s'
                                 % (service_type,
                                    self.conf.sm.phase_timeout))
            time.sleep(self.conf.sm.poll_interval)

    def _create_dependencies(self, instance_id, manifest):
        if not manifest.depends_on:
            return
        created = {}   # service type -> attributes
        records = []
        for dep in manifest.depends_on:
            row = self.store.load(instance_id)
            try:
                url = self.catalogue.resolve(dep.service_type)
            except LookupError as exc:
                raise PhaseError(str(exc))
            inputs = dependency_inputs(dep, created)
            scheme, term = dep.service_type.rsplit('#', 1)
            client = self._dependency_client(row, url)
            location = client.create(url, occi_client.CategoryRef(
                scheme + '#', term, 'kind'), inputs)
            records.append({'service_type': dep.service_type,
                            'location': location})
            # Recorded before waiting, so that dispose finds it.
            self._move(instance_id, states.INITIALISE,
                       dependencies=list(records))
            created[dep.service_type] = self._wait_dependency(
                client, location, dep.service_type)
        self._move(instance_id, states.INITIALISE,
                   attributes=inherited_attributes(manifest, created))

    def _dispose_dependencies(self, row):
        for record in reversed(row.dependencies or []):
            client = self._dependency_client(row, record['location'])
            try:
                client.delete(record['location'])
            except errors.NotFound:
                continue
            deadline = time.monotonic() + self.conf.sm.phase_timeout
            while True:
                try:
                    attrs = client.get(record['location']).attributes
                except errors.NotFound:
                    break
                if attrs.get('mcn.service.state') == states.FAILED:
                    raise PhaseError('dependency %s could not be disposed: '
                                     '%s' % (record['location'], attrs.get(
                                         'mcn.service.state.reason', '')))
                if time.monotonic() > deadline:
                    raise PhaseError('dependency %s still exists after %d s'
                                     % (record['location'],
                                        self.conf.sm.phase_timeout))
                time.sleep(self.conf.sm.poll_interval)

    def _start_so(self, instance_id, manifest):
        row = self.store.load(instance_id)
        secret = secrets.token_urlsafe(32)
        env = {'HURTLE_SO_SECRET': secret,
               'HURTLE_INSTANCE_ID': instance_id,
               'HURTLE_PROJECT': row.project,
               'HURTLE_SO_TEMPLATES': json.dumps(
                   manifest.templates(self.conf.sm.region))}
        if not manifest.so_bundle:
            raise PhaseError('service %s has no so_bundle in its manifest'
                             % manifest.term)
        try:
            location = self.cc.create('/app/', APP, {
                'occi.app.name': '%s-%s' % (manifest.term, instance_id),
                'occi.app.image': manifest.so_bundle,
                'occi.app.env': json.dumps(env)})
            app = self.cc.get(location)
        except errors.OCCIError as exc:
            raise PhaseError('starting the SO failed: %s' % exc.message)
        so_url = app.attributes.get('occi.app.url')
        if not so_url:
            raise PhaseError('the CC started no SO (app state %s)'
                             % app.attributes.get('occi.app.state'))
        self._move(instance_id, states.INITIALISE, app_url=location,
                   so_url=so_url, so_secret=secret)

    def _activate(self, instance_id):
        row = self._move(instance_id, states.ACTIVATE)
        attributes = dict(row.attributes or {})
        attributes.update(self._params(row, 'initialise', 'activate'))
        self._so(row).put(SO_PATH, ORCHESTRATOR, attributes)

    def _phase(self, instance_id, state, action):
        row = self._move(instance_id, state)
        so = self._so(row)
        deadline = time.monotonic() + self.conf.sm.phase_timeout
        self._transient(lambda: so.action(SO_PATH, action,
                                          self._params(row, state)),
                        deadline, state)
        info = self._wait_stack(so, state, deadline)
        next_state = states.ACTIVE if state == states.PROVISION else state
        self._move(instance_id, next_state, attributes=self._outputs(info))

    # update
    def _update(self, instance_id, changed):
        def step():
            row = self._current_so(self.store.load(instance_id))
            so = self._so(row)
            attributes = dict(changed)
            attributes.update(self._params(row, 'update'))
            try:
                so.update(SO_PATH, ORCHESTRATOR, attributes)
            except errors.BadRequest as exc:
                # The SO refused the values before touching anything: the
                # instance stays active with its old attributes.
                self._move(instance_id, states.ACTIVE,
                           reason='update rejected: %s' % exc.message)
                return
            info = self._wait_stack(so, states.UPDATE)
            outputs = self._outputs(info)
            outputs.update(changed)
            self._move(instance_id, states.ACTIVE, attributes=outputs)
        self._run(instance_id, [step])

    # destroy
    def _destroy(self, instance_id):
        row = self.store.load(instance_id)
        if row is None:
            return
        try:
            row = self._current_so(row)
            if row.so_url:
                try:
                    self._so(row).delete(SO_PATH)
                except errors.NotFound:
                    pass  # never created, or disposed already
            if row.app_url:
                try:
                    self.cc.delete(row.app_url)
                except errors.NotFound:
                    pass
            self._dispose_dependencies(row)
        except errors.OCCIError as exc:
            self._fail(instance_id, 'dispose failed: %s (DELETE again to '
                                    'retry)' % exc.message)
            return
        except PhaseError as exc:
            self._fail(instance_id, 'dispose failed: %s (DELETE again to '
                                    'retry)' % exc)
            return
        self.store.purge(instance_id)
        LOG.info('instance %s disposed', instance_id)
