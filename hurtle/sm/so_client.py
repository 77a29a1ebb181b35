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
"""The SO of one instance, as the lifecycle talks to it.

* where it serves now (:meth:`SOCalls.current`): the CC may have restarted
  it on another port, or it may be stopped (then started again);
* :class:`FollowedSO`: a client that follows the SO there after a
  connection failure;
* every request to an SO waits at most ``[sm] call_timeout`` seconds for
  its answer (a held GET: plus its hold), and within a phase never past
  the phase's deadline (the client's ``deadline``): an SO that takes
  connections but answers nothing (stopped, hung) raises
  ``hurtle.occi.errors.NoAnswer`` ("service orchestrator (SO) does not
  answer"), an unavailable SO like any other, and the phase ends at its
  deadline with that reason;
* :meth:`SOCalls.transient`: a call retried while the SO answers 503 (its
  deployer cannot reach Heat) or cannot be reached, until the phase
  deadline;
* :meth:`SOCalls.wait_stack`: looking until the SO's stack is at rest,
  each look a GET the SO holds until its state changes (``If-None-Match``
  + ``Prefer: wait``, at most :data:`HOLD` seconds), the next look going
  out at once after one the SO held or that brought a change; given the
  SO's answer from just before (``known``: the last look of the phase
  before), the first look already sends its ``ETag``; an SO that
  answers at once (an older one) is polled as before;
* :meth:`SOCalls.request_and_wait`: a phase's action, then that wait; a
  stack that failed only because Heat's engine went down (Heat killed
  mid-create: ``Engine went down during stack CREATE``) has the action
  requested again, at most :data:`INTERRUPTED_RETRIES` times.

Every wait asks the operation for its record before each attempt, so a
superseded operation or an SM shutting down stops there
(``hurtle.sm.scheduling``); and a :class:`FollowedSO`'s request goes out
on a thread of its own while the operation asks for its record every
second (``hurtle.sm.so_wait``), so it stops within a second even while
an SO keeps one request unanswered (and the instance's reason says
that the SO is not answering meanwhile).
"""
import contextlib
import copy
import logging
import time
import weakref

from hurtle.occi import categories
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle import polling
from hurtle.sdk import deployer as deployer_api
from hurtle.sm import scheduling
from hurtle.sm import so_wait
from hurtle.sm import wait_reason

LOG = logging.getLogger(__name__)

SO_PATH = 'orchestrator/default'
ORCHESTRATOR = occi_client.CategoryRef(categories.SO_SCHEME, 'orchestrator',
                                       'kind')
DEPLOY = occi_client.CategoryRef(categories.SO_SCHEME, 'deploy', 'action')
PROVISION = occi_client.CategoryRef(categories.SO_SCHEME, 'provision',
                                    'action')
APP_START = occi_client.CategoryRef(categories.APP_ACTION_SCHEME, 'start',
                                    'action')
APP_STOP = occi_client.CategoryRef(categories.APP_ACTION_SCHEME, 'stop',
                                   'action')

#: SO attributes that are bookkeeping, not outputs.
_NOT_OUTPUTS = frozenset(['occi.core.id', 'occi.core.title',
                          'occi.core.summary', 'occi.mcn.stack.reason',
                          'occi.mcn.dns.reason'])
#: Seconds before the second look at a stack; the waits then grow to
#: ``[sm] poll_interval`` (``hurtle.polling.poll_until``): a stack of a
#: few seconds is seen done within a fraction of a second.
FIRST_POLL = 0.1
#: Most seconds the SO is asked to hold one GET for a change of its
#: state. An operation superseded or an SM stopping is noticed within a
#: second whatever the hold (``hurtle.sm.so_wait``). Each hold that ends
#: without a change costs a look of the SO and, through the CC, a read
#: of the stack from Heat: with 2 s holds (the SO holding the CC's GET 1
#: s of them) Heat read every stack in progress about once a second, as
#: often as a client polling it; a change ends a hold at once.
HOLD = 5.0
#: How the reason of a DNS name the SO could not register begins.
DNS_REASON_PREFIX = 'DNS name '
#: How many times a deploy or provision whose stack failed only because
#: the engine went down (:func:`interrupted`) is requested again before
#: the instance fails with that reason.
INTERRUPTED_RETRIES = 3


class SOUnavailable(scheduling.PhaseError):
    """The instance's SO is gone or cannot be (re)started."""


