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
"""Trusts the CC keeps for the lost creates of deleted apps
(doc/source/admin/recovery.rst, "Stacks of deleted apps").

In Keystone mode each app's SO deploys with its instance's trust
(``HURTLE_TRUST_ID``), which the SM deletes once the app is deleted.
The stacks Heat makes after the app is gone (the app's *lost creates*,
:mod:`hurtle.cc.orphan_stacks`) can be listed and deleted only with
that trust. So a ``DELETE /app/<id>`` after which ``cc_lost_creates``
holds creates of that app made with its trust less than ``[cc]
orphan_stack_window`` seconds ago (:func:`keeps`) records the trust
here (``cc_kept_trusts``, :class:`KeptTrusts`: the app, its project,
the trust id encrypted) before the app's SO is stopped, and the CC
takes over the trust's deletion: every answer to ``DELETE /app/<id>``
while that record exists (200, and 404 once the app is gone: a DELETE
sent again) carries :data:`hurtle.keystone_trusts.KEPT_HEADER` with the
trust id (:func:`answer_hook`; only to a caller the policy lets manage
apps, in the app's project), and the SM then does not delete it. A
record that cannot be written is logged and the answer has no header:
the SM deletes the trust, as before.

The CC's sweeper deletes the trust (:meth:`Releaser.release`, with a
token of the trust itself, as the SM would:
``hurtle.keystone_trusts.delete``) once none of those lost creates is
pending (:func:`pending`): each is done with (the stack of its name the
sweeper deleted, or found being deleted, is no longer listed by Heat)
or older than the window. It then forgets the record and the app's lost
creates made with the trust (none can be acted on any more). Keystone
answering 404 for the trust is success; Keystone unreachable or
refusing keeps the record (one WARNING) and the next sweep tries again.
The database is the truth: any CC sharing it may delete the trust, and
deleting it twice is harmless.
"""
import dataclasses
import datetime
import logging

import sqlalchemy as sa

from hurtle.db import engine as db_engine
from hurtle.db import models
from hurtle import keystone_trusts
from hurtle.occi import errors
from hurtle.occi import request as occi_request
from hurtle import policy

LOG = logging.getLogger(__name__)

#: The app API's location prefix (``hurtle.cc.store.PREFIX``).
APP_PREFIX = '/app/'
#: Answers of ``DELETE /app/<id>`` that may carry the header.
ANSWERED = (200, 202, 404)


def utcnow():
    """Now, as a naive UTC datetime (the stores' clock)."""
    return datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None)


def trust_of(lost):
    """The trust id a lost create (``models.LostCreate``) was sent with,
    or None."""
    return (lost.access or {}).get('trust_id')


def keeps(lost, trust_id, since):
    """Whether the CC keeps trust ``trust_id`` when it deletes an app whose
    lost creates are ``lost`` (``models.LostCreate`` rows): one of them
    was made with that trust at ``since`` (a naive UTC datetime) or
    later and is not done with (:func:`pending`)."""
    return bool(trust_id) and bool(pending(lost, trust_id, since))


def pending(lost, trust_id, since):
    """The rows of ``lost`` made with ``trust_id`` at ``since`` or later
    whose stack Heat may still make or still lists (``gone_at`` unset)."""
    return [row for row in lost or ()
            if trust_of(row) == trust_id and row.lost_at >= since and
            row.gone_at is None]


@dataclasses.dataclass(frozen=True)
class Kept:
    """A ``cc_kept_trusts`` row: ``id`` (int), ``app_id``, ``project``
    (str or None), ``trust_id`` (str), ``kept_at`` (naive UTC)."""

    id: int
    app_id: str
    project: str
    trust_id: str
    kept_at: datetime.datetime


def _kept(row):
    return Kept(row.id, row.app_id, row.project,
                (row.access or {}).get('trust_id'), row.kept_at)


