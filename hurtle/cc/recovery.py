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
"""Bringing SOs back: after a CC restart, and when one dies (doc/source/admin/
recovery.rst).

* ``hurtle.cc.api.AppBackend.recover`` runs once at CC start-up: the
  runtime adopts the SOs of recorded apps that still run and stops the
  SOs no app records (``Runtime.reconcile``), then every app recorded as
  ``active`` whose SO no longer runs is started again.
* :class:`Watcher` is a thread of ``hurtle-cc`` that checks, every ``[cc]
  watch_interval`` seconds, that the SO of every ``active`` app still
  runs. A dead SO puts its app in state ``error`` and is restarted after
  ``[cc] restart_backoff`` seconds, the delay doubling after each attempt
  (at most ``restart_backoff_max``), at most ``[cc] restart_attempts``
  times (``hurtle.app.restarts`` counts them); then the app stays
  ``error``. The restarted SO resumes from its state file.
* An SO that runs but does not answer (stopped with SIGSTOP, hung) is
  found by a liveness probe (:mod:`hurtle.cc.liveness`, ``[cc]
  so_liveness_*``): after ``so_liveness_failures`` unanswered probes in
  a row it is killed (SIGKILL) and its app restarted as for a dead SO
  (one WARNING line naming the app and why).
* Beside it, a :class:`hurtle.cc.orphan_stacks.Sweeper` thread deletes
  the stacks Heat made for apps already deleted (``[cc]
  orphan_stack_interval``, ``orphan_stack_window``).
* The same thread, about once an hour, lets the runtime drop what it
  keeps of deleted apps (``Runtime.prune``: SO logs older than ``[cc]
  so_log_keep_days``, :mod:`hurtle.cc.runtime.so_logs`).

The work on one app is done by ``hurtle.cc.api.AppBackend.check`` under
that app's lock, so API calls (DELETE, actions) and the watcher never act
on one app at once.
"""
import logging
import os
import threading
import time

from hurtle.cc import liveness
from hurtle.cc import orphan_stacks
from hurtle.cc.runtime import so_logs
from hurtle.cc import store as app_store
from hurtle import process_lock

LOG = logging.getLogger(__name__)

#: In ``[DEFAULT] state_path``: locked (:mod:`hurtle.process_lock`) by
#: the one process serving the CC of that state. It adopts, restarts and
#: stops the SOs there; a second CC would do each twice (two SOs for one
#: app, or another CC's SOs stopped when it exits).
LOCK_FILE = 'hurtle-cc.lock'
#: Most seconds :meth:`Watcher.stop` waits for a look for stacks of
#: deleted apps (a Heat call) to end.
SWEEPER_JOIN = 5.0


def hold_cc_lock(conf):
    """Lock ``<state_path>/hurtle-cc.lock`` for this process's life.

    :returns: the open lock file (keep a reference to it).
    :raises RuntimeError: another process holds it; the message says so.
    """
    path = os.path.join(conf.state_path, LOCK_FILE)
    try:
        return process_lock.hold(path)
    except process_lock.Held:
        raise RuntimeError('another process serves the CC of %s (it holds '
                           '%s)' % (conf.state_path, path))


class Schedule(object):
    """When the next restart of each dead app is due (in memory: after a
    CC restart every dead app starts a new, immediate-ish schedule).

    :param backoff: seconds before the first restart.
    :param backoff_max: longest delay, in seconds.
    :param clock: ``time.monotonic`` (tests may pass another).
    """

    def __init__(self, backoff, backoff_max, clock=time.monotonic):
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.clock = clock
        self._due = {}
        self._given_up = set()

    def delay(self, attempts):
        """Seconds to wait before attempt ``attempts + 1``."""
        return min(self.backoff * (2 ** min(attempts, 30)), self.backoff_max)

    def noticed(self, app_id, attempts):
        """The SO of ``app_id`` is down after ``attempts`` restarts."""
        self._due[app_id] = self.clock() + self.delay(attempts)

    def due(self, app_id, attempts):
        """True when the next restart of ``app_id`` is due (an app seen
        for the first time gets its delay from now)."""
        if app_id not in self._due:
            self.noticed(app_id, attempts)
        return self.clock() >= self._due[app_id]

    def give_up(self, app_id):
        """Record that ``app_id`` has no attempt left; True the first
        time (to log it once)."""
        self._due.pop(app_id, None)
        if app_id in self._given_up:
            return False
        self._given_up.add(app_id)
        return True

    def forget(self, app_id):
        """``app_id`` runs (or is gone): nothing scheduled."""
        self._due.pop(app_id, None)
        self._given_up.discard(app_id)


