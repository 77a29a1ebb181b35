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
"""Running lifecycle operations off the request thread, one at a time.

An operation (create, update, destroy) is accepted by
``InstanceStore.begin``, which numbers it; :class:`Scheduler` runs its
work with an :class:`Operation` of that number, after the instance's
previous job ended. Every write the work makes is conditional on the
number, so work whose operation was superseded (a create cancelled by a
DELETE) stops at its next step (:class:`Superseded`) and never overwrites
the newer operation's record; once the SM shuts down it stops there too
(:class:`Stopping`) and the next start resumes it.

With several SMs on one database (``hurtle.sm.leases``), a job first
claims the instance's lease (waiting while another replica holds it) and
gives it up when it ends; work whose lease another replica took stops at
its next step (:class:`LeaseLost`), as does work whose operation was
superseded by a request another replica accepted.

How work ends: it returns (done), raises :class:`Superseded` or
:class:`Stopping` (stopped quietly), or fails: :class:`PhaseError`,
``hurtle.polling.Timeout``, ``hurtle.occi.errors.OCCIError`` or a
Keystone error record ``failed`` with the reason (unless the SM is
stopping: such an error is then most likely the shutdown's own doing,
and the next start resumes the operation); any other exception is
logged and recorded as "internal error in the SM".
"""
import concurrent.futures
import logging
import threading
import time

from keystoneauth1 import exceptions as ks_exc

from hurtle.occi import errors
from hurtle import polling
from hurtle.sm import leases as leases_mod
from hurtle.sm import states
from hurtle.sm import wait_reason

LOG = logging.getLogger(__name__)


#: Seconds a job waits for the instance's previous job before the
#: record's reason says so (:meth:`Scheduler.dispatch`).
AWAIT_QUIET = 5.0
#: How that reason begins. A superseded job ends within a second, except
#: while a request of it that may create something is out (the CC's
#: start of an app, the SO's deploy: ``hurtle.sm.so_wait.answer(...,
#: creates=True)``), which is waited for to its end so that the
#: operation after it (a delete) finds what it made.
AWAITING = ('waiting for the request of the operation before to end (it '
            'may create the SO or the stack, which this operation then '
            'deletes)')


class PhaseError(Exception):
    """A lifecycle phase failed; ``str()`` is the reason users see."""


class Superseded(Exception):
    """A newer operation owns the instance (or it is gone): stop quietly."""


class Stopping(Exception):
    """The SM is shutting down: stop here, the record says where the work
    is, and the next start resumes it (``Lifecycle.recover``)."""


class LeaseLost(Exception):
    """Another SM replica took the instance's lease (this one stalled
    past its expiry): stop quietly, the new holder resumes the work."""


class Operation(object):
    """One accepted operation on one instance: every write it makes is
    conditional on its number (``InstanceStore.transition(operation=)``).

    :param stopping: ``threading.Event`` set when the SM shuts down.
    :param owner: the replica id whose lease the work holds (set once
        claimed; None: no lease checked).
    """

    def __init__(self, store, instance_id, number, stopping=None,
                 owner=None):
        self.store = store
        self.instance_id = instance_id
        self.number = number
        self.stopping = stopping
        self.owner = owner

    def row(self):
        """The record, or :class:`Superseded` if another operation owns it
        (or it is gone), :class:`LeaseLost` if another replica holds its
        lease, or :class:`Stopping` once the SM shuts down (every wait of
        the lifecycle asks for the row before each attempt)."""
        return self._checked(self.store.load)

    def check(self):
        """Raise as :meth:`row` does, reading only who owns the record
        (before each attempt of a wait that needs nothing else of it)."""
        self._checked(self.store.ownership)

    def _checked(self, read):
        if self.stopping is not None and self.stopping.is_set():
            raise Stopping()
        row = read(self.instance_id)
        if row is None or row.operation != self.number:
            raise Superseded()
        if self.owner is not None and row.owner != self.owner:
            raise LeaseLost()
        return row

    def move(self, state, **fields):
        """Record ``state`` and ``fields``; return the new record.

        :raises Superseded: another operation owns the record (or it is
            gone); :class:`LeaseLost`, :class:`Stopping` as :meth:`row`.
        """
        row = self.store.moved(self.instance_id, state,
                               operation=self.number, **fields)
        if row is None:
            raise Superseded()
        # The record as written, checked as a new read would be.
        return self._checked(lambda _instance_id: row)


