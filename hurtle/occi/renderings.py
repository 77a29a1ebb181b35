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
"""OCCI renderings served by :class:`hurtle.occi.app.Application`.

Each rendering turns a request (headers dict + decoded ``str`` body) into an
:class:`OCCIData` and turns model objects into ``(headers, body)`` where
``headers`` is a list of ``(name, value)`` and ``body`` a ``str``:

* ``text/plain`` -- OCCI 1.1 HTTP rendering, data in the body
  (GFD.185 3.6.2; GFD.229 5.2).  Requests with an empty body are read from
  the headers instead (lenient to old clients).
* ``text/occi`` -- data in HTTP headers, body ``OK`` (GFD.185 3.6.1).
* ``text/uri-list`` -- collections only (GFD.185 3.6.3).
* ``application/occi+json`` -- OCCI 1.2 JSON rendering (GFD.226), read
  and write.
* ``text/html`` -- pages and forms for browsers.
"""

import collections
import json
import math
import urllib.parse

from occi import core_model

from hurtle.occi import errors
from hurtle.occi import members as occi_members
from hurtle.occi import pages
from hurtle.occi import parsing
from hurtle.occi import registry as occi_registry


class OCCIData(object):
    """Rendering-neutral content of a request.

    ``categories``: list of dicts from :func:`parsing.parse_category`
    (``class`` may be absent); ``attributes``: ordered dict name -> typed
    value; ``links``: list of dicts from :func:`parsing.parse_link`;
    ``locations``: list of URIs (str); ``listed``: True when the body
    was a list of locations (a ``text/uri-list`` or a JSON array), even
    an empty one.
    """

    def __init__(self):
        self.categories = []
        self.attributes = collections.OrderedDict()
        self.links = []
        self.locations = []
        self.listed = False

    def is_empty(self):
        """Whether nothing was given: no category, attribute, link or
        location, and no list of locations (an empty list is given)."""
        return not (self.categories or self.attributes or self.links or
                    self.locations or self.listed)


def split_category_id(text):
    """Split ``'scheme#term'`` into a category dict.

    :raises BadRequest: no ``#`` or empty term.
    """
    text = str(text).strip()
    pos = text.rfind('#')
    if pos < 0 or pos == len(text) - 1:
        raise errors.BadRequest('Not a category identifier '
                                '(want scheme#term): %s' % text[:80])
    return {'scheme': text[:pos + 1], 'term': text[pos + 1:]}


#: OCCI Core's root kind (GFD.184 3.3); PySSF has no object for it.
CORE_ENTITY = occi_registry.CORE_KINDS[0]

#: The JSON rendering's encoder (what ``json.dumps(..., indent=None,
#: separators=(',', ':'))`` makes for each call, made once).
_COMPACT = json.JSONEncoder(separators=(',', ':'))


def _one_encoder():
    """``encode(obj) -> str``: :data:`_COMPACT`'s ``encode`` without
    making a new C encoder on each call (``JSONEncoder.iterencode`` does:
    half the time of encoding one instance's document, 10,000 times in a
    listing rendered anew). Same arguments as ``iterencode`` gives it,
    without the check for circular references (documents are made of
    fresh dicts and lists). Without the C accelerator: ``encode``."""
    make = getattr(json.encoder, 'c_make_encoder', None)
    if make is None:
        return _COMPACT.encode
    encoder = make(None, _COMPACT.default,
                   json.encoder.encode_basestring_ascii, None,
                   _COMPACT.key_separator, _COMPACT.item_separator,
                   False, False, True)
    return lambda obj: ''.join(encoder(obj, 0))


_encode_one = _one_encoder()


def related_of(category):
    """``category.related``, with OCCI Core's ``resource`` and ``link``
    kinds related to ``entity`` (PySSF leaves them unrelated).
    """
    related = list(getattr(category, 'related', None) or [])
    if not related and category in (core_model.Resource.kind,
                                    core_model.Link.kind):
        related = [CORE_ENTITY]
    return related


def absolute(hostname, location):
    if location is None:
        return None
    if location.startswith('http://') or location.startswith('https://'):
        return location
    return hostname + location


def absolute_paths(hostname, paths):
    """:func:`absolute` of each of ``paths`` (str, each a path such as
    an ``EntityStore`` key: ``/app/<id>``): a new list."""
    return [hostname + path for path in paths]


def entity_attributes(entity):
    """Attributes to render: the entity's plus ``occi.core.*`` defaults
    (:func:`hurtle.occi.members.rendered_attributes`; a new dict)."""
    ident = (entity.identifier or '').rstrip('/').rsplit('/', 1)[-1]
    return occi_members.rendered_attributes(
        ident, getattr(entity, 'title', None),
        getattr(entity, 'summary', None), entity.attributes)


