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
"""The entity engine of the OCCI handlers: categories, attributes, build,
create, delete, actions.

:class:`EntityEngine` is mixed into the handlers of
:mod:`hurtle.occi.handlers` (which keep the verb dispatch, parsing and
responses); it uses their ``app`` (``app.registry``) and ``req``
(``extras``, ``prefix``, ``action``). Backends are called as the contract
in :mod:`hurtle.occi.app` says, ``after_create`` included.
"""

import collections
import logging
import urllib.parse
import uuid

from occi import backend as occi_backend
from occi import core_model

from hurtle.occi import errors
from hurtle.occi import renderings
from hurtle.occi import request as occi_request

LOG = logging.getLogger(__name__)


def refusals(done, refused, total):
    """The 409 of an all-or-nothing request on ``total`` entities of
    which those in ``refused`` (``'<location>: <reason>'`` each) were
    refused: nothing was ``done`` (a past participle, e.g.
    ``'deleted'``)."""
    return errors.Conflict('nothing was %s; %d of %d refused: %s'
                           % (done, len(refused), total,
                              '; '.join(refused)))


def _origin(parts):
    """``(scheme, host, port)`` of a split URL, lower-cased, the port
    the scheme's default when absent.

    :raises ValueError: an invalid port.
    """
    scheme = parts.scheme.lower()
    port = parts.port or {'http': 80, 'https': 443}.get(scheme)
    return scheme, (parts.hostname or '').rstrip('.'), port


