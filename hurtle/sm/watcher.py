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
"""Watching the SOs of active instances (``degraded`` while one is down).

Every ``[sm] watch_interval`` seconds (under ``hurtle-sm`` the first time
as soon as the CC answers), :data:`WORKERS` instances at once and the
``degraded`` ones first, the watcher asks the CC for the app of each
``active`` or ``degraded`` instance and probes its SO (``GET
<so>/orchestrator/default``, one try, short timeout). An instance whose
app is gone, not active, or whose SO does not answer or answers with an
error becomes ``degraded`` with ``mcn.service.state.reason`` saying which
(an SO that takes the probe and answers nothing in time is ``the SO does
not answer``, or :data:`BUSY` when it answers a liveness probe,
``hurtle.sm.so_wait.silence``, at that moment), in the words of the SO
(or the CC) when it answered with an error (``the SO answers 409: the
SO's saved state is unusable (it is not JSON)``; its message made safe to
show by ``hurtle.sm.reasons``). While the problem lasts the reason
follows it: a reason the watcher wrote is replaced when the problem
changes; another one (``update pending after ...``, ``update not applied:
...``, written by the lifecycle) is kept. Once its SO answers again the
instance is ``active`` (the CC may restart SOs on another port: the new
URL is recorded), with no reason but the
SO's DNS reason. The probe
also lets the SO retry the DNS names it could not register: an
``active`` instance's reason follows the SO's ``occi.mcn.dns.reason``
(set while a name is not registered, cleared once it is; another
reason, e.g. "update rejected: ...", is kept).
A ``degraded`` instance with an update still pending ("update pending
after ...": its SO did not answer while it was sent or applied, see
``hurtle.sm.phases.Phases.update``) is not made ``active`` when its SO
answers again: the update is sent again instead (``resend``, a new update
operation taking the instance from ``degraded`` to ``update``), since the
stack may hold the pending values or the old ones.
Every write is conditional on the state and operation number the watcher
read, so it never interferes with an update or delete that began
meanwhile.
"""
import collections
import logging
import threading

from hurtle.occi import errors
from hurtle.sm import reasons
from hurtle.sm import so_client
from hurtle.sm import so_wait
from hurtle.sm import states

LOG = logging.getLogger(__name__)

#: How every reason the watcher writes begins (:meth:`SOWatcher.problem`).
PREFIXES = ('the SO ', 'the CC ')
#: The reason of an instance whose app the CC did not answer for.
CC_SILENT = 'the CC does not answer: the SO cannot be checked'
#: Instances a pass checks at once (each a request to the CC and one to
#: the SO, up to ``hurtle.sm.peers.PROBE_TIMEOUT`` seconds each): one at
#: a time, 40 instances took 11 s to come back after a restart (trial).
WORKERS = 8
#: The reason of an SO that answers its liveness probe but not, within
#: the watcher's probe time, with its state.
BUSY = ('the SO is alive but does not answer with its state (it may be '
        'waiting for the orchestration service)')


def is_watchers(reason):
    """Whether ``reason`` is one the watcher wrote (it may replace it)."""
    return bool(reason) and reason.startswith(PREFIXES)


