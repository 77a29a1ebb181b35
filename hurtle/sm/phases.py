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
"""The phases of the create, update and destroy of an instance.

Each is work for ``hurtle.sm.scheduling.Scheduler``: it gets the
``Operation``, writes every transition through it (before the phase's
work starts and after it ends) and can be repeated (the SO answers where
it stands), so a restarted SM resumes what was in progress. What the
phases call is described in ``hurtle.sm.lifecycle``.
"""
import json
import logging
import secrets
import time

from hurtle.conf import deployer as deployer_conf
from hurtle import keystone_trusts
from hurtle.occi import categories
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle import polling
from hurtle.sdk import deployer as deployer_api
from hurtle.sdk import regions as sdk_regions
from hurtle.sm import scheduling
from hurtle.sm import so_client
from hurtle.sm import so_wait
from hurtle.sm import states
from hurtle.sm import trusts

LOG = logging.getLogger(__name__)

SO_PATH = so_client.SO_PATH
APP = occi_client.CategoryRef(categories.APP_SCHEME, 'app', 'kind')
#: How the reason of an update still pending begins (:func:`pending_reason`).
PENDING_PREFIX = 'update pending'


def pending_reason(why, seconds):
    """``mcn.service.state.reason`` of an update given up on after
    ``seconds`` because the CC or the SO was unavailable (``why``)
    and sent again once the SO answers: ``update pending after 30 s:
    service orchestrator (SO) does not answer; sent again once the SO
    answers``."""
    return '%s after %d s: %s; sent again once the SO answers' % (
        PENDING_PREFIX, round(seconds), why)


def templates_env(manifest, sm_region):
    """The SO's environment naming its templates.

    ``HURTLE_SO_TEMPLATES``: JSON ``{"deployment": path, "provision":
    path}`` of ``sm_region`` (``[sm] region``), or, for a manifest listing
    ``regions`` without it, of the first region listed (an SO unaware of
    regions deploys that one). ``HURTLE_SO_REGIONS``, only for a manifest
    listing ``regions``: JSON ``{region: {"deployment": path, ...}}`` in
    the manifest's order.
    """
    region = sm_region
    if manifest.multi_region and sm_region not in manifest.regions:
        region = manifest.regions[0]
    env = {'HURTLE_SO_TEMPLATES': json.dumps(manifest.templates(region))}
    if manifest.multi_region:
        env['HURTLE_SO_REGIONS'] = json.dumps(manifest.regional_templates())
    return env


def _busy(so):
    """Whether the stack of ``so`` (a :class:`so_client.FollowedSO` or
    None) is ``*_IN_PROGRESS``, or the SO cannot tell now (unavailable)."""
    if so is None:
        return False
    try:
        return so_client.stack_state(so.get(SO_PATH)).endswith(
            '_IN_PROGRESS')
    except errors.ServiceUnavailable:
        return True
    except errors.OCCIError:
        return False


