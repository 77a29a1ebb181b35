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
"""Service instance lifecycle, run off the request thread (doc/source/
contributor/lifecycle.rst).

``initialise → activate → deploy → provision → active``; ``update`` and
back to ``active``; ``destroy`` then gone; any failure → ``failed`` with
``mcn.service.state.reason``; ``degraded`` (with a reason) while an active
instance's SO is down or unreachable, ``active`` again once it answers
(``hurtle.sm.watcher``); the states and which operation each allows are
``hurtle.sm.states``.

This module starts and resumes the lifecycles; the work is split by
concept: ``hurtle.sm.scheduling`` (the thread pool, one job at a time per
instance, the operation number and how work stops or fails),
``hurtle.sm.phases`` (the create, update and destroy phases),
``hurtle.sm.so_client`` (calls to an instance's SO: following it,
retrying while unavailable, waiting for its stack),
``hurtle.sm.composition`` (dependency instances of composed services),
``hurtle.sm.peers`` (the clients of the CC, SOs, other SMs and the
deployer) and ``hurtle.polling`` (the one polling loop).

One operation at a time: the API accepts an operation with
``InstanceStore.begin`` (an atomic conditional update that returns the new
operation number) and hands the number to :meth:`Lifecycle.create`,
:meth:`Lifecycle.update` or :meth:`Lifecycle.destroy`. Every later write
of that lifecycle is conditional on the number, so a lifecycle whose
operation was superseded (a create cancelled by a DELETE) stops at its
next step and never overwrites the newer operation's record.

Each transition is written to the database before the phase's work starts
and after it ends, and every step can be repeated (the SO answers where it
stands), so a restarted SM resumes what was in progress (``recover``).

Several SMs may share one database (``hurtle.sm.leases``): an instance's
work runs in the replica holding its lease, and every replica takes over,
every ``[sm] lease_scan_interval`` seconds, the work in progress whose
lease expired (``take_over``): a replica that died mid-phase has its
instances resumed, not failed.

Phases and the calls they make (all through ``hurtle.occi.client``, see
``hurtle.sm.peers``):

* initialise: first, for a composed service, an instance of each
  ``depends_on`` service is created at its SM (``hurtle.sm.catalogue``), in
  manifest order, each waited for until ``active``; a dependency's declared
  inputs (``<service_type>#<attribute>``) are taken from the instances
  created before it, and the composed instance gets every attribute of its
  dependencies that its own manifest declares. Then the SO's app is
  recorded as ``<cc>/app/<instance id>`` (with the SO's secret) *before*
  ``PUT <cc>/app/<instance id>`` asks the CC to start it, so that a
  restarted SM or a DELETE finds the app by that id.
* activate: ``PUT <so>/orchestrator/default`` with the instance's
  attributes and the provider's ``initialise``/``activate`` parameters
  (409: the SO exists already, from an interrupted attempt).
* deploy / provision: unless the SO reports that the phase was already
  requested, ``POST <so>/orchestrator/default?action=...``; then poll
  ``GET`` until ``occi.mcn.stack.state`` is ``*_COMPLETE`` (next phase) or
  ``*_FAILED``/``ROLLBACK_*`` (instance failed with the stack's reason), at
  most ``[sm] phase_timeout`` seconds. A stack that failed only because
  Heat's engine went down (Heat died mid-create: "Engine went down during
  stack CREATE") has the phase requested again, at most
  ``so_client.INTERRUPTED_RETRIES`` times (the SO makes the stack again).
* update: ``POST`` the changed attributes to the SO, poll as above. If the
  SO or its deployer refuses them (400, 409: the stack did not change) or
  the stack update is rolled back, the instance goes back to ``active``
  with ``mcn.service.state.reason`` saying why, and the refused values are
  not recorded. If the CC or the SO is unavailable until the deadline
  (also while the stack is waited for), the update is pending:
  ``degraded``, its values kept, sent again by the SO watcher once the
  SO answers (:meth:`Lifecycle.resend`).
* an SO answering 503 (its deployer cannot reach Heat) or an SO that
  cannot be reached is retried until the phase deadline (the deploy and
  provision actions and the polling), as is a CC answering 503 to the
  start of an SO (busy: its pool of connections full); a failure reason
  names the component ("cloud controller (CC) unreachable", "service
  orchestrator (SO) unreachable", "orchestration service unreachable"),
  the URL and exception go to the log.
* destroy (also of an instance still being created: its create stops
  first): ``DELETE`` the SO (it disposes its resources and answers when
  they are gone) or, when the SO is gone or does not answer, delete the
  recorded stack (``occi.mcn.stack.id``) through the deployer; ``DELETE``
  the CC app, ``DELETE`` the dependency instances in reverse order (each
  waited for until its SM answers 404), remove the record.
"""
import logging
import threading