class SOWatcher(object):
    """:param conf: oslo.config object (``[sm] watch_interval``).
    :param store: the ``InstanceStore``.
    :param peers: ``hurtle.sm.peers.Peers``.
    :param resend: ``f(row)`` that begins the update of an instance whose
        update is pending (``row.pending``) once its SO answers, and
        returns whether it began (``Lifecycle.resend``; None: such an
        instance is left ``degraded``).
    """

    def __init__(self, conf, store, peers, resend=None):
        self.conf = conf
        self.store = store
        self.peers = peers
        self.resend = resend
        self._stopping = threading.Event()
        self._thread = None

    def start(self, at_once=True):
        """Start the watching thread (once; not at all if ``[sm]
        watch_interval`` is 0).

        :param at_once: the first pass now (False: after an interval,
            for a process a WSGI server may fork at once: a thread that
            holds the interpreter's lock at the fork leaves the forked
            worker waiting for it for good, uwsgi's at least).
        """
        if self._thread is not None or not self.conf.sm.watch_interval:
            return
        self._thread = threading.Thread(target=self._loop, args=(at_once,),
                                        name='so-watcher', daemon=True)
        self._thread.start()

    def stop(self):
        self._stopping.set()

    def _loop(self, at_once):
        # The first pass at once: ``hurtle-sm`` starts it once the CC
        # answers (``Lifecycle.recover``), and an instance a stopped CC or
        # SO left ``degraded`` is ``active`` again then, not an interval
        # later.
        if not at_once and self._stopping.wait(self.conf.sm.watch_interval):
            return
        while True:
            self._pass()
            if self._stopping.wait(self.conf.sm.watch_interval):
                return

    def _pass(self):
        """Check every watched instance, the ``degraded`` ones first (after
        a restart, what is to be made ``active`` again), in up to
        :data:`WORKERS` threads made for the pass (daemon threads: a
        stopping SM does not wait for a probe; none while no instance is
        watched, as in a process a WSGI server forks after loading the
        SM, ``hurtle.wsgi._common.fork_guard``); returns once each was
        checked."""
        try:
            rows = self.store.in_states(states.WATCHED)
        except Exception:   # e.g. the database is unreachable
            LOG.exception('reading the watched instances failed')
            return
        waiting = collections.deque(
            sorted(rows, key=lambda r: r.state != states.DEGRADED))
        cc_silent = threading.Event()
        workers = [threading.Thread(target=self._work, daemon=True,
                                    args=(waiting, cc_silent),
                                    name='so-watcher-%d' % number)
                   for number in range(min(WORKERS, len(rows)))]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()

    def _work(self, waiting, cc_silent):
        # Once the SM stops (and its peers with it, under hurtle-all),
        # their silence is no news: no more checks.
        while not self._stopping.is_set():
            try:
                row = waiting.popleft()   # atomic: no lock needed
            except IndexError:
                return
            try:
                self.check(row, cc_silent)
            except Exception:
                LOG.exception('checking the SO of instance %s failed',
                              row.id)

    def check(self, row, cc_silent=None):
        """Mark ``row`` ``degraded`` (with the reason, refreshed when the
        problem changes) while its SO is down, unreachable or answers with
        an error, ``active`` again once it answers. Changes nothing if an
        operation began meanwhile.

        :param cc_silent: as for :meth:`problem`.
        """
        problem, so_url, info = self.problem(row, cc_silent)
        if not problem and row.state == states.DEGRADED and row.pending:
            if self.resend is not None:
                self.resend(row)
            return
        dns_reason = info and so_client.dns_reason(info)
        fields = {}
        if so_url and so_url != row.so_url:
            fields['so_url'] = so_url
        state, reason = row.state, row.reason
        news = None
        if problem and row.state == states.ACTIVE:
            news = (logging.WARNING, 'instance %s degraded: %s', problem)
            state, reason = states.DEGRADED, problem
        elif problem and problem != row.reason and (
                not row.reason or is_watchers(row.reason)):
            news = (logging.WARNING, 'instance %s still degraded: %s',
                    problem)
            reason = problem
        elif not problem and row.state == states.DEGRADED:
            news = (logging.INFO, 'instance %s: its SO answers again%s', '')
            state, reason = states.ACTIVE, dns_reason
        elif not problem and (not row.reason or row.reason.startswith(
                so_client.DNS_REASON_PREFIX)):
            reason = dns_reason
        # (A degraded instance keeps a reason that is not the watcher's,
        # e.g. "update pending after ...", while the problem lasts.)
        if (state, reason) != (row.state, row.reason) or fields:
            changed = self.store.transition(row.id, state, reason=reason,
                                            expect={row.state},
                                            operation=row.operation,
                                            **fields)
            # Said only when it happened: an operation that began
            # meanwhile (an update, a delete) keeps the instance.
            if changed and news is not None:
                LOG.log(news[0], news[1], row.id, news[2])

    def problem(self, row, cc_silent=None):
        """``(sentence saying what is wrong or None, the SO's current URL
        or None, the SO's ``EntityInfo`` when it answered or None)``.

        The sentence begins with one of :data:`PREFIXES`; when the CC or
        the SO answered with an error it carries the HTTP code and their
        message (``reasons.shown``); addresses never appear.

        :param cc_silent: a ``threading.Event`` shared by the checks of
            one pass: set here when the CC does not answer, and once set
            the CC is not asked again in that pass (:data:`CC_SILENT`):
            each check would wait the probe's timeout for it.
        """
        if not row.app_url:
            return None, None, None
        if cc_silent is not None and cc_silent.is_set():
            return CC_SILENT, None, None
        try:
            app = self.peers.cc(probe=True).get(row.app_url)
        except errors.NotFound:
            return ('the SO is gone: its app no longer exists at the CC',
                    None, None)
        except errors.ConnectionFailed:
            if cc_silent is not None:
                cc_silent.set()
            return CC_SILENT, None, None
        except errors.OCCIError as exc:
            return ('the CC answers %s: the SO cannot be checked (%s)'
                    % (exc.code, reasons.shown(exc.message)), None, None)
        state = app.attributes.get('occi.app.state')
        url = app.attributes.get('occi.app.url') or None
        if state != 'active' or not url:
            return ('the SO is down (its app at the CC is %s)' % state,
                    None, None)
        try:
            info = self.peers.so(row, probe=True, url=url).get(
                so_client.SO_PATH)
        except errors.NoAnswer:
            # Took the request, answered nothing in time: silent, or
            # alive with its state read held (by a stopped Heat, say).
            if so_wait.silence(url) == so_wait.BUSY_PREFIX:
                return (BUSY, url, None)
            return 'the SO does not answer', url, None
        except errors.ConnectionFailed:
            return 'the SO does not answer', url, None
        except errors.OCCIError as exc:
            return ('the SO answers %s: %s'
                    % (exc.code, reasons.shown(exc.message)), url, None)
        return None, url, info
