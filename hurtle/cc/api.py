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
"""The CC's OCCI ``app`` API (doc/source/contributor/cc-api.rst).

Kind ``app`` (``http://schemas.ogf.org/occi/platform#``) at ``/app/``:

* ``POST /app/`` with ``occi.app.name`` and ``occi.app.image`` (both
  required; the image is an SO bundle for the ``local`` runtime) and
  optional ``occi.app.env`` (a JSON object of strings) starts the SO and
  answers 201 once it serves; ``occi.app.state`` is then ``active`` and
  ``occi.app.url`` its SO API URL. A start failure answers 409 with the
  reason and keeps nothing.

  - ``occi.app.image`` must be registered (``hurtle.cc.images``: the
    ``so_bundle`` of a manifest in ``[sm] manifests``, or an entry of
    ``[cc] allowed_images``; paths compared by real path), else 403 and
    nothing is started.
  - ``occi.app.env`` may set only these keys (else 400 naming the key):
    ``HURTLE_SO_SECRET`` (the per-SO secret, required by the SO),
    ``HURTLE_INSTANCE_ID``, ``HURTLE_PROJECT``, ``HURTLE_SO_TEMPLATES``
    (JSON: the manifest's templates of the SM's region),
    ``HURTLE_SO_REGIONS`` (JSON: the templates of each region of a
    multi-region manifest),
    ``HURTLE_TRUST_ID`` (the instance's Keystone trust), plus the names in
    ``[cc] extra_env_keys``. The environment is stored encrypted and never
    rendered.
* ``POST`` or ``PUT /app/<id>`` may change ``occi.app.env`` only (for
  the SO's next start); a different ``occi.app.name`` or
  ``occi.app.image`` is a 400 (another spelling of the image's real
  path, such as ``/a/./so`` or a symbolic link to it, is no change).
* ``POST /app/<id>?action=stop`` / ``?action=start`` stop and restart it
  (409 when not applicable in the current state).
* ``DELETE /app/<id>`` deletes the alarms the SO defined through the
  CC's monitoring service (409 with the reason, and the app kept, if the
  monitoring service refuses), the stacks the SO made through the
  ``stack`` kind (:mod:`hurtle.cc.stacks`; waiting until Heat deleted
  them: 409 with the reason, and the app kept, if one cannot be), stops
  the SO (if it still runs) and removes the app. A runtime that cannot
  stop the SO (e.g. the Kubernetes API refuses the deletion) answers 409
  with the reason, and the app is kept. The DELETE answers once the app
  is recorded as being deleted and its SO was told to stop (SIGTERM on
  the ``local`` runtime): from then on a GET of it is 404, it is not
  listed, its SO's secret is refused, and its id stays taken (a create
  of it is 409) until the CC has waited for the SO's exit (SIGKILL
  after 10 s) and removed the app, on a thread of its own. A CC
  stopped or killed meanwhile finishes that at its next start.

  - Keystone mode: when the app has stack creates whose answer the CC
    lost (Heat may make those stacks later) made with its trust
    (``HURTLE_TRUST_ID``) within ``[cc] orphan_stack_window``, the CC
    keeps that trust to delete those stacks, and deletes it itself
    afterwards (:mod:`hurtle.cc.kept_trusts`). Its answer to this
    DELETE, and to any DELETE of that app id while it keeps the trust
    (a 404 once the app is gone), carries ``X-Hurtle-Trust-Kept:
    <trust id>`` (to a caller allowed ``hurtle:app:manage``, of the
    app's project): the SM then does not delete the trust.

``occi.app.state`` is one of:

* ``active``: the SO serves at ``occi.app.url``;
* ``inactive``: stopped by the ``stop`` action (``start`` brings it back);
* ``error``: the SO died, did not answer (killed by the watcher, ``[cc]
  so_liveness_failures``) or could not be started. The CC's watcher
  (``hurtle.cc.recovery.Watcher``) notices a dead SO within ``[cc]
  watch_interval`` seconds and restarts it, at most ``[cc]
  restart_attempts`` times with a doubling delay from ``[cc]
  restart_backoff``; after that the app stays ``error`` until a
  ``start`` action or a DELETE.

``hurtle.app.restarts`` (an integer) counts the restarts (attempts) the CC
made since the app was created or last started by a ``start`` action.
With a self-healing runtime (``kubernetes``: Kubernetes restarts a crashed
SO pod itself, and a hung one by its liveness probe) the CC never restarts
an SO: ``occi.app.state`` and ``hurtle.app.restarts`` are read from the
runtime on every GET (``error`` while the pod is not ready, the pod's
restart count), and a ``start`` of an app shown ``error`` whose SO is
still deployed waits for the runtime's restart before it replaces
anything.

Callers in the embedded default (``auth_strategy = noauth``) must send the
local secret as ``X-Auth-Token`` (``hurtle.local_secret``; 401 otherwise),
plus ``X-Project-Id``. Apps are scoped by project (404 for another
project's app) and persisted in ``[database] connection``; only the admin
role may use the API (``hurtle:app:manage`` in ``hurtle.policy``, else
403), listings (``GET /app/``, ``GET /``) included.
"""
import contextlib
import datetime
import json
import logging
import re
import threading