class Watcher(object):
    """Daemon thread checking the SOs of the CC's apps.

    :param conf: the CC's configuration (``[cc]`` watch and restart
        options).
    :param backend: ``hurtle.cc.api.AppBackend``.
    """

    def __init__(self, conf, backend):
        self.conf = conf
        self.backend = backend
        self.schedule = Schedule(conf.cc.restart_backoff,
                                 conf.cc.restart_backoff_max)
        #: Probes the SOs of active apps ([cc] so_liveness_failures;
        #: None: off, or a runtime that restarts its SOs itself).
        self.prober = None
        if conf.cc.so_liveness_failures and \
                not backend.runtime.self_healing:
            self.prober = liveness.Prober(conf.cc.so_liveness_failures,
                                          conf.cc.so_liveness_timeout,
                                          conf.cc.so_liveness_interval)
        #: Deletes the stacks Heat made for deleted apps (None: the CC
        #: has no stack kind, or [cc] orphan_stack_interval is 0).
        self.sweeper = None
        if backend.stacks is not None and conf.cc.orphan_stack_interval:
            self.sweeper = orphan_stacks.Sweeper(conf, backend)
        self._stop = threading.Event()
        self._thread = None
        #: ``time.monotonic()`` of the last prune (None: not yet).
        self._pruned_at = None

    def start(self):
        self._thread = threading.Thread(target=self._run, name='so-watcher',
                                        daemon=True)
        self._thread.start()
        if self.sweeper is not None:
            self.sweeper.start()
        return self

    def stop(self, timeout=None):
        """Stop checking; wait up to ``timeout`` s for a running check."""
        self._stop.set()
        if self.prober is not None:
            self.prober.close()
        if self.sweeper is not None:
            # A daemon thread whose work is idempotent: a look cut short
            # is made again at the next start.
            self.sweeper.stop(SWEEPER_JOIN if timeout is None
                              else min(timeout, SWEEPER_JOIN))
        if self._thread is not None:
            self._thread.join(timeout)

    def check_all(self):
        """One round over every app; returns ``{app_id: outcome}`` of the
        apps where something happened (see ``AppBackend.check``)."""
        outcomes = {}
        rows = self.backend.store.states()
        for row in rows:
            if self._stop.is_set():
                break
            try:
                outcome = self.backend.check(row.id, self.schedule, row)
                if outcome is None:
                    outcome = self.probe(row)
            except Exception:
                LOG.exception('checking app %s failed', row.id)
                continue
            if outcome:
                outcomes[row.id] = outcome
        if self.prober is not None:
            self.prober.retain([row.id for row in rows])
        self.prune(rows)
        return outcomes

    def probe(self, row):
        """Probe the SO of app ``row`` (a row of ``AppStore.states``,
        whose SO :meth:`check_all` just found running, if active):
        :mod:`hurtle.cc.liveness`. Returns ``'hung'`` when its SO failed
        its last ``[cc] so_liveness_failures`` probes and was killed
        (its app is then ``error``, restarted as for a dead SO), else
        None."""
        if self.prober is None:
            return None
        ref = app_store.runtime_ref(row)
        url = self.backend.runtime.liveness_url(ref) \
            if row.state == 'active' else None
        if url is None:
            self.prober.forget(row.id)
            return None
        reason = self.prober.observe(row.id, url)
        if reason is None:
            return None
        self.prober.forget(row.id)
        return self.backend.kill_unanswering(row.id, ref, reason,
                                             self.schedule)

    def prune(self, rows):
        """Let the runtime drop what it keeps of deleted apps (``Runtime.
        prune``, such as old SO logs), at most once per
        :data:`hurtle.cc.runtime.so_logs.PRUNE_EVERY` seconds; ``rows``
        are the app rows just checked. Returns True when it ran."""
        now = time.monotonic()
        if self._pruned_at is not None and \
                now - self._pruned_at < so_logs.PRUNE_EVERY:
            return False
        self._pruned_at = now
        try:
            self.backend.runtime.prune([row.id for row in rows])
        except Exception:
            LOG.exception('removing what is kept of deleted apps failed')
        return True

    def _run(self):
        while not self._stop.wait(self.conf.cc.watch_interval):
            try:
                self.check_all()
            except Exception:
                LOG.exception('the SO watcher failed a round')
