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
"""The SM's persistent instance records and its OCCI entity store.

A ``ServiceInstance`` row is written when an instance is created and removed
only when the instance, its SO and its resources are gone (delete is a state,
doc/source/contributor/lifecycle.rst). ``InstanceStore`` serves the rows to the
OCCI layer as PySSF resources; ``InstanceStore.transition`` is how the
lifecycle records every state change. ``InstanceStore.update`` keeps what the
OCCI layer itself changes on an instance: its title and summary
(``occi.core.title``/``occi.core.summary``) and the mixins it belongs to
(GFD.185 3.4.3; ids in ``sm_instances.mixins``, resolved against the project's
visible mixins by ``mixins_of``; ids of deleted mixins are dropped).

On a SQLite file, ``InstanceStore.get`` (each ``GET`` of an instance) keeps
the rows it read while the database's change counter
(:mod:`hurtle.db.changes`, moved by every write of any Hurtle process on
the file) says nothing was written since; elsewhere it reads every time.
"""
import json
import urllib.parse

from occi import core_model
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from hurtle.db import changes
from hurtle.db import engine as db_engine
from hurtle.db import locks
from hurtle.db import models
from hurtle.db import prepared
from hurtle.occi import errors
from hurtle.occi import members as occi_members
from hurtle.occi import registry
from hurtle.sm import states
from hurtle.sm import trusts

#: Longest title or summary (characters) kept by ``update`` (the SM API's
#: limit of attribute values).
MAX_TEXT = 8192

#: How often ``begin``/``transition`` retry a compare-and-set that lost
#: against a concurrent writer whose change still meets the conditions.
_CAS_ATTEMPTS = 10

#: Most rows :meth:`InstanceStore.get` keeps at one change count (all
#: are dropped when the count moves or past it).
MAX_KEPT = 1024

_ABSENT = object()

#: Key of the PostgreSQL advisory lock that serialises the creates counted
#: against a quota (``hurtle.db.locks``; "hurtleq").
QUOTA_LOCK_KEY = 0x687572746c6571


