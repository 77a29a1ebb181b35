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
"""The CC's OCCI entity store: ``app`` entities as ``cc_apps`` rows.

``cc_apps.runtime_ref`` holds ``{"v": 2, "ref": <the runtime driver's
reference>, "restarts": <hurtle.app.restarts>}``; a bare driver reference
(rows of an older Hurtle) reads as ``restarts`` 0.
"""
from occi import core_model
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from hurtle.db import engine as db_engine
from hurtle.db import models
from hurtle.db import prepared
from hurtle.occi import categories
from hurtle.occi import errors
from hurtle.occi import registry

PREFIX = '/app/'
#: ``cc_apps.state`` of an app whose DELETE was answered while its SO is
#: still stopping (``hurtle.cc.api.AppBackend.delete``): not found
#: through the API (404, not listed), its SO's secret no longer accepted,
#: its id still taken; :meth:`AppStore.purge` removes the row once the SO
#: is gone (at the latest at the CC's next start).
DELETING = 'deleting'


def _key(app_id):
    return PREFIX + app_id


def actions(state, self_healing=False):
    """The actions applicable to an app in ``state``: ``stop`` when it is
    active, else ``start``; with a self-healing runtime (``Runtime.
    self_healing``) an active app takes ``start`` too, which waits for the
    runtime's own restart of its SO (``AppBackend.action``; a GET shows
    it only while the SO is down)."""
    if state != 'active':
        return [categories.APP_START]
    if self_healing:
        return [categories.APP_STOP, categories.APP_START]
    return [categories.APP_STOP]


def to_entity(row, self_healing=False):
    """Build the PySSF resource of an app row (``self_healing``: see
    :func:`actions`)."""
    entity = core_model.Resource(_key(row.id), categories.APP, [])
    entity.attributes.update({
        'occi.core.id': row.id,
        'occi.app.name': row.name,
        'occi.app.image': row.image,
        'occi.app.state': row.state,
        'occi.app.url': row.url or '',
    })
    # The environment may hold secrets: it is stored, never rendered.
    entity.app_env = dict(row.env or {})
    ref, restarts = _unwrap(row.runtime_ref)
    entity.runtime_ref = ref
    entity.attributes['hurtle.app.restarts'] = restarts
    entity.extras = row.project
    entity.actions = actions(row.state, self_healing)
    return entity


def runtime_ref(row):
    """The runtime driver's reference of an app row (None if stopped)."""
    return _unwrap(row.runtime_ref)[0]


def _unwrap(stored):
    """``(driver reference, restarts)`` of a stored ``runtime_ref``."""
    if isinstance(stored, dict) and stored.get('v') == 2:
        return stored.get('ref'), int(stored.get('restarts') or 0)
    return stored, 0


def _wrap(ref, restarts):
    return {'v': 2, 'ref': ref, 'restarts': int(restarts or 0)}


class AppStore(registry.EntityStore):
    """EntityStore over SQLAlchemy; rows scoped by project."""

    def __init__(self, url, self_healing=False):
        #: The runtime restarts its SOs itself (:func:`actions`).
        self.self_healing = self_healing
        self._sessions = db_engine.sessionmaker(url)
        # Every SO request to the CC reads its app's row (its secret):
        # through the ORM, that read was a sixth of the CC's CPU.
        self._by_id = prepared.PreparedSelect(
            db_engine.get_engine(url),
            sa.select(*models.App.__table__.columns).where(
                models.App.id == sa.bindparam('app_id')))

        # The SO watcher's look at every app, every [cc] watch_interval:
        # no environment (decrypting each app's was most of its cost).
        self._states = prepared.PreparedSelect(
            db_engine.get_engine(url),
            sa.select(models.App.id, models.App.state,
                      models.App.runtime_ref))

    def _id(self, key):
        return key[len(PREFIX):] if key.startswith(PREFIX) else None

    def states(self):
        """``id``, ``state`` and ``runtime_ref`` of every app of every
        project (list of named tuples, :func:`runtime_ref` reads them)."""
        return self._states.all()

    def get(self, key, extras):
        app_id = self._id(key)
        if not app_id:
            return None
        row = self.row(app_id)
        if row is None or row.project != registry.project_of(extras) \
                or row.state == DELETING:
            return None
        return to_entity(row, self.self_healing)

    def row(self, app_id):
        """The row of app ``app_id`` (any project), or None: a read-only
        named tuple with the columns of ``hurtle.db.models.App``."""
        return self._by_id.one_or_none(app_id=app_id)

    def exists(self, app_id):
        """True if any project has an app ``app_id`` (one being deleted
        too: its id is not free before its SO is gone)."""
        return self.row(app_id) is not None

    def add(self, key, entity, extras):
        """Record a new app.

        :raises hurtle.occi.errors.Conflict: the id exists (any project).
        """
        try:
            with self._sessions.begin() as session:
                row = models.App(id=self._id(key),
                                 project=registry.project_of(extras))
                self._fill(row, entity)
                session.add(row)
                # An app of that id again: a stack a lost create makes
                # for the old one is tagged and named as the new app's
                # would be, which adopts it (``StackBackend._made_for``).
                session.execute(sa.delete(models.LostCreate).where(
                    models.LostCreate.app_id == row.id))
        except sa_exc.IntegrityError:
            raise errors.Conflict('the app id %s is already in use'
                                  % self._id(key))

    def update(self, key, entity, extras):
        """Store the changes of an app of this project."""
        with self._sessions.begin() as session:
            row = session.get(models.App, self._id(key))
            if row is None or row.project != registry.project_of(extras):
                return
            self._fill(row, entity)

    @staticmethod
    def _fill(row, entity):
        attrs = entity.attributes
        row.name = attrs.get('occi.app.name')
        row.image = attrs.get('occi.app.image')
        row.env = getattr(entity, 'app_env', {})
        row.state = attrs.get('occi.app.state', 'inactive')
        row.url = attrs.get('occi.app.url') or None
        row.runtime_ref = _wrap(getattr(entity, 'runtime_ref', None),
                                attrs.get('hurtle.app.restarts'))

    def delete(self, key, extras):
        """Remove an app of this project; a row being deleted
        (:data:`DELETING`: its SO still stopping) is left for
        :meth:`purge`."""
        with self._sessions.begin() as session:
            session.execute(sa.delete(models.App).where(
                models.App.id == self._id(key),
                models.App.project == registry.project_of(extras),
                models.App.state != DELETING))

    def mark_deleting(self, app_id):
        """Record app ``app_id`` (any project) as :data:`DELETING`, its
        ``runtime_ref`` kept (what a restarted CC stops); committed when
        this returns."""
        with self._sessions.begin() as session:
            session.execute(sa.update(models.App).where(
                models.App.id == app_id).values(state=DELETING, url=None))

    def purge(self, app_id):
        """Remove the row of app ``app_id`` whatever its state or project
        (its SO is gone)."""
        with self._sessions.begin() as session:
            session.execute(sa.delete(models.App).where(
                models.App.id == app_id))

    def _rows(self, extras):
        with self._sessions() as session:
            return session.scalars(
                sa.select(models.App)
                .where(models.App.project == registry.project_of(extras),
                       models.App.state != DELETING)
                .order_by(models.App.created_at)).all()

    def keys(self, extras):
        return [_key(row.id) for row in self._rows(extras)]

    def values(self, extras):
        return [to_entity(row) for row in self._rows(extras)]

    def all_rows(self):
        """Every app row of every project (for start-up recovery)."""
        with self._sessions() as session:
            return session.scalars(sa.select(models.App)).all()
