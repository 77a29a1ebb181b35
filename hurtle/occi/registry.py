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
"""A thread-safe PySSF registry whose entities live in a pluggable store.

* The hostname (scheme://host[:port] used to render absolute locations) is
  per thread: each request sets its own, so a threaded WSGI server renders
  every response with that request's ``Host``.
* Entities are kept by an :class:`EntityStore`.  Every store call gets the
  ``extras`` dict the layer passes to backends (``project``, ``user``,
  ``roles``, ``environ``), so a store scopes by project: an entity created
  in project A is invisible (404) in project B.
* User-defined mixins (GFD.185 3.4.1) are kept by a :class:`MixinStore`
  (:class:`MemoryMixinStore` by default; the SM plugs in a SQL one so they
  survive restarts), per project: another project neither sees nor uses
  them.  At most ``max_user_mixins`` per project (403 past it).
* Backends are called through a guard: an unexpected exception in a
  backend (``AttributeError``, ``KeyError``, anything but an
  :class:`hurtle.occi.errors.OCCIError`) is logged and becomes a 500 with a
  short message instead of PySSF's 405/400/404 guesses.
"""

import abc
import collections
import logging
import threading

from occi import backend as occi_backend
from occi import core_model
from occi import exceptions as occi_exceptions
from occi import registry as occi_registry

from hurtle.occi import errors
from hurtle.occi import members as occi_members

LOG = logging.getLogger(__name__)

_CORE = 'http://schemas.ogf.org/occi/core#'


def _unbound(kind):
    """A copy of ``kind`` bound to no location (equal to ``kind``)."""
    copy = core_model.Kind(kind.scheme, kind.term, related=kind.related,
                           title=kind.title, attributes=kind.attributes)
    copy.location = None
    return copy


_ENTITY = core_model.Kind(_CORE, 'entity', title='Entity')
#: OCCI Core kinds every query interface lists (GFD.184 3.3), without a
#: location: they cannot be instantiated here, and GFD.223 binds only
#: kinds that can to a location.
CORE_KINDS = (
    _unbound(_ENTITY),
    _unbound(core_model.Resource.kind),
    _unbound(core_model.Link.kind),
)


def project_of(extras):
    """The project id in ``extras`` (``None`` when not scoped)."""
    if not extras:
        return None
    return extras.get('project')


class EntityStore(abc.ABC):
    """Where the registry keeps entities (PySSF Resource/Link objects).

    ``key`` is the entity's path (its identifier, e.g. ``/app/<uuid>``).
    Implementations must scope by ``project_of(extras)``.
    """

    @abc.abstractmethod
    def get(self, key, extras):
        """The entity stored at ``key`` for this project, or ``None``."""

    @abc.abstractmethod
    def add(self, key, entity, extras):
        """Store (or overwrite) ``entity`` at ``key`` for this project."""

    def update(self, key, entity, extras):
        """Persist changes to a stored entity (after an update, replace,
        action or retrieve).  Default: :meth:`add` again.
        """
        self.add(key, entity, extras)

    @abc.abstractmethod
    def delete(self, key, extras):
        """Remove ``key`` for this project (no error if absent)."""

    @abc.abstractmethod
    def keys(self, extras):
        """All keys visible to this project, in insertion order."""

    @abc.abstractmethod
    def values(self, extras):
        """All entities visible to this project, in insertion order."""

    def listing(self, extras, kind, limit=None, marker=None,
                keys_only=False, members=False):
        """One page of the members of ``kind``'s collection, in insertion
        order. Stores that can (a database) override it to filter and
        page where the data is, and to read ``members`` straight from
        their rows; this default pages :meth:`values`.

        :param kind: the ``Kind``; members are its instances (or carry
            it as a mixin).
        :param limit: at most this many (int >= 1; None: all).
        :param marker: the id (last path segment) of the last member of
            the previous page; the page starts after it.
        :param keys_only: return keys (paths) instead of entities.
        :param members: return :class:`hurtle.occi.members.Member`
            records instead of entities (resources with links stay
            entities).
        :returns: ``(items, more)``: entities, keys or members, and
            whether members follow the page.
        :raises hurtle.occi.errors.BadRequest: ``marker`` is no member
            of this collection for this project.
        """
        found = [e for e in self.values(extras)
                 if e.kind == kind or kind in e.mixins]
        items, more = page_of(found, limit, marker)
        if keys_only:
            items = [e.identifier for e in items]
        elif members:
            items = [e if getattr(e, 'links', None) else
                     occi_members.of_entity(e) for e in items]
        return items, more

    def versions(self, extras, kind, limit=None, marker=None, mixins=None):
        """One page of ``kind``'s collection as :meth:`listing` selects
        it, each member with a version that changes whenever what is
        rendered of it could (for
        :class:`hurtle.occi.fragments.Fragments`); ``None`` when the store
        keeps no versions (this default).

        :param mixins: if given, ``{category id: Mixin}`` visible to the
            project: each member's :class:`hurtle.occi.members.Member`
            record too, its mixins resolved against these.
        :returns: ``([(key, version)], more)`` (``version`` hashable),
            ``([(key, version, Member)], more)`` with ``mixins``, or
            ``None``.
        :raises hurtle.occi.errors.BadRequest: as :meth:`listing`.
        """
        return None

    def versioned_members(self, extras, kind, keys, mixins):
        """The :class:`hurtle.occi.members.Member` records of ``keys``
        (from :meth:`versions`), with the version each is read at; a key
        that is no longer a member of the project's collection is left
        out. Stores whose :meth:`versions` gives ``None`` need not
        implement it.

        :param mixins: ``{category id: Mixin}`` visible to the project
            (the members' mixins are resolved against these).
        :returns: ``[(key, version, Member)]`` in the order of ``keys``.
        :raises NotImplementedError: a store that gives versions without
            this (a programming error: the two go together).
        """
        raise NotImplementedError('%s gives versions() but no '
                                  'versioned_members()' % type(self).__name__)