class Unanswered(scheduling.PhaseError):
    """A wait for the SO's stack reached the phase's deadline while the
    SO could not be reached, did not answer or answered 503: what became
    of the stack is not known (the SO may still be working on it, or
    have done it). ``why``: that last failure, in words (``service
    orchestrator (SO) does not answer``)."""

    def __init__(self, message, why):
        super().__init__(message)
        self.why = why


def stack_state(info):
    """``occi.mcn.stack.state`` of the SO's ``EntityInfo`` ('' if none)."""
    return str(info.attributes.get('occi.mcn.stack.state', '') or '')


def stack_reason(info):
    """``occi.mcn.stack.reason`` of the SO's ``EntityInfo`` ('' if none)."""
    return str(info.attributes.get('occi.mcn.stack.reason', '') or '')


def interrupted(info):
    """Whether the SO's stack (its ``EntityInfo``) failed only because
    the engine working on it went down (Heat's reason ``Engine went down
    during stack <action>``, :data:`hurtle.sdk.deployer.ENGINE_DOWN`):
    nothing of the stack itself failed, and the same request may succeed
    when made again."""
    return deployer_api.interrupted(stack_state(info), stack_reason(info))


def dns_reason(info):
    """``occi.mcn.dns.reason`` of the SO's ``EntityInfo`` (``DNS name
    <name> not registered: <why>``), or None when its names are
    registered."""
    return str(info.attributes.get('occi.mcn.dns.reason', '') or '') or None


def require_complete(info, phase):
    """:raises PhaseError: the stack failed or was rolled back."""
    state = stack_state(info)
    if state.endswith('_FAILED') or state.startswith('ROLLBACK_'):
        raise scheduling.PhaseError('%s failed: stack %s: %s'
                                    % (phase, state, stack_reason(info)))


def outputs(info):
    """The SO's attributes that are stack outputs."""
    return {k: v for k, v in info.attributes.items()
            if k not in _NOT_OUTPUTS}


def message(exc):
    """The sentence of an OCCI error or any other exception."""
    return getattr(exc, 'message', None) or str(exc)


#: The requests of an ``OCCIClient`` a :class:`FollowedSO` sends on a
#: thread of their own (``hurtle.sm.so_wait.answer``).
_WAITED = frozenset(['get', 'look', 'update', 'action', 'put', 'delete'])


class FollowedSO(object):
    """The SO client of one operation's instance that follows the SO when
    the CC restarts it elsewhere (a new ``occi.app.url``): after a
    connection failure :meth:`refresh` asks the CC where it serves now.
    Other attributes are the current ``OCCIClient``'s.

    Its requests (``get``, ``look``, ``update``, ``action``, ``put``,
    ``delete``) are sent on a thread of their own while the operation's
    thread waits for the answer (``hurtle.sm.so_wait``): a superseded
    operation (a DELETE accepted meanwhile) or an SM stopping stops
    waiting for a silent SO within ``so_wait.CHECK_INTERVAL`` seconds,
    the request abandoned (``Superseded``, ``Stopping``), except the
    ``deploy`` action, which makes the stack and is waited for to its
    end unless the SM stops (the delete after it then finds the stack);
    and a request
    unanswered for ``so_wait.QUIET`` seconds (beyond a held GET's hold)
    puts ``service orchestrator (SO) not answering since <UTC time>;
    waiting until <deadline>`` (``... (SO) alive but busy with the
    request ...`` if the SO answers a liveness probe meanwhile:
    ``so_wait.silence``) in the instance's reason, in the state
    of ``row``, until the SO answers (one write each way per operation,
    whatever the number of requests meanwhile).

    :param deadline: ``time.monotonic()`` value no request goes past
        (the client's ``deadline``, kept across :meth:`refresh`), or None.
    """

    def __init__(self, calls, op, row, deadline=None):
        self._calls = calls
        self._op = op
        self._state = getattr(row, 'state', None)
        self._reason = getattr(row, 'reason', None)
        self.client = calls.so(row)
        self.client.deadline = deadline

    @property
    def deadline(self):
        """The client's ``deadline`` (settable)."""
        return self.client.deadline

    @deadline.setter
    def deadline(self, value):
        self.client.deadline = value

    def refresh(self):
        """Point at the SO's current URL (recorded on the instance).

        :raises SOUnavailable: its app is gone or cannot be started.
        :raises hurtle.occi.errors.OCCIError: the CC failed.
        """
        row = self._calls.current(self._op, self._op.row())
        deadline = self.client.deadline
        self.client = self._calls.so(row)
        self.client.deadline = deadline

    def __getattr__(self, name):
        value = getattr(self.client, name)
        if name not in _WAITED:
            return value

        def waited(*args, **kwargs):
            # The deploy makes the stack: waited for to its end.
            creates = name == 'action' and len(args) > 1 and \
                args[1] is DEPLOY
            return self._answered(lambda: value(*args, **kwargs),
                                  kwargs.get('wait') or 0, creates)
        return waited

    def _answered(self, request, hold, creates=False):
        """``request()`` (of the current client), waited for by
        ``so_wait.answer``; ``hold``: the seconds the SO may hold it;
        ``creates``: it may create a stack (``so_wait.answer``)."""
        client = self.client
        try:
            result = so_wait.answer(
                self._op, request, quiet=so_wait.QUIET + hold,
                on_quiet=self._quiet if self._state else None,
                on_abandon=lambda: self._abandon(client), creates=creates)
        except errors.ConnectionFailed:
            raise   # unreachable or no answer: the reason stays
        except errors.OCCIError:
            self._answering()
            raise
        self._answering()
        return result

    def _quiet(self, started):
        """Show that the SO does not answer (once per operation)."""
        silent = self._calls.silent
        if self._op in silent:
            return
        reason = wait_reason.since(
            so_wait.silence(self.client.endpoint + '/'), started,
            self.client.deadline)
        LOG.warning('instance %s: %s', self._op.instance_id, reason)
        self._op.move(self._state, reason=reason)
        # What the reason was before, shown again once the SO answers.
        silent[self._op] = (
            None if (self._reason or '').startswith(
                (so_wait.QUIET_PREFIX, so_wait.BUSY_PREFIX))
            else self._reason)

    def _answering(self):
        """The SO answered: the reason :meth:`_quiet` showed goes."""
        silent = self._calls.silent
        if self._op not in silent:
            return
        before = silent.pop(self._op)
        LOG.info('instance %s: the SO answers again', self._op.instance_id)
        self._op.move(self._state, reason=before)

    def _abandon(self, client):
        """The operation stopped waiting for a request of ``client``: no
        retry of it starts, and this thread's next requests go on an
        HTTP session of their own (the abandoned request keeps using
        the one it has: sessions are not shared between threads)."""
        deadline = client.deadline
        client.deadline = time.monotonic()
        self._calls.peers.retire_session()
        if self.client is client:
            self.client = copy.copy(client)
            self.client.deadline = deadline
            self.client.session = self._calls.peers.http_session()


