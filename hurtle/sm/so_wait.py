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
"""Waiting for the answer of one request to an SO, without being held
by it.

An SO that takes a request but answers nothing (stopped with SIGSTOP,
hung: the kernel still accepts its connections) keeps the thread that
sent it in a socket read until the request's timeout (``[sm]
call_timeout``, within the phase's deadline) or until the CC's liveness
probe kills the SO. An operation's request is therefore sent on a
thread of its own (:func:`answer`) while the operation's thread waits
for its answer, asking the operation for its record every
:data:`CHECK_INTERVAL` seconds (``Operation.check``):

* once the operation is superseded (a DELETE accepted meanwhile),
  another SM replica took its lease, or the SM stops, the wait ends
  within that interval (``Superseded``, ``LeaseLost``, ``Stopping``)
  and the operation stops there: the request is abandoned, never sent
  again by this operation, and its answer is dropped whenever it comes.
  Nothing the request carried is lost by that: the values of an update
  stay ``pending`` in the record until an update ends, and whatever
  superseded the operation (the delete, a replica resuming the update
  with its pending values) goes on from the record;
* a request unanswered for :data:`QUIET` seconds (beyond the time the
  SO may hold it on purpose) is shown in the instance's reason
  (``hurtle.sm.wait_reason.since``), written once, and cleared once the SO
  answers (``hurtle.sm.so_client.FollowedSO``). The reason says whether
  the SO is silent or alive but busy with the request (:func:`silence`).

The request's thread is a daemon: an abandoned one ends at its own
timeout (no retry is started after it was abandoned), and never keeps
the SM from exiting.
"""
import logging
import threading
import time

from hurtle.sm import scheduling
from hurtle.sm import wait_reason
from hurtle import so_liveness

LOG = logging.getLogger(__name__)

#: Seconds between two looks at the operation's record while a request
#: is unanswered: how late a superseded operation stops waiting.
CHECK_INTERVAL = 1.0
#: Seconds without an answer (beyond a held GET's hold) after which the
#: instance's reason says that the SO does not answer: an SO answers in
#: milliseconds, and a held GET within its hold.
QUIET = 5.0
#: How the reason of an operation waiting for a silent SO begins.
QUIET_PREFIX = 'service orchestrator (SO) not answering'
#: How it begins when the SO answers a liveness probe meanwhile
#: (:mod:`hurtle.so_liveness`): the process is alive and its request
#: waits on something else, most often the orchestration service (a
#: stopped Heat keeps the SO's deploy, and the SM's request, waiting).
BUSY_PREFIX = ('service orchestrator (SO) alive but busy with the request '
               '(it may be waiting for the orchestration service)')
#: Seconds that liveness probe may take: an alive SO answers it at once.
BUSY_PROBE = 0.5
#: How the reasons of :func:`shown` begin, by what the SM waits for.
CC_START = 'no answer from the cloud controller (CC) to the SO\'s start'
CC_DELETE = 'no answer from the cloud controller (CC) to the app\'s delete'
CC_LOOK = 'no answer from the cloud controller (CC) about the SO\'s app'
SO_DISPOSE = 'no answer from the service orchestrator (SO) to its dispose'
#: The delete's first look at the SO (its state, at most
#: ``hurtle.sm.peers.PROBE_TIMEOUT`` seconds) before its dispose.
SO_LOOK = ('no answer from the service orchestrator (SO) to the delete\'s '
           'look at its state')
#: :data:`SO_DISPOSE` when the SO answers a liveness probe meanwhile (it
#: answers once Heat deleted its stack: a stopped Heat holds it).
SO_DISPOSE_BUSY = ('the service orchestrator (SO) is alive but has not '
                   'finished its dispose (it may be waiting for the '
                   'orchestration service)')
STACK_DISPOSE = ('the SO does not answer with its state: the SM deletes '
                 'the stack itself, with no answer from the orchestration '
                 'service yet')


def silence(so_url):
    """How the reason of a request unanswered by the SO at ``so_url``
    (its base URL) begins: :data:`BUSY_PREFIX` if the SO answers a
    liveness probe within :data:`BUSY_PROBE` seconds, else
    :data:`QUIET_PREFIX`."""
    try:
        alive = so_liveness.probe(so_url, BUSY_PROBE) is None
    except ValueError:   # not an http(s) URL: nothing to probe
        alive = False
    return BUSY_PREFIX if alive else QUIET_PREFIX