class InstanceStore(registry.EntityStore):
    """EntityStore of service instances, scoped by project.

    :param url: SQLAlchemy URL of ``[database] connection``.
    :param kinds: ``{term: occi Kind}`` of the services this SM serves.
    :param max_per_project: most instance records one project may have
        (``[sm] max_instances_per_project``); -1: no limit.
    :param max_total: most instance records in the database, all
        projects and services (``[sm] max_instances``); -1: no limit.
    """

    def __init__(self, url, kinds, max_per_project=-1, max_total=-1):
        self.max_per_project = max_per_project
        self.max_total = max_total
        self._sessions = db_engine.sessionmaker(url)
        self._engine = db_engine.get_engine(url)
        self._by_id = prepared.PreparedSelect(
            self._engine, sa.select(
                *_ENTITY_COLUMNS, models.ServiceInstance.operation,
                models.ServiceInstance.pending).where(
                models.ServiceInstance.id == sa.bindparam('instance_id')))
        self._changes = changes.for_engine(self._engine)
        # (change count, {instance id: read() at that count})
        self._kept = (None, {})
        self._ownership = prepared.PreparedSelect(
            self._engine, sa.select(
                models.ServiceInstance.operation,
                models.ServiceInstance.owner).where(
                models.ServiceInstance.id == sa.bindparam('instance_id')))
        self.kinds = dict(kinds)
        #: ``project -> {category id: Mixin}`` of the mixins visible to a
        #: project (set by the application: its registry's)
        self.mixins_of = lambda project: {}
        #: ``() -> Lease or None``: the lease a new record is created with
        #: (set by ``hurtle.sm.leases.Leases``: the accepting SM holds it)
        self.new_lease = lambda: None

    # key <-> (service term, id) -------------------------------------------
    def _split(self, key):
        parts = key.strip('/').split('/')
        if len(parts) != 2 or parts[0] not in self.kinds or not parts[1]:
            return None, None
        return parts[0], parts[1]

    def to_entity(self, row, mixins=None):
        """The PySSF resource of ``row`` (an ORM object or a row of
        :data:`_ENTITY_COLUMNS`).

        :param mixins: ``{category id: Mixin}`` visible to the row's
            project (default: ``mixins_of(row.project)``).
        """
        return self._entity(
            tuple(getattr(row, name) for name in _ENTITY_NAMES), mixins)

    def _entity(self, values, mixins=None):
        """:meth:`to_entity` of the values of :data:`_ENTITY_COLUMNS`, in
        their order (a listing's rows as they come: reading a Core row's
        columns by name cost more than building the entity)."""
        (instance_id, service, project, state, reason, so_url, attributes,
         title, summary, names) = values[:len(_ENTITY_NAMES)]
        if names and mixins is None:
            mixins = self.mixins_of(project)
        shown = _shown(instance_id, state, reason, so_url,
                       dict(attributes) if attributes else {}, title,
                       summary)
        entity = core_model.Resource('/%s/%s' % (service, instance_id),
                                     self.kinds[service],
                                     _mixins(names, mixins))
        entity.title, entity.summary, entity.attributes = shown
        entity.extras = project
        entity.actions = []
        return entity

    def _members(self, service, rows, mixins):
        """The :class:`hurtle.occi.members.Member` records of ``rows``
        (values of :data:`_MEMBER_COLUMNS`) of ``service``'s instances:
        what :meth:`_entity` makes of the same rows, without entities.
        The stored attributes of all rows are parsed in one
        ``json.loads``.

        :param mixins: ``{category id: Mixin}`` visible to the project.
        """
        prefix = '/%s/' % service
        kind = self.kinds[service]
        stored = json.loads('[%s]' % ','.join(row[4] for row in rows))
        result = []
        for (instance_id, state, reason, so_url, _text, title, summary,
             names), attributes in zip(rows, stored):
            title, summary, attributes = _shown(
                instance_id, state, reason, so_url, attributes or {},
                title, summary)
            result.append(occi_members.Member(
                prefix + instance_id, kind,
                _mixins(json.loads(names) if names else None, mixins),
                occi_members.rendered_attributes(instance_id, title,
                                                 summary, attributes),
                []))
        return result

    # EntityStore -------------------------------------------------------------
    def get(self, key, extras):
        service, instance_id = self._split(key)
        if instance_id is None:
            return None
        row = self._current(instance_id)
        if (row is None or row.service != service or
                row.project != registry.project_of(extras)):
            return None
        return self._entity(row)

    def _current(self, instance_id):
        """:meth:`read` of ``instance_id``, or what an earlier call read
        while no write (of any process) has begun since: the change
        counter (:mod:`hurtle.db.changes`) still has the even value seen
        before that read. Without a counter (PostgreSQL), or while a
        write is in progress, it reads. The row is shared between calls:
        not to be changed (:meth:`_entity` copies its attributes)."""
        counter = self._changes
        version = counter.stable() if counter is not None else None
        if version is not None:
            kept_version, kept = self._kept
            if kept_version == version:
                row = kept.get(instance_id, _ABSENT)
                if row is not _ABSENT:
                    return row
        row = self.read(instance_id)
        if version is not None and counter.stable() == version:
            # Nothing was written since before the read: it is current
            # until the count moves.
            kept_version, kept = self._kept
            if kept_version != version or len(kept) >= MAX_KEPT:
                kept = {}
                self._kept = (version, kept)
            kept[instance_id] = row
        return row

    def check_quota(self, project, session=None):
        """Refuse one more instance for ``project`` if it would exceed
        ``max_per_project`` or ``max_total``. Every record counts, from
        ``initialise`` until purged (``destroy`` included).

        Alone, a check ahead of the work a create does before storing
        (a trust): :meth:`add` checks again, atomically.

        :param session: the session (in a transaction) to count in.
        :raises hurtle.occi.errors.Forbidden: over quota (403, naming the
            limit and its option).
        """
        if self.max_per_project < 0 and self.max_total < 0:
            return
        if session is None:
            with self._sessions() as session:
                return self.check_quota(project, session)
        table = models.ServiceInstance
        count = sa.select(sa.func.count()).select_from(table)
        if self.max_per_project >= 0:
            have = session.scalar(count.where(table.project == project))
            if have >= self.max_per_project:
                raise errors.Forbidden(
                    'Quota exceeded: project %s has %d instances (at most '
                    '%d, [sm] max_instances_per_project).'
                    % (project, have, self.max_per_project))
        if self.max_total >= 0:
            have = session.scalar(count)
            if have >= self.max_total:
                raise errors.Forbidden(
                    'Quota exceeded: this service manager has %d instances '
                    'of all projects (at most %d, [sm] max_instances).'
                    % (have, self.max_total))

    def add(self, key, entity, extras):
        """Create the record of a new instance (state ``initialise``),
        within the quotas (:meth:`check_quota`).

        The count and the insert are one transaction, serialised against
        every other create under a quota on the database, in any process
        (:func:`hurtle.db.locks.serialise`: a lock taken before counting,
        since a row lock cannot cover rows not inserted yet), so parallel
        creates at the limit cannot all pass.

        :raises hurtle.occi.errors.Conflict: the id exists already.
        :raises hurtle.occi.errors.Forbidden: over quota; nothing stored.
        """
        service, instance_id = self._split(key)
        project = registry.project_of(extras)
        attributes = {k: v for k, v in entity.attributes.items()
                      if k not in ('occi.core.id', 'mcn.service.state')}
        # OCCI Core title and summary live on the entity, not in its
        # attributes (GFD.184 4.5): keep them with the others.
        for name, value in (('occi.core.title', entity.title),
                            ('occi.core.summary',
                             getattr(entity, 'summary', None))):
            if value:
                attributes[name] = value
        lease = self.new_lease()
        try:
            with self._sessions.begin() as session:
                if self.max_per_project >= 0 or self.max_total >= 0:
                    locks.serialise(session.connection(), QUOTA_LOCK_KEY)
                    self.check_quota(project, session)
                session.add(models.ServiceInstance(
                    id=instance_id, project=project,
                    service=service, state=states.INITIALISE,
                    attributes=attributes,
                    operation=states.FIRST_OPERATION,
                    mixins=[str(m) for m in entity.mixins] or None,
                    owner=lease.owner if lease else None,
                    lease_expires=lease.expires if lease else None))
        except sa_exc.IntegrityError:
            # Two creates of one id raced past the API's check.
            raise errors.Conflict('the id %s is already in use'
                                  % instance_id)

    def update(self, key, entity, extras):
        """Persist the title, summary and mixins of ``entity``.

        Attributes and state are the lifecycle's (``transition``); this
        writes only the ``title``, ``summary`` and ``mixins`` columns of
        the project's row, in one ``UPDATE`` (no read-modify-write that
        could undo a concurrent transition). No row: nothing happens.
        An entity pinned to an operation (:func:`pin`) is written only while
        the row still has that operation number, in the same ``UPDATE``.

        :raises hurtle.occi.errors.BadRequest: a title or summary longer
            than :data:`MAX_TEXT`.
        :raises hurtle.occi.errors.Conflict: ``entity`` is pinned and
            another operation (a delete, say) began since (409 naming the
            state); nothing is written.
        """
        service, instance_id = self._split(key)
        if instance_id is None:
            return
        summary = getattr(entity, 'summary', None)
        for name, value in (('occi.core.title', entity.title),
                            ('occi.core.summary', summary)):
            if value and len(str(value)) > MAX_TEXT:
                raise errors.BadRequest('%s is limited to %d characters'
                                        % (name, MAX_TEXT))
        table = models.ServiceInstance
        conditions = [table.id == instance_id, table.service == service,
                      table.project == registry.project_of(extras)]
        operation = getattr(entity, PINNED, None)
        if operation is not None:
            conditions.append(table.operation == operation)
        with self._sessions.begin() as session:
            result = session.execute(
                sa.update(table).where(*conditions)
                .values(title=entity.title or '', summary=summary or '',
                        mixins=[str(m) for m in entity.mixins]))
        if operation is not None and result.rowcount != 1:
            row = self.read(instance_id)
            raise errors.Conflict(
                'instance is in state %s; another operation began while '
                'the request was handled, its title, summary and mixins '
                'are unchanged' % (row.state if row else states.DESTROY))

    def delete(self, key, extras):
        """Delete is a state: the lifecycle removes the row (``purge``)."""

    def _rows(self, extras, service=None):
        query = sa.select(models.ServiceInstance).where(
            models.ServiceInstance.project == registry.project_of(extras))
        if service is not None:
            query = query.where(models.ServiceInstance.service == service)
        with self._sessions() as session:
            return session.scalars(query.order_by(
                models.ServiceInstance.created_at,
                models.ServiceInstance.id)).all()

    def keys(self, extras):
        return ['/%s/%s' % (r.service, r.id) for r in self._rows(extras)
                if r.service in self.kinds]

    def values(self, extras):
        rows = [r for r in self._rows(extras) if r.service in self.kinds]
        mixins = self.mixins_of(registry.project_of(extras)) \
            if any(r.mixins for r in rows) else {}
        return [self.to_entity(r, mixins) for r in rows]

    def listing(self, extras, kind, limit=None, marker=None,
                keys_only=False, members=False):
        """One page of ``kind``'s instances of the project, filtered,
        ordered (creation time, then id) and cut in SQL; ``keys_only``
        reads only the ``id`` column, ``members`` the rendered columns
        (:data:`_MEMBER_COLUMNS`) into
        :class:`hurtle.occi.members.Member` records. See
        :meth:`hurtle.occi.registry.EntityStore.listing`.

        :raises hurtle.occi.errors.BadRequest: ``marker`` is not an
            instance of this kind in this project (unknown and another
            project's alike).
        """
        service = self._service(kind)
        if service is None:
            return super().listing(extras, kind, limit, marker, keys_only,
                                   members)
        # Columns, not ORM objects: building 10,000 of those cost more
        # than the query.
        columns = (models.ServiceInstance.id,) if keys_only else \
            _MEMBER_COLUMNS if members else _ENTITY_COLUMNS
        rows, more = self._page(extras, service, columns, limit, marker,
                                scalars=keys_only)
        if keys_only:
            prefix = '/%s/' % service
            return [prefix + instance_id for instance_id in rows], more
        names = 7 if members else 9
        mixins = self.mixins_of(registry.project_of(extras)) \
            if any(r[names] for r in rows) else {}
        if members:
            return self._members(service, rows, mixins), more
        return [self._entity(r, mixins) for r in rows], more

    def versions(self, extras, kind, limit=None, marker=None, mixins=None):
        """One page of ``kind``'s instances of the project, as
        :meth:`listing` selects it, as ``(key, version)``: the version
        is the row's ``updated_at`` as the database's text (written with
        every change of a rendered column, by any SM; lease writes keep
        it; in microseconds, so two writes of a row would share one only
        in the same microsecond of their SMs' clocks, which the
        lifecycle's compare-and-set assumes too). With ``mixins``, the
        members too, read in the same rows. See
        :meth:`hurtle.occi.registry.EntityStore.versions`.

        :raises hurtle.occi.errors.BadRequest: as :meth:`listing`.
        """
        service = self._service(kind)
        if service is None:
            return None
        prefix = '/%s/' % service
        if mixins is None:
            rows, more = self._page(extras, service, _VERSION_COLUMNS, limit,
                                    marker)
            return [(prefix + instance_id, version)
                    for instance_id, version in rows], more
        rows, more = self._page(extras, service,
                                _VERSION_COLUMNS[1:] + _MEMBER_COLUMNS,
                                limit, marker)
        members = self._members(service, [row[1:] for row in rows], mixins)
        return [(member.identifier, row[0], member)
                for row, member in zip(rows, members)], more

    def versioned_members(self, extras, kind, keys, mixins):
        """The :class:`hurtle.occi.members.Member` records of the
        instances at ``keys`` (paths) still in the project's ``kind``
        collection, each with its version (as :meth:`versions`) read
        in the same row. See
        :meth:`hurtle.occi.registry.EntityStore.versioned_members`.

        :returns: ``[(key, version, Member)]`` in the order of ``keys``.
        """
        service = self._service(kind)
        table = models.ServiceInstance
        prefix = '/%s/' % service
        ids = [key[len(prefix):] for key in keys if key.startswith(prefix)]
        rows = []
        with self._engine.connect() as connection:
            for start in range(0, len(ids), _IDS_PER_QUERY):
                rows.extend(connection.execute(
                    sa.select(*(_VERSION_COLUMNS[1:] + _MEMBER_COLUMNS))
                    .where(table.project == registry.project_of(extras),
                           table.service == service,
                           table.id.in_(ids[start:start + _IDS_PER_QUERY]))
                ).all())
        order = {instance_id: index for index, instance_id in enumerate(ids)}
        rows.sort(key=lambda row: order[row[1]])
        members = self._members(service, [row[1:] for row in rows], mixins)
        return [(member.identifier, row[0], member)
                for row, member in zip(rows, members)]

    def _service(self, kind):
        """The service term of ``kind`` (None: not one of this SM's)."""
        return next((term for term, known in self.kinds.items()
                     if known == kind), None)

    def _page(self, extras, service, columns, limit, marker,
              scalars=False):
        """``(rows, more)``: ``columns`` of one page of the project's
        instances of ``service`` in listing order (creation time, then
        id), read in index order (``ix_sm_instances_listing``).

        :raises hurtle.occi.errors.BadRequest: bad ``marker``.
        """
        table = models.ServiceInstance
        where = [table.project == registry.project_of(extras),
                 table.service == service]
        # Core, not the ORM session: its row loading cost a third of a
        # 10,000-row listing.
        with self._engine.connect() as connection:
            if marker is not None:
                last = connection.execute(
                    sa.select(table.created_at, table.id)
                    .where(table.id == marker, *where)).first()
                if last is None:
                    raise errors.BadRequest(registry.bad_marker(marker))
                where.append(sa.or_(
                    table.created_at > last.created_at,
                    sa.and_(table.created_at == last.created_at,
                            table.id > last.id)))
            query = sa.select(*columns).where(*where).order_by(
                table.created_at, table.id)
            if limit is not None:
                query = query.limit(limit + 1)
            result = connection.execute(query)
            rows = result.scalars().all() if scalars else result.all()
        more = limit is not None and len(rows) > limit
        return (rows[:limit] if limit is not None else rows), more

    # lifecycle
    # One operation at a time (doc/source/contributor/lifecycle.rst):
    # ``begin`` accepts an operation with one conditional UPDATE (``WHERE state
    # IN (...) AND operation = <read>``, checked by rowcount), which holds on
    # SQLite, where SELECT ... FOR UPDATE is a no-op, and on PostgreSQL alike.
    def read(self, instance_id):
        """What :meth:`to_entity` needs of ``instance_id`` (any project)
        as a read-only named tuple (the attribute names of
        :class:`hurtle.db.models.ServiceInstance`; no secret, so nothing
        to decrypt) with its ``operation`` number and ``pending``
        attributes too, or None. A
        prepared select on the pool's connection
        (:mod:`hurtle.db.prepared`) instead of the ORM, a fifth of the
        time, for the API's reads (``GET`` of one instance)."""
        return self._by_id.one_or_none(instance_id=instance_id)

    def ownership(self, instance_id):
        """``operation`` and ``owner`` of ``instance_id`` (a named
        tuple), or None: what a lifecycle step checks before each attempt
        of a wait, without the whole record (reading and decrypting it
        each time was a fifth of the SM's CPU)."""
        return self._ownership.one_or_none(instance_id=instance_id)

    def load(self, instance_id):
        """Return the row of ``instance_id`` (any project) or None."""
        with self._sessions() as session:
            return session.get(models.ServiceInstance, instance_id)

    def _compare_and_set(self, row, values):
        """UPDATE the row only if nobody changed it since ``row`` was read
        (its lease included: lease writes keep ``updated_at``).
        Returns the values written (``updated_at`` added), or None if the
        row changed.

        The write is the transaction's first statement, so SQLite takes
        its write lock at once (waiting ``busy_timeout``) instead of
        failing to upgrade a read snapshot.
        """
        table = models.ServiceInstance
        values = dict(values, updated_at=models._now())
        with self._sessions.begin() as session:
            result = session.execute(
                sa.update(table)
                .where(table.id == row.id,
                       table.state == row.state,
                       table.operation == row.operation,
                       table.updated_at == row.updated_at,
                       _equal(table.owner, row.owner),
                       _equal(table.lease_expires, row.lease_expires))
                .values(**values)
                .execution_options(synchronize_session=False))
            return values if result.rowcount == 1 else None

    def begin(self, instance_id, state, expect, reason=None, lease=None,
              lease_required=False, operation=None, **fields):
        """Accept a new operation: move to ``state`` if in ``expect``.

        :param expect: the states in which the operation is accepted.
        :param lease: a ``hurtle.sm.leases.Lease`` to take with the
            operation, in the same UPDATE, if the instance's lease is free
            (no owner, expired, or ``lease.owner``'s); a live lease of
            another SM is left alone (its holder stops at its next step,
            as the operation number changed).
        :param lease_required: accept the operation only if the lease is
            taken, and only if the work is left behind
            (``lease.left_behind``: no owner, expired, or ``lease.owner``'s
            from an earlier process): the takeover of work left behind,
            never of work this process holds.
        :param operation: accept only while the record is still at this
            operation number (None: any).
        :param fields: column values to store with it. ``pending`` (the
            attributes of an update, a dict) is merged onto the values of
            an update still pending (``degraded``: its SO did not answer;
            see ``hurtle.sm.phases.Phases.update``), the newer value of
            an attribute winning: what is sent is both.
        :returns: the new operation number (int), or None if the instance
            does not exist, is not in one of ``expect`` or (with
            ``lease_required``) its work is not left behind (of several
            concurrent calls, exactly one gets a number).
        """
        for _attempt in range(_CAS_ATTEMPTS):
            row = self.load(instance_id)
            if row is None or row.state not in expect or (
                    operation is not None and row.operation != operation):
                return None
            number = row.operation + 1
            values = dict(fields, state=state, reason=reason,
                          operation=number)
            if fields.get('pending') and row.pending:
                values['pending'] = dict(row.pending, **fields['pending'])
            if lease_required and (lease is None or
                                   not lease.left_behind(row)):
                return None
            if lease is not None and lease.free(row):
                values.update(owner=lease.owner,
                              lease_expires=lease.expires)
            if self._compare_and_set(row, values) is not None:
                return number
        return None

    def transition(self, instance_id, state, reason=None, expect=None,
                   operation=None, **fields):
        """Move an instance to ``state`` and store ``fields``.

        :param expect: if given, a set of states the instance must be in.
        :param operation: if given, the operation number the record must
            still have: a lifecycle whose operation was superseded (e.g. a
            create cancelled by a DELETE) changes nothing.
        :param fields: column values; ``attributes`` is merged into the
            stored attributes rather than replacing them.
        :returns: True if the row was changed, False if it is gone or the
            conditions do not hold.
        """
        return self.moved(instance_id, state, reason=reason, expect=expect,
                          operation=operation, **fields) is not None

    def moved(self, instance_id, state, reason=None, expect=None,
              operation=None, **fields):
        """:meth:`transition`, returning the record as written (the row
        read for the compare-and-set with the written values applied, a
        detached object) instead of True, or None instead of False: a
        lifecycle step goes on from it without reading the row again.
        """
        attributes = fields.pop('attributes', None)
        for _attempt in range(_CAS_ATTEMPTS):
            row = self.load(instance_id)
            if row is None or (expect is not None and
                               row.state not in expect):
                return None
            if operation is not None and row.operation != operation:
                return None
            values = dict(fields, state=state, reason=reason)
            if attributes:
                merged = dict(row.attributes or {})
                merged.update(attributes)
                values['attributes'] = merged
            written = self._compare_and_set(row, values)
            if written is not None:
                # The session that read the row is closed: these only
                # change the returned copy.
                for name, value in written.items():
                    setattr(row, name, value)
                return row
        return None

    def purge(self, instance_id, operation=None):
        """Remove the record of a disposed instance.

        :param operation: if given, only while the record still has this
            operation number.
        :returns: True if a record was removed.
        """
        table = models.ServiceInstance
        query = sa.delete(table).where(table.id == instance_id)
        if operation is not None:
            query = query.where(table.operation == operation)
        with self._sessions.begin() as session:
            return session.execute(query).rowcount == 1

    def dependents(self, service, instance_id):
        """Ids of instances (not being destroyed) that depend on the
        instance ``/<service>/<instance_id>`` of this SM."""
        path = '/%s/%s' % (service, instance_id)
        with self._sessions() as session:
            rows = session.scalars(sa.select(models.ServiceInstance).where(
                models.ServiceInstance.dependencies.is_not(None),
                models.ServiceInstance.state != states.DESTROY)).all()
        return [row.id for row in rows
                if any(urllib.parse.urlsplit(d.get('location', '')).path ==
                       path for d in row.dependencies or [])]

    # leases (hurtle.sm.leases). These UPDATEs keep ``updated_at``: a
    # renewal does not make the lifecycle's compare-and-set retry for
    # nothing (``_compare_and_set`` checks the lease columns themselves).
    def claim(self, instance_id, lease):
        """Take or renew the lease of ``instance_id`` if it is free (no
        owner, expired at ``lease.now``, or ``lease.owner``'s already): one
        conditional UPDATE.

        :returns: True if ``lease.owner`` holds it until ``lease.expires``.
        """
        table = models.ServiceInstance
        with self._sessions.begin() as session:
            return session.execute(
                sa.update(table)
                .where(table.id == instance_id,
                       sa.or_(table.owner.is_(None),
                              table.owner == lease.owner,
                              table.lease_expires.is_(None),
                              table.lease_expires <= lease.now))
                .values(owner=lease.owner, lease_expires=lease.expires,
                        updated_at=table.updated_at)
                .execution_options(synchronize_session=False)
            ).rowcount == 1

    def renew(self, instance_ids, lease):
        """Extend to ``lease.expires`` the leases ``lease.owner`` still
        holds among ``instance_ids``; return how many."""
        return self._update_held(instance_ids, lease.owner,
                                 lease_expires=lease.expires)

    def release(self, instance_ids, owner):
        """Give up the leases ``owner`` holds among ``instance_ids``."""
        return self._update_held(instance_ids, owner, owner=None,
                                 lease_expires=None)

    def _update_held(self, instance_ids, holder, **values):
        """Set ``values`` on the rows among ``instance_ids`` whose lease
        ``holder`` holds (``updated_at`` unchanged); return how many."""
        if not instance_ids:
            return 0
        table = models.ServiceInstance
        with self._sessions.begin() as session:
            return session.execute(
                sa.update(table)
                .where(table.id.in_(list(instance_ids)),
                       table.owner == holder)
                .values(updated_at=table.updated_at, **values)
                .execution_options(synchronize_session=False)).rowcount

    def unleased(self, now, mine=None, mine_before=None):
        """Rows of every project in progress (``states.BUSY``) that
        nobody holds: no owner, or a lease expired at ``now`` (or, if
        given, held by ``mine``, with a lease expiring before
        ``mine_before`` if that is given: an earlier process's, see
        ``hurtle.sm.leases.Leases.before_start``)."""
        table = models.ServiceInstance
        free = [table.owner.is_(None), table.lease_expires.is_(None),
                table.lease_expires <= now]
        if mine is not None:
            free.append(table.owner == mine if mine_before is None else
                        sa.and_(table.owner == mine,
                                table.lease_expires < mine_before))
        with self._sessions() as session:
            return session.scalars(sa.select(table).where(
                table.state.in_(list(states.BUSY)), sa.or_(*free))
                .order_by(table.created_at)).all()

    def in_states(self, names):
        """Rows of every project in one of the states ``names``."""
        with self._sessions() as session:
            return session.scalars(sa.select(models.ServiceInstance).where(
                models.ServiceInstance.state.in_(list(names)))).all()