def page_of(entities, limit=None, marker=None):
    """``(page, more)``: the entities after the one whose id (last path
    segment of its identifier) is ``marker``, at most ``limit``.

    :raises hurtle.occi.errors.BadRequest: no entity has id ``marker``.
    """
    start = 0
    if marker is not None:
        for index, entity in enumerate(entities):
            if (entity.identifier or '').rsplit('/', 1)[-1] == marker:
                start = index + 1
                break
        else:
            raise errors.BadRequest(bad_marker(marker))
    if limit is None:
        return entities[start:], False
    return (entities[start:start + limit],
            len(entities) > start + limit)


def bad_marker(marker):
    """The message of a 400 for an unknown ``marker`` (the same whether
    it does not exist or is another project's)."""
    return 'marker %s is not a member of this collection' % marker[:80]


class MemoryStore(EntityStore):
    """In-memory :class:`EntityStore`, one ordered dict per project."""

    def __init__(self):
        self._lock = threading.RLock()
        self._data = collections.defaultdict(collections.OrderedDict)

    def get(self, key, extras):
        with self._lock:
            return self._data[project_of(extras)].get(key)

    def add(self, key, entity, extras):
        with self._lock:
            self._data[project_of(extras)][key] = entity

    def delete(self, key, extras):
        with self._lock:
            self._data[project_of(extras)].pop(key, None)

    def keys(self, extras):
        with self._lock:
            return list(self._data[project_of(extras)].keys())

    def values(self, extras):
        with self._lock:
            return list(self._data[project_of(extras)].values())


class PrefixStore(EntityStore):
    """An :class:`EntityStore` made of several, one per location prefix
    (one per kind: ``{'/app/': apps, '/stack/': stacks}``): each key goes
    to the store of its prefix; listings are the stores' listings one
    after the other, in the order given. A key under no prefix is not
    found, and cannot be added (:class:`hurtle.occi.errors.NotFound`).

    :param stores: ``{prefix: EntityStore}``; prefixes end with ``/``.
    """

    def __init__(self, stores):
        self.stores = dict(stores)

    def _store(self, key):
        for prefix, store in self.stores.items():
            if str(key).startswith(prefix):
                return store
        return None

    def get(self, key, extras):
        store = self._store(key)
        return None if store is None else store.get(key, extras)

    def add(self, key, entity, extras):
        store = self._store(key)
        if store is None:
            raise errors.NotFound('no kind is served at %s' % key)
        store.add(key, entity, extras)

    def update(self, key, entity, extras):
        store = self._store(key)
        if store is not None:
            store.update(key, entity, extras)

    def delete(self, key, extras):
        store = self._store(key)
        if store is not None:
            store.delete(key, extras)

    def keys(self, extras):
        return [key for store in self.stores.values()
                for key in store.keys(extras)]

    def values(self, extras):
        return [entity for store in self.stores.values()
                for entity in store.values(extras)]

    def listing(self, extras, kind, limit=None, marker=None,
                keys_only=False, members=False):
        """A kind whose location is one of the prefixes lists its own
        store only (so ``GET /app/`` never reads the stacks, nor asks the
        design service's Keystone catalog); any other collection (a
        mixin's) lists every store. See :meth:`EntityStore.listing`."""
        store = self.stores.get(getattr(kind, 'location', None))
        if store is None:
            return super().listing(extras, kind, limit=limit, marker=marker,
                                   keys_only=keys_only, members=members)
        return store.listing(extras, kind, limit=limit, marker=marker,
                             keys_only=keys_only, members=members)

    def versions(self, extras, kind, limit=None, marker=None, mixins=None):
        """The versions of the kind's own store, if its location is one
        of the prefixes (else ``None``). See
        :meth:`EntityStore.versions`."""
        store = self.stores.get(getattr(kind, 'location', None))
        return None if store is None else store.versions(
            extras, kind, limit=limit, marker=marker, mixins=mixins)

    def versioned_members(self, extras, kind, keys, mixins):
        return self.stores[kind.location].versioned_members(
            extras, kind, keys, mixins)


