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
"""The SM's user-defined mixins, kept in the database (table
``user_mixins``, migration 0004) so they survive restarts.

A :class:`hurtle.occi.registry.MixinStore`: definitions are per project;
adding checks clashes and the per-project limit in one transaction (the
table's unique constraints catch what a parallel writer slipped in).

On a SQLite file, what :meth:`SQLMixinStore.list` read is kept while the
database's change counter (:mod:`hurtle.db.changes`) says no store of
any process added or deleted a mixin since: the query interface then
answers without a database read. Elsewhere every listing reads.
"""
import contextlib

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from hurtle.db import changes
from hurtle.db import engine as db_engine
from hurtle.db import models
from hurtle.db import prepared
from hurtle.occi import errors
from hurtle.occi import registry


def _definition(row):
    return {'scheme': row.scheme, 'term': row.term, 'title': row.title,
            'location': row.location, 'related': list(row.related or [])}


def _copied(definitions):
    """New dicts (and ``related`` lists) of ``definitions``: what is
    kept is never handed out."""
    return [dict(item, related=list(item['related'])) for item in
            definitions]


#: Most projects whose listing :class:`SQLMixinStore` keeps at one
#: change count (all are dropped when the count moves or past it).
MAX_KEPT = 1024


class SQLMixinStore(registry.MixinStore):
    """:class:`~hurtle.occi.registry.MixinStore` in ``[database]``.

    :param url: SQLAlchemy URL of ``[database] connection``.
    """

    def __init__(self, url):
        self._sessions = db_engine.sessionmaker(url)
        self._engine = db_engine.get_engine(url)
        table = models.UserMixin
        # Prepared once (hurtle.db.prepared): listing runs on every query
        # interface request (GET /-/).
        self._listing = prepared.PreparedSelect(self._engine, sa.select(
            table.scheme, table.term, table.title, table.location,
            table.related).where(
                table.project == sa.bindparam('project')).order_by(table.id))
        self._changes = changes.for_engine(self._engine)
        # (change count, {project: definitions read at that count})
        self._kept = (None, {})

    def _query(self, project):
        return sa.select(models.UserMixin).where(
            models.UserMixin.project == project).order_by(
                models.UserMixin.id)

    def list(self, project):
        counter = self._changes
        version = counter.stable() if counter is not None else None
        if version is not None:
            kept_version, kept = self._kept
            found = kept.get(project) if kept_version == version else None
            if found is not None:
                return _copied(found)
        definitions = [_definition(row) for row in self._listing.all(
            project=project)]
        if version is not None and counter.stable() == version:
            # Nothing was written since before the read: it is current
            # until the count moves.
            kept_version, kept = self._kept
            if kept_version != version or len(kept) >= MAX_KEPT:
                kept = {}
                self._kept = (version, kept)
            kept[project] = _copied(definitions)
        return definitions

    def _writing(self):
        """Around a write: the change counter's
        :meth:`~hurtle.db.changes.Counter.writing`, if there is one."""
        if self._changes is None:
            return contextlib.nullcontext()
        return self._changes.writing()

    def add(self, project, definitions, limit):
        try:
            with self._writing(), self._sessions.begin() as session:
                existing = [_definition(row) for row in
                            session.scalars(self._query(project))]
                registry.check_new_mixins(existing, definitions, limit)
                for item in definitions:
                    session.add(models.UserMixin(
                        project=project, scheme=item['scheme'],
                        term=item['term'], title=item.get('title') or '',
                        location=item['location'],
                        related=list(item.get('related') or [])))
        except sa_exc.IntegrityError:
            raise errors.Conflict('A mixin with this category or location '
                                  'was defined meanwhile.')

    def delete(self, project, scheme, term):
        with self._writing(), self._sessions.begin() as session:
            session.execute(sa.delete(models.UserMixin).where(
                models.UserMixin.project == project,
                models.UserMixin.scheme == scheme,
                models.UserMixin.term == term))