class Phases(object):
    """The create, update and destroy work of instances.

    :param conf: oslo.config object (``[sm]`` options).
    :param store: the ``InstanceStore``.
    :param manifests: ``{term: Manifest}``.
    :param peers: ``hurtle.sm.peers.Peers``.
    :param composition: ``hurtle.sm.composition.Composition``.
    """

    def __init__(self, conf, store, manifests, peers, composition):
        self.conf = conf
        self.store = store
        self.manifests = manifests
        self.peers = peers
        self.composition = composition
        self.so_calls = so_client.SOCalls(conf, peers)

    def _params(self, row, *phases):
        manifest = self.manifests.get(row.service)
        params = {}
        for phase in phases:
            if manifest is not None:
                params.update(manifest.params_for(phase))
        return params

    # create
    def create(self, op, start=states.INITIALISE):
        """Run the create phases from ``start`` (a state of
        ``states.CREATE_ORDER``) to ``active``."""
        row = op.row()
        manifest = self.manifests[row.service]
        steps = [(states.INITIALISE, self.composition.create_dependencies),
                 (states.INITIALISE, self._start_so),
                 (states.ACTIVATE, self._activate),
                 (states.DEPLOY, self._deploy),
                 (states.PROVISION, self._provision)]
        first = states.CREATE_ORDER.index(start)
        known = None
        for state, step in steps:
            if states.CREATE_ORDER.index(state) < first:
                continue
            if state == states.PROVISION:
                # The deploy's last answer of the SO, when it ran now.
                step(op, manifest, known=known)
            else:
                known = step(op, manifest)

    def _start_so(self, op, manifest):
        """Start (or find again) the SO's app at ``<cc>/app/<instance id>``.

        The app's URL and the SO's secret are recorded before the CC is
        asked, so an SM killed meanwhile finds the app by that id. A CC
        answering 503 (busy: its pool of connections full) is asked again
        every ``[sm] poll_interval`` seconds until ``[sm] phase_timeout``
        (``SOCalls.transient``), and so is a CC that cannot be reached
        (down, or not yet listening after a restart); at the deadline the
        phase fails with the last reason.
        """
        if not manifest.so_bundle:
            raise scheduling.PhaseError('service %s has no so_bundle in its '
                                        'manifest' % manifest.term)
        row = op.row()
        cc = self.peers.cc()
        fresh = not (row.app_url and row.so_secret)
        if fresh:
            row = op.move(states.INITIALISE,
                          app_url=cc.url('/app/%s' % row.id),
                          so_secret=secrets.token_urlsafe(32))
        env = {'HURTLE_SO_SECRET': row.so_secret,
               'HURTLE_INSTANCE_ID': row.id,
               'HURTLE_PROJECT': row.project}
        env.update(templates_env(manifest, self.conf.sm.region))
        trust_id = (row.attributes or {}).get(trusts.ATTRIBUTE)
        if trust_id:
            env['HURTLE_TRUST_ID'] = trust_id

        reached = []

        def start():
            try:
                app = so_wait.shown(
                    op, states.INITIALISE, so_wait.CC_START,
                    lambda: self._start_app(cc, row, manifest, env),
                    on_abandon=self.peers.retire_session, creates=True)
            except errors.ConnectionFailed as exc:
                # The CC is down or restarting (it starts after the SM in
                # hurtle-all): asked again until the phase deadline, as an
                # unreachable SO or Heat is.
                raise errors.ServiceUnavailable(exc.message)
            except errors.ServiceUnavailable as exc:
                # The CC answers 503 (its pool of connections is full, or
                # it cannot serve for now): asked again as well.
                reached.append(True)
                raise errors.ServiceUnavailable(
                    'the cloud controller (CC) answers 503: %s'
                    % exc.message)
            except errors.OCCIError as exc:
                reached.append(True)
                raise scheduling.PhaseError('starting the SO failed: %s'
                                            % exc.message)
            reached.append(True)
            return app
        try:
            app = self.so_calls.transient(op, None, start,
                                          states.INITIALISE)
        except scheduling.PhaseError:
            if fresh and not reached:
                # The CC was never reached: it has no app of this
                # instance, and the instance's delete has none to stop.
                op.move(states.INITIALISE, app_url=None, so_secret=None)
            raise
        # The start's answer is the app as it is now: not asked again.
        row = self.so_calls.current(op, row, app=app)
        if not row.so_url:
            raise scheduling.PhaseError(
                'the CC started no SO (app state %s)'
                % app.attributes.get('occi.app.state'))

    @staticmethod
    def _start_app(cc, row, manifest, env):
        """The CC's app of ``row`` (``EntityInfo``), asked for at
        ``row.app_url`` and started there when it is not found.

        :raises PhaseError: the CC could not start it (its 409 says why).
        :raises hurtle.occi.errors.OCCIError: the CC failed.
        """
        # An unreachable CC (ConnectionFailed) is asked again with the
        # same app URL and secret, recorded before (the phase's retries,
        # or a resume after a restart): they are kept.
        try:
            return cc.get(row.app_url)   # started by an earlier attempt
        except errors.NotFound:
            pass
        try:
            cc.put(row.app_url, APP, {
                'occi.app.name': '%s-%s' % (manifest.term, row.id),
                'occi.app.image': manifest.so_bundle,
                'occi.app.env': json.dumps(env)})
        except errors.Conflict as exc:
            # Started meanwhile by a concurrent attempt (the app exists),
            # or the CC could not start it (it keeps nothing: the 409
            # says why).
            try:
                cc.get(row.app_url)
            except errors.NotFound:
                raise scheduling.PhaseError(
                    'starting the SO failed: %s' % exc.message)
        return cc.get(row.app_url)

    def _activate(self, op, manifest):
        row = op.move(states.ACTIVATE)
        attributes = dict(row.attributes or {})
        attributes.pop(trusts.ATTRIBUTE, None)
        attributes.update(self._params(row, 'initialise', 'activate'))
        so = self.so_calls.follow(op, row)

        def put():
            try:
                so.put(SO_PATH, so_client.ORCHESTRATOR, attributes)
            except errors.Conflict:
                LOG.info('instance %s: SO initialised already', row.id)
        self.so_calls.transient(op, so, put, states.ACTIVATE)

    def _deploy(self, op, manifest):
        row = op.move(states.DEPLOY)
        so = self.so_calls.follow(op, row)

        def current_stack_id():
            return self.so_calls.transient(
                op, so, lambda: so.get(SO_PATH),
                states.DEPLOY).attributes.get('occi.mcn.stack.id')

        recorded = {}

        def record_stack_id(info):
            # Recorded as soon as a look shows it: a DELETE can dispose
            # of the stack by id.
            stack_id = info.attributes.get('occi.mcn.stack.id')
            if stack_id and stack_id != recorded.get('id'):
                op.move(states.DEPLOY, attributes={'occi.mcn.stack.id':
                                                   stack_id})
                recorded['id'] = stack_id
        # Not deployed yet (a repeated deploy is no error either).
        look = self.so_calls.request_and_wait(
            op, so, states.DEPLOY, lambda: so.action(
                SO_PATH, so_client.DEPLOY, self._params(row, states.DEPLOY)),
            requested=bool(current_stack_id()), on_look=record_stack_id)
        so_client.require_complete(look.info, states.DEPLOY)
        op.move(states.DEPLOY, attributes=so_client.outputs(look.info))
        return look

    def _provision(self, op, manifest, known=None):
        """Provision: the SO's ``provision``, then its stack at rest.

        :param known: the deploy phase's last look at the SO (its answer
            and ``ETag``) when the deploy ran just before: it says the
            provision is not requested yet and starts the wait. Without
            it (a create resumed at ``provision``) the SO is asked.
        """
        row = op.move(states.PROVISION)
        so = self.so_calls.follow(op, row)
        # Not requested yet unless the stack is UPDATE_* (a provision
        # updates it).
        if known is None:
            current = self.so_calls.transient(
                op, so, lambda: so.get(SO_PATH), states.PROVISION)
        else:
            current = known.info
        info = self.so_calls.request_and_wait(
            op, so, states.PROVISION, lambda: so.action(
                SO_PATH, so_client.PROVISION,
                self._params(row, states.PROVISION)),
            requested=so_client.stack_state(current).startswith('UPDATE_'),
            known=known).info
        so_client.require_complete(info, states.PROVISION)
        op.move(states.ACTIVE, attributes=so_client.outputs(info),
                reason=so_client.dns_reason(info))

    # update
    def update(self, op, changed, resumed=False):
        """Send the instance's pending attributes to the SO and wait for
        its stack; back to ``active`` with them recorded, or with a
        reason when they were refused or rolled back.

        What is sent is the record's ``pending`` (what ``begin``
        recorded with the operation: ``changed``, merged with the values
        of an update still pending), else ``changed``.

        Until ``[sm] phase_timeout`` an unreachable CC or SO (or one
        answering 503) is tried again every ``[sm] poll_interval``
        seconds, so a CC or SO being restarted only delays the update,
        and an SM stopping meanwhile leaves it, with its pending
        attributes, for the next start. Should the deadline pass, or the
        SO stop answering while its stack is waited for, the update is
        *pending* (:func:`pending_reason`): ``degraded``, its values kept,
        and the SO watcher sends them again once the SO answers
        (``hurtle.sm.watcher``), since an SO that did not answer may
        still apply them (the stack's values are not known). Only when
        the SO is gone for good before anything reached it is the update
        dropped: ``degraded`` with "update not applied: ...".

        A stack whose update failed only because Heat's engine went down
        is updated again, at most ``so_client.INTERRUPTED_RETRIES``
        times.

        :param resumed: the update was begun before (resumed after a
            restart, or sent again by the watcher): the SO may have its
            values already.
        """
        asked = op.row().pending
        # Values an earlier operation may have sent: never "not applied".
        seen = {'start': time.monotonic(),
                'sent': resumed or asked not in (None, changed)}
        changed = asked or changed
        try:
            for attempt in range(so_client.INTERRUPTED_RETRIES + 1):
                so = self._send_update(op, changed, seen)
                if so is None:
                    return
                info = self.so_calls.wait_stack(op, so, states.UPDATE)
                if not so_client.interrupted(info) or \
                        attempt == so_client.INTERRUPTED_RETRIES:
                    break
                LOG.warning('instance %s, update: stack %s: %s; sending '
                            'the update again', op.instance_id,
                            so_client.stack_state(info),
                            so_client.stack_reason(info))
        except so_client.Unanswered as exc:
            self._pending(op, exc.why, seen)
            return
        state = so_client.stack_state(info)
        if state.startswith('ROLLBACK_') and state.endswith('_COMPLETE'):
            op.move(states.ACTIVE, reason='update rolled back: %s'
                    % (so_client.stack_reason(info) or state), pending=None,
                    attributes=so_client.outputs(info))
            return
        so_client.require_complete(info, states.UPDATE)
        outputs = so_client.outputs(info)
        outputs.update(changed)
        op.move(states.ACTIVE, attributes=outputs, pending=None,
                reason=so_client.dns_reason(info))

    @staticmethod
    def _pending(op, why, seen):
        """End the update ``degraded``, its values kept as pending."""
        reason = pending_reason(why, time.monotonic() - seen['start'])
        LOG.warning('instance %s: %s', op.instance_id, reason)
        op.move(states.DEGRADED, reason=reason)

    def _send_update(self, op, changed, seen):
        """Send ``changed`` to the instance's SO (after a stack still busy
        from an earlier attempt is at rest); return the
        :class:`so_client.FollowedSO`, or None once the instance was moved
        (refused: ``active``; pending or not applied: ``degraded``, see
        :meth:`update`).

        An SO that takes the requests but answers nothing (stopped,
        hung) is asked no longer than the deadline either (each request
        waits at most ``[sm] call_timeout`` seconds, none past the
        deadline).

        :param seen: the update's notes (``start``: its
            ``time.monotonic()``): ``sent`` is set once a request
            carrying the values went out without a clear answer (the SO
            may have passed them on).
        :raises Superseded: another operation took over, or the SM stops
            (the operation is then resumed with its pending attributes).
        """
        deadline = time.monotonic() + self.conf.sm.phase_timeout

        def attempt():
            row = op.row()
            so = None
            try:
                row = self.so_calls.current(op, row)
                so = self.so_calls.follow(op, row, deadline=deadline)
                if so_client.stack_state(so.get(SO_PATH)).endswith(
                        '_IN_PROGRESS'):
                    # A resumed update may find the stack still busy.
                    self.so_calls.wait_stack(op, so, states.UPDATE)
                attributes = dict(changed)
                attributes.update(self._params(row, 'update'))
                try:
                    so.update(SO_PATH, so_client.ORCHESTRATOR, attributes)
                except errors.ConnectionFailed:
                    # Sent, or cut while sending: it may have arrived.
                    seen['sent'] = True
                    raise
                so.deadline = None   # the wait for the stack has its own
                return (so,)
            except errors.Conflict as exc:
                if not (seen.get('sent') and _busy(so)):
                    raise
                # The stack is busy, perhaps with the values sent before
                # (an SO that did not answer took them): once it is at
                # rest, they are sent again.
                seen['why'] = so_client.message(exc)
                LOG.info('instance %s, update: %s; trying again',
                         op.instance_id, seen['why'])
                return None
            except errors.ServiceUnavailable as exc:
                # The CC or the SO cannot be reached (or answers 503):
                # most likely restarting; the deadline decides.
                seen['why'] = so_client.message(exc)
                LOG.info('instance %s, update: %s; trying again',
                         op.instance_id, seen['why'])
                return None
        try:
            return polling.poll_until(
                attempt, self.conf.sm.phase_timeout,
                self.conf.sm.poll_interval, 'update sent',
                stop=op.stopping)[0]
        except (errors.BadRequest, errors.Conflict) as exc:
            # The SO or its deployer refused the values before the stack
            # changed: still active, the refused values not recorded. (A
            # 409 after values may have been sent is the stack busy with
            # them: tried again, above.)
            op.move(states.ACTIVE, reason='update rejected: %s'
                    % exc.message, pending=None)
        except so_client.SOUnavailable as exc:
            if seen.get('sent'):
                self._pending(op, so_client.message(exc), seen)
            else:
                op.move(states.DEGRADED, reason='update not applied: %s'
                        % so_client.message(exc), pending=None)
        except polling.Timeout:
            self._pending(op, seen.get('why', 'the SO did not answer'),
                          seen)
        return None

    # destroy
    def destroy(self, op):
        """Dispose of the SO (or its stack), the CC app and the dependency
        instances, delete the instance's trust (unless the CC's answer to
        the app's DELETE, a 404 too, says it keeps it:
        ``hurtle.keystone_trusts.KEPT_HEADER``), then remove the record.

        :raises PhaseError: ``dispose failed: <why> (DELETE again to
            retry)``.
        """
        row = op.row()
        try:
            try:
                row = self.so_calls.current(op, row)
                if row.so_url:
                    self._delete_so(op, row)
            except (so_client.SOUnavailable, errors.ConnectionFailed) as exc:
                LOG.warning('instance %s: %s; disposing its stack directly',
                            row.id, so_client.message(exc))
                so_wait.shown(op, states.DESTROY, so_wait.STACK_DISPOSE,
                              lambda: self._dispose_stack(row),
                              on_abandon=self.peers.retire_session)
            kept = set()
            if row.app_url:
                cc = self.peers.cc()
                try:
                    answer = so_wait.shown(
                        op, states.DESTROY, so_wait.CC_DELETE,
                        lambda: cc.delete(row.app_url),
                        on_abandon=self.peers.retire_session)
                except errors.NotFound as exc:
                    # Gone already (a DELETE sent again): the CC still
                    # says which trust it keeps for the app.
                    answer = exc.response_headers
                kept = keystone_trusts.kept_in(answer)
            if row.so_url:
                # Once the CC stopped it: a watcher's probe of the SO
                # meanwhile would leave a connection of its own.
                self.peers.forget_endpoint(row.so_url)
            self.composition.dispose_dependencies(row)
            trust_id = (row.attributes or {}).get(trusts.ATTRIBUTE)
            if trust_id:
                if trust_id in kept:
                    LOG.info('instance %s: the CC keeps its trust for '
                             'stacks Heat may still make, and deletes it '
                             'then', row.id)
                else:
                    trusts.delete(self.conf, trust_id)
                self.peers.forget_trust(trust_id)
        except trusts.TrustError as exc:
            raise scheduling.PhaseError(
                'dispose failed: %s (DELETE again to retry)' % exc)
        except errors.OCCIError as exc:
            raise scheduling.PhaseError(
                'dispose failed: %s (DELETE again to retry)' % exc.message)
        except (scheduling.PhaseError, polling.Timeout) as exc:
            raise scheduling.PhaseError(
                'dispose failed: %s (DELETE again to retry)' % exc)
        if self.store.purge(row.id, operation=op.number):
            LOG.info('instance %s disposed', row.id)

    def _delete_so(self, op, row):
        """``DELETE`` the SO of ``row``: it answers once its stack is
        gone, so the answer is waited for up to ``[sm] phase_timeout``
        seconds (retries included), after the SO answered a short
        request (``SOCalls.require_answer``).

        :raises so_client.SOUnavailable: the SO does not answer that.
        :raises hurtle.occi.errors.ConnectionFailed: it cannot be reached,
            or did not answer the DELETE in time (``NoAnswer``).
        """
        so_wait.shown(op, states.DESTROY, so_wait.SO_LOOK,
                      lambda: self.so_calls.require_answer(row),
                      on_abandon=self.peers.retire_session)
        so = self.so_calls.so(row)
        so.deadline = time.monotonic() + self.conf.sm.phase_timeout
        try:
            # A Heat (or CC) that does not answer the SO keeps it from
            # answering: the instance's reason says so meanwhile.
            timeout = self.conf.sm.phase_timeout

            def what():
                alive = so_wait.silence(row.so_url) == so_wait.BUSY_PREFIX
                return so_wait.SO_DISPOSE_BUSY if alive else \
                    so_wait.SO_DISPOSE
            so_wait.shown(op, states.DESTROY, what,
                          lambda: so.delete(SO_PATH, timeout=timeout),
                          deadline=so.deadline,
                          on_abandon=self.peers.retire_session)
        except errors.NotFound:
            pass  # never created, or disposed already

    def _dispose_stack(self, row):
        """Delete the recorded stack (each region's, see
        ``hurtle.sdk.regions.decode_ids``: one region failing does not
        stop the others; the error names each failed region) through
        the deployer, as its SO would, and wait until it is gone. With
        the ``cc`` deployer an app that is gone from the CC took its
        stacks with it: nothing to do."""
        stack_ids = sdk_regions.decode_ids(
            (row.attributes or {}).get('occi.mcn.stack.id'))
        if not stack_ids:
            return
        if deployer_conf.through_cc(self.conf) and row.app_url:
            try:
                self.peers.cc().get(row.app_url)
            except errors.NotFound:
                LOG.info('instance %s: its app is gone from the CC, and '
                         'its stack with it', row.id)
                return
        failures = []
        for region, stack_id in stack_ids.items():
            try:
                # The instance goes: deleted is enough (no stack of
                # its name is made again).
                self.peers.deployer(row, region=region).dispose_and_wait(
                    stack_id, self.conf.sm.phase_timeout,
                    self.conf.sm.poll_interval, reuse_name=False)
            except (deployer_api.DeployerError, RuntimeError,
                    polling.Timeout) as exc:
                # The other regions' stacks are deleted all the same.
                failures.append('%s: %s' % (region, exc) if region
                                else str(exc))
        if failures:
            raise scheduling.PhaseError('; '.join(failures))
