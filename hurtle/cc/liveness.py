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
"""The CC's liveness probe of its SOs (doc/source/admin/recovery.rst).

An SO process can run and answer nothing (stopped with SIGSTOP, or
hung): ``Runtime.is_running`` still says it runs, so only a request
tells. Every ``[cc] so_liveness_interval`` seconds the watcher
(:class:`hurtle.cc.recovery.Watcher`) has :class:`Prober` send each SO
of an ``active`` app ``GET <url>-/``, which an SO answers at once
without its secret (401: the CC does not send it; any HTTP answer
counts); no answer within ``[cc] so_liveness_timeout`` seconds (or no
connection) is a failed probe. After ``[cc] so_liveness_failures``
failed probes in a row the watcher kills the SO and restarts it as a
dead one (``hurtle.cc.api.AppBackend.kill_unanswering``).

The probes run on a few daemon threads of their own
(:data:`PROBE_THREADS`), never on the watcher's: a probe waiting for its
timeout holds neither the watcher's round (dead SOs are still noticed
within ``[cc] watch_interval``) nor the probes of other SOs, and never
the CC's exit. One SO has at most one probe at a time.
"""
import logging
import queue
import threading
import time

from hurtle import so_liveness

LOG = logging.getLogger(__name__)

#: Threads sending probes (each waits for one SO at a time).
PROBE_THREADS = 8


class _Record(object):
    """What the prober knows of one app's SO."""

    def __init__(self, url):
        self.url = url
        #: Failed probes in a row, and why the last one failed.
        self.failures = 0
        self.reason = None
        #: ``clock()`` when the last probe was queued (None: never).
        self.queued_at = None
        #: True while a probe is queued or runs.
        self.busy = False


class Prober(object):
    """Probes the SOs the watcher shows it (:meth:`observe`).

    :param failures: failed probes in a row that make an SO unanswering
        (``[cc] so_liveness_failures``, at least 1).
    :param timeout: seconds a probe waits (``[cc] so_liveness_timeout``).
    :param interval: seconds between the starts of two probes of one SO
        (``[cc] so_liveness_interval``).
    :param clock: ``time.monotonic`` (tests may pass another).
    :param send: :func:`hurtle.so_liveness.probe` (tests may pass another).
    """

    def __init__(self, failures, timeout, interval, clock=time.monotonic,
                 send=so_liveness.probe):
        self.failures = failures
        self.timeout = timeout
        self.interval = interval
        self.clock = clock
        self.send = send
        self._lock = threading.Lock()
        self._apps = {}
        self._queue = queue.Queue()
        self._threads = []
        #: Threads waiting for work (or about to).
        self._idle = 0
        self._closed = False

    def observe(self, app_id, url):
        """The SO of active app ``app_id`` runs at ``url`` (as the watcher
        just read it): queue a probe when one is due.

        :returns: why the SO is taken for unanswering (a sentence naming
            the count and the last failure) once its last ``failures``
            probes failed, else None.
        """
        with self._lock:
            record = self._apps.get(app_id)
            if record is None or record.url != url:
                # A new SO (a restart has a new URL): it starts afresh.
                record = self._apps[app_id] = _Record(url)
            if record.failures >= self.failures:
                return ('it did not answer %d liveness probes in a row '
                        '(GET %s-/: %s)' % (record.failures, url,
                                            record.reason))
            now = self.clock()
            if record.busy or (record.queued_at is not None and
                               now - record.queued_at < self.interval):
                return None
            record.busy = True
            record.queued_at = now
            self._start_threads()
        self._queue.put((app_id, record))
        return None

    def forget(self, app_id):
        """``app_id`` is not active, or its SO was killed: its count ends
        (a probe in flight for it is ignored)."""
        with self._lock:
            self._apps.pop(app_id, None)

    def retain(self, app_ids):
        """Forget every app not in ``app_ids`` (the apps recorded now)."""
        keep = set(app_ids)
        with self._lock:
            for app_id in [a for a in self._apps if a not in keep]:
                del self._apps[app_id]

    def close(self):
        """Stop probing (queued probes are dropped; one in flight ends
        with its timeout, on a daemon thread)."""
        with self._lock:
            self._closed = True
            threads, self._threads = self._threads, []
        for _thread in threads:
            self._queue.put(None)

    # -- under self._lock -----------------------------------------------
    def _start_threads(self):
        # A thread more when none waits for work, up to PROBE_THREADS.
        if (self._closed or self._idle or
                len(self._threads) >= PROBE_THREADS):
            return
        self._idle += 1     # it waits for work once started
        thread = threading.Thread(target=self._work, daemon=True,
                                  name='so-probe-%d' % len(self._threads))
        self._threads.append(thread)
        thread.start()

    # -- on a probe thread ---------------------------------------------
    def _work(self):
        while True:
            item = self._queue.get()
            with self._lock:
                self._idle -= 1
                if item is None or self._closed:
                    return
                app_id, record = item
                current = self._apps.get(app_id) is record
            reason = None
            if current:
                try:
                    reason = self.send(record.url, self.timeout)
                except Exception:   # never counted against the SO
                    LOG.exception('app %s: liveness probe failed', app_id)
            with self._lock:
                record.busy = False
                self._idle += 1
                if self._apps.get(app_id) is not record:
                    continue
                if reason is None:
                    record.failures, record.reason = 0, None
                else:
                    record.failures += 1
                    record.reason = reason
                    LOG.debug('app %s: liveness probe %d of its SO failed: '
                              '%s', app_id, record.failures, reason)
