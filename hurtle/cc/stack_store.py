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
"""The CC's ``stack`` entities as ``cc_stacks`` rows.

Rows are scoped by the app of the SO that asks
(:func:`hurtle.cc.so_auth.caller_of`): an SO sees only its own app's
stacks; a caller that is no SO sees none. What Heat holds (template,
parameters, files, environment) is not kept here; the state, reason and
outputs last read from Heat are.
"""
import json

from occi import core_model
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from hurtle.cc import so_auth
from hurtle.db import engine as db_engine
from hurtle.db import models
from hurtle.db import prepared
from hurtle.occi import categories
from hurtle.occi import errors
from hurtle.occi import registry

PREFIX = '/stack/'
#: State of a row whose create Heat has not answered yet.
PENDING = 'CREATE_PENDING'
#: Attribute (True) of a stack Heat deleted but whose name it has not
#: freed yet; shown with state ``DELETE_IN_PROGRESS``, recorded as the
#: row state :data:`DELETED_STATE` (``hurtle.cc.stacks``).
DELETED = 'hurtle.stack.deleted'
DELETED_STATE = 'DELETE_COMPLETE'


def to_entity(row):
    """The PySSF resource of a stack row."""
    entity = core_model.Resource(PREFIX + row.id, categories.STACK, [],
                                 title=row.title)
    entity.attributes.update({
        'occi.core.id': row.id,
        'hurtle.stack.id': row.heat_id or '',
        'hurtle.stack.state': row.state,
        'hurtle.stack.reason': row.reason or '',
        'hurtle.stack.outputs': json.dumps(row.outputs or {},
                                           sort_keys=True),
    })
    if row.region:
        entity.attributes['hurtle.stack.region'] = row.region
    if row.state == DELETED_STATE:
        entity.attributes['hurtle.stack.state'] = 'DELETE_IN_PROGRESS'
        entity.attributes[DELETED] = True
    entity.actions = []
    return entity


def _app_of(extras):
    caller = so_auth.caller_of(extras)
    return caller.app_id if caller is not None else None