from occi import backend
import tenacity

from hurtle.cc import design
from hurtle.cc import images as app_images
from hurtle.cc import kept_trusts as trust_records
from hurtle.cc import monitoring
from hurtle.cc.monitoring import base as monitoring_base
from hurtle.cc.runtime import base as runtime_base
from hurtle.cc import stack_store
from hurtle.cc import stacks as stack_api
from hurtle.cc import store as app_store
from hurtle.occi import app as occi_app
from hurtle.occi import categories
from hurtle.occi import errors
from hurtle.occi import registry as occi_registry
from hurtle import policy

LOG = logging.getLogger(__name__)

#: App ids name SO log and state files: no path characters.
APP_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,35}$')


#: Environment keys an app may set (``HURTLE_SO_*`` read by hurtle-so).
ENV_KEYS = frozenset(['HURTLE_SO_SECRET', 'HURTLE_INSTANCE_ID',
                      'HURTLE_PROJECT', 'HURTLE_SO_TEMPLATES',
                      'HURTLE_SO_REGIONS', 'HURTLE_TRUST_ID'])

#: Attribute counting the CC's restarts of a dead SO.
RESTARTS = 'hurtle.app.restarts'


def parse_env(value, allowed=ENV_KEYS):
    """Parse ``occi.app.env``: a JSON object of strings, or empty.

    :param allowed: the keys it may hold.
    :raises hurtle.occi.errors.BadRequest: not a JSON object of strings
        (a number or a boolean is refused too: the SO would get its
        Python spelling), or a key not in ``allowed`` (the message names
        it).
    """
    if value in (None, ''):
        return {}
    if isinstance(value, dict):
        env = value
    else:
        try:
            env = json.loads(value)
        except (TypeError, ValueError):
            raise errors.BadRequest('occi.app.env must be a JSON object, '
                                    'e.g. {"KEY": "value"}')
    if not isinstance(env, dict):
        raise errors.BadRequest('occi.app.env must be a JSON object of '
                                'strings')
    not_strings = sorted(str(k)[:64] for k, v in env.items()
                         if not isinstance(v, str))
    if not_strings:
        raise errors.BadRequest('occi.app.env must be a JSON object of '
                                'strings; not a string: %s'
                                % ', '.join(not_strings))
    refused = sorted(str(k)[:64] for k in env if str(k) not in allowed)
    if refused:
        raise errors.BadRequest(
            'occi.app.env may not set %s: allowed keys are %s'
            % (', '.join(refused), ', '.join(sorted(allowed))))
    return {str(k): v for k, v in env.items()}