class KeptTrusts(object):
    """``cc_kept_trusts`` in ``[database] connection`` (``url``)."""

    def __init__(self, url):
        self._sessions = db_engine.sessionmaker(url)

    def keep(self, app_id, project, trust_id):
        """Record that the CC deletes ``trust_id`` of app ``app_id`` (in
        ``project``); a record of that app and trust is kept as it is.

        :returns: the record's id (int).
        """
        with self._sessions.begin() as session:
            for row in session.scalars(sa.select(models.KeptTrust).where(
                    models.KeptTrust.app_id == app_id)):
                if (row.access or {}).get('trust_id') == trust_id:
                    return row.id
            row = models.KeptTrust(app_id=app_id, project=project,
                                   access={'trust_id': trust_id})
            session.add(row)
            session.flush()
            return row.id

    def of(self, app_id):
        """The records of app ``app_id`` (:class:`Kept`, oldest first)."""
        with self._sessions() as session:
            return [_kept(row) for row in session.scalars(
                sa.select(models.KeptTrust)
                .where(models.KeptTrust.app_id == app_id)
                .order_by(models.KeptTrust.id))]

    def all(self):
        """Every record (:class:`Kept`, oldest first)."""
        with self._sessions() as session:
            return [_kept(row) for row in session.scalars(
                sa.select(models.KeptTrust).order_by(models.KeptTrust.id))]

    def forget(self, kept_id):
        """Remove record ``kept_id`` (the trust is deleted, or the app's
        delete that kept it failed); removing it twice is no error."""
        with self._sessions.begin() as session:
            session.execute(sa.delete(models.KeptTrust).where(
                models.KeptTrust.id == kept_id))


def answer_hook(conf, kept_trusts):
    """An ``answer_hooks`` entry of the CC's OCCI application
    (``hurtle.occi.app.Application``): adds
    :data:`hurtle.keystone_trusts.KEPT_HEADER` (the kept trust ids,
    comma separated) to a 200, 202 or 404 answer of ``DELETE
    /app/<id>`` while :class:`KeptTrusts` records trusts of app ``<id>``
    in the caller's project, if ``hurtle:app:manage`` allows the caller.
    A database that cannot be read raises (the layer answers 500: the
    caller, which cannot tell, sends the DELETE again).
    """
    def hook(environ, status, headers):
        if status not in ANSWERED or \
                environ.get('REQUEST_METHOD', '').upper() != 'DELETE':
            return
        path = environ.get('PATH_INFO') or ''
        app_id = path[len(APP_PREFIX):]
        if not path.startswith(APP_PREFIX) or not app_id or '/' in app_id:
            return
        try:
            extras = occi_request.extras_of(environ)
            policy.authorize(conf, 'hurtle:app:manage', extras)
        except errors.OCCIError:
            return
        trusts = [kept.trust_id for kept in kept_trusts.of(app_id)
                  if kept.project == extras['project'] and kept.trust_id]
        if trusts:
            headers.append((keystone_trusts.KEPT_HEADER,
                            ', '.join(sorted(set(trusts)))))
    return hook


class Releaser(object):
    """Deletes the kept trusts no lost create needs any more (see the
    module docstring); run by ``hurtle.cc.orphan_stacks.Sweeper``.

    :param conf: the CC's configuration (``[service_credentials]``).
    :param kept_trusts: :class:`KeptTrusts`.
    :param stacks: the CC's ``hurtle.cc.stacks.StackBackend`` (its
        store's lost creates; its deployers of a deleted trust are
        dropped).
    :param delete: ``f(conf, trust_id)`` deleting a trust (default
        ``hurtle.keystone_trusts.delete``; raises ``TrustError``).

    Counter (int): ``deleted``, the trusts deleted. ``owed`` (bool): the
    last :meth:`release` left a trust it could not delete (the sweeper
    calls it again at its next look).
    """

    def __init__(self, conf, kept_trusts, stacks,
                 delete=keystone_trusts.delete):
        self.conf = conf
        self.kept_trusts = kept_trusts
        self.stacks = stacks
        self.delete = delete
        self.deleted = 0
        self.owed = False
        #: Record ids whose failed delete was warned about.
        self._warned = set()

    def release(self, since):
        """Delete each kept trust without a pending lost create made at
        ``since`` (a naive UTC datetime) or later, then forget its record
        and the app's lost creates made with it.

        :returns: the number of trusts deleted (Keystone's 404 counts).
        """
        released = 0
        owed = False
        records = self.kept_trusts.all()
        store = self.stacks.store
        for kept in records:
            if pending(store.lost_of(kept.app_id), kept.trust_id, since):
                continue
            try:
                self.delete(self.conf, kept.trust_id)
            except keystone_trusts.TrustError as exc:
                owed = True
                if kept.id not in self._warned:
                    self._warned.add(kept.id)
                    LOG.warning('cannot delete the trust of deleted app %s '
                                '(kept for its lost creates): %s; tried '
                                'again at the next look', kept.app_id, exc)
                continue
            store.forget_lost(kept.app_id, kept.trust_id)
            self.kept_trusts.forget(kept.id)
            self.stacks.forget_trust(kept.trust_id)
            self._warned.discard(kept.id)
            LOG.info('the trust of deleted app %s (kept for its lost '
                     'creates) is deleted', kept.app_id)
            released += 1
        self._warned &= {kept.id for kept in records}
        self.owed = owed
        self.deleted += released
        return released