def _is_link(entity):
    return isinstance(entity, core_model.Link)


def _link_target(link):
    target = link.target
    if isinstance(target, core_model.Entity):
        return target.identifier, str(target.kind)
    return str(target), None


def _link_source(link):
    source = link.source
    if isinstance(source, core_model.Entity):
        return source.identifier, str(source.kind)
    return str(source), None


class BaseRendering(object):
    """Interface of a rendering; ``registry`` gives the hostname."""

    mime_type = None
    #: what the rendering can render: entity, collection, categories
    renders = ('entity', 'collection', 'categories', 'locations')

    #: render category locations as paths (``[occi] category_locations
    #: = path``), else as absolute URLs
    category_paths = False
    #: :meth:`categories` depends only on the categories given, the
    #: class and :attr:`category_host` (its answer may be reused)
    categories_cacheable = True
    #: :meth:`collection` takes ``next_url`` (the next page of a paged
    #: collection) and shows it
    shows_next_page = False

    def __init__(self, registry):
        self.registry = registry

    @property
    def host(self):
        return self.registry.get_hostname()

    @property
    def category_host(self):
        """What category locations are prefixed with: the host, or
        nothing when they are rendered as paths."""
        if self.category_paths:
            # Paths keep the service's path prefix (SCRIPT_NAME or the
            # public URL's path).
            return urllib.parse.urlsplit(self.host).path.rstrip('/')
        return self.host

    # parsing -------------------------------------------------------------
    def parse(self, headers, body):
        """Return :class:`OCCIData` for a request.

        :param headers: dict of OCCI header name -> raw value (joined).
        :param body: decoded request body (``str``).
        :raises BadRequest: malformed content.
        """
        raise errors.UnsupportedMediaType(
            'Cannot parse requests in %s.' % self.mime_type)

    # rendering -----------------------------------------------------------
    def entity(self, entity):
        raise errors.BadRequest('%s cannot render an entity.'
                                % self.mime_type)

    def collection(self, entities, path):
        raise errors.BadRequest('%s cannot render a collection.'
                                % self.mime_type)

    def members(self, members, path, **options):
        """Render a kind's collection at ``path`` from its members
        (:class:`hurtle.occi.members.Member` records, resources without
        links): the same ``(headers, body)`` as :meth:`collection` of
        their entities. Default: :meth:`collection` (a ``Member`` has
        the ``identifier``, ``kind``, ``mixins`` and ``actions`` of its
        entity; its ``attributes`` are the rendered ones); ``options``
        go to it (``next_url`` where :attr:`shows_next_page`)."""
        return self.collection(members, path, **options)

    def categories(self, categories):
        raise errors.BadRequest('%s cannot render the query interface.'
                                % self.mime_type)

    def locations(self, locations):
        """Render a list of (absolute) locations, e.g. a created entity."""
        raise errors.BadRequest('%s cannot render locations.'
                                % self.mime_type)

    def message(self, text):
        """Render a short message (used for OK bodies and errors)."""
        return [], text


# --------------------------------------------------------------------------
# text renderings
# --------------------------------------------------------------------------

def _data_from_header_map(header_map):
    data = OCCIData()
    values = parsing.collect(header_map)
    for value in values['Category']:
        data.categories.append(parsing.parse_category(value))
    for value in values['X-OCCI-Attribute']:
        name, val = parsing.parse_attribute(value)
        if name in data.attributes:
            # Which one was meant cannot be told: never keep one silently.
            raise errors.BadRequest('attribute %s is given more than once'
                                    % name[:100])
        data.attributes[name] = val
    for value in values['Link']:
        data.links.append(parsing.parse_link(value))
    data.locations.extend(values['X-OCCI-Location'])
    return data


def _unique_members(pairs):
    """A JSON object's dict; :raises ValueError: a member name repeats
    (RFC 8259 4 leaves which one counts to each parser)."""
    doc = {}
    for name, value in pairs:
        if name in doc:
            raise ValueError('member %s is given more than once'
                             % json.dumps(name)[:100])
        doc[name] = value
    return doc