class AppBackend(backend.KindBackend, backend.ActionBackend):
    """Runs the SO of each ``app`` entity through the runtime driver.

    Changes of one app (API calls and the watcher's restarts) are
    serialised by a per-app lock, and written to the store under it.
    """

    def __init__(self, runtime, conf, store, images=None, stacks=None,
                 monitoring_driver=None, kept_trusts=None):
        """:param stacks: the ``StackBackend`` whose ``dispose_app``
            deletes an app's stacks with the app (None: none).
        :param monitoring_driver: the ``[monitoring] driver``
            (:class:`hurtle.cc.monitoring.base.MonitoringDriver`) whose
            alarms of an app are deleted with the app (None: none).
        :param kept_trusts: ``hurtle.cc.kept_trusts.KeptTrusts``, where a
            delete records the trust it keeps for the app's lost creates
            (None: none is kept)."""
        self.stacks = stacks
        self.kept_trusts = kept_trusts
        self.monitoring = monitoring_driver
        self.runtime = runtime
        self.conf = conf
        self.store = store
        self.images = (app_images.registered(conf) if images is None
                       else set(images))
        self.env_keys = ENV_KEYS | frozenset(
            k.strip() for k in conf.cc.extra_env_keys or [] if k.strip())
        # app id -> [lock, number of callers holding or waiting for it];
        # an entry goes with its last caller, so that apps created and
        # deleted leave nothing behind.
        self._locks = {}
        self._locks_lock = threading.Lock()
        # Ids of apps whose SO was started but whose record is not
        # written yet (the registry writes it after ``create``): a second
        # create of the id in between is refused instead of starting a
        # second SO that no record would name.
        self._creating = set()

    @contextlib.contextmanager
    def lock(self, app_id):
        """Context manager serialising changes of app ``app_id``."""
        with self._locks_lock:
            entry = self._locks.setdefault(app_id, [threading.Lock(), 0])
            entry[1] += 1
        try:
            with entry[0]:
                yield
        finally:
            with self._locks_lock:
                entry[1] -= 1
                if not entry[1]:
                    del self._locks[app_id]

    def known(self, app_id):
        """Whether app ``app_id`` exists (any project and state, one being
        deleted too) or is being created (its SO started, its record not
        written yet). Callers that act on it hold :meth:`lock`."""
        return app_id in self._creating or self.store.exists(app_id)

    def _authorize(self, extras):
        policy.authorize(self.conf, 'hurtle:app:manage', extras)

    def _image(self, image):
        """The registered form of ``image``; 403 if not registered."""
        registered = app_images.resolve(str(image or ''), self.images)
        if registered is None:
            raise errors.Forbidden(
                'occi.app.image %s is not a registered SO bundle or image '
                '(the so_bundle of a manifest in [sm] manifests, or [cc] '
                'allowed_images)' % str(image)[:256])
        return registered

    def _start(self, entity):
        attrs = entity.attributes
        image = self._image(attrs.get('occi.app.image'))
        try:
            url, ref = self._start_so(attrs['occi.core.id'], image,
                                      dict(entity.app_env))
        except runtime_base.RuntimeError_ as exc:
            raise errors.Conflict('cannot start app %s: %s'
                                  % (attrs.get('occi.app.name'), exc))
        entity.runtime_ref = ref
        attrs['occi.app.state'] = 'active'
        attrs['occi.app.url'] = url
        entity.actions = app_store.actions('active',
                                           self.runtime.self_healing)

    def _start_so(self, app_id, image, env):
        """``runtime.start``, again after ``[cc] start_retry_backoff``
        seconds (doubling) while the SO process ends before it answers
        (``SOExited``: e.g. killed right after its start), at most ``[cc]
        start_retries`` more times. The runtime removed what it kept of
        the dead one (pid and port files), so no two SOs of one app run.

        :returns: what ``runtime.start`` returns.
        :raises RuntimeError_: the start failed otherwise, or every
            attempt ended so (the last one's reason, and the count).
        """
        attempts = 1 + self.conf.cc.start_retries

        def before_sleep(state):
            LOG.warning('app %s: its SO ended before it answered (attempt '
                        '%d of %d), starting it again in %.1f s: %s',
                        app_id, state.attempt_number, attempts,
                        state.next_action.sleep,
                        state.outcome.exception())
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(runtime_base.SOExited),
            stop=tenacity.stop_after_attempt(attempts),
            wait=tenacity.wait_exponential(
                multiplier=self.conf.cc.start_retry_backoff, exp_base=2,
                min=self.conf.cc.start_retry_backoff),
            before_sleep=before_sleep, reraise=True)
        try:
            return retrying(self.runtime.start, app_id, image, env)
        except runtime_base.SOExited as exc:
            if attempts == 1:
                raise
            raise runtime_base.SOExited('%s; %d attempts, each ended so'
                                        % (exc, attempts))

    def _stop_so(self, entity):
        """Stop the app's SO; 409 with the runtime's reason if it cannot."""
        try:
            self.runtime.stop(getattr(entity, 'runtime_ref', None))
        except runtime_base.RuntimeError_ as exc:
            raise errors.Conflict('cannot stop app %s: %s'
                                  % (entity.attributes.get('occi.app.name'),
                                     exc))

    def _stop(self, entity):
        self._stop_so(entity)
        entity.runtime_ref = None
        entity.attributes['occi.app.state'] = 'inactive'
        entity.attributes['occi.app.url'] = ''
        entity.actions = [categories.APP_START]

    def create(self, entity, extras):
        self._authorize(extras)
        attrs = entity.attributes
        for name in ('occi.app.name', 'occi.app.image'):
            if not str(attrs.get(name) or '').strip():
                raise errors.BadRequest('%s is required' % name)
        app_id = entity.identifier[len(app_store.PREFIX):] if \
            entity.identifier.startswith(app_store.PREFIX) else ''
        if not APP_ID.match(app_id):
            raise errors.BadRequest(
                'apps are created at /app/<id>, with an id of 1 to 36 '
                'letters, digits, ".", "_" or "-" that starts with a letter '
                'or digit')
        self._image(attrs.get('occi.app.image'))
        entity.app_env = parse_env(attrs.pop('occi.app.env', None),
                                   self.env_keys)
        attrs['occi.core.id'] = app_id
        attrs[RESTARTS] = 0
        with self.lock(app_id):
            if app_id in self._creating or self.store.exists(app_id):
                # One being deleted too: its SO may still run.
                raise errors.Conflict('the app id %s is already in use'
                                      % app_id)
            self._start(entity)
            self._creating.add(app_id)
        LOG.info('app %s (%s) started at %s', attrs['occi.core.id'],
                 attrs['occi.app.name'], attrs['occi.app.url'])

    def after_create(self, entity, extras):
        """The record of a new app is written: its id is no longer
        claimed by :meth:`create`."""
        with self.lock(entity.attributes.get('occi.core.id')):
            self._creating.discard(entity.attributes.get('occi.core.id'))

    def create_failed(self, entity, extras):
        """The record of a new app could not be written: stop the SO that
        :meth:`create` started (this entity's own, not one a record
        names) and give the id back."""
        app_id = entity.attributes.get('occi.core.id')
        with self.lock(app_id):
            try:
                self._stop_so(entity)
            finally:
                self._creating.discard(app_id)

    def retrieve(self, entity, extras):
        self._authorize(extras)
        if self.runtime.self_healing:
            self._runtime_status(entity)
        elif (entity.attributes.get('occi.app.state') == 'active' and
                not self.runtime.is_running(entity.runtime_ref)):
            entity.attributes['occi.app.state'] = 'error'
            entity.actions = [categories.APP_START]

    def _runtime_status(self, entity):
        """State and restarts of a self-healing runtime's SO (shown, not
        stored): ``error`` while it is not ready, ``active`` again once
        the runtime restarted it; ``hurtle.app.restarts`` is the
        runtime's count."""
        attrs = entity.attributes
        if attrs.get('occi.app.state') not in ('active', 'error'):
            return
        recorded = attrs['occi.app.state']
        status = self.runtime.status(entity.runtime_ref)
        attrs['occi.app.state'] = ('active' if status.state == 'active'
                                   else 'error')
        attrs[RESTARTS] = status.restarts
        if recorded == 'active':
            # start: to wait for the runtime's restart (_back_by_itself).
            entity.actions = [categories.APP_STOP] + (
                [] if status.state == 'active' else [categories.APP_START])

    def authorize_list(self, extras):
        """A listing of apps follows ``hurtle:app:manage`` too.

        :raises Forbidden: the policy denies the caller (403).
        """
        self._authorize(extras)

    def update(self, old, new, extras):
        self._authorize(extras)
        for name in ('occi.app.name', 'occi.app.image'):
            given = new.attributes.get(name)
            if given is None or given == old.attributes.get(name):
                continue
            # Another spelling of the same real path is the same image.
            if name != 'occi.app.image' or not app_images.same(
                    given, old.attributes.get(name) or ''):
                raise errors.BadRequest(
                    '%s of app %s cannot be changed (it is %s); delete '
                    'the app and create it again' % (
                        name, old.attributes.get('occi.core.id'),
                        old.attributes.get(name)))
        if 'occi.app.env' in new.attributes:
            old.app_env = parse_env(new.attributes['occi.app.env'],
                                    self.env_keys)

    replace = update

    def delete(self, entity, extras):
        self._authorize(extras)
        app_id = entity.attributes.get('occi.core.id')
        with self.lock(app_id):
            self._creating.discard(app_id)
            # The record as it is now: ``entity`` was read before the lock,
            # and the watcher may have restarted the SO meanwhile (a new
            # pid), which must be the one stopped.
            row = self.store.row(app_id)
            if row is not None and row.state == app_store.DELETING:
                # A DELETE that came while another one was answered: the
                # SO is told to stop already.
                return
            if row is not None:
                entity.runtime_ref = app_store.to_entity(row).runtime_ref
            # Alarms first: a failure leaves the app (and its SO, which
            # defined them) in place, so the delete can be retried.
            self._delete_alarms(app_id)
            if self.stacks is not None:
                self.stacks.dispose_app(app_id, entity.app_env)
            ref = getattr(entity, 'runtime_ref', None)
            # Recorded before the SO is signalled: a CC that dies from
            # here on finishes the stop at its next start.
            self.store.mark_deleting(app_id)
            if self.stacks is not None:
                # Stacks its SO created while dispose_app ran.
                self.stacks.leftovers(app_id, entity.app_env)
            kept = self._keep_trust(app_id, entity.app_env,
                                    row.project if row is not None
                                    else extras.get('project'))
            try:
                stopping = self.runtime.begin_stop(ref)
            except runtime_base.RuntimeError_ as exc:
                if row is not None:   # kept as it was
                    self.store.update(entity.identifier,
                                      app_store.to_entity(row), extras)
                if kept is not None:
                    self.kept_trusts.forget(kept)
                raise errors.Conflict('cannot stop app %s: %s'
                                      % (entity.attributes.get(
                                          'occi.app.name'), exc))
            if stopping:
                threading.Thread(target=self._finish_delete,
                                 args=(app_id, ref), daemon=True,
                                 name='app-delete-%s' % app_id).start()
                LOG.info('app %s removed; its SO is stopping', app_id)
                return
            self._removed(app_id)
        LOG.info('app %s stopped and removed', app_id)

    def _keep_trust(self, app_id, env, project):
        """Record that the CC deletes the trust of app ``app_id`` (``env``'s
        ``HURTLE_TRUST_ID``, ``project``: the app's) when the app has
        lost creates made with it within ``[cc] orphan_stack_window``
        and ``[cc] orphan_stack_interval`` is not 0 (the sweeper runs)
        (``hurtle.cc.kept_trusts``). A record that cannot be written is
        logged (the SM then deletes the trust, as before).

        :returns: the record's id, or None (not kept).
        """
        trust_id = (env or {}).get('HURTLE_TRUST_ID')
        if not trust_id or self.stacks is None or \
                self.kept_trusts is None or \
                not self.conf.cc.orphan_stack_interval:
            # No sweeper (interval 0) would ever delete it.
            return None
        since = trust_records.utcnow() - datetime.timedelta(
            seconds=self.conf.cc.orphan_stack_window)
        try:
            lost = self.stacks.store.lost_of(app_id)
            if not trust_records.keeps(lost, trust_id, since):
                return None
            kept = self.kept_trusts.keep(app_id, project, trust_id)
        except Exception:
            LOG.exception('app %s: the trust its lost creates need could '
                          'not be kept; its stacks Heat makes later may '
                          'stay', app_id)
            return None
        LOG.info('app %s: its trust is kept for its lost stack creates; '
                 'the CC deletes it once they are done with', app_id)
        return kept

    def _removed(self, app_id):
        """Forget app ``app_id`` whose SO is gone: what the runtime keeps
        of it (an SO killed in mid-delete never removed its state file)
        and its row (under the app's lock: the watcher never restarts
        it)."""
        self.runtime.forget(app_id)
        self.store.purge(app_id)

    def _finish_delete(self, app_id, ref):
        """The rest of a DELETE answered while the SO of app ``app_id``
        (``ref``) still stopped: wait for its exit (the runtime's
        ``stop``), then remove the app. A failure leaves the app
        ``deleting`` (logged): the CC's next start finishes it
        (:meth:`recover`)."""
        try:
            self.runtime.stop(ref)
            with self.lock(app_id):
                self._removed(app_id)
        except Exception:   # a thread of its own: nobody else to tell
            LOG.exception('app %s: its SO could not be stopped; the CC '
                          'finishes the delete at its next start', app_id)
            return
        LOG.info('app %s: its SO stopped', app_id)

    def finish_deletes(self):
        """Finish the deletes a CC that stopped left (apps recorded
        ``deleting``: CC start-up, after the runtime's ``reconcile``):
        stop each SO (if it still runs) and remove the app.

        :returns: the number of apps removed.
        """
        removed = 0
        for row in self.store.all_rows():
            if row.state != app_store.DELETING:
                continue
            with self.lock(row.id):
                try:
                    self.runtime.stop(app_store.runtime_ref(row))
                except runtime_base.RuntimeError_ as exc:
                    LOG.error('app %s: its SO could not be stopped (%s); '
                              'the app stays deleting until the next '
                              'start', row.id, exc)
                    continue
                self._removed(row.id)
            LOG.info('app %s: delete finished (it was interrupted by a '
                     'stop of the CC)', row.id)
            removed += 1
        return removed

    def _delete_alarms(self, app_id):
        """Delete the alarms app ``app_id``'s SO defined.

        :raises hurtle.occi.errors.Conflict: the monitoring service
            refused or could not be reached (its reason in the message).
        """
        if self.monitoring is None:
            return
        try:
            self.monitoring.delete_app(app_id)
        except monitoring_base.MonitoringError as exc:
            raise errors.Conflict('cannot delete the alarms of app %s: %s'
                                  % (app_id, exc))

    def action(self, entity, action, attributes, extras):
        self._authorize(extras)
        with self.lock(entity.attributes.get('occi.core.id')):
            current = self.store.get(entity.identifier, extras)
            if current is not None:
                entity.attributes.update(current.attributes)
                entity.runtime_ref = current.runtime_ref
            state = entity.attributes.get('occi.app.state')
            if action == categories.APP_STOP:
                if state != 'active':
                    raise errors.Conflict('app is %s, not active' % state)
                self._stop(entity)
            elif action == categories.APP_START:
                running = state == 'active' and self.runtime.is_running(
                    entity.runtime_ref)
                if running and not self.runtime.self_healing:
                    raise errors.Conflict('app is active already')
                if not (running and self._back_by_itself(entity)):
                    self._stop_so(entity)
                    self._start(entity)
                    entity.attributes[RESTARTS] = 0
            else:
                raise errors.BadRequest('unknown action %s' % action)
            self.store.update(entity.identifier, entity, extras)

    def _back_by_itself(self, entity):
        """A ``start`` of an app recorded active whose SO a self-healing
        runtime keeps deployed: True once the runtime's own restart of
        the SO (Kubernetes: a crashed container, or one that failed its
        liveness probe) made it serve again, waited for up to ``[cc]
        so_start_timeout`` seconds (``Runtime.await_restart``); False
        when it did not (the start then replaces the SO).

        Replacing it instead would throw away the restart under way and
        what the pod keeps (the ``emptyDir`` state of a ``bundle.json``
        SO): the SM sends ``start`` when it finds the app not active.

        :raises Conflict: the SO serves already (``app is active
            already``).
        """
        app_id = entity.attributes.get('occi.core.id')
        if self.runtime.status(entity.runtime_ref).state == 'active':
            raise errors.Conflict('app is active already')
        LOG.info('app %s: start asked while the runtime restarts its SO: '
                 'waiting for that restart', app_id)
        if self.runtime.await_restart(entity.runtime_ref):
            return True
        LOG.warning('app %s: its SO did not come back within %d s: '
                    'starting it anew', app_id,
                    self.conf.cc.so_start_timeout)
        return False

    # -- the watcher's side (hurtle.cc.recovery) ------------------------
    def check(self, app_id, schedule, seen=None):
        """Notice a dead SO of app ``app_id`` and restart it when due.

        :param schedule: ``hurtle.cc.recovery.Schedule`` of restarts.
        :param seen: the app's ``state`` and ``runtime_ref`` as just read
            (a row of ``AppStore.states``), or None: an active app whose
            SO is running, the usual case, is then done with without
            reading (and decrypting) its whole record.
        :returns: ``'died'``, ``'restarted'``, ``'failed'`` (an attempt
            failed), ``'exhausted'`` (no attempt left) or None (nothing
            to do).
        """
        if self.runtime.self_healing:
            return None  # the runtime restarts its SOs itself
        if seen is not None and seen.state == 'active' and \
                self.runtime.is_running(app_store.runtime_ref(seen)):
            schedule.forget(app_id)
            return None
        with self.lock(app_id):
            row = self.store.row(app_id)
            if row is None or row.state not in ('active', 'error'):
                schedule.forget(app_id)
                return None
            entity = app_store.to_entity(row)
            extras = {'project': row.project}
            attrs = entity.attributes
            if row.state == 'active':
                if self.runtime.is_running(entity.runtime_ref):
                    schedule.forget(app_id)
                    return None
                LOG.warning('app %s: its SO (%s) died', app_id,
                            attrs.get('occi.app.name'))
                self._record_down(entity, extras, schedule)
                return 'died'
            if attrs[RESTARTS] >= self.conf.cc.restart_attempts:
                if schedule.give_up(app_id):
                    LOG.error('app %s: SO not restarted after %d attempts; '
                              'the app stays in state error', app_id,
                              attrs[RESTARTS])
                return 'exhausted'
            if not schedule.due(app_id, attrs[RESTARTS]):
                return None
            attrs[RESTARTS] += 1
            # Dead, or killed for not answering: no grace to give (a
            # shared SO host that does not answer goes with it).
            self.runtime.kill(entity.runtime_ref)
            entity.runtime_ref = None
            try:
                self._start(entity)
            except errors.OCCIError as exc:
                LOG.error('app %s: restart %d of %d failed: %s', app_id,
                          attrs[RESTARTS], self.conf.cc.restart_attempts,
                          exc.message)
                self.store.update(entity.identifier, entity, extras)
                schedule.noticed(app_id, attrs[RESTARTS])
                return 'failed'
            LOG.info('app %s: SO restarted at %s (restart %d)', app_id,
                     attrs['occi.app.url'], attrs[RESTARTS])
            self.store.update(entity.identifier, entity, extras)
            schedule.forget(app_id)
            return 'restarted'

    def _record_down(self, entity, extras, schedule):
        """Record the app of ``entity`` (an active app whose SO is gone)
        in state ``error``, its restart scheduled (``schedule``)."""
        attrs = entity.attributes
        attrs['occi.app.state'] = 'error'
        attrs['occi.app.url'] = ''
        entity.actions = [categories.APP_START]
        self.store.update(entity.identifier, entity, extras)
        schedule.noticed(attrs['occi.core.id'], attrs[RESTARTS])

    def kill_unanswering(self, app_id, ref, reason, schedule):
        """The SO of app ``app_id`` runs but does not answer (the
        watcher's liveness probe, :mod:`hurtle.cc.liveness`): kill it
        (``Runtime.kill``) and record its app in state ``error``, to be
        restarted as a dead SO is (:meth:`check`, ``[cc] restart_*``).
        Logged at WARNING with the app id and ``reason``.

        :param ref: the runtime reference of the SO probed: nothing is
            done if the app records another one now (restarted, stopped
            or deleted meanwhile) or is no longer ``active``.
        :param reason: why (a sentence, no secret).
        :param schedule: ``hurtle.cc.recovery.Schedule`` of restarts.
        :returns: ``'hung'`` (killed), or None (nothing done).
        """
        with self.lock(app_id):
            row = self.store.row(app_id)
            if row is None or row.state != 'active' or \
                    app_store.runtime_ref(row) != ref:
                return None
            entity = app_store.to_entity(row)
            LOG.warning('app %s: its SO (%s) runs but %s: killing it to '
                        'restart it', app_id,
                        entity.attributes.get('occi.app.name'), reason)
            try:
                self.runtime.kill(entity.runtime_ref)
            except runtime_base.RuntimeError_ as exc:
                LOG.error('app %s: cannot kill its SO: %s', app_id, exc)
                return None
            self._record_down(entity, {'project': row.project}, schedule)
            return 'hung'

    def recover(self, stop=None):
        """CC start-up: let the runtime adopt the SOs of the recorded apps
        that still run and stop those no app records
        (``Runtime.reconcile``: a CC killed while starting an SO leaves
        one), finish the deletes a stopped CC left (:meth:`finish_deletes`),
        then restart every ``active`` app whose SO no longer runs.

        An app that cannot be restarted is recorded in state ``error``
        (the watcher, ``hurtle.cc.recovery.Watcher``, retries it).

        :param stop: a ``threading.Event``: once set (the CC is asked to
            stop), no further app is restarted.
        :returns: the number of apps restarted.
        """
        rows = self.store.all_rows()
        self.runtime.reconcile({row.id: app_store.runtime_ref(row)
                                for row in rows})
        self.finish_deletes()
        restarted = 0
        for done, row in enumerate(rows):
            if stop is not None and stop.is_set():
                LOG.info('stop requested: %d app(s) left for the next '
                         'start', len(rows) - done)
                break
            restarted += bool(self.restart_if_gone(row))
        return restarted

    def restart_if_gone(self, row):
        """Start again the SO of an ``active`` app whose SO is gone (CC
        start-up: the SO died, or stopped with the previous CC); an SO
        still running is kept. Failures leave the app in state
        ``error``, for the watcher.

        :returns: True if restarted.
        """
        with self.lock(row.id):
            row = self.store.row(row.id)
            if row is None or row.state != 'active':
                return False
            entity = app_store.to_entity(row)
            if self.runtime.is_running(entity.runtime_ref):
                return False
            extras = {'project': row.project}
            try:
                self._start(entity)
                restarted = True
                LOG.info('app %s restarted at %s', row.id,
                         entity.attributes['occi.app.url'])
            except errors.OCCIError as exc:
                restarted = False
                LOG.error('app %s could not be restarted: %s', row.id,
                          exc.message)
                entity.attributes['occi.app.state'] = 'error'
                entity.attributes['occi.app.url'] = ''
                entity.runtime_ref = None
            self.store.update(entity.identifier, entity, extras)
            return restarted