class MixinStore(abc.ABC):
    """Where the registry keeps user-defined mixins, per project.

    A definition is a dict: ``scheme``, ``term``, ``title`` (str),
    ``location`` (normalised path ending with ``/``) and ``related``
    (list of category ids ``scheme+term``).
    """

    @abc.abstractmethod
    def list(self, project):
        """The definitions of ``project``, in creation order."""

    @abc.abstractmethod
    def add(self, project, definitions, limit):
        """Store new definitions of ``project`` (all or none).

        :param limit: most definitions a project may have.
        :raises hurtle.occi.errors.Conflict: a scheme+term or location is
            in use already.
        :raises hurtle.occi.errors.Forbidden: past ``limit``.
        """

    @abc.abstractmethod
    def delete(self, project, scheme, term):
        """Remove a definition (no error if absent)."""


class MemoryMixinStore(MixinStore):
    """In-memory :class:`MixinStore` (SO runtime, tests)."""

    def __init__(self):
        self._lock = threading.RLock()
        self._data = collections.defaultdict(list)

    def list(self, project):
        with self._lock:
            return [dict(d) for d in self._data[project]]

    def add(self, project, definitions, limit):
        with self._lock:
            have = self._data[project]
            check_new_mixins(have, definitions, limit)
            have.extend(dict(d) for d in definitions)

    def delete(self, project, scheme, term):
        with self._lock:
            self._data[project] = [
                d for d in self._data[project]
                if (d['scheme'], d['term']) != (scheme, term)]


def check_new_mixins(existing, definitions, limit):
    """Refuse ``definitions`` that clash with ``existing`` ones (or each
    other) or would pass ``limit`` (for :meth:`MixinStore.add`).

    :raises hurtle.occi.errors.Conflict: scheme+term or location in use.
    :raises hurtle.occi.errors.Forbidden: more than ``limit`` in all.
    """
    ids = set((d['scheme'], d['term']) for d in existing)
    locations = set(d['location'] for d in existing)
    for new in definitions:
        if (new['scheme'], new['term']) in ids:
            raise errors.Conflict('Category %s%s already exists.'
                                  % (new['scheme'], new['term']))
        if new['location'] in locations:
            raise errors.Conflict('Location %s is already used.'
                                  % new['location'])
        ids.add((new['scheme'], new['term']))
        locations.add(new['location'])
    if len(ids) > limit:
        raise errors.Forbidden('At most %d user-defined mixins per project '
                               '(%d defined); delete some first.'
                               % (limit, len(existing)))


class _GuardedBackend(object):
    """Calls a backend; unexpected exceptions become InternalError."""

    def __init__(self, backend):
        self._backend = backend

    @property
    def wrapped(self):
        return self._backend

    def __getattr__(self, name):
        func = getattr(self._backend, name)
        if not callable(func):
            return func

        def guarded(*args, **kwargs):
            try:
                return func(*args, **kwargs)
            except (errors.OCCIError, occi_exceptions.HTTPError):
                raise
            except Exception:
                LOG.exception('Backend %s.%s failed',
                              type(self._backend).__name__, name)
                raise errors.InternalError(
                    'Internal error in the %s backend.' % name)
        return guarded


