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
"""The OCCI request handlers: query interface, collections, entities.

They extend PySSF's ``QueryHandler``, ``CollectionHandler`` and
``ResourceHandler`` with Hurtle's parsing, typed attributes, attribute
checks against kinds and mixins, paging and the status codes of GFD.185
and GFD.229 (see ``hurtle.occi.app`` for the contract with backends).
"""

import logging
import re
import urllib.parse
import uuid

from occi import core_model
from occi import handlers as occi_handlers

from hurtle.occi import errors
from hurtle.occi import renderings
from hurtle.occi import request as occi_request

LOG = logging.getLogger(__name__)


#: One segment of a user mixin's location.
_SEGMENT = re.compile(r'^[A-Za-z0-9._~-]{1,64}$')
_TERM = re.compile(r'^[a-z][a-z0-9_-]{0,63}$')


def normalise_location(path):
    """A user mixin's location normalised: ``.`` and empty segments
    dropped, ``..`` resolved.

    :raises BadRequest: no trailing ``/`` (a collection's location), it
        escapes the root, is the root or the query
        interface, has a segment of other than 1 to 64 letters, digits,
        ``.``, ``_``, ``~``, ``-``, or is longer than 255 characters.
    """
    if not path.endswith('/'):
        raise errors.BadRequest('Mixin location must be a path ending '
                                'with "/": %s' % path[:80])
    parts = []
    for segment in path.split('/'):
        if segment in ('', '.'):
            continue
        if segment == '..':
            if not parts:
                raise errors.BadRequest('Mixin location %s escapes the '
                                        'root.' % path[:80])
            parts.pop()
            continue
        if not _SEGMENT.match(segment):
            raise errors.BadRequest(
                'Mixin location segments are 1 to 64 letters, digits, '
                '".", "_", "~" or "-": %s' % path[:80])
        parts.append(segment)
    loc = '/' + '/'.join(parts) + '/'
    if not parts or loc in occi_request.QUERY_PATHS or len(loc) > 255:
        raise errors.BadRequest('Mixin location must be a path below "/" '
                                '(at most 255 characters), not the query '
                                'interface: %s' % path[:80])
    return loc


def check_mixin_id(cat):
    """GFD.184 term (lower-case letter, then letters, digits, ``_``,
    ``-``; at most 64) and scheme (an absolute URI ending with ``#``, at
    most 255 characters) of a user mixin; title at most 255.

    :raises BadRequest: one breaks the rule.
    """
    scheme = cat.get('scheme') or ''
    parsed = urllib.parse.urlsplit(scheme)
    if not _TERM.match(cat.get('term') or ''):
        raise errors.BadRequest('A mixin term is a lower-case letter then '
                                'up to 63 of a-z, 0-9, "_", "-".')
    if not parsed.scheme or not scheme.endswith('#') or len(scheme) > 255 \
            or any(ord(ch) <= 32 for ch in scheme):
        raise errors.BadRequest('A mixin scheme is an absolute URI ending '
                                'with "#" (at most 255 characters).')
    if len(cat.get('title') or '') > 255:
        raise errors.BadRequest('A mixin title is at most 255 '
                                'characters.')


