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
"""Leases on lifecycle work: several SMs on one database.

Every SM process is a *replica* with an id (``[sm] replica_id``, default
``<hostname>-<pid>-<random>``, in its logs). A replica runs an instance's
lifecycle work only while it holds the instance's lease: the columns
``owner`` and ``lease_expires`` of its record (migration 0005), written by
conditional UPDATEs (``hurtle.sm.store.InstanceStore.claim``, ``renew``,
``release``, ``begin(lease=)``):

* claim: ``SET owner = me, lease_expires = now + [sm] lease_time WHERE
  owner IS NULL OR owner = me OR lease_expires <= now`` (of several
  replicas exactly one gets it); a create takes it with the INSERT of its
  record, an update or delete with the UPDATE that accepts it when it is
  free.
* renew: a thread of each replica extends, every ``lease_time / 3``
  seconds, the leases it holds on instances it has work for (running or
  queued).
* release: when the work of an instance ends (done, failed, superseded,
  stopping) its lease is given up (``owner`` NULL again).
* takeover: every ``[sm] lease_scan_interval`` seconds (and at start) each
  replica looks for records in progress that nobody holds (no owner, or an
  expired lease: their replica died or stalled) and resumes them with a
  new operation number and the lease in one UPDATE, so a live replica's
  work is never taken over and the old holder, should it still run,
  writes nothing more (its operation number is stale). At start it also
  takes back the leases in its own name (a stable ``[sm] replica_id``)
  that an earlier process took: those expiring before
  :attr:`Leases.before_start` (taken before this process started, as
  every lease lasts ``lease_time``), never one this process took since
  (a create it accepted meanwhile).

Leases live in the database, not in a coordination service (tooz with
ZooKeeper, etcd or Redis): the SMs share the database anyway, the claim is
one conditional UPDATE on the row the lifecycle writes already, and
nothing else has to be run, secured and monitored. Expiry is decided with
the replicas' own clocks (UTC): keep them synchronised (NTP) and
``lease_time`` well above their skew.
"""
import datetime
import logging
import os
import socket
import threading
import uuid

from hurtle.db import models

LOG = logging.getLogger(__name__)


def replica_id(conf):
    """``[sm] replica_id``, or ``<hostname>-<pid>-<8 hex digits>``."""
    return conf.sm.replica_id or '%s-%d-%s' % (
        socket.gethostname(), os.getpid(), uuid.uuid4().hex[:8])


class Lease(object):
    """A lease as one write takes it: ``owner`` holds it from ``now`` until
    ``expires`` (naive UTC datetimes, as the records keep them)."""

    def __init__(self, owner, now, expires, own_before=None):
        self.owner = owner
        self.now = now
        self.expires = expires
        #: For :meth:`left_behind`: ``owner``'s leases expiring before
        #: this (naive UTC datetime; None: none) were taken by an earlier
        #: process of that replica (:attr:`Leases.before_start`).
        self.own_before = own_before

    def free(self, row):
        """Whether ``owner`` may take the lease of ``row``: nobody holds
        it, it expired, or it is ``owner``'s already."""
        return (row.owner is None or row.owner == self.owner or
                row.lease_expires is None or row.lease_expires <= self.now)

    def left_behind(self, row):
        """Whether the work of ``row`` is left behind, for ``owner`` to
        take over: nobody holds its lease, it expired, or it is
        ``owner``'s and expires before :attr:`own_before` (an earlier
        process's). A lease ``owner``'s process took itself is not."""
        if row.owner is None or row.lease_expires is None or \
                row.lease_expires <= self.now:
            return True
        return (row.owner == self.owner and self.own_before is not None and
                row.lease_expires < self.own_before)


class LeaseBusy(Exception):
    """Another replica held the lease for a whole phase deadline."""


class Leases(object):
    """This replica's leases.

    :param conf: oslo.config object (``[sm] lease_time``,
        ``lease_scan_interval``, ``replica_id``, ``poll_interval``,
        ``phase_timeout``).
    :param store: the ``InstanceStore`` (its new records are created
        with this replica's lease).
    :param held: ``() -> iterable of instance ids`` this replica has work
        for (the scheduler's), whose leases the renewal thread extends.
    """

    def __init__(self, conf, store, held=lambda: ()):
        self.conf = conf
        self.store = store
        self.owner = replica_id(conf)
        self.held = held
        self._stopping = threading.Event()
        self._thread = None
        self._start_lock = threading.Lock()
        #: The lease expiry below which a lease in this replica's name
        #: was taken before this object was made (at the SM's start,
        #: before its API accepts work): by an earlier process of the
        #: replica. Each lease lasts ``[sm] lease_time`` from its last
        #: write; with a ``lease_time`` lowered since, an earlier
        #: process's lease may end after it, and waits for its expiry.
        self.before_start = self.lease().expires
        if store is not None:
            store.new_lease = self.lease

    def lease(self, own_before=None):
        """A :class:`Lease` of this replica for ``[sm] lease_time``
        seconds from now (``own_before``: see :class:`Lease`)."""
        now = models._now()
        return Lease(self.owner, now, now + _seconds(self.conf.sm.lease_time),
                     own_before=own_before)

    def claim(self, instance_id):
        """Take (or renew) the lease of ``instance_id`` if it is free;
        True if this replica holds it now."""
        return self.store.claim(instance_id, self.lease())

    def wait_claim(self, op):
        """Claim the lease of ``op``'s instance, waiting (every ``[sm]
        poll_interval`` seconds, at most ``[sm] phase_timeout``) while
        another replica holds it: that replica stops at its next step when
        ``op`` superseded its operation, or its lease expires if it died.

        :raises hurtle.sm.scheduling.Superseded: (from ``op.row()``) a
            newer operation meanwhile; :raises Stopping: the SM stops;
        :raises LeaseBusy: still held by another replica at the deadline.
        """
        waited = 0.0
        row = op.row()
        while not self.claim(op.instance_id):
            if waited == 0.0:
                LOG.info('instance %s: operation %d waits for the lease '
                         'held by replica %s', op.instance_id, op.number,
                         row.owner)
            if waited >= self.conf.sm.phase_timeout:
                raise LeaseBusy()
            if op.stopping is not None:
                op.stopping.wait(self.conf.sm.poll_interval)
            else:
                self._stopping.wait(self.conf.sm.poll_interval)
            waited += self.conf.sm.poll_interval
            row = op.row()
        op.owner = self.owner

    def release(self, instance_ids):
        """Give up this replica's leases of ``instance_ids``."""
        instance_ids = list(instance_ids)
        if not instance_ids:
            return
        try:
            self.store.release(instance_ids, self.owner)
        except Exception:   # they expire anyway
            LOG.exception('releasing the leases of %s failed',
                          ', '.join(instance_ids))

    def renew(self):
        """Extend the leases this replica holds on its instances."""
        return self.store.renew(list(self.held()), self.lease())

    def start(self):
        """Start the renewal thread (once)."""
        with self._start_lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(
                target=self._loop, name='lease-renewal', daemon=True)
        LOG.info('SM replica %s: leases of %d s, renewed every %.1f s',
                 self.owner, self.conf.sm.lease_time,
                 self.conf.sm.lease_time / 3.0)
        self._thread.start()

    def stop(self):
        self._stopping.set()

    def _loop(self):
        while not self._stopping.wait(self.conf.sm.lease_time / 3.0):
            try:
                self.renew()
            except Exception:   # e.g. the database is unreachable
                LOG.exception('renewing the leases of replica %s failed',
                              self.owner)


def _seconds(value):
    return datetime.timedelta(seconds=value)