class StackStore(registry.EntityStore):
    """EntityStore of stacks over SQLAlchemy, scoped by the calling SO's
    app."""

    def __init__(self, url):
        self._sessions = db_engine.sessionmaker(url)
        # The read of every stack GET (an SO's polls and held waits):
        # through the ORM, up to three queries, a sixth of the CC's CPU.
        table = models.Stack.__table__
        ref = sa.bindparam('ref')
        self._by_ref = prepared.PreparedSelect(
            db_engine.get_engine(url),
            sa.select(*table.columns).where(
                table.c.app_id == sa.bindparam('app_id'),
                sa.or_(table.c.id == ref, table.c.heat_id == ref,
                       table.c.title == ref)))

    @staticmethod
    def _id(key):
        return key[len(PREFIX):] if key.startswith(PREFIX) else None

    def _row(self, session, key, extras):
        """The row at ``/stack/<ref>`` for the calling SO's app, where
        ``ref`` is the CC's id of the stack, else Heat's id, else its
        name (as Heat finds a stack by id or name)."""
        ref = self._id(key)
        app_id = _app_of(extras)
        if not ref or app_id is None:
            return None
        row = session.get(models.Stack, ref)
        if row is not None and row.app_id == app_id:
            return row
        for column in (models.Stack.heat_id, models.Stack.title):
            row = session.scalars(sa.select(models.Stack).where(
                models.Stack.app_id == app_id, column == ref)).first()
            if row is not None:
                return row
        return None

    def get(self, key, extras):
        """The stack at ``key`` (``/stack/<id, Heat id or name>``) of the
        calling SO's app, or None; found as :meth:`_row` finds it, in one
        query."""
        ref = self._id(key)
        app_id = _app_of(extras)
        if not ref or app_id is None:
            return None
        rows = self._by_ref.all(app_id=app_id, ref=ref)
        for column in ('id', 'heat_id', 'title'):
            for row in rows:
                if getattr(row, column) == ref:
                    return to_entity(row)
        return None

    def claim(self, stack_id, app_id, title, region):
        """Record a stack about to be created (state ``CREATE_PENDING``).

        :raises hurtle.occi.errors.Conflict: the app has a stack of that
            title already, or the id is taken.
        """
        try:
            with self._sessions.begin() as session:
                session.add(models.Stack(id=stack_id, app_id=app_id,
                                         title=title, region=region,
                                         state=PENDING))
        except sa_exc.IntegrityError:
            raise errors.Conflict('a stack named %s (or with id %s) exists '
                                  'already' % (title, stack_id))

    def discard_stale_claim(self, app_id, title, running):
        """Forget the claim of stack ``title`` of app ``app_id`` if it is
        one whose create Heat never answered (``CREATE_PENDING``, no Heat
        id) and whose id is not in ``running`` (the creates under way in
        this CC process): a claim left by an earlier CC process. One
        statement, so two callers cannot both take it.

        :returns: True if such a claim was forgotten.
        """
        stack = models.Stack
        with self._sessions.begin() as session:
            done = session.execute(sa.delete(stack).where(
                stack.app_id == app_id, stack.title == title,
                stack.state == PENDING, stack.heat_id.is_(None),
                stack.id.not_in(list(running))))
        return done.rowcount > 0

    def rows_of(self, app_id):
        """Every stack row of app ``app_id``, oldest first."""
        with self._sessions() as session:
            return session.scalars(
                sa.select(models.Stack)
                .where(models.Stack.app_id == app_id)
                .order_by(models.Stack.created_at)).all()

    def discard(self, stack_id):
        """Forget a claimed stack whose create Heat refused."""
        with self._sessions.begin() as session:
            session.execute(sa.delete(models.Stack).where(
                models.Stack.id == stack_id))

    def record_lost(self, app_id, title, region, project, trust_id):
        """Record a create of stack ``title`` (in ``region``, None: the
        default one) of app ``app_id`` whose answer was lost: Heat may
        still make it (``hurtle.db.models.LostCreate``; one of that app,
        title and region is renewed). ``project`` and ``trust_id``: what
        it was sent with."""
        with self._sessions.begin() as session:
            session.execute(sa.delete(models.LostCreate).where(
                models.LostCreate.app_id == app_id,
                models.LostCreate.title == title,
                models.LostCreate.region.is_(None) if region is None
                else models.LostCreate.region == region))
            session.add(models.LostCreate(
                app_id=app_id, title=title, region=region, project=project,
                access={'trust_id': trust_id}))

    def lost_of_gone_apps(self, since):
        """The lost creates made ``since`` (a naive UTC ``datetime``) or
        later whose app has no row any more (one query; detached
        ``LostCreate`` rows, oldest first). Lost creates of apps that
        exist are not read."""
        with self._sessions() as session:
            return session.scalars(
                sa.select(models.LostCreate)
                .where(models.LostCreate.lost_at >= since,
                       ~sa.exists().where(
                           models.App.id == models.LostCreate.app_id))
                .order_by(models.LostCreate.lost_at)).all()

    def lost_of(self, app_id):
        """The lost creates of app ``app_id`` (detached rows)."""
        with self._sessions() as session:
            return session.scalars(
                sa.select(models.LostCreate)
                .where(models.LostCreate.app_id == app_id)).all()

    def _lost_with(self, session, app_id, trust_id, region=False):
        """The lost creates of app ``app_id`` made with ``trust_id`` (and
        in ``region``, None: the default one, unless False: any), as rows
        of ``session``. The trust is encrypted: compared here."""
        query = sa.select(models.LostCreate).where(
            models.LostCreate.app_id == app_id)
        if region is not False:
            query = query.where(
                models.LostCreate.region.is_(None) if region is None
                else models.LostCreate.region == region)
        return [row for row in session.scalars(query)
                if (row.access or {}).get('trust_id') == trust_id]

    def deleting_lost(self, app_id, title, region, trust_id, stack_id):
        """Note that the stack ``stack_id`` (Heat's id) made for the lost
        create of ``title`` (app ``app_id``, ``region``, ``trust_id``) is
        being deleted (the sweeper's delete, or another's): the create is
        done with once Heat no longer lists it (:meth:`gone_lost`).
        Returns how many lost creates it noted that on (0 or 1)."""
        noted = 0
        with self._sessions.begin() as session:
            for row in self._lost_with(session, app_id, trust_id, region):
                if row.title == title:
                    row.stack_id = stack_id
                    row.gone_at = None
                    noted += 1
        return noted

    def gone_lost(self, app_id, region, trust_id, listed, now):
        """Record at ``now`` (naive UTC) as done with the lost creates of
        app ``app_id`` (``region``, ``trust_id``) whose stack being
        deleted (:meth:`deleting_lost`) is not among ``listed`` (the ids
        Heat lists now, ``DELETE_COMPLETE`` ones left out). Returns how
        many."""
        done = 0
        with self._sessions.begin() as session:
            for row in self._lost_with(session, app_id, trust_id, region):
                if row.stack_id and row.gone_at is None and \
                        row.stack_id not in listed:
                    row.gone_at = now
                    done += 1
        return done

    def forget_lost(self, app_id, trust_id):
        """Remove the lost creates of app ``app_id`` made with
        ``trust_id`` (the trust is deleted: they can no longer be acted
        on); returns how many."""
        with self._sessions.begin() as session:
            rows = self._lost_with(session, app_id, trust_id)
            for row in rows:
                session.delete(row)
            return len(rows)

    def drop_lost(self, before):
        """Remove the lost creates made before ``before`` (a naive UTC
        ``datetime``); returns how many."""
        with self._sessions.begin() as session:
            return session.execute(sa.delete(models.LostCreate).where(
                models.LostCreate.lost_at < before)).rowcount

    def add(self, key, entity, extras):
        """Store a created stack (its row was claimed by the backend)."""
        self.update(key, entity, extras)

    def update(self, key, entity, extras):
        with self._sessions.begin() as session:
            row = self._row(session, key, extras)
            if row is None:
                return
            attrs = entity.attributes
            row.heat_id = attrs.get('hurtle.stack.id') or row.heat_id
            row.state = attrs.get('hurtle.stack.state') or row.state
            if attrs.get(DELETED):
                row.state = DELETED_STATE
            row.reason = attrs.get('hurtle.stack.reason') or None
            outputs = attrs.get('hurtle.stack.outputs')
            if isinstance(outputs, str):
                outputs = json.loads(outputs or '{}')
            row.outputs = outputs or None

    def delete(self, key, extras):
        with self._sessions.begin() as session:
            row = self._row(session, key, extras)
            if row is not None:
                session.delete(row)

    def _rows(self, extras):
        app_id = _app_of(extras)
        return [] if app_id is None else self.rows_of(app_id)

    def keys(self, extras):
        return [PREFIX + row.id for row in self._rows(extras)]

    def values(self, extras):
        return [to_entity(row) for row in self._rows(extras)]