class _Context(object):
    """Shared helpers of the three handlers (mixed into PySSF's)."""

    def setup(self, app, request, rendering):
        self.app = app
        self.req = request
        self.out = rendering

    # parsing -------------------------------------------------------------
    def data(self):
        """Parse the request content with the Content-Type's rendering."""
        req = self.req
        mime = occi_request.ALIASES.get(req.content_type, req.content_type)
        if not mime or mime == 'text/plain':
            rendering = self.app.renderings['text/plain']
        elif mime in self.app.renderings and mime != 'text/html':
            rendering = self.app.renderings[mime]
        elif req.body or req.method in ('POST', 'PUT'):
            raise errors.UnsupportedMediaType(
                'Unsupported Content-Type %r; use text/plain, text/occi, '
                'text/uri-list or application/occi+json.'
                % req.content_type)
        else:
            rendering = self.app.renderings['text/occi']
        data = rendering.parse(req.headers, req.body)
        if data.is_empty() and req.method in ('GET', 'HEAD', 'DELETE') \
                and rendering.mime_type != 'text/occi':
            # Filters of GET (and DELETE selections) may come as headers
            # whatever the Content-Type (a GET body is unusual).
            data = self.app.renderings['text/occi'].parse(req.headers, '')
        # Action references (GFD.185 3.5.3) are not link instances: a
        # rendering sent back as is (round trip) carries them.
        data.links = [link for link in data.links
                      if '?action=' not in link.get('target', '')]
        return data

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

    def key_of(self, location):
        """The registry key (path) of a location, absolute or relative."""
        location = location.strip()
        parsed = urllib.parse.urlsplit(location)
        path = urllib.parse.unquote(parsed.path) if parsed.scheme else \
            location
        prefix = self.req.prefix
        if prefix and path.startswith(prefix + '/'):
            path = path[len(prefix):]
        if not path.startswith('/'):
            raise errors.BadRequest('Not a location: %s' % location[:80])
        return path

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
                raise errors.BadRequest('Attribute %s is immutable.' % name)
            result[name] = value
        if old is None or full:
            missing = sorted(name for name, flag in defs.items()
                             if flag == 'required' and name not in attrs)
            if missing:
                raise errors.BadRequest('Required attribute(s) missing: %s'
                                        % ', '.join(missing))
        return result

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
        for link in getattr(entity, 'links', []):
            registry.add_resource(link.identifier, link, extras)
        registry.add_resource(key, entity, extras)
        if isinstance(entity, core_model.Link):
            registry.update_resource(entity.source.identifier,
                                     entity.source, extras)

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

    # responses ------------------------------------------------------------
    def respond(self, status, what, *args, headers=None):
        render = getattr(self.out, what)
        out_headers, body = render(*args)
        return status, list(headers or []) + list(out_headers), body

    def ok(self, status=200, headers=None):
        out_headers, body = self.out.message('OK')
        return status, list(headers or []) + list(out_headers), body

    def created(self, entity):
        loc = renderings.absolute(self.req.hostname, entity.identifier)
        if isinstance(self.out, renderings.JsonRendering):
            return self.respond(201, 'entity', entity,
                                headers=[('Location', loc)])
        return self.respond(201, 'locations', [loc],
                            headers=[('Location', loc)])

    def handle(self, method, key):
        func = getattr(self, 'do_' + method.lower(), None)
        if func is None:
            allowed = sorted(name[3:].upper() for name in dir(self)
                             if name.startswith('do_'))
            raise errors.MethodNotAllowed(
                'Method %s not allowed on %s.' % (method, key),
                headers=[('Allow', ', '.join(allowed))])
        return func(key)


class QueryHandler(_Context, occi_handlers.QueryHandler):
    """Query interface (GFD.185 3.4.1)."""

    response_kind = 'categories'

    def do_get(self, key):
        data = self.data()
        cats = self.app.registry.get_categories(self.req.extras)
        wanted = [(c.scheme, c.term) for c in
                  (self.resolve(c, missing=errors.NotFound)
                   for c in data.categories)]
        if wanted:
            cats = [c for c in cats if (c.scheme, c.term) in wanted]
        cats = sorted(cats, key=lambda c: ({'kind': 0, 'mixin': 1}.get(
            repr(c), 2), str(c)))
        return self.respond(200, 'categories', cats)

    do_head = do_get

    def do_post(self, key):
        data = self.data()
        registry = self.app.registry
        extras = self.req.extras
        if not data.categories:
            raise errors.BadRequest('No mixin given (Category with '
                                    'class="mixin" and a location).')
        with registry.lock:
            return self._define_mixins(data, registry, extras)

    def _define_mixins(self, data, registry, extras):
        """Define user mixins (GFD.185 3.4.1), all or none.

        :raises BadRequest: not a mixin, bad scheme/term/title, location
            missing, escaping the root, or equal to, inside or around a
            kind's location.
        :raises Conflict: the category or location is in use.
        :raises Forbidden: past the per-project limit.
        """
        new = []
        visible = registry.get_categories(extras)
        for cat in data.categories:
            if cat.get('class', 'mixin') != 'mixin':
                raise errors.BadRequest('Only mixins can be defined by '
                                        'users.')
            check_mixin_id(cat)
            if not cat.get('location'):
                raise errors.BadRequest('A user mixin needs a location.')
            loc = normalise_location(self.key_of(cat['location']))
            for item in visible + new:
                if item.scheme == cat['scheme'] and \
                        item.term == cat['term']:
                    raise errors.Conflict('Category %s%s already exists.'
                                          % (cat['scheme'], cat['term']))
                where = getattr(item, 'location', None)
                if not where:
                    continue
                if where == loc:
                    raise errors.Conflict('Location %s is already used.'
                                          % loc)
                if repr(item) == 'kind' and (
                        loc.startswith(where) or where.startswith(loc)):
                    raise errors.BadRequest(
                        'Mixin location %s would nest with the location %s '
                        'of kind %s.' % (loc, where, item))
            related = [self.resolve(renderings.split_category_id(r))
                       for r in cat.get('rel', [])]
            mixin = core_model.Mixin(cat['scheme'], cat['term'],
                                     related=related,
                                     title=cat.get('title', ''),
                                     location=loc)
            new.append(mixin)
        registry.add_user_mixins(new, extras)
        return self.ok()

    def do_delete(self, key):
        data = self.data()
        registry = self.app.registry
        extras = self.req.extras
        if not data.categories:
            raise errors.BadRequest('No mixin given to delete.')
        targets = []
        for cat in data.categories:
            found = None
            for item in registry.get_categories(extras):
                if item.scheme == cat['scheme'] and \
                        item.term == cat['term']:
                    found = item
            if found is None:
                raise errors.NotFound('Category %s%s not found.'
                                      % (cat['scheme'], cat['term']))
            if not registry.is_user_mixin(found, extras):
                raise errors.Forbidden('Category %s is defined by the '
                                       'provider and cannot be deleted.'
                                       % found)
            targets.append(found)
        for mixin in targets:
            for entity in registry.get_resources(extras):
                if mixin in entity.mixins:
                    entity.mixins.remove(mixin)
                    registry.update_resource(entity.identifier, entity,
                                             extras)
            registry.delete_mixin(mixin, extras)
        return self.ok()