def make_application(conf, deployer_factory=None, stack_events=None):
    """Build the CC's OCCI WSGI application (no auth middleware): the
    ``app`` kind, the ``stack`` kind (:mod:`hurtle.cc.stacks`) and the
    design service's ``service`` kind (:mod:`hurtle.cc.design`).

    :param deployer_factory: see :class:`hurtle.cc.stacks.StackBackend`.
    :param stack_events: the ``hurtle.cc.stack_events.Hub`` the stack
        kind waits on (None: a hub of its own, fed by nobody).
    Returns ``(application, backend)`` (the ``AppBackend``).
    :raises hurtle.drivers.UnknownDriver: ``[cc] runtime`` or
        ``[monitoring] driver`` names no installed driver.
    :raises ValueError: a bad ``[design] services`` entry.
    """
    runtime = runtime_base.load(conf.cc.runtime, conf)
    store = app_store.AppStore(conf.database.connection,
                               self_healing=runtime.self_healing)
    stacks = stack_store.StackStore(conf.database.connection)
    services = design.ServiceStore(conf, design.DesignCatalogue(conf))
    application = occi_app.Application(occi_registry.Registry(
        occi_registry.PrefixStore({app_store.PREFIX: store,
                                   stack_store.PREFIX: stacks,
                                   design.PREFIX: services})))
    application.read_only = (design.PREFIX,)
    stack_backend = stack_api.StackBackend(conf, stacks, deployer_factory,
                                           events=stack_events)
    kept = trust_records.KeptTrusts(conf.database.connection)
    app_backend = AppBackend(runtime, conf, store, stacks=stack_backend,
                             monitoring_driver=monitoring.load(conf),
                             kept_trusts=kept)
    application.answer_hooks.append(trust_records.answer_hook(conf, kept))
    for category in (categories.APP, categories.APP_START,
                     categories.APP_STOP):
        application.register_backend(category, app_backend)
    application.register_backend(categories.STACK, stack_backend)
    application.register_backend(categories.SERVICE,
                                 design.ServiceBackend(conf))
    return application, app_backend