class _TextRendering(BaseRendering):
    """Shared model -> lines logic of text/plain and text/occi."""

    def _entity_lines(self, entity):
        host = self.host
        lines = [('Category', parsing.render_category(entity.kind, host,
                                                      full=False))]
        for mixin in entity.mixins:
            lines.append(('Category', parsing.render_category(
                mixin, host, full=False)))
        if isinstance(entity, core_model.Resource):
            for link in entity.links:
                tgt, tgt_kind = _link_target(link)
                cats = [str(link.kind)] + [str(m) for m in link.mixins]
                attrs = collections.OrderedDict()
                attrs.update(entity_attributes(link))
                lines.append(('Link', parsing.render_link(
                    absolute(host, tgt), tgt_kind or str(link.kind),
                    absolute(host, link.identifier), cats, attrs)))
        for action in entity.actions:
            lines.append(('Link', parsing.render_link(
                '%s%s?action=%s' % (host, entity.identifier, action.term),
                str(action))))
        attrs = entity_attributes(entity)
        if _is_link(entity):
            src, _k = _link_source(entity)
            tgt, _k = _link_target(entity)
            attrs['occi.core.source'] = absolute(host, src)
            attrs['occi.core.target'] = absolute(host, tgt)
        for name, value in attrs.items():
            lines.append(('X-OCCI-Attribute',
                          parsing.render_attribute(name, value)))
        return lines

    def entity(self, entity):
        return self._emit(self._entity_lines(entity))

    def collection(self, entities, path):
        return self.locations([absolute(self.host, e.identifier)
                               for e in entities])

    def categories(self, categories):
        host = self.category_host
        return self._emit([('Category', parsing.render_category(
            c, host, related=related_of(c))) for c in categories])


class TextPlainRendering(_TextRendering):
    """``text/plain``: one ``Name: value`` line per value in the body."""

    mime_type = 'text/plain'

    def parse(self, headers, body):
        header_map = parsing.header_lines_from_body(
            body or '', strict=True)
        data = _data_from_header_map(header_map)
        if data.is_empty():
            data = _data_from_header_map(
                {k: [v] for k, v in headers.items() if v})
        return data

    def _emit(self, lines):
        # Nothing to render (an empty collection): an empty body, as a
        # text/plain rendering of no lines.
        body = '\n'.join('%s: %s' % (name, value) for name, value in lines)
        return [], (body + '\n') if body else ''

    def locations(self, locations):
        """``X-OCCI-Location: <location>`` lines (what :meth:`_emit`
        makes of them, joined at once: a listing has thousands)."""
        if not locations:
            return [], ''
        return [], ('X-OCCI-Location: ' +
                    '\nX-OCCI-Location: '.join(locations) + '\n')


class TextOcciRendering(_TextRendering):
    """``text/occi``: values in HTTP headers (comma-joined), body ``OK``."""

    mime_type = 'text/occi'

    def parse(self, headers, body):
        return _data_from_header_map({k: [v] for k, v in headers.items()
                                      if v})

    #: Longest header line emitted; longer value lists repeat the header
    #: (GFD.185 3.5 allows both forms; common HTTP clients cap a header
    #: line at 64 KiB and a response at 100 header lines).
    max_line = 8000

    def _emit(self, lines):
        grouped = collections.OrderedDict()
        for name, value in lines:
            grouped.setdefault(name, []).append(value)
        headers = []
        for name, values in grouped.items():
            headers.extend(self._header(name, values))
        return headers, 'OK'

    def _header(self, name, values):
        """``[(name, value)]``: ``values`` joined with ``, `` into as few
        header lines as :attr:`max_line` allows (a value longer than it
        gets a line of its own)."""
        headers = []
        chunk = []
        size = 0
        limit = self.max_line
        for value in values:
            length = len(value) + 2
            if chunk and size + length > limit:
                headers.append((name, ', '.join(chunk)))
                chunk = []
                size = 0
            chunk.append(value)
            size += length
        if chunk:
            headers.append((name, ', '.join(chunk)))
        return headers

    def locations(self, locations):
        """``X-OCCI-Location`` headers (what :meth:`_emit` makes of
        them, without grouping: a listing has thousands)."""
        return self._header('X-OCCI-Location', locations), 'OK'


class UriListRendering(BaseRendering):
    """``text/uri-list`` (RFC 2483): collections and locations only."""

    mime_type = 'text/uri-list'
    renders = ('collection', 'locations')

    def parse(self, headers, body):
        data = OCCIData()
        # A text/uri-list is a list, even empty (as a JSON ``[]``): an
        # empty one adds nothing to a mixin collection.
        data.listed = True
        for line in (body or '').split('\n'):
            line = line.strip()
            if line and not line.startswith('#'):
                data.locations.append(line)
        return data

    def collection(self, entities, path):
        return self.locations([absolute(self.host, e.identifier)
                               for e in entities])

    def locations(self, locations):
        if not locations:
            return [], ''
        return [], '\r\n'.join(locations) + '\r\n'