#: The attribute of an entity :func:`pin` sets.
PINNED = 'pinned_operation'


def pin(entity, operation):
    """Make :meth:`InstanceStore.update` of ``entity`` (an instance's
    resource) conditional: it writes only while the record still has the
    operation number ``operation`` (int), the one its update was decided
    on; else 409."""
    setattr(entity, PINNED, operation)


#: What ``InstanceStore.to_entity`` reads of a row, in this order.
_ENTITY_NAMES = ('id', 'service', 'project', 'state', 'reason', 'so_url',
                 'attributes', 'title', 'summary', 'mixins')
_ENTITY_COLUMNS = tuple(getattr(models.ServiceInstance, name)
                        for name in _ENTITY_NAMES)
#: What ``InstanceStore.listing(..., members=True)`` reads of a row, in
#: this order: ``id``, ``state``, ``reason``, ``so_url``, ``attributes``
#: as its JSON text (a page's are parsed in one go), ``title``,
#: ``summary``, ``mixins`` as its JSON text (or None).
_MEMBER_COLUMNS = (
    models.ServiceInstance.id, models.ServiceInstance.state,
    models.ServiceInstance.reason, models.ServiceInstance.so_url,
    sa.cast(models.ServiceInstance.attributes, sa.Text),
    models.ServiceInstance.title, models.ServiceInstance.summary,
    sa.cast(models.ServiceInstance.mixins, sa.Text))


