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
"""Stacks Heat made for apps already deleted (doc/source/admin/recovery.rst,
"Stacks of deleted apps").

A stack create may wait in Heat's queue (a stopped or overloaded Heat)
longer than every caller waits for it: the CC gives up on it, the
instance is deleted, the app's delete looks for its stacks and finds
none (``hurtle.cc.stacks.StackBackend.dispose_app``), and Heat makes the
stack later, tagged ``hurtle-app-<app id>`` (``hurtle.cc.stacks.APP_TAG``)
for an app nobody has any more: the user's resources would leak.

Only a create whose answer the CC lost can do that, so only those are
recorded (*lost creates*, ``cc_lost_creates``, ``hurtle.cc.stack_store.
StackStore.record_lost``): a create Heat did not answer (or answered
409) when Heat then had no stack of that name and tag
(``StackBackend._create``), and one still unanswered when its app was
deleted (``dispose_app``). Each holds the app's id, the stack's title
and region, the project and trust it was sent with, and when it was
lost; it is kept ``[cc] orphan_stack_window`` seconds. An app's
ordinary delete records nothing.

A :class:`Sweeper` thread (started by the CC's watcher,
``hurtle.cc.recovery.Watcher``) reads, every ``[cc]
orphan_stack_interval`` seconds and at once (at most every
:data:`EVENT_GAP` seconds) when a stack event announces a create
(``hurtle.cc.stack_events.Hub.listen``: the embedded Heat's events, a
cloud Heat's notifications; they carry a stack id, no name), the lost
creates younger than the window whose app no longer exists (one
database query: none, no Heat call), lists in each one's region and
with its credentials the stacks tagged for its app (one listing per
app, region and trust), and deletes those :func:`decide` condemns.

What is never deleted (:func:`decide`): a stack without the app's tag,
a nested one, one whose app exists (in any state, or being created: a
new app of that id removes its lost creates, and adopts a stack of that
title and tag), one whose title the CC lost no create of for that app
within the window, one in another project than the credentials'. Each
decision and delete is made under the app's lock (``hurtle.cc.api.
AppBackend.lock``), as the app's create and delete are; a stack being
deleted already is left to Heat, so sweeps are idempotent. Credentials
that no longer work (a trust deleted by someone else) leave the stacks
alone, with one WARNING naming the app, the project and the region.

In Keystone mode the credentials are the instance's trust, which the SM
deletes with the instance: so the app's delete keeps it when the app has
lost creates made with it (``hurtle.cc.kept_trusts``), and the sweeper
deletes it (:class:`hurtle.cc.kept_trusts.Releaser`) once each of those
is done with or older than the window. A lost create is *done with*
when the stack of its name the sweeper deleted, or found being deleted
(noted on it: ``StackStore.deleting_lost``), is no longer listed by
Heat (``StackStore.gone_lost``); a ``DELETE_*`` event of such a stack
(made with a trust) wakes the sweeper too. The trust deleted, the lost
creates made with it are forgotten.
"""
import dataclasses
import datetime
import logging
import threading
import time

from hurtle.cc import kept_trusts as trust_records
from hurtle.cc import so_auth
from hurtle.cc import stacks as stack_api
from hurtle.occi import errors
from hurtle.sdk import deployer as deployers

LOG = logging.getLogger(__name__)

#: Fewest seconds between two sweeps that stack events asked for.
EVENT_GAP = 1.0
#: Fewest seconds between two drops of the lost creates past the window.
DROP_EVERY = 60.0
#: Stack states whose event may announce a stack made for a deleted app.
CREATE_PREFIX = 'CREATE_'
#: Stack states whose event, for a stack the sweeper deleted, may mean
#: its lost create is done with (a kept trust may then be deleted).
DELETE_PREFIX = 'DELETE_'


@dataclasses.dataclass(frozen=True)
class Decision:
    """:func:`decide`'s answer: ``delete`` (bool) and ``why`` (a clause
    for the log)."""

    delete: bool
    why: str


def _keep(why):
    return Decision(False, why)


def decide(stack, app_id, app_exists, lost, project, now, window):
    """Whether the CC deletes ``stack``, looked for as a stack of app
    ``app_id``.

    :param stack: a ``hurtle.so.deployers.heat.TaggedStack`` (``name``,
        ``tags``, ``status``, ``project``, ``parent``).
    :param app_exists: the CC has app ``app_id`` (any state) or is
        creating it.
    :param lost: the app's lost creates (``hurtle.db.models.LostCreate``
        rows: ``title``, ``lost_at``, a naive UTC datetime); may be
        empty.
    :param project: the project the credentials used act in; a stack
        elsewhere is never deleted.
    :param now: a naive UTC datetime.
    :param window: ``[cc] orphan_stack_window`` seconds.
    :returns: :class:`Decision`; ``delete`` only when the stack carries
        ``hurtle-app-<app_id>``, is not nested, not being deleted already
        (``DELETE_FAILED`` is tried again), its app does not exist, a
        create of its name was lost less than ``window`` seconds ago,
        and the stack is in ``project``.
    """
    tag = stack_api.APP_TAG % app_id
    if tag not in (stack.tags or ()):
        return _keep('not tagged %s' % tag)
    if stack.parent:
        return _keep('nested in stack %s' % stack.parent)
    if stack.status.startswith('DELETE_') and \
            stack.status != 'DELETE_FAILED':
        return _keep('being deleted already (%s)' % stack.status)
    if app_exists:
        return _keep('its app exists')
    ages = [(now - row.lost_at).total_seconds() for row in lost or ()
            if row.title == stack.name]
    if not ages:
        return _keep('the CC lost no create of stack %s of app %s'
                     % (stack.name, app_id))
    age = min(ages)
    if age > window:
        return _keep('its create was lost %d s ago, more than [cc] '
                     'orphan_stack_window' % age)
    if not project or stack.project != project:
        return _keep('in project %s, not %s' % (stack.project, project))
    return Decision(True, 'made after its app was deleted (its create '
                    'lost %d s ago)' % max(age, 0))