# --------------------------------------------------------------------------
# OCCI 1.2 JSON (GFD.226)
# --------------------------------------------------------------------------

def _json_attr_defs(category):
    out = collections.OrderedDict()
    for name in sorted(category.attributes or {}):
        flag = category.attributes[name]
        out[name] = {'mutable': flag != 'immutable',
                     'required': flag == 'required',
                     'type': 'string'}
    return out


def _not_json(name):
    """Python's ``json`` reads ``NaN`` and ``Infinity``; RFC 8259 has
    no such values."""
    raise errors.BadRequest('Invalid JSON: %s is no JSON value (RFC 8259 '
                            'section 6)' % name)


#: The members GFD.226 defines for each JSON object the parser reads:
#: any other member is a 400 naming it (a misspelt "attributes" must not
#: be dropped silently). ``location`` of a collection member is an
#: extension this parser reads (:meth:`JsonRendering._item_location`).
_LINK_MEMBERS = frozenset(['kind', 'mixins', 'attributes', 'actions', 'id',
                           'title', 'source', 'target'])
_ENTITY_MEMBERS = _LINK_MEMBERS | {'summary', 'links'}
_REF_MEMBERS = frozenset(['location', 'kind'])
_ACTION_MEMBERS = frozenset(['action', 'attributes'])
_COLLECTION_MEMBERS = frozenset(['resources', 'links'])
_MODEL_MEMBERS = frozenset(['kinds', 'mixins', 'actions'])
_PARTIAL_MEMBERS = frozenset(['attributes', 'id', 'title', 'summary'])
_CATEGORY_MEMBERS = {
    'kind': frozenset(['term', 'scheme', 'title', 'attributes', 'actions',
                       'parent', 'location']),
    'mixin': frozenset(['term', 'scheme', 'title', 'attributes', 'actions',
                        'depends', 'applies', 'location']),
    'action': frozenset(['term', 'scheme', 'title', 'attributes'])}


def _only(doc, members, what):
    """:raises BadRequest: ``doc`` (a JSON object) has members other than
    ``members``, naming them and ``what`` it is."""
    unknown = sorted(key for key in doc if key not in members)
    if unknown:
        raise errors.BadRequest(
            'Unknown member(s) of %s in the JSON rendering (GFD.226): %s; '
            'known: %s.' % (what, ', '.join('"%s"' % key[:40]
                                            for key in unknown[:5]),
                            ', '.join(sorted(members))))