#: What ``InstanceStore.versions`` reads of a row: ``id`` and the
#: version, ``updated_at`` as text (no date parsing; compared, never read).
_VERSION_COLUMNS = (models.ServiceInstance.id,
                    sa.cast(models.ServiceInstance.updated_at, sa.Text))

#: Most ids in one ``IN`` of ``versioned_members`` (SQLite before 3.32
#: allows 999 bound parameters).
_IDS_PER_QUERY = 900


def _shown(instance_id, state, reason, so_url, attributes, title, summary):
    """``(title, summary, attributes)`` of an instance as its entity
    has them: the stored ``attributes`` (a dict, changed in place and
    returned) without the trust (kept, never rendered) and the title and
    summary given at creation, which the ``title``/``summary`` columns
    override once updated (``''``: cleared); then ``occi.core.id``,
    ``mcn.service.state`` and, when set, ``mcn.service.state.reason``
    and ``occi.so.url``."""
    attributes.pop(trusts.ATTRIBUTE, None)
    created_title = attributes.pop('occi.core.title', None)
    created_summary = attributes.pop('occi.core.summary', None)
    attributes['occi.core.id'] = instance_id
    attributes['mcn.service.state'] = state
    if reason:
        attributes['mcn.service.state.reason'] = reason
    if so_url:
        attributes['occi.so.url'] = so_url
    return (created_title if title is None else title or None,
            created_summary if summary is None else summary or None,
            attributes)


def _mixins(names, mixins):
    """The ``Mixin``s among ``mixins`` (``{category id: Mixin}``) that
    the ids ``names`` (list or None) name; ids of deleted mixins drop
    out."""
    if not names:
        return []
    return [mixins[name] for name in names if name in mixins]


def _equal(column, value):
    """``column = value``, or ``column IS NULL`` for None."""
    return column.is_(None) if value is None else column == value
