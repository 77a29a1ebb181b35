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
This module dispatches the verbs; building, validating, creating and
deleting entities and running actions is :mod:`hurtle.occi.entities`.
"""

import logging
import re
import time
import urllib.parse

from occi import core_model
from occi import handlers as occi_handlers

from hurtle.occi import conditional
from hurtle.occi import entities
from hurtle.occi import errors
from hurtle.occi import forms
from hurtle.occi import members as occi_members
from hurtle.occi import parsing
from hurtle.occi import registry as occi_registry
from hurtle.occi import renderings
from hurtle.occi import request as occi_request

LOG = logging.getLogger(__name__)


#: First path segments served beside the OCCI API by the services'
#: paste pipeline (``hurtle/wsgi/api-paste.ini``): no mixin lives there.
RESERVED_SEGMENTS = ('healthcheck',)
#: Key of the WSGI environ under which :meth:`_Context.handle` leaves a
#: callable giving the methods of the request's path (for ``Allow``).
METHODS_AT = 'hurtle.occi.methods_at'
#: One segment of a user mixin's location.
_SEGMENT = re.compile(r'^[A-Za-z0-9._~-]{1,64}$')
_TERM = re.compile(r'^[a-z][a-z0-9_-]{0,63}$')


def normalise_location(path):
    """A user mixin's location normalised: ``.`` and empty segments
    dropped, ``..`` resolved.

    :raises BadRequest: no trailing ``/`` (a collection's location), it
        escapes the root, is the root or the query interface, begins with
        a :data:`RESERVED_SEGMENTS` segment (the health check's
        ``/healthcheck``), has a segment of other than 1 to 64 letters,
        digits, ``.``, ``_``, ``~``, ``-``, or is longer than 255
        characters.
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
    if parts and parts[0] in RESERVED_SEGMENTS:
        raise errors.BadRequest('Mixin location %s is served by the health '
                                'check, not the OCCI API: choose another '
                                'path.' % loc[:80])
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


#: The renderings whose :meth:`parse` of no body and no OCCI header
#: (``Request.headers`` empty) is an empty ``OCCIData``.
_HEADER_RENDERINGS = ('text/plain', 'text/occi')


class _Context(entities.EntityEngine):
    """Shared helpers of the three handlers (mixed into PySSF's): request
    parsing and responses; the entity engine is
    :class:`hurtle.occi.entities.EntityEngine`."""

    def setup(self, app, request, rendering):
        self.app = app
        self.req = request
        self.out = rendering

    # parsing -------------------------------------------------------------
    def data(self):
        """Parse the request content with the Content-Type's rendering."""
        req = self.req
        if req.form is not None:
            return req.form
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
        if not req.body and not req.headers and \
                rendering.mime_type in _HEADER_RENDERINGS:
            # Nothing to parse (most GETs): what the text renderings
            # make of no body and no OCCI header, without making it.
            return renderings.OCCIData()
        try:
            data = rendering.parse(req.headers, req.body)
        except errors.BadRequest as exc:
            raise forms.not_text_either(req, exc)
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

    # responses ------------------------------------------------------------
    def respond(self, status, what, *args, headers=None, next_url=None):
        """Render ``what`` (a rendering's method name) of ``args``.

        :param next_url: the next page of a paged collection; renderings
            that show links (HTML) show it beside the ``Link`` header.
        """
        render = getattr(self.out, what)
        if next_url is not None and getattr(self.out, 'shows_next_page',
                                            False):
            out_headers, body = render(*args, next_url=next_url)
        else:
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

    @classmethod
    def methods(cls):
        """The methods this handler class answers (sorted upper-case
        names: each has a ``do_<method>``), for ``Allow``."""
        return sorted(name[3:].upper() for name in dir(cls)
                      if name.startswith('do_'))

    def methods_at(self, key):
        """The methods ``key`` answers (sorted upper-case names), for the
        ``Allow`` of a 405; here all of :meth:`methods`."""
        return self.methods()

    def handle(self, method, key):
        environ = self.req.environ
        # For the Allow of a 405 a backend raises (hurtle.occi.app).
        environ[METHODS_AT] = lambda: self.methods_at(key)
        func = getattr(self, 'do_' + method.lower(), None)
        if func is None:
            raise errors.MethodNotAllowed(
                'Method %s not allowed on %s.' % (method, key),
                headers=[('Allow', ', '.join(self.methods_at(key)))])
        if method == 'OPTIONS':
            # RFC 9110 13.2.1: preconditions do not apply to OPTIONS.
            return func(key)
        if 'HTTP_IF_MATCH' in environ:
            conditional.check_if_match(
                environ, lambda: self.current_tag(method, key))
        elif method not in ('GET', 'HEAD') and \
                'HTTP_IF_NONE_MATCH' in environ:
            conditional.check_if_none_match(
                environ, lambda: self.current_tag(method, key))
        return func(key)

    def do_options(self, key):
        """OPTIONS (RFC 9110 9.3.7): ``200`` without a body, ``Allow``
        naming the methods ``key`` answers (:meth:`allowed`).

        :raises NotFound: nothing at ``key`` (as for GET).
        :raises Forbidden: a backend refuses the caller (as for GET).
        """
        return 200, [('Allow', ', '.join(self.allowed(key)))], ''

    def allowed(self, key):
        """The methods ``key`` answers (sorted upper-case names), after
        the checks a GET of ``key`` makes; here all of :meth:`methods`
        (the query interface always exists)."""
        return self.methods()

    def current_tag(self, method, key):
        """The ``ETag`` a GET of ``key`` would answer now, for ``If-Match``
        (:func:`hurtle.occi.conditional.check_if_match`): ``''`` here (a
        collection or the query interface exists and has none)."""
        return ''


#: Most members of a page :meth:`CollectionHandler._kept_members` reads
#: by id when more than half of the page is not kept (beyond it, the
#: page's rows are read at once).
_FEW_MISSING = 50


def _ordered(categories):
    """Kinds, then mixins, then actions, each by category id."""
    return sorted(categories, key=lambda c: ({'kind': 0, 'mixin': 1}.get(
        repr(c), 2), str(c)))


class QueryHandler(_Context, occi_handlers.QueryHandler):
    """Query interface (GFD.185 3.4.1)."""

    response_kind = 'categories'

    def do_get(self, key):
        data = self.data()
        if not data.categories and self.out.categories_cacheable:
            return self._all_categories()
        cats = self.app.registry.get_categories(self.req.extras)
        wanted = [(c.scheme, c.term) for c in
                  (self.resolve(c, missing=errors.NotFound)
                   for c in data.categories)]
        if wanted:
            cats = [c for c in cats if (c.scheme, c.term) in wanted]
        return self.respond(200, 'categories', _ordered(cats))

    def _all_categories(self):
        """The unfiltered query interface, rendered once per project,
        registry generation, user mixin definitions (read from the store
        on every request), rendering and category location prefix
        (:attr:`hurtle.occi.app.Application.answers`)."""
        version, make = self.app.registry.categories_version(
            self.req.extras)
        out = self.out

        def render():
            headers, body = out.categories(_ordered(make()))
            return tuple(headers), body
        headers, body = self.app.answers.get(
            ('categories', version, out.mime_type, out.category_host),
            render)
        return 200, list(headers), body

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
            missing, an absolute URL of another service (another
            scheme, host or port than this service's, or outside its
            path), escaping the root, or equal to, inside or around a
            kind's location.
        :raises Conflict: the category or location is in use.
        :raises Forbidden: past the per-project limit; the scheme is one
            of the provider's (:meth:`Registry.provider_schemes`: a user
            mixin must not pass for a provider's category).
        """
        new = []
        visible = registry.get_categories(extras)
        provider = registry.provider_schemes()
        for cat in data.categories:
            if cat.get('class', 'mixin') != 'mixin':
                raise errors.BadRequest('Only mixins can be defined by '
                                        'users.')
            check_mixin_id(cat)
            if not cat.get('location'):
                raise errors.BadRequest('A user mixin needs a location.')
            loc = normalise_location(self._own_location(cat['location']))
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
            # (after the 409 of a category that exists: GFD.185 3.4.1)
            if cat['scheme'].lower() in provider:
                raise errors.Forbidden(
                    'Scheme %s is the provider\'s: define mixins in a '
                    'scheme of your own.' % cat['scheme'])
            related = [self.resolve(renderings.split_category_id(r))
                       for r in cat.get('rel', [])]
            mixin = core_model.Mixin(cat['scheme'], cat['term'],
                                     related=related,
                                     title=cat.get('title', ''),
                                     location=loc)
            new.append(mixin)
        registry.add_user_mixins(new, extras)
        return self.ok()

    def _own_location(self, location):
        """The path of a user mixin's ``location`` (:meth:`key_of`).

        :raises BadRequest: not a path, nor a URL on this service.
        """
        return self.key_of(location, 'Mixin location')

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

    def _single(self, name, default=None):
        """The one value of query parameter ``name`` (``default`` when
        absent).

        :raises BadRequest: given more than once (which one was meant?).
        """
        values = self.req.query.get(name)
        if values is None:
            return default
        if len(values) > 1:
            raise errors.BadRequest('%s given %d times in the query; give '
                                    'it once.' % (name, len(values)))
        return values[0]

    def _page(self, entities):
        query = self.req.query
        if 'page' not in query and 'number' not in query:
            return entities
        try:
            page = parsing.ascii_int(self._single('page', '1'))
            number = parsing.ascii_int(
                self._single('number', str(self.app.max_page)))
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

    def authorize_listing(self, key, members):
        """Let the backends refuse the listing of ``key``: the optional
        backend method ``authorize_list(extras)`` of the kinds the
        collection may hold (its kind; for a path prefix such as ``/``,
        every kind located below it) and of the kind of each member runs
        (each backend once) and may raise (403), so that a listing
        follows the rules of the entities it lists, whatever the
        rendering and even when it is empty."""
        registry = self.app.registry
        extras = self.req.extras
        cat = self.category(key)
        if cat is None:
            kinds = [c for c in registry.get_categories(extras)
                     if repr(c) == 'kind' and
                     (getattr(c, 'location', None) or '').startswith(key)]
        else:
            kinds = [cat] if repr(cat) == 'kind' else []
        kinds += [entity.kind for entity in members]
        for back in self.backends_of(kinds):
            if hasattr(back.wrapped, 'authorize_list'):
                back.authorize_list(extras)

    def _limit_marker(self):
        """``(limit, marker)`` of the query (``None`` when absent); a
        ``limit`` above ``max_page`` is cut to it (as OpenStack APIs
        cut to their ``max_limit``).

        :raises BadRequest: ``limit`` is not an integer >= 1,
            ``marker`` is empty, or either is given twice.
        """
        query = self.req.query
        limit = marker = None
        if 'limit' in query:
            try:
                limit = parsing.ascii_int(self._single('limit'))
            except ValueError:
                limit = 0
            if limit < 1:
                raise errors.BadRequest('limit must be an integer >= 1.')
            limit = min(limit, self.app.max_page)
        if 'marker' in query:
            marker = self._single('marker')
            if not marker:
                raise errors.BadRequest('marker must be the id of the '
                                        'last member of the previous '
                                        'page.')
        return limit, marker

    def _next_url(self, key, limit, last):
        """The URL of the page after one whose last member is ``last``
        (an entity or its key)."""
        query = {k: v for k, v in self.req.query.items()
                 if k not in ('limit', 'marker')}
        query['limit'] = [str(limit)]
        query['marker'] = [getattr(last, 'identifier', last)
                           .rsplit('/', 1)[-1]]
        return renderings.absolute(self.req.hostname, key) + '?' + \
            urllib.parse.urlencode(query, doseq=True)

    def _paged(self, status, what, items, key, limit, more, *args):
        """:meth:`respond` with ``what`` of ``items`` (and ``args``),
        with a ``Link: <...>; rel="next"`` header (and ``next_url``)
        when ``more`` members follow."""
        if not more:
            return self.respond(status, what, items, *args)
        url = self._next_url(key, limit, items[-1])
        return self.respond(status, what, items, *args,
                            headers=[('Link', '<%s>; rel="next"' % url)],
                            next_url=url)

    def allowed(self, key):
        """The methods of the collection at ``key`` (``PUT`` on mixin
        collections only), after GET's checks.

        :raises NotFound: no collection at ``key`` (as for GET).
        :raises Forbidden: a backend refuses the listing.
        """
        cat = self.category(key)
        if cat is not None and repr(cat) == 'kind':
            self.authorize_listing(key, [])
        else:
            members = self.members(key)
            if cat is None and not members and key != '/':
                raise errors.NotFound('No collection at %s.' % key)
            self.authorize_listing(key, members)
        return self._methods_of(cat)

    def methods_at(self, key):
        """The methods of the collection at ``key``: ``PUT`` only on a
        mixin collection (GFD.185 3.4.3 defines no other)."""
        return self._methods_of(self.category(key))

    def _methods_of(self, cat):
        if cat is not None and repr(cat) == 'mixin':
            return self.methods()
        return [method for method in self.methods() if method != 'PUT']

    def _get_kind(self, key, kind, limit, marker):
        """GET of a kind's collection without filters: the store selects
        the page; text renderings get locations only (no entities), the
        others the members' records
        (:class:`hurtle.occi.members.Member`) when no backend needs to
        retrieve them (:meth:`retrieve_free`), else entities."""
        self.authorize_listing(key, [])
        registry = self.app.registry
        extras = self.req.extras
        if not isinstance(self.out, (renderings.JsonRendering,
                                     renderings.HtmlRendering)):
            items, more = registry.list_resources(
                extras, kind, limit=limit, marker=marker, keys_only=True)
            headers = [('Link', '<%s>; rel="next"' % self._next_url(
                key, limit, items[-1]))] if more else []
            return self.respond(200, 'locations',
                                renderings.absolute_paths(self.out.host,
                                                          items),
                                headers=headers)
        if self.retrieve_free([kind]):
            if isinstance(self.out, renderings.JsonRendering):
                answer = self._kept_members(key, kind, limit, marker)
                if answer is not None:
                    return answer
            items, more = registry.list_resources(
                extras, kind, limit=limit, marker=marker, members=True)
            if self.retrieve_free(occi_members.mixins_of(items)):
                return self._paged(200, 'members', items, key, limit, more,
                                   key)
        items, more = registry.list_resources(extras, kind, limit=limit,
                                              marker=marker)
        self.retrieve_all(items)
        return self._paged(200, 'collection', items, key, limit, more, key)

    def _kept_members(self, key, kind, limit, marker):
        """A JSON page of ``kind``'s collection from the members'
        documents kept in :attr:`hurtle.occi.app.Application.fragments`,
        rendering (and keeping) those not kept at the version the store
        reads now. The context of the documents is the project's
        categories as read now (``categories_version``: user mixin
        definitions included), the rendering and its host.

        Reads: the page's keys and versions, then the rows of the few
        members not kept; or, in a context not seen before or when most
        are not kept, the page's keys, versions and rows at once.

        :returns: the response, or ``None`` when the caller must render
            as usual: the store keeps no versions, nothing may be kept,
            a member was removed between the two reads, or a backend of
            a member's mixins needs ``retrieve``.
        :raises BadRequest: bad ``marker``.
        :raises Forbidden: a mixin backend's ``authorize_list`` refuses.
        """
        cache = self.app.fragments
        if not cache.max_bytes:
            return None
        registry = self.app.registry
        extras = self.req.extras
        out = self.out
        context, categories = registry.categories_version(extras)
        token, known = cache.context((context, out.mime_type, out.host))
        missing = None
        if known:
            listed = registry.list_versions(extras, kind, limit=limit,
                                            marker=marker)
            if listed is None:
                return None
            versions, more = listed
            found = cache.lookup(token, versions)
            missing = [pair[0] for pair, kept in zip(versions, found)
                       if kept is None]
            if len(missing) > _FEW_MISSING and \
                    2 * len(missing) > len(versions):
                missing = None      # most: read the page's rows at once
        visible = {str(c): c for c in categories() if repr(c) == 'mixin'} \
            if missing is None or missing else {}
        if missing is None:
            listed = registry.list_versions(extras, kind, limit=limit,
                                            marker=marker, mixins=visible)
            if listed is None:
                return None
            read, more = listed
            versions = [(member_key, version)
                        for member_key, version, _member in read]
            found = cache.lookup(token, versions) if known else \
                [None] * len(read)
            read = [item for item, kept in zip(read, found) if kept is None]
        elif missing:
            read = registry.versioned_members(extras, kind, missing,
                                              visible)
            if len(read) != len(missing):
                return None
        else:
            read = ()
        if read:
            rendered = [(member_key, version, out.fragment(member),
                         tuple(member.mixins))
                        for member_key, version, member in read]
            cache.keep(token, rendered)
            made = iter(rendered)
            found = [kept or next(made)[2:] for kept in found]
        documents = []
        mixins = {}
        for document, member_mixins in found:
            documents.append(document)
            if member_mixins:
                for mixin in member_mixins:
                    mixins.setdefault(str(mixin), mixin)
        if mixins and not self.retrieve_free(list(mixins.values())):
            return None
        headers = [('Link', '<%s>; rel="next"' % self._next_url(
            key, limit, versions[-1][0]))] if more else []
        return self.respond(200, 'fragments', documents, key,
                            headers=headers)

    def do_get(self, key):
        """List a collection (GFD.185 3.4.2, 3.4.4), filtered by the
        categories and attributes of the request.

        Paging: ``?limit=N`` (1 to ``max_page``; more is cut) and
        ``?marker=<id>`` (the last id of the previous page) give one page
        in a stable order (creation, then id), with a ``Link: <url>;
        rel="next"`` header while more follow; or GFD.185's ``?page=``
        and ``?number=``.

        :raises BadRequest: bad ``limit``, empty or unknown ``marker``
            (another project's is unknown), bad ``page``/``number``.
        :raises NotFound: no collection at ``key``; a filter names an
            unknown category.
        :raises Forbidden: a backend refuses the listing.
        """
        data = self.data()
        limit, marker = self._limit_marker()
        cat = self.category(key)
        query = self.req.query
        if cat is not None and repr(cat) == 'kind' and \
                not data.categories and not data.attributes and \
                'page' not in query and 'number' not in query:
            return self._get_kind(key, cat, limit, marker)
        members = self.members(key)
        self.authorize_listing(key, members)
        entities = self._page(self._filter(members, data))
        if cat is None and not entities and key != '/':
            raise errors.NotFound('No collection at %s.' % key)
        entities, more = occi_registry.page_of(entities, limit, marker)
        if isinstance(self.out, renderings.JsonRendering) or \
                isinstance(self.out, renderings.HtmlRendering):
            self.retrieve_all(entities)
        return self._paged(200, 'collection', entities, key, limit, more,
                           key)

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
        if (data.locations or data.listed) and not data.categories:
            # A list of locations, even an empty one (``[]``).
            if cat is None:
                raise errors.NotFound('No mixin collection at %s.' % key)
            if repr(cat) != 'mixin':
                raise errors.BadRequest(
                    'A list of locations adds entities to a mixin '
                    'collection only; an entity is created with its '
                    'rendering (categories and attributes, a JSON '
                    'object).')
            entities = self.located(data.locations)
            self.check_mixin_change(entities)
            self._add_to_mixin(cat, entities)
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

    def located(self, locations):
        """The entities at ``locations`` (a mixin collection request's),
        each once, in order.

        :raises BadRequest: nothing at one of them (GFD.185 3.4.3: the
            request's content is wrong, not its path).
        """
        found = {}
        for loc in locations:
            try:
                entity = self.entity_or_404(self.key_of(loc))
            except errors.NotFound as exc:
                raise errors.BadRequest(exc.message)
            found.setdefault(entity.identifier, entity)
        return list(found.values())

    def _add_to_mixin(self, mixin, entities):
        registry = self.app.registry
        extras = self.req.extras
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
        """Make the members of a mixin collection those the request
        locates (GFD.185 3.4.3); every entity it names or removes is
        checked first (:meth:`check_mixin_change`), then changed.

        :raises MethodNotAllowed: not a mixin collection (405, ``Allow``
            without ``PUT``).
        :raises BadRequest: a location with no entity.
        :raises Conflict: a backend refused an entity (nothing changed).
        """
        cat = self.category(key)
        if cat is None or repr(cat) != 'mixin':
            raise errors.MethodNotAllowed(
                'PUT on a collection is defined only for mixin '
                'collections.',
                headers=[('Allow', ', '.join(self._methods_of(cat)))])
        data = self.data()
        wanted = self.located(data.locations)
        kept = {entity.identifier for entity in wanted}
        removed = [e for e in self.members(key) if e.identifier not in kept]
        self.check_mixin_change(wanted + removed)
        self._remove_from_mixin(cat, removed)
        self._add_to_mixin(cat, wanted)
        return self.ok()

    def do_delete(self, key):
        data = self.data()
        cat = self.category(key)
        if data.locations or data.listed:
            # A list of locations, even an empty one: remove those (none
            # for ``[]``), never the whole collection, which is what a
            # DELETE without a body asks for.
            if cat is None or repr(cat) != 'mixin':
                raise errors.BadRequest('Entities can be removed only from '
                                        'a mixin collection.')
            entities = self.located(data.locations)
            self.check_mixin_change(entities)
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
            raise entities.refusals('deleted', refused, len(members))
        return keep


class ResourceHandler(_Context, occi_handlers.ResourceHandler):
    """Single entities (GFD.185 3.4.2 - 3.4.5)."""

    def do_get(self, key):
        """Read one entity (GFD.185 3.4.2): ``200`` with a strong
        ``ETag``; ``304`` when ``If-None-Match`` names it; held for a
        change with ``Prefer: wait=N`` (:mod:`hurtle.occi.conditional`).

        :raises NotFound: no such entity (also once gone while held).
        """
        entity = self.entity_or_404(key)
        self.retrieve(entity)
        answer = self._tagged(entity)
        environ = self.req.environ
        tags = conditional.if_none_match(environ)
        if not conditional.matches(tags, answer[1][-1][1]):
            return answer
        wait = conditional.prefer_wait(environ)
        ticket = environ.get(conditional.ENVIRON_KEY)
        waiter = getattr(self.app.registry.get_backend(
            entity.kind, self.req.extras), 'wait_change', None) \
            if wait and ticket is not None else None
        if waiter is None or min(wait, ticket.max_wait) <= 0:
            return self._not_modified(answer)
        with ticket.hold() as held:
            if not held:
                return self._not_modified(answer)
            return self._held(key, entity, tags, answer, waiter, ticket,
                              min(wait, ticket.max_wait))

    do_head = do_get

    def allowed(self, key):
        """The methods of entity ``key``, after GET's checks (its
        backends' ``retrieve``).

        :raises NotFound: no such entity.
        """
        self.retrieve(self.entity_or_404(key))
        return self.methods()

    def current_tag(self, method, key):
        """The ``ETag`` of entity ``key`` as a GET with this request's
        ``Accept`` would answer it, or None when there is no entity to
        create it with PUT (``If-Match`` is then false: 412). For other
        methods a missing entity, or one the caller may not read, is the
        ``404``/``403`` the request would have had anyway (RFC 9110
        13.2.1: preconditions count only where the request would
        otherwise succeed)."""
        if method == 'PUT':
            try:
                entity = self.app.registry.get_resource(key, self.req.extras)
            except KeyError:
                return None
            if entity is None:
                return None
        else:
            entity = self.entity_or_404(key)
        self.retrieve(entity)
        return self._tagged(entity)[1][-1][1]

    def _tagged(self, entity):
        """The 200 answer of ``entity``, its ``ETag`` the last header."""
        status, headers, body = self.respond(200, 'entity', entity)
        headers.append(('ETag', conditional.etag(self.out.mime_type,
                                                 headers, body)))
        return status, headers, body

    @staticmethod
    def _not_modified(answer, extra=()):
        """``304`` for a ``200`` answer: its ``ETag`` (and the length
        its body would have had, RFC 7230 3.3.2), no body."""
        _status, headers, body = answer
        length = len(body.encode('utf-8') if isinstance(body, str)
                     else body)
        return 304, [headers[-1], ('Content-Length', str(length))] + \
            list(extra), ''

    def _held(self, key, entity, tags, answer, waiter, ticket, wait):
        """Hold the GET up to ``wait`` seconds for a change of
        ``entity`` (see :mod:`hurtle.occi.conditional`). Every look reads
        the entity again as a GET does (its project, its backends'
        checks), so a caller who lost access meanwhile is refused."""
        applied = [('Preference-Applied', 'wait=%d' % max(1, round(wait)))]
        deadline = time.monotonic() + wait
        extras = self.req.extras
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or ticket.stopping.is_set():
                return self._not_modified(answer, applied)
            try:
                waiter(entity, extras, min(remaining, conditional.STEP))
            except errors.InternalError:
                # Logged by the registry's guard: answer what is known.
                return self._not_modified(answer, applied)
            if ticket.stopping.is_set():
                return self._not_modified(answer, applied)
            entity = self.entity_or_404(key)
            self.retrieve(entity)
            answer = self._tagged(entity)
            if not conditional.matches(tags, answer[1][-1][1]):
                status, headers, body = answer
                return status, headers + applied, body

    def do_post(self, key):
        entity = self.entity_or_404(key)
        data = self.data()
        if self.req.action is not None:
            self.run_action(entity, data)
            return self.respond(200, 'entity', entity)
        self._not_listed(data)
        self.check_update(entity, full=False)
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
        self._not_listed(data)
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
        self.check_update(old, full=True)
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

    @staticmethod
    def _not_listed(data):
        """Refuse a list of locations sent to an entity: it changes
        nothing there (GFD.185 3.4.3 gives locations to a mixin's
        collection), so answering 200 would hide the client's mistake.

        :raises BadRequest: ``data`` came from a ``text/uri-list`` or a
            JSON array, or holds ``X-OCCI-Location`` values.
        """
        if data.listed or data.locations:
            raise errors.BadRequest(
                'A list of locations is for a mixin\'s collection (to add '
                'or remove its members); an entity is created or updated '
                'with its rendering (categories and attributes, a JSON '
                'object).')

    def do_delete(self, key):
        entity = self.entity_or_404(key)
        self.data()
        return self.ok(self.delete_one(entity))