class JsonRendering(BaseRendering):
    """``application/occi+json``: OCCI 1.2 JSON rendering (GFD.226)."""

    mime_type = 'application/occi+json'

    # rendering -----------------------------------------------------------
    def _category(self, cat):
        data = collections.OrderedDict()
        data['term'] = cat.term
        data['scheme'] = cat.scheme
        if cat.title:
            data['title'] = cat.title
        if cat.attributes:
            data['attributes'] = _json_attr_defs(cat)
        if repr(cat) in ('kind', 'mixin'):
            if cat.actions:
                data['actions'] = [str(a) for a in cat.actions]
            if cat.location:
                data['location'] = absolute(self.category_host,
                                            cat.location)
        related = related_of(cat)
        if repr(cat) == 'kind' and related:
            data['parent'] = str(related[0])
        if repr(cat) == 'mixin':
            depends = [str(r) for r in related if repr(r) == 'mixin']
            applies = [str(r) for r in related if repr(r) == 'kind']
            if depends:
                data['depends'] = depends
            if applies:
                data['applies'] = applies
        return data

    @staticmethod
    def _instance(kind, mixins, attributes, actions, link=False):
        """The GFD.226 members every resource and link instance has, as
        a new dict: ``kind``, ``mixins``, ``id``, ``title``, ``summary``
        (a resource's; a link's stays an attribute), ``attributes`` and
        ``actions`` (the last three left out when empty).

        :param attributes: the rendered attributes
            (:func:`entity_attributes`; not changed).
        """
        data = {'kind': str(kind)}
        if mixins:
            data['mixins'] = [str(m) for m in mixins]
        attrs = dict(attributes)
        data['id'] = str(attrs.pop('occi.core.id'))
        if 'occi.core.title' in attrs:
            data['title'] = str(attrs.pop('occi.core.title'))
        if not link and 'occi.core.summary' in attrs:
            data['summary'] = str(attrs.pop('occi.core.summary'))
        data['attributes'] = attrs
        if actions:
            data['actions'] = [str(a) for a in actions]
        return data

    def _entity(self, entity):
        """GFD.226 resource or link instance (no extra members)."""
        host = self.host
        data = self._instance(entity.kind, entity.mixins,
                              entity_attributes(entity), entity.actions,
                              link=_is_link(entity))
        if _is_link(entity):
            src, src_kind = _link_source(entity)
            tgt, tgt_kind = _link_target(entity)
            data['source'] = {'location': absolute(host, src)}
            if src_kind:
                data['source']['kind'] = src_kind
            data['target'] = {'location': absolute(host, tgt)}
            if tgt_kind:
                data['target']['kind'] = tgt_kind
        elif isinstance(entity, core_model.Resource) and entity.links:
            data['links'] = [self._entity(link) for link in entity.links]
        return data

    def _dump(self, data):
        return [], _COMPACT.encode(data)

    def entity(self, entity):
        return self._dump(self._entity(entity))

    def collection(self, entities, path):
        # GFD.226 entity collection: arrays have at least one item, so an
        # empty collection is ``{}``.
        resources = [self._entity(e) for e in entities if not _is_link(e)]
        links = [self._entity(e) for e in entities if _is_link(e)]
        data = {}
        if resources:
            data['resources'] = resources
        if links:
            data['links'] = links
        return self._dump(data)

    def members(self, members, path):
        """GFD.226 collection of resource instances from their
        :class:`~hurtle.occi.members.Member` records; one ``json.dumps``
        of the whole document."""
        instance = self._instance
        resources = [instance(m.kind, m.mixins, m.attributes, m.actions)
                     for m in members]
        return self._dump({'resources': resources} if resources else {})

    def fragment(self, member):
        """The document of one :class:`~hurtle.occi.members.Member` as
        :meth:`members` renders it inside the collection (str), for
        :meth:`fragments`."""
        return _encode_one(self._instance(
            member.kind, member.mixins, member.attributes, member.actions))

    def fragments(self, documents, path):
        """GFD.226 collection of resource instances from their documents
        (:meth:`fragment`; kept by :class:`hurtle.occi.fragments.Fragments`):
        byte for byte what :meth:`members` renders of the same members."""
        if not documents:
            return self._dump({})
        return [], '{"resources":[%s]}' % ','.join(documents)

    def categories(self, categories):
        data = collections.OrderedDict()
        for key, cls in (('kinds', 'kind'), ('mixins', 'mixin'),
                         ('actions', 'action')):
            items = [self._category(c) for c in categories
                     if repr(c) == cls]
            if items:
                data[key] = items
        return self._dump(data)

    def locations(self, locations):
        # GFD.226: a location list is a JSON array of strings.
        return self._dump(list(locations))

    def message(self, text):
        return [], json.dumps({'message': text})

    # parsing ---------------------------------------------------------------
    def parse(self, headers, body):
        if not body or not body.strip():
            return OCCIData()
        try:
            doc = json.loads(body, object_pairs_hook=_unique_members,
                             parse_int=parsing.parse_int,
                             parse_float=parsing.parse_float,
                             parse_constant=_not_json)
            # "\ud800" is valid JSON but no character: refused here, not
            # when it is stored or rendered.
            json.dumps(doc, ensure_ascii=False).encode('utf-8')
        except UnicodeEncodeError:
            raise errors.BadRequest('Invalid JSON: a string holds a lone '
                                    'UTF-16 surrogate (\\ud800-\\udfff), '
                                    'which is no character.')
        except ValueError as exc:
            raise errors.BadRequest('Invalid JSON: %s' % exc)
        except RecursionError:
            raise errors.BadRequest('Invalid JSON: nested too deeply.')
        data = OCCIData()
        if isinstance(doc, list):
            for number, item in enumerate(doc, 1):
                if not isinstance(item, str):
                    raise errors.BadRequest(
                        'A JSON array is a list of locations (strings); '
                        'item %d is %s. An entity is a JSON object.'
                        % (number, type(item).__name__))
            data.locations.extend(doc)
            data.listed = True
            return data
        if not isinstance(doc, dict):
            raise errors.BadRequest('JSON rendering must be an object or '
                                    'a list of locations.')
        if 'action' in doc:
            _only(doc, _ACTION_MEMBERS, 'an action invocation')
            self._parse_action(doc, data)
        elif 'kind' in doc:
            self._parse_entity(doc, data)
        elif 'kinds' in doc or 'mixins' in doc or 'actions' in doc:
            _only(doc, _MODEL_MEMBERS, 'categories')
            self._parse_categories(doc, data)
        elif 'resources' in doc or 'links' in doc:
            _only(doc, _COLLECTION_MEMBERS, 'a collection')
            for item in self._member(doc, 'resources', list) + \
                    self._member(doc, 'links', list):
                data.locations.append(self._item_location(item))
        elif 'attributes' in doc:
            # Attributes alone: a partial update (GFD.223 3.4.2) names
            # no category, as its text rendering sends X-OCCI-Attribute
            # headers alone.
            _only(doc, _PARTIAL_MEMBERS, 'attributes alone')
            self._attrs(doc, data)
            self._core_members(doc, data)
        elif not doc:
            pass
        else:
            raise errors.BadRequest(
                'Unrecognised OCCI JSON document: expected an entity '
                '("kind"), an action ("action"), attributes alone '
                '("attributes"), categories ("kinds", "mixins", '
                '"actions"), a collection ("resources", "links") or a '
                'list of locations; got the member(s) %s.'
                % ', '.join('"%s"' % key for key in sorted(doc)[:5]))
        return data

    def _item_location(self, item):
        """Location of a collection member: ``location`` if given (an
        extension), else its kind's location + ``id``.
        """
        if not isinstance(item, dict):
            raise errors.BadRequest('Collection members must be objects.')
        _only(item, _ENTITY_MEMBERS | {'location'}, 'a collection member')
        if item.get('location'):
            return self._str(item['location'], 'location')
        if not item.get('kind') or not item.get('id'):
            raise errors.BadRequest('Collection members need "kind" and '
                                    '"id".')
        cat = split_category_id(self._str(item['kind'], 'kind'))
        for kind in self.registry.get_categories(None):
            if kind.scheme == cat['scheme'] and kind.term == cat['term'] \
                    and getattr(kind, 'location', None):
                return kind.location + self._str(item['id'], 'id')
        raise errors.BadRequest('Unknown kind %s%s.'
                                % (cat['scheme'], cat['term']))

    @staticmethod
    def _member(doc, key, kind):
        """``doc[key]`` if present, else an empty ``kind`` (``list`` or
        ``dict``).

        :raises BadRequest: present but not a ``kind`` (``null``
            included), naming ``key``.
        """
        if key not in doc:
            return kind()
        value = doc[key]
        if not isinstance(value, kind):
            raise errors.BadRequest('"%s" must be %s.' % (
                key, 'an object' if kind is dict else 'a list'))
        return value

    @staticmethod
    def _str(value, what):
        if not isinstance(value, str):
            raise errors.BadRequest('"%s" must be a string.' % what)
        return value

    def _attrs(self, doc, data):
        attrs = self._member(doc, 'attributes', dict)
        for name, value in attrs.items():
            if value is None:
                # Never a silent default: leaving it out is how to say
                # "unchanged" or "default".
                raise errors.BadRequest(
                    'attribute %s: null is not a value; leave the attribute '
                    'out to keep its current or default value' % name)
            if not isinstance(value, (str, int, float, bool, list, dict)) \
                    or isinstance(value, float) and not math.isfinite(value):
                raise errors.BadRequest('Bad value for attribute %s' % name)
            data.attributes[name] = value

    def _parse_action(self, doc, data):
        cat = split_category_id(self._str(doc['action'], 'action'))
        cat['class'] = 'action'
        data.categories.append(cat)
        self._attrs(doc, data)

    def _core_members(self, doc, data):
        """GFD.226's ``id``, ``title`` and ``summary`` members as the
        attributes ``occi.core.*`` they stand for.

        :raises BadRequest: not a string, or also given, with another
            value, in ``attributes``.
        """
        for key, attr in (('id', 'occi.core.id'),
                          ('title', 'occi.core.title'),
                          ('summary', 'occi.core.summary')):
            if doc.get(key) is None:
                continue
            value = self._str(doc[key], key)
            if data.attributes.get(attr, value) != value:
                raise errors.BadRequest(
                    'attribute %s given twice: as the member "%s" and in '
                    '"attributes", with different values' % (attr, key))
            data.attributes[attr] = value

    def _parse_entity(self, doc, data):
        _only(doc, _ENTITY_MEMBERS, 'an entity')
        kind = split_category_id(self._str(doc['kind'], 'kind'))
        kind['class'] = 'kind'
        data.categories.append(kind)
        for mixin in self._member(doc, 'mixins', list):
            cat = split_category_id(self._str(mixin, 'mixins'))
            cat['class'] = 'mixin'
            data.categories.append(cat)
        self._attrs(doc, data)
        self._core_members(doc, data)
        if 'source' in doc:
            data.attributes['occi.core.source'] = self._ref(doc['source'])
        if 'target' in doc:
            data.attributes['occi.core.target'] = self._ref(doc['target'])
        self._member(doc, 'actions', list)     # rendered, not parsed
        for link in self._member(doc, 'links', list):
            if not isinstance(link, dict) or 'kind' not in link or \
                    'target' not in link:
                raise errors.BadRequest('Each link needs "kind" and '
                                        '"target".')
            _only(link, _LINK_MEMBERS, 'a link')
            sub = OCCIData()
            self._attrs(link, sub)
            cats = [self._str(link['kind'], 'kind')]
            cats += [self._str(m, 'mixins')
                     for m in self._member(link, 'mixins', list)]
            item = {'target': self._ref(link['target']), 'category': cats,
                    'attributes': dict(sub.attributes)}
            if link.get('id'):
                item['self'] = self._str(link['id'], 'id')
            data.links.append(item)

    def _ref(self, value):
        if isinstance(value, dict):
            _only(value, _REF_MEMBERS, 'a link end')
            value = value.get('location')
        return self._str(value, 'location')

    def _parse_categories(self, doc, data):
        for key, cls in (('kinds', 'kind'), ('mixins', 'mixin'),
                         ('actions', 'action')):
            for item in self._member(doc, key, list):
                if not isinstance(item, dict) or 'term' not in item or \
                        'scheme' not in item:
                    raise errors.BadRequest('Categories need "term" and '
                                            '"scheme".')
                _only(item, _CATEGORY_MEMBERS[cls], 'a %s' % cls)
                cat = {'term': self._str(item['term'], 'term'),
                       'scheme': self._str(item['scheme'], 'scheme'),
                       'class': cls}
                for opt in ('title', 'location'):
                    if item.get(opt) is not None:
                        cat[opt] = self._str(item[opt], opt)
                rel = self._member(item, 'depends', list) + \
                    self._member(item, 'applies', list)
                if rel:
                    cat['rel'] = [self._str(r, 'depends') for r in rel]
                attrs = self._member(item, 'attributes', dict)
                if attrs:
                    cat['attributes'] = {
                        n: ('required' if isinstance(d, dict) and
                            d.get('required') else
                            'mutable' if not isinstance(d, dict) or
                            d.get('mutable', True) else 'immutable')
                        for n, d in attrs.items()}
                data.categories.append(cat)