class Registry(occi_registry.NonePersistentRegistry):
    """PySSF registry: thread-local hostname, pluggable entity store,
    user-defined mixins in a :class:`MixinStore`.

    :param store: an :class:`EntityStore` (default :class:`MemoryStore`).
    :param mixin_store: a :class:`MixinStore` (default
        :class:`MemoryMixinStore`).
    :param max_user_mixins: most user-defined mixins per project.
    """

    def __init__(self, store=None, mixin_store=None, max_user_mixins=100):
        super(Registry, self).__init__()
        self.store = store if store is not None else MemoryStore()
        self.mixin_store = mixin_store if mixin_store is not None else \
            MemoryMixinStore()
        self.max_user_mixins = max_user_mixins
        self._user_backend = occi_backend.UserDefinedMixinBackend()
        self._local = threading.local()
        self._lock = threading.RLock()
        #: bumped whenever a category is registered (:meth:`set_backend`)
        self._generation = 0

    @property
    def lock(self):
        """Re-entrant lock guarding category definitions (user mixins)."""
        return self._lock

    # hostname: per thread ------------------------------------------------
    def get_hostname(self):
        return getattr(self._local, 'hostname', '')

    def set_hostname(self, hostname):
        self._local.hostname = hostname

    # categories and backends ---------------------------------------------
    def get_extras(self, extras):
        return project_of(extras)

    def set_backend(self, category, backend, extras):
        with self._lock:
            super(Registry, self).set_backend(category, backend, extras)
            self._generation += 1

    # user-defined mixins ---------------------------------------------------
    def user_mixins(self, extras):
        """The user-defined mixins of this project (PySSF ``Mixin``
        objects whose ``extras`` is the project)."""
        project = project_of(extras)
        if project is None:
            return []
        return self._user_mixins(project, self.mixin_store.list(project))

    def _user_mixins(self, project, items):
        """:meth:`user_mixins` of ``project`` from its stored definitions
        ``items``."""
        known = dict((str(c), c) for c, _b in self._items()
                     if c.extras is None)
        known.update((str(c), c) for c in CORE_KINDS)
        result = []
        for item in items:
            mixin = core_model.Mixin(
                item['scheme'], item['term'], title=item.get('title') or '',
                location=item['location'])
            mixin.extras = project
            result.append(mixin)
        known.update((str(m), m) for m in result)
        for mixin, item in zip(result, items):
            # related categories that are gone (a deleted mixin) drop out
            mixin.related = [known[r] for r in item.get('related') or []
                             if r in known]
        return result

    def add_user_mixins(self, mixins, extras):
        """Define user mixins for this project (all or none).

        :raises hurtle.occi.errors.Conflict: one exists already.
        :raises hurtle.occi.errors.Forbidden: past ``max_user_mixins``.
        """
        project = project_of(extras)
        if project is None:
            raise errors.Forbidden('User mixins need a project.')
        definitions = [{'scheme': m.scheme, 'term': m.term,
                        'title': m.title or '', 'location': m.location,
                        'related': [str(r) for r in m.related or []]}
                       for m in mixins]
        with self._lock:
            self.mixin_store.add(project, definitions,
                                 self.max_user_mixins)

    def is_user_mixin(self, category, extras):
        """Whether ``category`` is a user mixin of this project."""
        return repr(category) == 'mixin' and any(
            m.scheme == category.scheme and m.term == category.term
            for m in self.user_mixins(extras))

    def provider_schemes(self):
        """The schemes of the provider's categories: those registered
        for every project, OCCI Core's kinds and their actions
        (lower-cased, a set of str). User mixins may not be defined in
        them (:class:`hurtle.occi.handlers.QueryHandler`)."""
        cats = [cat for cat, _back in self._items() if cat.extras is None]
        cats.extend(CORE_KINDS)
        schemes = set()
        for cat in cats:
            schemes.add(cat.scheme.lower())
            schemes.update(action.scheme.lower() for action in
                           getattr(cat, 'actions', None) or [])
        return schemes

    def delete_mixin(self, mixin, extras):
        """Delete a user mixin of this project."""
        with self._lock:
            self.mixin_store.delete(project_of(extras), mixin.scheme,
                                    mixin.term)

    def _items(self):
        with self._lock:
            return list(self.backends.items())

    def get_backend(self, category, extras):
        """The (guarded) backend for ``category``.

        :raises AttributeError: none registered (PySSF contract).
        """
        for cat, back in self._items():
            if cat == category or (cat.scheme == category.scheme and
                                   cat.term == category.term and
                                   cat.extras is None):
                if repr(category) == 'kind' and isinstance(
                        back, occi_backend.KindBackend):
                    return _GuardedBackend(back)
                if repr(category) == 'action' and isinstance(
                        back, occi_backend.ActionBackend):
                    return _GuardedBackend(back)
                if repr(category) == 'mixin' and isinstance(
                        back, occi_backend.MixinBackend):
                    return _GuardedBackend(back)
        if self.is_user_mixin(category, extras):
            return _GuardedBackend(self._user_backend)
        raise AttributeError('Cannot find corresponding Backend.')

    def get_raw_backend(self, category):
        """The registered backend object itself (or ``None``)."""
        for cat, back in self._items():
            if cat == category:
                return back
        return None

    def get_all_backends(self, entity, extras):
        seen = []
        result = []
        for cat in [entity.kind] + list(entity.mixins):
            try:
                back = self.get_backend(cat, extras)
            except AttributeError:
                continue
            if any(b is back.wrapped for b in seen):
                continue
            seen.append(back.wrapped)
            result.append(back)
        return result

    def get_category(self, path, extras):
        project = project_of(extras)
        for category, _back in self._items():
            if category.location == path and (
                    category.extras is None or category.extras == project):
                return category
        for mixin in self.user_mixins(extras):
            if mixin.location == path:
                return mixin
        return None

    def get_categories(self, extras):
        """Kinds, mixins and actions visible to this project.

        Actions of visible kinds and mixins are included even when no
        backend is registered for them (triggering one then gives 501), and
        so are OCCI Core's ``entity``, ``resource`` and ``link`` kinds
        (GFD.185 3.4.1; clients resolve kind parents through them), bound
        to no location.
        """
        return self.categories_version(extras)[1]()

    def categories_version(self, extras):
        """What :meth:`get_categories` gives, and a key that tells it
        apart, from one read of the project's user mixins.

        :returns: ``(key, make)``: ``key`` (hashable) holds the project,
            a generation of the registered categories and the project's
            user mixin definitions as stored now, so two calls give equal
            keys only if their categories are the same (in any process
            sharing the mixin store); ``make()`` returns the list of
            :meth:`get_categories` from the definitions read for ``key``.
        """
        project = project_of(extras)
        items = self.mixin_store.list(project) if project is not None \
            else []
        key = (project, self._generation, tuple(
            (item['scheme'], item['term'], item.get('title') or '',
             item['location'], tuple(item.get('related') or ()))
            for item in items))
        return key, lambda: self._categories(project, items)

    def _categories(self, project, items):
        result = [cat for cat, _back in self._items()
                  if cat.extras is None or cat.extras == project]
        result.extend(self._user_mixins(project, items))
        seen = set((c.scheme, c.term) for c in result)
        for core in CORE_KINDS:
            if (core.scheme, core.term) not in seen:
                seen.add((core.scheme, core.term))
                result.append(core)
        for cat in list(result):
            for action in getattr(cat, 'actions', None) or []:
                if (action.scheme, action.term) not in seen:
                    seen.add((action.scheme, action.term))
                    result.append(action)
        return result

    # entities -------------------------------------------------------------
    def get_resource(self, key, extras):
        """:raises KeyError: no such entity for this project."""
        entity = self.store.get(key, extras)
        if entity is None:
            raise KeyError(key)
        return entity

    def add_resource(self, key, resource, extras):
        resource.extras = project_of(extras)
        self.store.add(key, resource, extras)

    def update_resource(self, key, resource, extras):
        """Persist a changed entity through the store."""
        self.store.update(key, resource, extras)

    def delete_resource(self, key, extras):
        self.store.delete(key, extras)

    def get_resource_keys(self, extras):
        return self.store.keys(extras)

    def get_resources(self, extras):
        return self.store.values(extras)

    def list_resources(self, extras, kind, limit=None, marker=None,
                       keys_only=False, members=False):
        """One page of ``kind``'s collection: see
        :meth:`EntityStore.listing`."""
        return self.store.listing(extras, kind, limit=limit, marker=marker,
                                  keys_only=keys_only, members=members)

    def list_versions(self, extras, kind, limit=None, marker=None,
                      mixins=None):
        """One page of ``kind``'s collection as ``(key, version)`` pairs
        (with ``mixins``: ``(key, version, Member)``), or ``None``: see
        :meth:`EntityStore.versions`."""
        return self.store.versions(extras, kind, limit=limit, marker=marker,
                                   mixins=mixins)

    def versioned_members(self, extras, kind, keys, mixins):
        """See :meth:`EntityStore.versioned_members`."""
        return self.store.versioned_members(extras, kind, keys, mixins)