def answer(op, request, quiet=QUIET, on_quiet=None, on_abandon=None,
           creates=False):
    """``request()`` on a thread of its own; its result, or its
    exception, once it ends, while the operation goes on.

    :param op: the ``hurtle.sm.scheduling.Operation`` (``check()`` is
        called every :data:`CHECK_INTERVAL` seconds while no answer
        came).
    :param quiet: seconds without an answer after which ``on_quiet`` is
        called.
    :param on_quiet: ``f(started)`` (``started``: the request's
        ``time.monotonic()``), called once, on the calling thread, when
        the request has gone ``quiet`` seconds unanswered; an exception
        of it ends the wait as one of ``op.check()`` does.
    :param on_abandon: ``f()``, called on the calling thread when the
        wait ends before the request did, before the exception that
        ended it propagates.
    :param creates: the request may create something (the CC's start of
        an app, the SO's deploy of a stack): it is waited for to its end
        even once the operation is superseded (only an SM stopping ends
        the wait), so that the operation after it (a delete) finds what
        it made. Abandoned, a request held in a stopped CC's or Heat's
        queue made its app or stack after the delete had looked for it,
        and nothing deleted it.
    :returns: what ``request()`` returned.
    :raises: what ``request()`` raised; ``Superseded``, ``LeaseLost``
        or ``Stopping`` as ``op.check()`` raises them (the request is
        then abandoned; with ``creates``, ``Stopping`` only).
    """
    ended = threading.Event()
    outcome = {}

    def run():
        try:
            outcome['result'] = request()
        except BaseException as exc:   # handed to the waiting thread
            outcome['error'] = exc
        finally:
            ended.set()
    started = time.monotonic()
    threading.Thread(target=run, name='so-request-%s' % op.instance_id,
                     daemon=True).start()
    told = on_quiet is None
    try:
        while not ended.wait(CHECK_INTERVAL):
            if not creates:
                op.check()
            elif op.stopping is not None and op.stopping.is_set():
                raise scheduling.Stopping()
            if not told and time.monotonic() - started >= quiet:
                told = True
                try:
                    on_quiet(started)
                except (scheduling.Superseded, scheduling.LeaseLost):
                    if not creates:
                        raise
                    # Superseded meanwhile: the record is no longer the
                    # operation's to write; the request is still waited
                    # for.
    except BaseException:
        if not ended.is_set():
            LOG.info('instance %s: operation %s stops waiting for the '
                     'SO\'s answer (%.1f s without one)', op.instance_id,
                     getattr(op, 'number', '?'), time.monotonic() - started)
            if on_abandon is not None:
                on_abandon()
        raise
    if 'error' in outcome:
        raise outcome['error']
    return outcome['result']


def shown(op, state, what, request, deadline=None, on_abandon=None,
          creates=False):
    """``request()`` waited for as :func:`answer` waits, the instance's
    reason (``mcn.service.state.reason``) saying ``<what> since <UTC>[;
    waiting until <UTC>]`` once it has gone :data:`QUIET` seconds
    unanswered, and set back to what it was when it ends (answered or
    failed). For the requests of an operation other than its SO's
    (:class:`hurtle.sm.so_client.FollowedSO` shows those): the CC's
    start, look-up and delete of the app, the SO's dispose, which may
    each wait on a CC, an SO or a Heat that does not answer.

    :param op: the ``hurtle.sm.scheduling.Operation``.
    :param state: the instance's state meanwhile (``initialise``,
        ``destroy``).
    :param what: how the reason begins (:data:`CC_START`,
        :data:`CC_DELETE`, :data:`CC_LOOK`, :data:`SO_LOOK`,
        :data:`SO_DISPOSE`, :data:`STACK_DISPOSE`), or a function giving
        it when the reason is written (``what()``: e.g. after a liveness
        probe).
    :param deadline: ``time.monotonic()`` value the SM waits until, or
        None (then the reason names no end).
    :param on_abandon: as for :func:`answer`.
    :param creates: as for :func:`answer`.
    :returns: what ``request()`` returned.
    :raises: what ``request()`` raised; ``Superseded``, ``LeaseLost``
        or ``Stopping`` as :func:`answer` raises them.
    """
    before = []

    def on_quiet(started):
        before.append(op.row().reason)
        reason = wait_reason.since(what() if callable(what) else what,
                                   started, deadline)
        LOG.warning('instance %s: %s', op.instance_id, reason)
        op.move(state, reason=reason)
    try:
        return answer(op, request, quiet=QUIET, on_quiet=on_quiet,
                      on_abandon=on_abandon, creates=creates)
    finally:
        if before:
            try:
                op.move(state, reason=before[0])
            except (scheduling.Superseded, scheduling.LeaseLost,
                    scheduling.Stopping):
                # The record is the next operation's (or the next SM's)
                # to write.
                LOG.debug('instance %s: reason left to the operation '
                          'after it', op.instance_id)