# --------------------------------------------------------------------------
# text/html
# --------------------------------------------------------------------------

class HtmlRendering(BaseRendering):
    """``text/html``: pages for browsers (doc/source/user/browser.rst).

    The query interface and ``/`` list the kinds with their attribute
    definitions; a kind's collection adds its instances and a form that
    creates one; an entity page shows its attributes, its outputs and a
    form that deletes it. Forms post back to the same URLs
    (:mod:`hurtle.occi.forms`). Every value is escaped (:mod:`pages`).

    What a service adds (set by its application, e.g. the SM):

    * ``attribute_info``: ``{'<scheme><term>': {name: {'schema': dict,
      'description': str}}}`` -- types and descriptions of attributes;
    * ``state``: ``(attribute name, states in progress)``: a page showing
      an entity (or a collection holding one) in such a state reloads
      itself until the state changes;
    * ``not_in_forms``: attributes the create form does not offer (set
      by the service, not by users);
    * ``output_prefixes``: attributes shown as outputs (with every
      attribute the kind does not declare).
    """

    mime_type = 'text/html'
    #: pages link to :attr:`home`, attribute information may change
    categories_cacheable = False
    #: a page of a collection links to the next one (``next_url``)
    shows_next_page = True

    def __init__(self, registry):
        super().__init__(registry)
        self.attribute_info = {}
        self.state = None
        self.not_in_forms = frozenset(['occi.core.id'])
        self.output_prefixes = ('mcn.endpoint.',)

    @property
    def home(self):
        return self.host + '/'

    def _page(self, title, inner, refresh=False):
        return [], pages.page(title, inner, refresh=refresh, home=self.home)

    def _busy(self, entity):
        if not self.state:
            return False
        name, busy = self.state
        return entity.attributes.get(name) in busy

    def _info(self, kind):
        return self.attribute_info.get(str(kind), {})

    @staticmethod
    def _definitions(kind):
        return sorted((getattr(kind, 'attributes', None) or {}).items())

    def _kind_section(self, kind, with_form=False):
        url = absolute(self.host, kind.location)
        out = '<section class="kind" id="%s"><h2>%s</h2><p>%s</p>' % (
            pages.esc('kind-' + kind.term),
            'Attributes' if with_form else
            pages.link(url, kind.title or kind.term),
            pages.esc(str(kind)))
        out += pages.attribute_table(self._definitions(kind),
                                     self._info(kind))
        if with_form:
            offered = [(name, flag) for name, flag in
                       self._definitions(kind)
                       if name not in self.not_in_forms]
            out += '<h2>New instance</h2>' + pages.create_form(
                url, offered, self._info(kind))
        return out + '</section>'

    def _kinds(self):
        return [c for c in self.registry.get_categories(None)
                if repr(c) == 'kind' and getattr(c, 'location', None)]

    def _instances(self, entities, next_url=None):
        rows = []
        for entity in entities:
            url = absolute(self.host, entity.identifier)
            state = entity.attributes.get(self.state[0]) \
                if self.state else None
            rows.append('<tr><td>%s</td><td>%s</td><td class="state">%s'
                        '</td></tr>' % (
                            pages.link(url, entity.identifier),
                            pages.esc(entity.kind.term),
                            pages.esc('' if state is None else state)))
        if not rows:
            return '<p id="no-instances">No instances.</p>'
        more = '<p id="next-page">%s</p>' % pages.link(
            next_url, 'Next page') if next_url else ''
        return ('<table class="instances"><tr><th>Instance</th><th>Kind'
                '</th><th>State</th></tr>%s</table>%s' % (''.join(rows),
                                                          more))

    def entity(self, entity):
        kind = entity.kind
        declared = getattr(kind, 'attributes', None) or {}
        attrs = entity_attributes(entity)
        outputs = [(k, v) for k, v in attrs.items()
                   if k.startswith(self.output_prefixes) or
                   k not in declared and not k.startswith('occi.core.')]
        inner = '<p>Kind: %s%s</p>' % (
            pages.link(absolute(self.host, getattr(kind, 'location', '')
                                or '/'), str(kind)),
            ''.join(', mixin %s' % pages.esc(str(m))
                    for m in entity.mixins))
        if self.state:
            inner += '<p>State: <span class="state" id="state">%s</span>' \
                     '%s</p>' % (pages.esc(attrs.get(self.state[0], '')),
                                 ' (this page reloads until the work is '
                                 'done)' if self._busy(entity) else '')
        inner += '<h2>Attributes</h2>' + pages.value_table(
            list(attrs.items()), 'attributes')
        inner += '<h2>Outputs</h2>' + (
            pages.value_table(outputs, 'outputs') if outputs else
            '<p id="no-outputs">None yet.</p>')
        inner += pages.delete_form(absolute(self.host, entity.identifier))
        return self._page(entity.identifier, inner,
                          refresh=self._busy(entity))

    def collection(self, entities, path, next_url=None):
        """The page of a collection; ``next_url``: its next page (a
        link below the instances)."""
        cat = self.registry.get_category(path, None)
        busy = any(self._busy(e) for e in entities)
        listed = '<h2>Instances</h2>' + self._instances(entities, next_url)
        if path == '/':
            inner = ''.join(self._kind_section(k) for k in self._kinds())
            return self._page('Services', inner + listed, refresh=busy)
        inner = listed
        if cat is not None and repr(cat) == 'kind':
            inner = self._kind_section(cat, with_form=True) + inner
            return self._page(cat.title or cat.term, inner, refresh=busy)
        return self._page(path, inner, refresh=busy)

    def categories(self, categories):
        kinds = [c for c in categories
                 if repr(c) == 'kind' and getattr(c, 'location', None)]
        others = [c for c in categories if c not in kinds]
        inner = ''.join(self._kind_section(c) for c in kinds)
        inner += '<h2>Other categories</h2><ul>%s</ul>' % ''.join(
            '<li>%s (%s)</li>' % (pages.esc(str(c)), pages.esc(repr(c)))
            for c in others)
        return self._page('Query interface', inner)

    def locations(self, locations):
        items = ''.join('<li>%s</li>' % pages.link(loc) for loc in locations)
        return self._page('Locations', '<ul>%s</ul>' % items)

    def message(self, text, title=None):
        """A page saying ``text``; with ``title`` (an error's status),
        the title heads the page and ``text`` is its paragraph."""
        if title is None:
            return self._page(text, '')
        return self._page(title, '<p>%s</p>' % pages.esc(text))


RENDERINGS = (TextPlainRendering, TextOcciRendering, UriListRendering,
              JsonRendering, HtmlRendering)