class CollectionHandler(_Context, occi_handlers.CollectionHandler):
    """Collections: kind and mixin locations, path prefixes (GFD.185 3.4)."""

    def category(self, key):
        return self.app.registry.get_category(key, self.req.extras)

    def members(self, key):
        registry = self.app.registry
        extras = self.req.extras
        cat = self.category(key)
        if cat is None:
            return [e for e in registry.get_resources(extras)
                    if (e.identifier or '').startswith(key)]
        return [e for e in registry.get_resources(extras)
                if e.kind == cat or cat in e.mixins]

    def _filter(self, entities, data):
        # A filter naming an unknown category asks for a resource that
        # does not exist (404).
        cats = [(c.scheme, c.term) for c in
                (self.resolve(c, missing=errors.NotFound)
                 for c in data.categories)]
        result = []
        for entity in entities:
            have = [(c.scheme, c.term) for c in [entity.kind] +
                    list(entity.mixins)]
            if any(c not in have for c in cats):
                continue
            attrs = renderings.entity_attributes(entity)
            if any(name not in attrs or not self._same(attrs[name], value)
                   for name, value in data.attributes.items()):
                continue
            result.append(entity)
        return result

    def _page(self, entities):
        query = self.req.query
        if 'page' not in query and 'number' not in query:
            return entities
        try:
            page = int(query.get('page', ['1'])[-1])
            number = int(query.get('number',
                                   [str(self.app.max_page)])[-1])
        except ValueError:
            raise errors.BadRequest('page and number must be integers.')
        if page < 1 or number < 1:
            raise errors.BadRequest('page and number must be >= 1.')
        if number > self.app.max_page:
            raise errors.RequestEntityTooLarge(
                'At most %d entities per page.' % self.app.max_page)
        start = (page - 1) * number
        if start and start >= len(entities):
            raise errors.RequestEntityTooLarge(
                'Page %d is past the end of the collection (%d '
                'entities).' % (page, len(entities)))
        return entities[start:start + number]

    def do_get(self, key):
        data = self.data()
        entities = self._page(self._filter(self.members(key), data))
        if self.category(key) is None and not entities and key != '/':
            raise errors.NotFound('No collection at %s.' % key)
        if isinstance(self.out, renderings.JsonRendering) or \
                isinstance(self.out, renderings.HtmlRendering):
            for entity in entities:
                self.retrieve(entity)
        return self.respond(200, 'collection', entities, key)

    do_head = do_get

    def do_post(self, key):
        data = self.data()
        cat = self.category(key)
        if self.req.action is not None:
            # All or nothing: check every member before running any.
            members = self.members(key)
            actions = [self.check_action(e, data) for e in members]
            for entity, action in zip(members, actions):
                self.execute_action(entity, action, data)
            return self.ok()
        if data.locations and not data.categories:
            if cat is None:
                raise errors.NotFound('No mixin collection at %s.' % key)
            if repr(cat) != 'mixin':
                raise errors.BadRequest('Entities can be added only to a '
                                        'mixin collection.')
            self._add_to_mixin(cat, data.locations)
            return self.ok()
        if cat is None or repr(cat) != 'kind':
            if cat is None and not any(
                    c.location == key for c in
                    self.app.registry.get_categories(self.req.extras)):
                raise errors.NotFound('No kind at %s.' % key)
            raise errors.BadRequest('Entities are created at the location '
                                    'of their kind.')
        entity = self.build_entity(data, default_kind=None)
        if entity.kind is not cat:
            raise errors.BadRequest('Kind %s is not served at %s.'
                                    % (entity.kind, key))
        new_key = self.new_key(entity.kind, dict(data.attributes))
        if new_key in self.app.registry.get_resource_keys(self.req.extras):
            raise errors.Conflict('Entity %s already exists.' % new_key)
        self.create(new_key, entity)
        return self.created(entity)

    def _add_to_mixin(self, mixin, locations):
        registry = self.app.registry
        extras = self.req.extras
        entities = []
        for loc in locations:
            try:
                entities.append(self.entity_or_404(self.key_of(loc)))
            except errors.NotFound as exc:
                raise errors.BadRequest(exc.message)
        back = registry.get_backend(mixin, extras)
        for entity in entities:
            if mixin not in entity.mixins:
                entity.mixins.append(mixin)
                back.create(entity, extras)
                entity.actions.extend(a for a in mixin.actions
                                      if a not in entity.actions)
                registry.update_resource(entity.identifier, entity, extras)

    def _remove_from_mixin(self, mixin, entities):
        registry = self.app.registry
        extras = self.req.extras
        back = registry.get_backend(mixin, extras)
        for entity in entities:
            if mixin in entity.mixins:
                back.delete(entity, extras)
                entity.mixins.remove(mixin)
                registry.update_resource(entity.identifier, entity, extras)

    def do_put(self, key):
        data = self.data()
        cat = self.category(key)
        if cat is None or repr(cat) != 'mixin':
            raise errors.BadRequest('PUT on a collection is defined only '
                                    'for mixin collections.')
        wanted = []
        for loc in data.locations:
            try:
                wanted.append(self.entity_or_404(self.key_of(loc)))
            except errors.NotFound as exc:
                raise errors.BadRequest(exc.message)
        self._remove_from_mixin(cat, [e for e in self.members(key)
                                      if e not in wanted])
        self._add_to_mixin(cat, data.locations)
        return self.ok()

    def do_delete(self, key):
        data = self.data()
        cat = self.category(key)
        if data.locations:
            if cat is None or repr(cat) != 'mixin':
                raise errors.BadRequest('Entities can be removed only from '
                                        'a mixin collection.')
            entities = []
            for loc in data.locations:
                try:
                    entities.append(self.entity_or_404(self.key_of(loc)))
                except errors.NotFound as exc:
                    raise errors.BadRequest(exc.message)
            self._remove_from_mixin(cat, entities)
            return self.ok()
        members = self.members(key)
        if cat is None and not members and key != '/':
            # As for GET: a path that is neither a category's location nor
            # above any entity is no collection (a client adding a slash
            # to an entity's path must not be told it was deleted).
            raise errors.NotFound('No collection at %s.' % key)
        status = 200
        for entity in self.check_delete(members):
            if self.delete_one(entity) == 202:
                status = 202
        return self.ok(status)

    def check_delete(self, members):
        """All or nothing: ask every member's backends first.

        A backend may define ``check_delete(entity, extras, batch)``: it
        raises an :class:`~hurtle.occi.errors.OCCIError` to refuse, and
        returns ``False`` when deleting another member of ``batch``
        disposes this one (it is then not deleted on its own).

        :returns: the members to delete, in order.
        :raises Conflict: one or more members refused with 409; the
            message names each (``<location>: <reason>``). Any other
            refusal (e.g. 403) is raised as is. Nothing is deleted then.
        """
        registry = self.app.registry
        extras = self.req.extras
        keep = []
        refused = []
        for entity in members:
            delete = True
            for back in registry.get_all_backends(entity, extras):
                check = getattr(back, 'check_delete', None)
                if check is None:
                    continue
                try:
                    if check(entity, extras, members) is False:
                        delete = False
                except errors.Conflict as exc:
                    refused.append('%s: %s' % (entity.identifier,
                                               exc.message))
                    delete = False
                    break
            if delete:
                keep.append(entity)
        if refused:
            raise errors.Conflict('nothing was deleted; %d of %d refused: %s'
                                  % (len(refused), len(members),
                                     '; '.join(refused)))
        return keep