class Scheduler(object):
    """Runs operations on a thread pool (``[sm] workers``), one job at a
    time per instance.

    :param conf: oslo.config object (``[sm] workers``, ``phase_timeout``).
    :param store: the ``InstanceStore``.
    :param needs_thread: ``instance_id -> bool``: whether the instance's
        jobs run on a thread of their own (see :meth:`dispatch`).
    :param leases: ``hurtle.sm.leases.Leases`` (None: no leases).
    """

    def __init__(self, conf, store, needs_thread, leases=None):
        self.conf = conf
        self.store = store
        self._needs_thread = needs_thread
        self.leases = leases
        self._pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=conf.sm.workers, thread_name_prefix='lifecycle')
        self._jobs = {}     # instance id -> Event set when its job ends
        self._running = set()   # instance ids whose job runs now
        self._jobs_lock = threading.Lock()
        #: Set by :meth:`shutdown`; every :class:`Operation` checks it.
        self.stopping = threading.Event()

    def dispatch(self, work, instance_id, number, on_end=None):
        """Run ``work(Operation)`` after the instance's previous job ended
        (a superseded job stops at its next step; waited for at most
        ``[sm] phase_timeout`` seconds).

        ``on_end(Operation, reason)``, if given, is called once the work
        ended (``reason`` None) or failed (the reason recorded), not when
        it stopped quietly (superseded, lease lost, SM stopping).

        A composed instance's job runs on a thread of its own
        (``needs_thread``): its create and destroy wait for its
        dependencies' own lifecycles, which may need the pool's workers
        (dependencies on this SM), so it must never hold one. Returns the
        Future or Thread.
        """
        if self.leases is not None:
            self.leases.start()
        done = threading.Event()
        with self._jobs_lock:
            previous = self._jobs.get(instance_id)
            self._jobs[instance_id] = done

        def job():
            last = False
            try:
                if previous is not None:
                    self._await(previous, instance_id, number)
                with self._jobs_lock:
                    self._running.add(instance_id)
                op = Operation(self.store, instance_id, number,
                               self.stopping)
                ended, reason = self._guard(self._leased(work), op)
                if ended and on_end is not None:
                    self._report(on_end, op, reason)
            finally:
                with self._jobs_lock:
                    self._running.discard(instance_id)
                done.set()
                with self._jobs_lock:
                    if self._jobs.get(instance_id) is done:
                        del self._jobs[instance_id]
                        last = True
                # The next local job of the instance keeps the lease.
                if last and self.leases is not None:
                    self.leases.release([instance_id])

        if not self._needs_thread(instance_id):
            return self._pool.submit(job)
        thread = threading.Thread(target=job, daemon=True,
                                  name='lifecycle-composed-%s' % instance_id)
        thread.start()
        return thread

    def _await(self, previous, instance_id, number):
        """Wait (at most ``[sm] phase_timeout`` seconds) until
        ``previous`` (the instance's previous job's end event) is set; a
        wait past :data:`AWAIT_QUIET` seconds is said in the record's
        reason (:data:`AWAITING` since <UTC>; waiting until <UTC>) and
        the reason set back once it ends. The record is operation
        ``number``'s: if another operation took it meanwhile, nothing is
        written."""
        started = time.monotonic()
        deadline = started + self.conf.sm.phase_timeout
        if previous.wait(AWAIT_QUIET):
            return
        op = Operation(self.store, instance_id, number, self.stopping)
        before = None
        try:
            row = op.row()
            reason = wait_reason.since(AWAITING, started, deadline)
            op.move(row.state, reason=reason)
            before = (row.state, row.reason)
            LOG.info('instance %s: operation %d %s', instance_id, number,
                     reason)
        except (Superseded, LeaseLost, Stopping):
            pass    # not this operation's record (any more) to write
        previous.wait(max(0.0, deadline - time.monotonic()))
        if before is not None:
            try:
                op.move(before[0], reason=before[1])
            except (Superseded, LeaseLost, Stopping):
                pass

    def _leased(self, work):
        if self.leases is None:
            return work

        def leased(op):
            self.leases.wait_claim(op)
            work(op)
        return leased

    def held(self):
        """Ids of the instances this scheduler has jobs for (running or
        waiting)."""
        with self._jobs_lock:
            return list(self._jobs)

    @staticmethod
    def _report(on_end, op, reason):
        try:
            on_end(op, reason)
        except Exception:  # a report never fails the lifecycle
            LOG.exception('instance %s: reporting the end of operation %d '
                          'failed', op.instance_id, op.number)

    def _guard(self, work, op):
        """Run ``work(op)``; return ``(ended, reason)``: ended False when
        it stopped quietly, reason the failure recorded (None: done)."""
        try:
            work(op)
        except Superseded:
            LOG.info('instance %s: operation %d superseded, stopped',
                     op.instance_id, op.number)
            return False, None
        except LeaseLost:
            LOG.warning('instance %s: operation %d stopped: another SM '
                        'replica took its lease', op.instance_id, op.number)
            return False, None
        except leases_mod.LeaseBusy:
            LOG.warning('instance %s: operation %d not started: another SM '
                        'replica kept its lease for a whole phase deadline; '
                        'whichever replica gets the lease resumes it',
                        op.instance_id, op.number)
            return False, None
        except Stopping:
            LOG.info('instance %s: the SM is stopping; operation %d is left '
                     'for the next start to resume', op.instance_id,
                     op.number)
            return False, None
        except (PhaseError, polling.Timeout, errors.OCCIError,
                ks_exc.ClientException) as exc:
            if self.stopping.is_set():
                # Most likely caused by the shutdown itself (the CC or an
                # SO stopping beside this SM): the next start resumes
                # the operation instead of recording it failed.
                LOG.info('instance %s: operation %d interrupted by the SM '
                         'stopping (%s); left for the next start to resume',
                         op.instance_id, op.number, type(exc).__name__)
                return False, None
            reason = self._reason(exc)
        except Exception:  # never lose a worker thread silently
            LOG.exception('lifecycle of instance %s crashed', op.instance_id)
            reason = 'internal error in the SM'
        else:
            return True, None
        return self.fail(op, reason), reason

    @staticmethod
    def _reason(exc):
        """The failure reason users see for a lifecycle error."""
        if isinstance(exc, errors.OCCIError):
            return exc.message
        if isinstance(exc, ks_exc.ClientException):
            return ('Keystone authentication for the CC failed: %s'
                    % type(exc).__name__)
        return str(exc)

    def fail(self, op, reason):
        """Record ``failed`` with ``reason`` if ``op`` still owns the
        instance; return whether it did."""
        LOG.warning('instance %s failed: %s', op.instance_id, reason)
        return self.store.transition(op.instance_id, states.FAILED,
                                     reason=reason, operation=op.number)

    def shutdown(self, wait=True):
        """Stop: running operations end at their next step (and give up
        their leases); the leases of jobs that never ran are given up
        now, so that another replica resumes them at once."""
        self.stopping.set()
        self._pool.shutdown(wait=wait, cancel_futures=not wait)
        if self.leases is not None:
            with self._jobs_lock:
                waiting = [i for i in self._jobs if i not in self._running]
            self.leases.release(waiting)