from hurtle import polling
from hurtle.sm import composition as composition_mod
from hurtle.sm import leases as leases_mod
from hurtle.sm import notifications
from hurtle.sm import peers as peers_mod
from hurtle.sm import phases as phases_mod
from hurtle.sm import scheduling
from hurtle.sm import states
from hurtle.sm import watcher as watcher_mod

LOG = logging.getLogger(__name__)


class Lifecycle(object):
    """Starts, resumes and stops instance lifecycles.

    :param conf: oslo.config object (``[sm]`` options).
    :param store: the ``InstanceStore``.
    :param manifests: ``{term: Manifest}``.
    :param catalogue: ``hurtle.sm.catalogue.Catalogue`` (composed
        services).
    :param peers: ``hurtle.sm.peers.Peers`` (default: its own).
    """

    def __init__(self, conf, store, manifests, catalogue=None, peers=None):
        self.conf = conf
        self.store = store
        self.manifests = dict(manifests)
        self.peers = peers if peers is not None else peers_mod.Peers(conf)
        self.phases = phases_mod.Phases(
            conf, store, self.manifests, self.peers,
            composition_mod.Composition(conf, self.peers, catalogue))
        self.leases = leases_mod.Leases(
            conf, store, held=lambda: self.scheduler.held())
        self.scheduler = scheduling.Scheduler(conf, store, self._composed,
                                              self.leases)
        self.watcher = watcher_mod.SOWatcher(conf, store, self.peers,
                                             resend=self.resend)
        self.notifier = notifications.Notifier(conf, self.leases.owner)
        self._scan_stop = threading.Event()
        self._scan_thread = None

    def _composed(self, instance_id):
        row = self.store.load(instance_id)
        manifest = self.manifests.get(row.service) if row else None
        return bool(manifest is not None and manifest.depends_on)

    def create(self, instance_id, operation=states.FIRST_OPERATION,
               start=states.INITIALISE, accepted=True):
        """Start the create lifecycle of a recorded instance from ``start``
        (``accepted``: just accepted, not resumed)."""
        return self._dispatch(
            'create', lambda op: self.phases.create(op, start), instance_id,
            operation, accepted)

    def update(self, instance_id, changed, operation, accepted=True):
        """Start applying ``changed`` attributes (operation ``operation``,
        accepted by ``InstanceStore.begin(..., UPDATE, ...)``)."""
        return self._dispatch(
            'update', lambda op: self.phases.update(
                op, changed, resumed=not accepted),
            instance_id, operation, accepted)

    def resend(self, row):
        """Send the pending update of ``row`` again (a ``degraded``
        instance whose SO did not answer while its update was sent or
        applied, and answers now): a new update operation, accepted only
        while the record is still in that state at that operation (of
        several SM replicas' watchers, one begins it).

        :returns: whether the update began.
        """
        number = self.store.begin(row.id, states.UPDATE, {states.DEGRADED},
                                  operation=row.operation,
                                  lease=self.leases.lease())
        if number is None:
            return False
        LOG.info('instance %s: its SO answers again; sending its pending '
                 'update again', row.id)
        self.update(row.id, row.pending, number, accepted=False)
        return True

    def destroy(self, instance_id, operation, accepted=True):
        """Start disposing of an instance (operation ``operation``, accepted
        by ``InstanceStore.begin(..., DESTROY, ...)``); a create or update
        still running for it stops first."""
        return self._dispatch('delete', self.phases.destroy, instance_id,
                              operation, accepted)

    def _dispatch(self, action, work, instance_id, operation, accepted):
        """Hand ``work`` to the scheduler, with the lifecycle notifications
        of ``action`` (``hurtle.sm.notifications``) when they are on."""
        if not self.notifier.enabled:
            return self.scheduler.dispatch(work, instance_id, operation)
        report = self.notifier.operation(action, self.store.load(instance_id),
                                         accepted)

        def done(op, reason):
            row = self.store.load(op.instance_id)
            if reason is None and action == 'update' and row is not None \
                    and (row.state != states.ACTIVE or row.reason):
                reason = row.reason or row.state  # refused or not applied
            report(row, reason)
        return self.scheduler.dispatch(work, instance_id, operation,
                                       on_end=done if report else None)

    def stop_work(self):
        """Tell the running lifecycles, the take-over scan and the SO
        watcher to stop at their next step; a lifecycle error from now on
        is left for the next start to resume, not recorded as a failure
        (``hurtle.sm.scheduling``), and no call to a peer is retried.
        Only sets events: ``hurtle-sm`` calls
        it from its signal handler, before the CC and the SOs stopped
        beside it (``hurtle-all``) stop answering."""
        self.scheduler.stopping.set()
        self.peers.stopping.set()
        self._scan_stop.set()
        self.watcher.stop()

    def shutdown(self, wait=True):
        """Stop: running lifecycles end at their next step (their records
        say where they are; the next start resumes them)."""
        self.stop_work()
        self.scheduler.shutdown(wait=wait)
        self.leases.stop()

    def recover(self, peers_ready=None):
        """Resume the work in progress nobody holds (:meth:`take_over`),
        then keep doing so every ``[sm] lease_scan_interval`` seconds, and
        start watching the SOs of active instances
        (``hurtle.sm.watcher``).

        Work another live SM replica holds is left to it; the work of a
        replica that died (a previous process of this SM included, unless
        ``[sm] replica_id`` names it) is resumed once its lease expired.

        :param peers_ready: None (all of it now), or a callable that
            returns once the peers that resumed work and the watcher call
            can answer (``hurtle-sm`` gives :meth:`wait_for_cc`: the CC
            may be starting beside it): the lease renewal starts now, the
            rest in a thread once it returned.
        """
        self.leases.start()
        if peers_ready is None:
            # Loaded by a WSGI server that may fork now: the watcher's
            # first pass an interval later (``SOWatcher.start``).
            self._resume(watch_at_once=False)
            return
        threading.Thread(target=self._resume_when, args=(peers_ready,),
                         name='start-up-recovery', daemon=True).start()

    def wait_for_cc(self):
        """Return once anything answers at ``[sm] cc_url``
        (``Peers.cc_answers``), once the SM stops, or after ``[sm]
        phase_timeout`` seconds (logged; the work is then resumed anyway
        and its CC calls fail as they would have), polling every ``[sm]
        poll_interval`` seconds."""
        def ready():
            return (self.scheduler.stopping.is_set() or
                    self.peers.cc_answers() or None)
        try:
            polling.poll_until(ready, self.conf.sm.phase_timeout,
                               self.conf.sm.poll_interval, 'the CC answering')
        except polling.Timeout as exc:
            LOG.warning('%s; resuming the work in progress anyway', exc)

    def _resume_when(self, ready):
        ready()
        try:
            self._resume()
        except Exception:   # e.g. the database is unreachable
            LOG.exception('resuming the work in progress failed')

    def _resume(self, watch_at_once=True):
        if self.scheduler.stopping.is_set():
            return
        # At start, leases in this replica's name taken before this
        # process started are a previous process's (a stable [sm]
        # replica_id): taken back at once.
        self.take_over(mine=True)
        if self._scan_thread is None:
            self._scan_thread = threading.Thread(
                target=self._scan, name='lease-takeover', daemon=True)
            self._scan_thread.start()
        self.watcher.start(at_once=watch_at_once)

    def _scan(self):
        while not self._scan_stop.wait(self.conf.sm.lease_scan_interval):
            try:
                self.take_over()
            except Exception:   # e.g. the database is unreachable
                LOG.exception('the takeover scan failed')

    def take_over(self, mine=False):
        """Resume the instances in progress whose lease nobody holds (no
        owner, or expired; with ``mine``, also those in this replica's
        name taken before this process started, ``Leases.before_start``,
        that it has no work for; never one it took itself, e.g. for a
        create it accepted since): each is claimed with a new
        operation number and the lease in one conditional UPDATE (of
        several replicas exactly one gets it; the old holder, should it
        still run, writes nothing more).

        Creates continue from their recorded phase, updates re-send their
        pending values once the stack is at rest, disposals run again;
        every step asks the SO (and CC) where it stands first.

        :returns: the ids of the instances resumed.
        """
        resumed = []
        local = set(self.scheduler.held())
        before = self.leases.before_start if mine else None
        for row in self.store.unleased(
                self.leases.lease().now,
                mine=self.leases.owner if mine else None,
                mine_before=before):
            if row.id in local:
                continue   # this replica has work for it already
            # Left behind still? begin checks the row its compare-and-set
            # writes (a create accepted since is this process's).
            number = self.store.begin(row.id, row.state, {row.state},
                                      reason=row.reason,
                                      lease=self.leases.lease(before),
                                      lease_required=True)
            if number is None:
                continue   # taken over or changed meanwhile
            if not row.owner:
                was = 'free'
            elif row.owner == self.leases.owner:
                was = "this replica's, from a previous process"
            else:
                was = 'held by %s, expired' % row.owner
            LOG.info('replica %s resumes instance %s in state %s (its '
                     'lease was %s)', self.leases.owner, row.id, row.state,
                     was)
            resumed.append(row.id)
            if row.state == states.DESTROY:
                self.destroy(row.id, number, accepted=False)
            elif row.state == states.UPDATE:
                self.update(row.id, row.pending or {}, number,
                            accepted=False)
            else:
                self.create(row.id, number, start=row.state, accepted=False)
        return resumed