_utcnow = trust_records.utcnow


class Sweeper(object):
    """Deletes the stacks Heat made for deleted apps (see module doc).

    :param conf: the CC's configuration (``[cc] orphan_stack_*``).
    :param backend: the CC's ``hurtle.cc.api.AppBackend`` (its per-app
        lock, ``known``, its ``StackBackend`` and the latter's store).
    :param clock: ``f()`` → a naive UTC datetime (tests pass another).
    :param delete_trust: ``f(conf, trust_id)`` deleting a kept trust
        (``hurtle.cc.kept_trusts.Releaser``; default
        ``hurtle.keystone_trusts.delete``).

    Counters (ints, for figures and tests): ``sweeps``, ``listings``
    (Heat listings of tagged stacks), ``deleted``, ``done`` (lost creates
    found done with: their stack deleted and no longer listed);
    ``releaser.deleted`` (kept trusts deleted).
    """

    def __init__(self, conf, backend, clock=_utcnow, delete_trust=None):
        self.conf = conf
        self.backend = backend
        self.clock = clock
        kwargs = {} if delete_trust is None else {'delete': delete_trust}
        self.releaser = trust_records.Releaser(
            conf, backend.kept_trusts, backend.stacks, **kwargs) \
            if backend.kept_trusts is not None else None
        #: Heat ids of the stacks of lost creates (made with a trust)
        #: being deleted: their DELETE_ events wake the thread (their
        #: creates may be done with, their trust then deleted).
        self._awaited = set()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        self._swept_at = None
        self._dropped_at = None
        #: (app id, region) whose stacks could not be listed (warned).
        self._warned = set()
        self.sweeps = self.listings = self.deleted = self.done = 0
        backend.stacks.events.listen(self.heard)

    def heard(self, stack_id, state):
        """A stack event (``Hub.listen``): one announcing a create may be
        of a stack made for a deleted app; sweep soon."""
        if state and (state.startswith(CREATE_PREFIX) or (
                state.startswith(DELETE_PREFIX) and
                stack_id in self._awaited)):
            self._wake.set()

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='orphan-stacks')
        self._thread.start()
        return self

    def stop(self, timeout=None):
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self):
        interval = self.conf.cc.orphan_stack_interval
        while not self._stop.is_set():
            self._wake.wait(interval)
            if self._stop.is_set():
                return
            self._wake.clear()
            if self._swept_at is not None:
                gap = EVENT_GAP - (time.monotonic() - self._swept_at)
                if gap > 0 and self._stop.wait(gap):
                    return
            self._swept_at = time.monotonic()
            try:
                self.sweep()
            except Exception:
                LOG.exception('looking for stacks of deleted apps failed')

    def sweep(self):
        """One look for the stacks made by the creates lost within ``[cc]
        orphan_stack_window`` of apps that no longer exist (older lost
        creates are dropped first, at most every :data:`DROP_EVERY`
        seconds). Without such a lost create it makes no Heat call: one
        database query. Then, when a lost create was found done with, old
        ones were dropped or a kept trust's delete failed last time,
        deletes the kept trusts no lost create needs any more
        (``hurtle.cc.kept_trusts.Releaser``).

        :returns: the number of stacks whose delete Heat accepted.
        """
        self.sweeps += 1
        since = self.clock() - datetime.timedelta(
            seconds=self.conf.cc.orphan_stack_window)
        store = self.backend.stacks.store
        moment = time.monotonic()
        release = False
        if self._dropped_at is None or \
                moment - self._dropped_at >= DROP_EVERY:
            # A write: not at each event's look (the query below skips
            # what it would drop).
            self._dropped_at = moment
            store.drop_lost(since)
            release = True
        looks = {}   # oldest first, one per app, project, trust, region
        for row in store.lost_of_gone_apps(since):
            if self.backend.known(row.app_id):
                continue   # being created again
            key = (row.app_id, row.project,
                   (row.access or {}).get('trust_id'), row.region)
            looks.setdefault(key, row)
        deleted = 0
        done = self.done
        for app_id, project, trust_id, region in looks:
            if self._stop.is_set():
                break
            deleted += self.sweep_app(app_id, project, trust_id, region)
        else:
            # Warned once per look still made.
            self._warned &= {(key[0], key[3]) for key in looks}
        self.deleted += deleted
        releaser = self.releaser
        if releaser is not None and not self._stop.is_set() and (
                release or self.done != done or releaser.owed):
            releaser.release(since)
        return deleted

    def sweep_app(self, app_id, project, trust_id, region):
        """Look for the stacks tagged for the deleted app ``app_id`` in
        ``region`` (None: the default one) with the credentials of its
        lost creates (``project``, ``trust_id``); delete those
        :func:`decide` condemns. Returns how many were deleted."""
        caller = so_auth.SOCaller(app_id=app_id, project=project,
                                  trust_id=trust_id)
        deleted = 0
        try:
            try:
                deployer = self.backend.stacks.deployer_factory(caller,
                                                                region)
                lister = getattr(deployer, 'stacks_tagged', None)
                if lister is None:
                    return 0
                self.listings += 1
                found = lister(stack_api.APP_TAG % app_id)
                scope = deployer.scope() if found else None
            except (deployers.DeployerError, errors.OCCIError) as exc:
                self._cannot(app_id, project, region, exc)
                return 0
            self._warned.discard((app_id, region))
            # The stacks of lost creates deleted earlier that Heat no
            # longer lists: those creates are done with.
            listed = {stack.id for stack in found
                      if stack.status != 'DELETE_COMPLETE'}
            self.done += self.backend.stacks.store.gone_lost(
                app_id, region, trust_id, listed, self.clock())
            self._awaited -= {stack.id for stack in found} - listed
            for stack in found:
                deleted += self.settle(app_id, stack, deployer, scope,
                                       region, trust_id)
        finally:
            if trust_id:
                self.backend.stacks.forget_trust(trust_id)
        return deleted

    def _cannot(self, app_id, project, region, exc):
        if (app_id, region) in self._warned:
            return
        self._warned.add((app_id, region))
        LOG.warning('cannot look for stacks Heat made for deleted app %s '
                    '(project %s, region %s) with its credentials: %s; any '
                    'such stack is left (tried again every [cc] '
                    'orphan_stack_interval)', app_id, project,
                    region or 'default', getattr(exc, 'message', exc))

    def settle(self, app_id, stack, deployer, project, region=None,
               trust_id=None):
        """Decide on ``stack`` (tagged for app ``app_id``) under the app's
        lock, the app and its lost creates read again there and a stack
        :func:`decide` condemns read again from Heat (another look may
        have deleted it since the listing), and start its delete if it
        still says so. A stack of a lost create's name (made in
        ``region`` with ``trust_id``) whose delete Heat accepted, or
        that is being deleted already, is noted on that lost create
        (``StackStore.deleting_lost``). Returns 1 if Heat accepted the
        delete, else 0."""
        with self.backend.lock(app_id):
            decision = self._decide(app_id, stack, project)
            if not decision.delete and stack.status.startswith(
                    DELETE_PREFIX) and stack.status not in (
                        'DELETE_FAILED', 'DELETE_COMPLETE'):
                self._deleting(app_id, stack, region, trust_id)
            if decision.delete:
                try:
                    now = deployer.deletion_by_id(stack.id)
                except deployers.DeployerError as exc:
                    now = None
                    decision = _keep('cannot be read now (%s)' % (
                        getattr(exc, 'message', exc),))
                else:
                    decision = _keep('gone already') if now is None else \
                        self._decide(app_id, dataclasses.replace(
                            stack, status=now.status), project)
            if not decision.delete:
                LOG.debug('stack %s (%s) tagged for app %s: kept, %s',
                          stack.name, stack.id, app_id, decision.why)
                return 0
            LOG.warning('stack %s (%s) of deleted app %s in project %s: %s; '
                        'deleting it', stack.name, stack.id, app_id,
                        stack.project, decision.why)
            try:
                deployer.dispose(stack.id)
            except deployers.DeployerError as exc:
                LOG.warning('stack %s (%s) of deleted app %s in project %s: '
                            'Heat refused its delete: %s; tried again at the '
                            'next look', stack.name, stack.id, app_id,
                            stack.project, getattr(exc, 'message', exc))
                return 0
            self._deleting(app_id, stack, region, trust_id)
        return 1

    def _deleting(self, app_id, stack, region, trust_id):
        """Note that ``stack`` is being deleted on the app's lost create
        of its name (if any): done with once Heat no longer lists it."""
        if self.backend.stacks.store.deleting_lost(
                app_id, stack.name, region, trust_id, stack.id) and \
                trust_id:
            # Its trust may be kept until then (hurtle.cc.kept_trusts).
            self._awaited.add(stack.id)

    def _decide(self, app_id, stack, project):
        """:func:`decide` with the app and its lost creates as recorded
        now (the app's lock held)."""
        return decide(stack, app_id, self.backend.known(app_id),
                      self.backend.stacks.store.lost_of(app_id),
                      project, self.clock(),
                      self.conf.cc.orphan_stack_window)