class EntityEngine(object):
    """Builds, validates, creates, deletes entities and runs actions
    through the registry's backends and store."""

    def resolve(self, cat, expect=None, missing=errors.BadRequest):
        """The registered category for a parsed category dict.

        :param missing: error class raised for a category that is not
            registered (400 where a request body names it, 404 where it
            names the resource asked for: an action, a filter; GFD.185).
        :raises BadRequest: not of class ``expect``.
        """
        extras = self.req.extras
        found = None
        for item in self.app.registry.get_categories(extras):
            if item.term == cat['term'] and item.scheme == cat['scheme']:
                found = item
                break
        if found is None:
            raise missing(
                'Category %s%s is not registered (see the query '
                'interface).' % (cat['scheme'], cat['term']))
        if cat.get('class') and cat['class'] != repr(found):
            raise errors.BadRequest('Category %s is of class %s, not %s.'
                                    % (found, repr(found), cat['class']))
        if expect and repr(found) != expect:
            raise errors.BadRequest('Category %s is of class %s; one of '
                                    'class %s is needed here.'
                                    % (found, repr(found), expect))
        return found

    def key_of(self, location, what='Location'):
        """The registry key (path) of a location: a path, or an absolute
        URL on this service.

        :param what: how the error names the location (e.g. ``'Mixin
            location'``).
        :raises BadRequest: not a path; or an absolute URL that is not on
            this service: its scheme, host or port differ from those of
            the request's base URL (``public_url`` when set), or its path
            is outside the base URL's path; or one with user
            information, a query or a fragment.
        """
        location = location.strip()
        parsed = urllib.parse.urlsplit(location)
        if parsed.scheme:
            path = urllib.parse.unquote(parsed.path)
            self._check_own(location, parsed, path, what)
        else:
            path = location
        prefix = self.req.prefix
        if prefix and path.startswith(prefix + '/'):
            path = path[len(prefix):]
        if not path.startswith('/'):
            raise errors.BadRequest('Not a location: %s' % location[:80])
        return path

    def _check_own(self, location, parsed, path, what):
        own = urllib.parse.urlsplit(self.req.hostname)
        prefix = self.req.prefix
        try:
            same = _origin(parsed) == _origin(own) and \
                parsed.username is None and not parsed.query and \
                not parsed.fragment
        except ValueError:
            same = False
        if not same or (prefix and not path.startswith(prefix + '/')):
            raise errors.BadRequest(
                '%s %s is not on this service: give a path, or a URL '
                'under %s.' % (what, location[:80], self.req.hostname))

    def entity_or_404(self, key):
        try:
            return self.app.registry.get_resource(key, self.req.extras)
        except KeyError:
            raise errors.NotFound('No entity at %s.' % key)

    # attributes ------------------------------------------------------------
    @staticmethod
    def definitions(kind, mixins):
        defs = dict(occi_request.CORE_ATTRS)
        if core_model.Link.kind in (kind.related or []):
            defs.update(occi_request.LINK_ATTRS)
        defs.update(kind.attributes or {})
        for mixin in mixins:
            defs.update(mixin.attributes or {})
        extensible = getattr(kind, 'extensible', False) or any(
            getattr(m, 'extensible', False) for m in mixins)
        return defs, extensible

    @staticmethod
    def _same(left, right):
        return left == right or str(left) == str(right)

    def check_attributes(self, kind, mixins, attrs, old=None, full=False):
        """Validate client attributes (GFD.184 attribute properties).

        :param old: the current entity (update/replace) or ``None``.
        :param full: a full replace: required attributes must be given.
        :returns: the attributes to pass on (unchanged immutable values
            dropped on update).
        :raises BadRequest: unknown, immutable or missing required.
        """
        defs, extensible = self.definitions(kind, mixins)
        current = renderings.entity_attributes(old) if old else {}
        result = {}
        for name, value in attrs.items():
            flag = defs.get(name)
            if flag is None and not extensible:
                if old is not None and name in current and \
                        self._same(current[name], value):
                    continue
                raise errors.BadRequest('Attribute %s is not defined by %s '
                                        'or its mixins.' % (name, kind))
            if flag == 'immutable':
                if name == 'occi.core.id' and old is None:
                    result[name] = value
                    continue
                if old is not None and name in current and \
                        self._same(current[name], value):
                    continue
                if old is None or name != 'occi.core.id':
                    raise errors.BadRequest(
                        'Attribute %s is set by the service; a client '
                        'cannot give it.' % name)
                raise errors.BadRequest('Attribute %s is immutable.' % name)
            result[name] = value
        if old is None or full:
            missing = sorted(name for name, flag in defs.items()
                             if flag == 'required' and name not in attrs)
            if missing:
                raise errors.BadRequest('Required attribute(s) missing: %s'
                                        % ', '.join(missing))
        return result

    def check_update(self, entity, full):
        """Ask ``entity``'s backends whether it may be updated now, before
        the request's attributes are checked: a backend may define
        ``check_update(entity, extras, full)`` and raise an
        :class:`~hurtle.occi.errors.OCCIError` to refuse (e.g. 409 while
        the entity is busy), so that refusal comes before a 400 for
        immutable attributes sent back with values of an earlier state.

        :param full: a full update (``PUT``), else a partial one
            (``POST``).
        """
        extras = self.req.extras
        for back in self.app.registry.get_all_backends(entity, extras):
            check = getattr(back, 'check_update', None)
            if check is not None:
                check(entity, extras, full=full)

    def check_mixin_change(self, entities):
        """All or nothing: ask the backends of each of ``entities``,
        before any of them changes, whether its mixins may change now
        through a mixin collection (``POST``, ``PUT`` or ``DELETE`` with
        locations on a mixin's location, GFD.185 3.4.3). A backend may
        define ``check_mixins(entity, extras)`` and raise an
        :class:`~hurtle.occi.errors.OCCIError` to refuse (e.g. 409 while
        the entity is busy); it may also make the store's write of the
        entity conditional (the SM pins it to the operation it decided
        on).

        :raises Conflict: one or more refused with 409; the message names
            each (``<location>: <reason>``). Any other refusal (e.g. 403)
            is raised as is. Nothing has changed then.
        """
        extras = self.req.extras
        refused = []
        for entity in entities:
            for back in self.app.registry.get_all_backends(entity, extras):
                check = getattr(back, 'check_mixins', None)
                if check is None:
                    continue
                try:
                    check(entity, extras)
                except errors.Conflict as exc:
                    refused.append('%s: %s' % (entity.identifier,
                                               exc.message))
                    break
        if refused:
            raise refusals('changed', refused, len(entities))

    # entity construction ----------------------------------------------------
    def build_entity(self, data, key_hint=None, default_kind=None,
                     old=None, full=False):
        """Make an (unsaved) entity from parsed data; validates it."""
        kind = None
        mixins = []
        for cat in data.categories:
            found = self.resolve(cat)
            if repr(found) == 'kind':
                if kind is not None and found is not kind:
                    raise errors.BadRequest('More than one kind given.')
                kind = found
            elif repr(found) == 'mixin':
                if found not in mixins:
                    mixins.append(found)
            else:
                raise errors.BadRequest('Action %s cannot be used here.'
                                        % found)
        if kind is None:
            kind = default_kind
        if kind is None:
            raise errors.BadRequest('No kind given (Category with '
                                    'class="kind").')
        if default_kind is not None and kind is not default_kind:
            raise errors.BadRequest('Kind %s does not match %s.'
                                    % (kind, default_kind))
        attrs = dict(data.attributes)
        if old is not None and data.links:
            # Links rendered back unchanged (same ``self``) are no change.
            existing = set()
            for link in getattr(old, 'links', []):
                existing.add(link.identifier)
                existing.add(link.identifier.rsplit('/', 1)[-1])
            data.links = [link for link in data.links
                          if not link.get('self') or
                          urllib.parse.urlsplit(link['self']).path
                          not in existing and link['self'] not in existing]
        if old is not None:
            all_mixins = list(old.mixins) + [m for m in mixins
                                             if m not in old.mixins]
        else:
            all_mixins = mixins
        attrs = self.check_attributes(kind, all_mixins, attrs, old=old,
                                      full=full)
        title = attrs.pop('occi.core.title', None)
        summary = attrs.pop('occi.core.summary', None)
        attrs.pop('occi.core.id', None) if old is not None else None
        if core_model.Link.kind in (kind.related or []):
            try:
                src = self.entity_or_404(self.key_of(
                    str(attrs.pop('occi.core.source'))))
                tgt = self.entity_or_404(self.key_of(
                    str(attrs.pop('occi.core.target'))))
            except KeyError:
                raise errors.BadRequest('A link needs occi.core.source and '
                                        'occi.core.target.')
            except errors.NotFound as exc:
                raise errors.BadRequest('Link end not found: %s'
                                        % exc.message)
            entity = core_model.Link(key_hint, kind, mixins, src, tgt,
                                     title=title)
        elif core_model.Resource.kind in (kind.related or []) or \
                kind == core_model.Resource.kind:
            entity = core_model.Resource(key_hint, kind, mixins, [],
                                         summary=summary, title=title)
            for link in data.links:
                entity.links.append(self.build_link(link, entity))
        else:
            raise errors.BadRequest('Kind %s is neither a resource nor a '
                                    'link kind.' % kind)
        entity.attributes = attrs
        if old is not None and data.links:
            raise errors.BadRequest('Links cannot be changed by an update.')
        return entity

    def build_link(self, link, source):
        """An inline link (GFD.185 3.5.3) from a parsed ``Link`` value."""
        if not link.get('category'):
            raise errors.BadRequest('Inline links need a category.')
        cats = [renderings.split_category_id(c) for c in link['category']]
        kind = self.resolve(cats[0], expect='kind')
        if core_model.Link.kind not in (kind.related or []):
            raise errors.BadRequest('%s is not a link kind.' % kind)
        mixins = [self.resolve(c, expect='mixin') for c in cats[1:]]
        try:
            target = self.entity_or_404(self.key_of(link['target']))
        except errors.NotFound:
            raise errors.BadRequest('Link target not found: %s'
                                    % link['target'][:80])
        attrs = self.check_attributes(kind, mixins,
                                      dict(link.get('attributes') or {}))
        for name in ('occi.core.id', 'occi.core.source', 'occi.core.target'):
            attrs.pop(name, None)
        new = core_model.Link(None, kind, mixins, source, target)
        new.attributes = attrs
        return new

    def new_key(self, kind, attrs):
        ident = attrs.pop('occi.core.id', None)
        if ident is None:
            return kind.location + str(uuid.uuid4())
        ident = str(ident)
        if not occi_request.SAFE_ID.match(ident):
            raise errors.BadRequest('occi.core.id %r is not a valid id.'
                                    % ident[:80])
        return kind.location + ident

    def create(self, key, entity):
        """Create ``entity`` at ``key`` through its backends and store."""
        registry = self.app.registry
        extras = self.req.extras
        if registry.get_raw_backend(entity.kind) is None:
            raise errors.BadRequest('Kind %s cannot be instantiated on '
                                    'this service.' % entity.kind)
        entity.identifier = key
        entity.attributes.pop('occi.core.id', None)
        entity.actions = list(entity.kind.actions)
        for mixin in entity.mixins:
            entity.actions.extend(a for a in mixin.actions
                                  if a not in entity.actions)
        for link in getattr(entity, 'links', []):
            link.identifier = link.kind.location + str(uuid.uuid4())
            link.actions = list(link.kind.actions)
            for back in registry.get_all_backends(link, extras):
                back.create(link, extras)
        if isinstance(entity, core_model.Link):
            entity.source.links.append(entity)
        for back in registry.get_all_backends(entity, extras):
            back.create(entity, extras)
        try:
            for link in getattr(entity, 'links', []):
                registry.add_resource(link.identifier, link, extras)
            registry.add_resource(key, entity, extras)
        except Exception:
            self._create_failed(entity)
            raise
        if isinstance(entity, core_model.Link):
            registry.update_resource(entity.source.identifier,
                                     entity.source, extras)
        self.after_create(entity)

    def _create_failed(self, entity):
        """Call ``create_failed(entity, extras)`` of each of ``entity``'s
        backends that defines it: their ``create`` ran, but the entity
        could not be stored (e.g. its id was taken meanwhile), so what
        ``create`` started must be undone. A failing hook is logged; the
        request fails with the store's error."""
        self._call_hooks('create_failed', entity, '')

    def after_create(self, entity):
        """Call ``after_create(entity, extras)`` of each of ``entity``'s
        backends that defines it, once the entity is stored.

        The entity exists then: a failing hook does not undo it or change
        the answer (201); its exception is logged, and the backend records
        its own failure (e.g. a state the next start resumes).
        """
        self._call_hooks('after_create', entity, '; the entity stays stored')

    def _call_hooks(self, name, entity, consequence):
        extras = self.req.extras
        for back in self.app.registry.get_all_backends(entity, extras):
            hook = getattr(back.wrapped, name, None)
            if hook is None:
                continue
            try:
                hook(entity, extras)
            except Exception:
                LOG.exception('%s.%s of %s failed%s',
                              type(back.wrapped).__name__, name,
                              entity.identifier, consequence)

    def delete_one(self, entity):
        """Delete ``entity`` (and its links) through its backends.

        :returns: 200, or 202 when a backend answered 202 (the entity then
            stays in the store).
        """
        registry = self.app.registry
        extras = self.req.extras
        status = 200
        for back in registry.get_all_backends(entity, extras):
            if back.delete(entity, extras) == 202:
                status = 202
        if status == 202:
            return status
        if isinstance(entity, core_model.Resource):
            for link in list(entity.links):
                for back in registry.get_all_backends(link, extras):
                    back.delete(link, extras)
                registry.delete_resource(link.identifier, extras)
        elif isinstance(entity, core_model.Link):
            if entity in entity.source.links:
                entity.source.links.remove(entity)
                registry.update_resource(entity.source.identifier,
                                         entity.source, extras)
        registry.delete_resource(entity.identifier, extras)
        return status

    def run_action(self, entity, data):
        """Trigger the ``?action=`` on ``entity`` (GFD.185 3.4.4)."""
        action = self.check_action(entity, data)
        self.execute_action(entity, action, data)

    def check_action(self, entity, data):
        """The action asked for, if it may run on ``entity`` now.

        :raises BadRequest: missing category, or one that does not match
            ``?action=``.
        :raises NotFound: the action is not registered or not defined
            for the entity's kind and mixins (GFD.185 3.4.5).
        :raises Conflict: not applicable in the current state.
        """
        term = self.req.action
        actions = [c for c in data.categories]
        if not actions:
            raise errors.BadRequest('Action requests need the action '
                                    'Category.')
        action = self.resolve(actions[0], expect='action',
                              missing=errors.NotFound)
        if action.term != term:
            raise errors.BadRequest('Action category %s does not match '
                                    '?action=%s.' % (action, term))
        defined = list(entity.kind.actions)
        for mixin in entity.mixins:
            defined.extend(mixin.actions)
        if action not in defined:
            raise errors.NotFound('Action %s is not defined for %s.'
                                  % (action, entity.kind))
        if action not in (entity.actions or []):
            raise errors.Conflict('Action %s is not applicable in the '
                                  'current state.' % action)
        return action

    def execute_action(self, entity, action, data):
        try:
            back = self.app.registry.get_backend(action, self.req.extras)
        except AttributeError:
            raise errors.NotImplementedYet('No backend for action %s.'
                                           % action)
        back.action(entity, action, dict(data.attributes), self.req.extras)
        self.app.registry.update_resource(entity.identifier, entity,
                                          self.req.extras)

    def retrieve(self, entity):
        registry = self.app.registry
        extras = self.req.extras
        if isinstance(entity, core_model.Resource):
            for link in entity.links:
                for back in registry.get_all_backends(link, extras):
                    back.retrieve(link, extras)
        for back in registry.get_all_backends(entity, extras):
            back.retrieve(entity, extras)

    def backends_of(self, categories):
        """The (guarded) backends of ``categories`` (kinds, mixins), each
        once, in order; categories without one are left out."""
        registry = self.app.registry
        extras = self.req.extras
        found = []
        for category in categories:
            try:
                back = registry.get_backend(category, extras)
            except AttributeError:
                continue
            if not any(back.wrapped is other.wrapped for other in found):
                found.append(back)
        return found

    def retrieve_free(self, categories):
        """Whether entities of ``categories`` (kinds and mixins; ``None``:
        unknown) can be rendered without calling their backends'
        ``retrieve``: every backend of them keeps PySSF's (which does
        nothing) or declares ``retrieve_checks_only = True`` (its
        ``retrieve`` only checks the caller, as its ``authorize_list``
        does, and changes nothing; that check runs here, once). A
        category without a backend retrieves nothing.

        :raises Forbidden: an ``authorize_list`` refuses the caller.
        """
        if categories is None:
            return False
        extras = self.req.extras
        for back in self.backends_of(categories):
            wrapped = back.wrapped
            if getattr(wrapped, 'retrieve_checks_only', False):
                if hasattr(wrapped, 'authorize_list'):
                    back.authorize_list(extras)
            elif type(wrapped).retrieve is not \
                    occi_backend.KindBackend.retrieve:
                return False
        return True

    def retrieve_all(self, entities):
        """:meth:`retrieve` each of ``entities`` (a listing), looking the
        backends of each kind and mixin set up once. A backend with
        ``retrieve_many(entities, extras)`` gets its entities in one call
        (the SM's checks its policy once, not once per instance)."""
        registry = self.app.registry
        extras = self.req.extras
        found = {}
        groups = collections.OrderedDict()   # backends -> entities
        for entity in entities:
            if getattr(entity, 'links', None):
                self.retrieve(entity)
                continue
            key = tuple(str(c) for c in [entity.kind] + list(entity.mixins))
            if key not in found:
                found[key] = registry.get_all_backends(entity, extras)
            groups.setdefault(key, []).append(entity)
        for key, members in groups.items():
            for back in found[key]:
                many = getattr(back.wrapped, 'retrieve_many', None) \
                    if hasattr(back, 'wrapped') else None
                if many is not None:
                    back.retrieve_many(members, extras)
                    continue
                for entity in members:
                    back.retrieve(entity, extras)