class ResourceHandler(_Context, occi_handlers.ResourceHandler):
    """Single entities (GFD.185 3.4.2 - 3.4.5)."""

    def do_get(self, key):
        entity = self.entity_or_404(key)
        self.retrieve(entity)
        return self.respond(200, 'entity', entity)

    do_head = do_get

    def do_post(self, key):
        entity = self.entity_or_404(key)
        data = self.data()
        if self.req.action is not None:
            self.run_action(entity, data)
            return self.respond(200, 'entity', entity)
        new = self.build_entity(data, default_kind=entity.kind, old=entity)
        registry = self.app.registry
        extras = self.req.extras
        added = [m for m in new.mixins if m not in entity.mixins]
        new.identifier = entity.identifier
        new.mixins = list(entity.mixins) + added
        old_backs = registry.get_all_backends(entity, extras)
        for back in old_backs:
            back.update(entity, new, extras)
        if added:
            entity.mixins.extend(added)
            for mixin in added:
                entity.actions.extend(a for a in mixin.actions
                                      if a not in entity.actions)
            olds = [b.wrapped for b in old_backs]
            for back in registry.get_all_backends(entity, extras):
                if back.wrapped not in olds:
                    back.create(entity, extras)
        # OCCI Core's own attributes are the layer's to keep.
        if new.title is not None:
            entity.title = new.title
        if getattr(new, 'summary', None) is not None:
            entity.summary = new.summary
        registry.update_resource(entity.identifier, entity, extras)
        return self.respond(200, 'entity', entity)

    def do_put(self, key):
        registry = self.app.registry
        extras = self.req.extras
        data = self.data()
        if self.req.action is not None:
            raise errors.BadRequest('Actions are triggered with POST.')
        try:
            old = registry.get_resource(key, extras)
        except KeyError:
            old = None
        if old is None:
            if key.endswith('/') or key in occi_request.QUERY_PATHS:
                raise errors.BadRequest('Not an entity location: %s' % key)
            for cat in registry.get_categories(extras):
                if getattr(cat, 'location', None) == key + '/':
                    raise errors.BadRequest('%s is a collection.' % key)
            entity = self.build_entity(data)
            ident = entity.attributes.pop('occi.core.id', None)
            if ident is not None and str(ident) != key.rsplit('/', 1)[-1]:
                raise errors.BadRequest('occi.core.id does not match the '
                                        'location.')
            self.create(key, entity)
            return self.created(entity)
        new = self.build_entity(data, old=old, full=True)
        if new.kind is not old.kind:
            raise errors.BadRequest('The kind of an entity cannot change.')
        new.identifier = old.identifier
        old_backs = registry.get_all_backends(old, extras)
        new_backs = registry.get_all_backends(new, extras)
        olds = [b.wrapped for b in old_backs]
        news = [b.wrapped for b in new_backs]
        for back in old_backs:
            back.replace(old, new, extras)
        for back in new_backs:
            if back.wrapped not in olds:
                back.create(new, extras)
        for back in old_backs:
            if back.wrapped not in news:
                back.delete(old, extras)
        old.title = new.title
        if isinstance(old, core_model.Resource):
            old.summary = getattr(new, 'summary', None)
        removed = [m for m in old.mixins if m not in new.mixins]
        old.mixins = list(new.mixins)
        for mixin in removed:
            old.actions = [a for a in old.actions
                           if a not in mixin.actions or
                           a in old.kind.actions]
        registry.update_resource(old.identifier, old, extras)
        return self.respond(200, 'entity', old)

    def do_delete(self, key):
        entity = self.entity_or_404(key)
        self.data()
        return self.ok(self.delete_one(entity))