@contextlib.contextmanager
def within(so, deadline):
    """Let no request of ``so`` (a :class:`FollowedSO` or an SO's
    ``OCCIClient``; None: nothing) go past ``deadline``
    (``time.monotonic()`` value) while the block runs; an earlier
    deadline it had stays, and is set back afterwards."""
    if so is None:
        yield
        return
    before = so.deadline
    so.deadline = deadline if before is None else min(before, deadline)
    try:
        yield
    finally:
        so.deadline = before


class SOCalls(object):
    """Calls to instances' SOs (and their apps at the CC).

    :param conf: oslo.config object (``[sm] phase_timeout``,
        ``poll_interval``).
    :param peers: ``hurtle.sm.peers.Peers``.
    """

    def __init__(self, conf, peers):
        self.conf = conf
        self.peers = peers
        #: ``{Operation: reason before}`` of the operations whose
        #: instance shows that its SO does not answer
        #: (:meth:`FollowedSO._quiet`).
        self.silent = weakref.WeakKeyDictionary()

    def so(self, row):
        """An OCCI client of the SO at ``row.so_url``.

        :raises SOUnavailable: the instance has no SO.
        """
        if not row.so_url:
            raise SOUnavailable('the instance has no SO (it never started)')
        return self.peers.so(row)

    def follow(self, op, row, deadline=None):
        """A :class:`FollowedSO` of ``row``'s SO (``deadline``: see
        there)."""
        return FollowedSO(self, op, row, deadline=deadline)

    def require_answer(self, row):
        """Ask the SO of ``row`` for its state once, waiting at most
        ``hurtle.sm.peers.PROBE_TIMEOUT`` seconds, as the SO watcher
        does: an SO that takes the request but answers nothing (stopped,
        hung) is not waited for any longer. Any other failure is left to
        the request that follows.

        :raises SOUnavailable: the SO does not answer.
        """
        try:
            self.peers.so(row, probe=True).get(SO_PATH)
        except errors.NoAnswer as exc:
            raise SOUnavailable(message(exc))
        except errors.OCCIError:
            pass

    def current(self, op, row, app=None):
        """The row, with ``so_url`` where the SO serves now.

        The CC may have restarted the SO (after a CC restart, or a
        stop/start of its app) on another port: ask the CC, start the app
        again if it is not active, and record a changed URL.

        :param app: the CC's ``EntityInfo`` of the app, just read (the
            start's answer): not asked again while it is ``active``.
        :raises SOUnavailable: the app is gone or cannot be started.
        """
        if not row.app_url:
            return row
        cc = self.peers.cc()

        def look():
            found = cc.get(row.app_url)
            if found.attributes.get('occi.app.state') != 'active':
                self._restart_app(cc, row.app_url)
                found = cc.get(row.app_url)
            return found
        if app is None or app.attributes.get('occi.app.state') != 'active':
            try:
                # A CC that does not answer: the instance's reason says
                # so.
                app = so_wait.shown(op, row.state, so_wait.CC_LOOK, look,
                                    on_abandon=self.peers.retire_session)
            except errors.NotFound:
                raise SOUnavailable('the SO is gone: its app no longer '
                                    'exists at the CC')
        url = app.attributes.get('occi.app.url')
        if not url:
            raise SOUnavailable('the SO is down (app state %s)'
                                % app.attributes.get('occi.app.state'))
        if url != row.so_url:
            if row.so_url:
                LOG.info('instance %s: SO moved to %s', row.id, url)
                self.peers.forget_endpoint(row.so_url)
            else:
                LOG.info('instance %s: SO serves at %s', row.id, url)
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
        the CC where the SO serves now (it may have restarted it).

        A ``NoAnswer`` after a 503 the SO did answer keeps that answer in
        the reason: at the phase's deadline the last attempt may be cut
        while the SO still retries what it depends on (Heat down), and
        that answer says what is wrong."""
        if not isinstance(exc, errors.ConnectionFailed):
            seen['answered'] = exc.message
            seen['unavailable'] = exc.message
        elif isinstance(exc, errors.NoAnswer) and seen.get('answered'):
            seen['unavailable'] = '%s (its last answer: %s)' % (
                exc.message, seen['answered'])
        else:
            seen['unavailable'] = exc.message
        LOG.info('instance %s, %s: %s; trying again', op.instance_id, phase,
                 exc.message)
        if so is not None and isinstance(exc, errors.ConnectionFailed):
            try:
                so.refresh()
            except (SOUnavailable, errors.OCCIError) as refresh_exc:
                LOG.info('instance %s: %s', op.instance_id,
                         message(refresh_exc))

    def transient(self, op, so, call, phase):
        """``call()``, retried every ``[sm] poll_interval`` seconds while it
        fails with 503 (an SO whose deployer cannot reach Heat, or an SO
        that cannot be reached: then followed where the CC restarted it),
        until ``[sm] phase_timeout``.

        :param so: the :class:`FollowedSO` that ``call`` uses (None: a
            call to the CC, nothing to follow).
        :raises PhaseError: still failing then; the reason names the
            component ("orchestration service unreachable", "service
            orchestrator (SO) unreachable"), never a URL.
        :raises Superseded: another operation took over meanwhile.
        """
        seen = {}

        def attempt():
            op.check()
            try:
                return (call(),)
            except errors.ServiceUnavailable as exc:
                self._unavailable(op, so, exc, phase, seen)
                return None
        deadline = time.monotonic() + self.conf.sm.phase_timeout
        try:
            with within(so, deadline):
                return polling.poll_until(
                    attempt, self.conf.sm.phase_timeout,
                    self.conf.sm.poll_interval, phase,
                    stop=op.stopping)[0]
        except polling.Timeout:
            raise scheduling.PhaseError(
                '%s did not complete within %d s: %s'
                % (phase, self.conf.sm.phase_timeout,
                   seen.get('unavailable')))

    def wait_stack(self, op, so, phase, known=None):
        """:meth:`wait_rest`, returning the SO's ``EntityInfo`` at rest."""
        return self.wait_rest(op, so, phase, known=known).info

    def wait_rest(self, op, so, phase, known=None, on_look=None):
        """Look at the SO until its stack is ``*_COMPLETE`` or
        ``*_FAILED``; return the last look then.

        Each look is a conditional GET (``If-None-Match``) once an
        ``ETag`` is known, held by the SO until its state changes (at most
        :data:`HOLD` seconds). The next look goes out at once after a
        look the SO held, and after one that brought a change (not twice
        in a row: an SO whose every answer differs is not spun); after
        any other (an SO that answers at once, or knows no ``ETag``) it
        comes after a pause (``[sm] poll_interval``, the first ones
        sooner), as with an SO that knows no held GET. An SO answering
        503 (its deployer cannot reach Heat) or not reachable (``so``, a
        :class:`FollowedSO`, is then followed where the CC restarted it)
        is polled again, until the deadline.

        :param known: the ``hurtle.occi.client.Look`` of the SO's answer
            from just before (the last look of the phase before, with
            its ``info``): the first look sends its ``ETag``, unheld (a
            phase that changed nothing of the SO's answer, e.g. an SO
            whose provision leaves its stack as it is, is at rest at
            once), so the second, held one goes out at once.
        :param on_look: ``f(info)`` called with the SO's ``EntityInfo``
            after each look that brought a change (before the state is
            judged; an exception of it ends the wait).
        :returns: ``hurtle.occi.client.Look``: ``info`` the SO's
            ``EntityInfo`` at rest, ``etag`` its ``ETag`` (or None).
        :raises PhaseError: not at rest within ``[sm] phase_timeout``; the
            reason names the stack state, or (:class:`Unanswered`) the
            component that was unavailable at the end.
        :raises Superseded: another operation took over meanwhile.
        """
        seen = {}
        last = {'etag': None, 'held': False, 'again': False,
                'hold': True}
        if known is not None and known.info is not None and known.etag:
            seen['info'] = known.info
            last.update(etag=known.etag, hold=False)
        deadline = time.monotonic() + self.conf.sm.phase_timeout

        def at_rest():
            op.check()
            wait = min(HOLD, deadline - time.monotonic())
            hold = last['hold']
            last['hold'] = True
            try:
                look = so.look(SO_PATH, etag=last['etag'],
                               wait=wait if hold and wait >= 1 else None)
            except errors.ServiceUnavailable as exc:
                last.update(etag=None, held=False, again=False)
                self._unavailable(op, so, exc, phase, seen)
                return None
            seen.pop('unavailable', None)
            # A look sent unheld on purpose (the first one given a known
            # answer) is followed at once by the held one.
            last.update(etag=look.etag, held=look.held or not hold,
                        again=(look.changed and look.etag is not None and
                               not last['again']))
            if look.changed:
                seen['info'] = look.info
                if on_look is not None:
                    on_look(look.info)
            info = seen['info']
            state = seen['state'] = stack_state(info)
            if state.endswith('_COMPLETE') or state.endswith('_FAILED'):
                return occi_client.Look(info, look.etag, look.changed,
                                        look.held)
            return None
        try:
            with within(so, deadline):
                return polling.poll_until(
                    at_rest, self.conf.sm.phase_timeout,
                    self.conf.sm.poll_interval, phase, first=FIRST_POLL,
                    stop=op.stopping,
                    again_now=lambda: last['held'] or last['again'])
        except polling.Timeout:
            if seen.get('unavailable'):
                raise Unanswered(
                    '%s did not complete within %d s: %s'
                    % (phase, self.conf.sm.phase_timeout,
                       seen['unavailable']), seen['unavailable'])
            raise scheduling.PhaseError(
                '%s did not complete within %d s (stack state %s)'
                % (phase, self.conf.sm.phase_timeout,
                   seen.get('state') or 'unknown'))

    def request_and_wait(self, op, so, phase, request, requested=False,
                         on_look=None, known=None):
        """Request a phase (``request()``, retried by :meth:`transient`)
        unless ``requested`` already, then :meth:`wait_rest` (with
        ``on_look``: ``f(info)`` after each look that brought a
        change). A stack that failed only because the engine went down
        (:func:`interrupted`: Heat died while working on it) has the
        phase requested again, at most
        :data:`INTERRUPTED_RETRIES` times (the SO makes the stack again:
        ``hurtle.sdk.StackOrchestrator``); any other failure is returned
        as it is.

        :param known: the SO's answer from just before, for the first
            :meth:`wait_rest`.
        :returns: the :meth:`wait_rest` look (its ``info`` the SO's
            ``EntityInfo``) once its stack is at rest.
        :raises PhaseError: see :meth:`transient`, :meth:`wait_stack`.
        :raises Superseded: another operation took over meanwhile.
        """
        for attempt in range(INTERRUPTED_RETRIES + 1):
            if not requested:
                self.transient(op, so, request, phase)
            look = self.wait_rest(op, so, phase, known=known,
                                  on_look=on_look)
            info = look.info
            if not interrupted(info) or attempt == INTERRUPTED_RETRIES:
                return look
            LOG.warning('instance %s, %s: stack %s: %s; requesting %s '
                        'again (%d of %d)', op.instance_id, phase,
                        stack_state(info), stack_reason(info), phase,
                        attempt + 1, INTERRUPTED_RETRIES)
            requested = False
            known = look
