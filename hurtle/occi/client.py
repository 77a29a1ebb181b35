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
"""The OCCI client every Hurtle part uses (SM->CC, SM->SO, SO->SM, Heat).

Speaks OCCI 1.1 (GFD.185) text renderings and reads the OCCI 1.2 JSON
rendering (GFD.226) too, from any server: values in headers or body,
repeated or comma-joined headers, absolute or relative locations.
Attribute values are typed both ways (``str``, ``int``, ``float``,
``bool``).

Example::

    from hurtle.occi import client, categories
    c = client.OCCIClient('http://127.0.0.1:8887',
                          headers={'X-Auth-Token': token})
    kind = client.CategoryRef.of(categories.APP)
    loc = c.create('/app/', kind, {'occi.app.name': 'so-1',
                                   'occi.app.image': 'bundle.tgz'})
    info = c.get(loc)          # EntityInfo
    info.attributes['occi.app.state']
    c.action(loc, client.CategoryRef.of(categories.APP_START))
    c.delete(loc)

Errors: 4xx/5xx raise :mod:`hurtle.occi.errors` classes carrying the
status (``.code``) and the server's message (``.message``).  Connection
errors and 503 are retried with exponential backoff (tenacity), waiting at
least a 503's ``Retry-After`` seconds (at most :data:`MAX_BACKOFF`); after
the last attempt a network error raises
:class:`~hurtle.occi.errors.ConnectionFailed` (code 503).  A read timeout
raises :class:`~hurtle.occi.errors.NoAnswer` (a ``ConnectionFailed``); it
is retried only for idempotent methods (GET, HEAD, PUT, DELETE).  A
client given a ``deadline`` bounds every attempt's timeout, and the
attempts and waits together, by the time left until it.
"""

import http
import json
import logging
import time
import urllib.parse

import requests
import tenacity

from hurtle.occi import errors
from hurtle.occi import parsing

LOG = logging.getLogger(__name__)

TEXT_OCCI = 'text/occi'
TEXT_PLAIN = 'text/plain'
OCCI_JSON = 'application/occi+json'
_IDEMPOTENT = ('GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS')
_SECRET_HEADERS = ('x-auth-token', 'authorization', 'x-subject-token')
#: Seconds an attempt made at (or just before) a client's ``deadline``
#: still waits for its answer: a last look at the deadline gets the
#: peer's own answer (a 503, a refused connection) rather than none.
LAST_ATTEMPT = 1.0
#: Longest wait in seconds between two attempts of one request (the
#: backoff's cap, and the bound of a 503's ``Retry-After``).
MAX_BACKOFF = 10


class CategoryRef(object):
    """A category reference: ``scheme`` (ending with ``#``), ``term``,
    ``cls`` (``'kind'``, ``'mixin'`` or ``'action'``).
    """

    __slots__ = ('scheme', 'term', 'cls')

    def __init__(self, scheme, term, cls='kind'):
        self.scheme = scheme
        self.term = term
        self.cls = cls

    @classmethod
    def from_header(cls, value):
        """Parse one ``Category`` header value.

        :raises BadRequest: malformed value.
        """
        data = parsing.parse_category(value)
        return cls(data['scheme'], data['term'], data.get('class', 'kind'))

    @classmethod
    def from_id(cls, ident, cls_='kind'):
        """From ``'scheme#term'``."""
        scheme, sep, term = str(ident).rpartition('#')
        if not sep or not term:
            raise ValueError('not scheme#term: %r' % ident)
        return cls(scheme + '#', term, cls_)

    @classmethod
    def of(cls, category):
        """From a PySSF category object (kind, mixin or action)."""
        return cls(category.scheme, category.term, repr(category))

    @property
    def id(self):
        """``scheme + term``, e.g. ``http://...platform#app``."""
        return self.scheme + self.term

    def __str__(self):
        return '%s; scheme=%s; class=%s' % (
            self.term, parsing.quote(self.scheme), parsing.quote(self.cls))

    def __repr__(self):
        return 'CategoryRef(%r, %r, %r)' % (self.scheme, self.term,
                                            self.cls)

    def __eq__(self, other):
        return isinstance(other, CategoryRef) and \
            (self.scheme, self.term, self.cls) == \
            (other.scheme, other.term, other.cls)

    def __hash__(self):
        return hash((self.scheme, self.term, self.cls))


def _json_request(categories, attributes):
    """The GFD.226 JSON body of an entity (kind and mixins) or an
    action invocation carrying ``attributes``."""
    doc = {'attributes': {k: v for k, v in (attributes or {}).items()
                          if v is not None}}
    for category in categories:
        if category.cls == 'action':
            doc['action'] = category.id
        elif category.cls == 'mixin':
            doc.setdefault('mixins', []).append(category.id)
        else:
            doc['kind'] = category.id
    return json.dumps(doc)


class EntityInfo(object):
    """An entity as read from a server.

    :ivar location: absolute URL of the entity.
    :ivar id: ``occi.core.id`` (or the last path segment).
    :ivar kind: :class:`CategoryRef` (``None`` if the server sent none).
    :ivar mixins: list of :class:`CategoryRef`.
    :ivar attributes: dict name -> typed value.
    :ivar links: list of dicts (``target`` absolute URL, ``rel``,
        ``self``, ``category`` list of ids, ``attributes``).
    :ivar actions: list of applicable action ids (``scheme#term``).
    :ivar action_urls: dict action id -> absolute URL to POST to.
    """

    def __init__(self, location, kind=None, mixins=None, attributes=None,
                 links=None, actions=None, action_urls=None):
        self.location = location
        self.kind = kind
        self.mixins = list(mixins or [])
        self.attributes = dict(attributes or {})
        self.links = list(links or [])
        self.actions = list(actions or [])
        self.action_urls = dict(action_urls or {})
        ident = self.attributes.get('occi.core.id')
        if ident is None and location:
            ident = urllib.parse.urlsplit(location).path.rstrip('/') \
                .rsplit('/', 1)[-1]
        self.id = ident

    def has_action(self, action):
        """Is ``action`` (CategoryRef, id or bare term) applicable now?"""
        if isinstance(action, CategoryRef):
            return action.id in self.actions
        return any(a == action or a.rsplit('#', 1)[-1] == action
                   for a in self.actions)

    def __repr__(self):
        return 'EntityInfo(%r, kind=%r)' % (self.location, self.kind)


class Look(object):
    """What :meth:`OCCIClient.look` found.

    :ivar info: the :class:`EntityInfo` (None when not modified).
    :ivar etag: the entity's current tag (str or None: the server sent
        none).
    :ivar changed: True on a 200 (the entity differs from ``etag``, or
        the server does not compare), False on a 304.
    :ivar held: True when the server held the request for a change
        (``Preference-Applied: wait``): a 304 then means nothing changed
        for that long; False: it answered at once.
    """

    __slots__ = ('info', 'etag', 'changed', 'held')

    def __init__(self, info, etag, changed, held):
        self.info = info
        self.etag = etag
        self.changed = changed
        self.held = held

    def __repr__(self):
        return 'Look(changed=%r, held=%r, etag=%r)' % (
            self.changed, self.held, self.etag)


class CategoryInfo(object):
    """A category from the query interface: ``scheme``, ``term``,
    ``cls``, ``title``, ``location`` (absolute or ``None``),
    ``attributes`` (name -> ``'required'|'immutable'|'mutable'``),
    ``actions`` (ids), ``related`` (ids).
    """

    def __init__(self, scheme, term, cls='kind', title='', location=None,
                 attributes=None, actions=None, related=None):
        self.scheme = scheme
        self.term = term
        self.cls = cls
        self.title = title or ''
        self.location = location
        self.attributes = dict(attributes or {})
        self.actions = list(actions or [])
        self.related = list(related or [])

    @property
    def id(self):
        return self.scheme + self.term

    @property
    def ref(self):
        return CategoryRef(self.scheme, self.term, self.cls)

    def __repr__(self):
        return 'CategoryInfo(%r, %r)' % (self.id, self.cls)


def _header(response, name, default=None):
    """Response header ``name`` as text: its bytes decoded as UTF-8 (as the
    OCCI server sends them), or as latin-1 (what ``requests`` and
    ``http.client`` hand over) when they are not UTF-8; ``default`` if
    absent."""
    value = response.headers.get(name)
    if value is None:
        return default
    try:
        return value.encode('latin-1').decode('utf-8')
    except UnicodeError:
        return value


def _without_status(text, code):
    """``text`` (an error body) without a leading status that repeats
    ``code``: ``"400 Bad Request: why"`` (older Hurtle servers' own
    refusals, other servers) or ``"400 Bad Request\\n\\nwhy"``
    (WebOb) give ``"why"``; the error keeps the code, and its ``str()``
    or the CLI would show the status twice. A body that is only the
    status is kept."""
    try:
        phrase = http.HTTPStatus(code).phrase
    except ValueError:
        return text
    for prefix in ('%d %s:' % (code, phrase), '%d %s\n' % (code, phrase)):
        if text.startswith(prefix) and text[len(prefix):].strip():
            return text[len(prefix):].strip()
    return text


def _text(response):
    """The response body as text: as its ``charset`` says, else UTF-8 (what
    the OCCI server sends; ``requests`` would guess latin-1 for ``text/*``),
    else latin-1."""
    if 'charset=' in response.headers.get('Content-Type', '').lower():
        return response.text
    try:
        return response.content.decode('utf-8')
    except UnicodeError:
        return response.content.decode('latin-1')


def _header_map(response):
    """OCCI values from a response's headers and (text/plain) body."""
    found = {name: [] for name in parsing.OCCI_HEADERS}
    for name in parsing.OCCI_HEADERS:
        value = _header(response, name)
        if value:
            found[name].append(value)
    ctype = response.headers.get('Content-Type', '').split(';')[0].strip()
    text = _text(response)
    if ctype in ('text/plain', 'text/occi', '') and text:
        body = parsing.header_lines_from_body(text)
        for name, values in body.items():
            found[name].extend(values)
    return parsing.collect(found)


class _Retry(Exception):
    """Internal: a retryable failure wrapping the error to raise."""

    def __init__(self, error):
        super(_Retry, self).__init__(str(error))
        self.error = error


def retry_after(error):
    """Seconds a 503 ``error`` (an :class:`~hurtle.occi.errors.OCCIError`
    or None) asks to wait before the next attempt: its ``Retry-After``
    in seconds (an HTTP date is not honoured), at most
    :data:`MAX_BACKOFF`; 0 when it says nothing."""
    for name, value in getattr(error, 'headers', None) or []:
        if name.lower() == 'retry-after' and value.strip().isdigit():
            return min(int(value.strip()), MAX_BACKOFF)
    return 0


class OCCIClient(object):
    """Client of one OCCI endpoint.

    :param endpoint: base URL, e.g. ``http://127.0.0.1:8888`` (a path
        prefix is kept).
    :param session: a :class:`requests.Session` (or a keystoneauth1
        session's ``requests`` compatible adapter); default: a new one.
    :param headers: extra headers sent on every request (``X-Auth-Token``,
        ``X-Project-Id``, the per-SO secret header ...).
    :param verify: TLS verification (``True``, ``False`` or a CA path).
    :param timeout: per-request timeout in seconds.
    :param retries: extra attempts on connection errors and 503.
    :param backoff: first backoff in seconds (doubles, capped at 10 s).
    :param content_type: ``text/occi`` (headers), ``text/plain`` or
        ``application/occi+json`` (GFD.226: attribute values keep their
        newlines and JSON types; the header renderings turn a newline
        into a space).
    :param accept: rendering asked for single entities.
    :param stop: a ``threading.Event``: once it is set, a failure is not
        retried (a backoff under way ends at once), so that a process
        shutting down does not wait for the retries of a peer stopping
        beside it.
    :param deadline: a ``time.monotonic()`` value, or None (also settable
        as the ``deadline`` attribute): each attempt of a request waits
        at most the seconds left until then (at least
        :data:`LAST_ATTEMPT`), and no retry or backoff starts past it.
    """

    def __init__(self, endpoint, session=None, headers=None, verify=True,
                 timeout=30.0, retries=3, backoff=0.5,
                 content_type=TEXT_OCCI, accept=TEXT_OCCI, stop=None,
                 deadline=None):
        if not endpoint or '://' not in endpoint:
            raise ValueError('endpoint must be an absolute URL: %r'
                             % endpoint)
        self.endpoint = endpoint.rstrip('/')
        self.session = session if session is not None else \
            requests.Session()
        self.headers = dict(headers or {})
        self.verify = verify
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.content_type = content_type
        self.accept = accept
        self.stop = stop
        self.deadline = deadline

    # plumbing ----------------------------------------------------------------
    def url(self, path):
        """Absolute URL for ``path`` (absolute URLs are kept)."""
        path = str(path)
        if '://' in path:
            return path
        return self.endpoint + '/' + path.lstrip('/')

    def time_left(self):
        """Seconds left until :attr:`deadline` (None: no deadline; 0 once
        it passed)."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def _send(self, method, url, headers, body, timeout=None):
        timeout = timeout or self.timeout
        left = self.time_left()
        if left is not None:
            timeout = min(timeout, max(left, LAST_ATTEMPT))
        try:
            resp = self.session.request(method, url, headers=headers,
                                        data=body,
                                        timeout=timeout,
                                        verify=self.verify,
                                        allow_redirects=False)
        except requests.exceptions.ConnectionError as exc:
            raise _Retry(errors.ConnectionFailed(
                'Cannot reach %s: %s' % (url, type(exc).__name__)))
        except requests.exceptions.Timeout as exc:
            err = errors.NoAnswer('Timeout talking to %s (%s after %.3g s)'
                                  % (url, type(exc).__name__, timeout))
            if method in _IDEMPOTENT:
                raise _Retry(err)
            raise err
        except requests.exceptions.RequestException as exc:
            raise errors.ConnectionFailed('Request to %s failed: %s'
                                          % (url, type(exc).__name__))
        if resp.status_code == 503:
            after = resp.headers.get('Retry-After')
            raise _Retry(errors.ServiceUnavailable(
                self._message(resp),
                headers=[('Retry-After', after)] if after else None))
        if resp.status_code >= 400:
            error = errors.error_for_status(resp.status_code,
                                            self._message(resp))
            error.response_headers = resp.headers
            raise error
        return resp

    def request(self, method, path, headers=None, body=None,
                accept=None, timeout=None):
        """Send one request; returns the :class:`requests.Response`.

        :param timeout: seconds for this request (default: the client's).
        :raises OCCIError: (a subclass) for 4xx/5xx and network errors.
        """
        url = self.url(path)
        all_headers = dict(self.headers)
        all_headers['Accept'] = accept or self.accept
        all_headers.update(headers or {})
        # Header values beyond ASCII (a project id "Zürich-团队") travel
        # as UTF-8 bytes; http.client would try latin-1 and fail.
        all_headers = {name: value.encode('utf-8')
                       if isinstance(value, str) and not value.isascii()
                       else value for name, value in all_headers.items()}
        if isinstance(body, str):
            body = body.encode('utf-8')

        stop = tenacity.stop_after_attempt(self.retries + 1) | \
            self._past_deadline
        extra = {}
        if self.stop is not None:
            stop = stop | tenacity.stop_when_event_set(self.stop)
            extra['sleep'] = self.stop.wait
        backoff = tenacity.wait_exponential(multiplier=self.backoff,
                                            max=MAX_BACKOFF)

        def wait(retry_state):
            error = getattr(retry_state.outcome.exception(), 'error', None)
            pause = max(backoff(retry_state), retry_after(error))
            left = self.time_left()
            return pause if left is None else min(pause, left)
        retrying = tenacity.Retrying(
            stop=stop, wait=wait,
            retry=tenacity.retry_if_exception_type(_Retry),
            reraise=True, **extra)
        try:
            resp = retrying(self._send, method.upper(), url, all_headers,
                            body, timeout)
        except _Retry as exc:
            raise exc.error
        LOG.debug('%s %s -> %s', method.upper(), url.split('?')[0],
                  resp.status_code)
        return resp

    def _past_deadline(self, retry_state):
        """tenacity stop: no time left for the backoff and one more
        attempt (the last attempt's error is raised)."""
        left = self.time_left()
        if left is None:
            return False
        return left <= (getattr(retry_state, 'upcoming_sleep', 0) or 0)

    @staticmethod
    def _message(resp):
        text = _text(resp).strip()
        ctype = resp.headers.get('Content-Type', '')
        if 'json' in ctype or text.startswith('{'):
            try:
                doc = json.loads(text)
                if isinstance(doc, dict):
                    if isinstance(doc.get('error'), dict):
                        doc = doc['error']
                    for key in ('message', 'description', 'title'):
                        if doc.get(key):
                            return str(doc[key])[:1000]
            except ValueError:
                pass
        if 'html' in ctype:
            return resp.reason or 'HTTP %d' % resp.status_code
        text = _without_status(text, resp.status_code)
        return text[:1000] or resp.reason or 'HTTP %d' % resp.status_code

    def _render(self, categories, attributes=None, extra=None,
                content_type=None):
        """Headers and body for a request carrying OCCI data.

        A string attribute with a CR or LF goes as ``application/occi+json``
        (when no ``extra`` header lines come with it) whatever the client's
        rendering: the header renderings would turn its newlines into
        spaces, and every OCCI server of Hurtle's, SOs included
        (doc/source/contributor/so-api.rst), accepts JSON.
        """
        content_type = content_type or self.content_type
        if content_type != OCCI_JSON and not extra and any(
                isinstance(value, str) and ('\n' in value or '\r' in value)
                for value in (attributes or {}).values()):
            content_type = OCCI_JSON
        if content_type == OCCI_JSON:
            return {'Content-Type': OCCI_JSON}, _json_request(
                categories, attributes)
        lines = [('Category', str(c)) for c in categories]
        for name, value in (attributes or {}).items():
            if value is None:
                continue
            lines.append(('X-OCCI-Attribute',
                          parsing.render_attribute(name, value)))
        lines.extend(extra or [])
        if content_type == TEXT_PLAIN:
            body = ''.join('%s: %s\n' % line for line in lines)
            return {'Content-Type': TEXT_PLAIN}, body
        headers = {'Content-Type': TEXT_OCCI}
        for name, value in lines:
            if name in headers:
                headers[name] += ', ' + value
            else:
                headers[name] = value
        return headers, None

    def _absolute(self, resp, location):
        return urllib.parse.urljoin(resp.url or self.endpoint + '/',
                                    location.strip())

    def _location(self, resp, fallback=None):
        loc = _header(resp, 'Location')
        if not loc:
            locs = self._locations(resp)
            loc = locs[0] if locs else None
        if not loc:
            try:
                doc = resp.json()
                loc = doc.get('location') if isinstance(doc, dict) else None
            except ValueError:
                loc = None
        if not loc:
            if fallback:
                return fallback
            raise errors.OCCIError('The server gave no location.',
                                   code=resp.status_code)
        return self._absolute(resp, loc)

    def _locations(self, resp):
        ctype = resp.headers.get('Content-Type', '').split(';')[0].strip()
        if 'json' in ctype:
            try:
                doc = resp.json()
            except ValueError:
                raise errors.OCCIError('Invalid JSON from the server.',
                                       code=resp.status_code)
            if isinstance(doc, list):
                # GFD.226 location list
                return [self._absolute(resp, x) for x in doc
                        if isinstance(x, str)]
            if not isinstance(doc, dict):
                return []
            items = list(doc.get('resources') or []) + \
                list(doc.get('links') or [])
            return [self._absolute(resp, self._json_location(i))
                    for i in items if isinstance(i, dict)]
        if ctype == 'text/uri-list':
            return [self._absolute(resp, line.strip())
                    for line in _text(resp).splitlines()
                    if line.strip() and not line.startswith('#')]
        return [self._absolute(resp, x)
                for x in _header_map(resp)['X-OCCI-Location']]

    def kind_locations(self, refresh=False):
        """``{kind id: absolute location}`` from the query interface
        (cached)."""
        if refresh or getattr(self, '_kind_locations', None) is None:
            self._kind_locations = {c.id: c.location for c in self.query()
                                    if c.location}
        return self._kind_locations

    def _json_location(self, item):
        """Location of a GFD.226 entity: ``location`` if the server adds
        one, else its kind's location + ``id``."""
        if item.get('location'):
            return item['location']
        kind_loc = self.kind_locations().get(item.get('kind'))
        if kind_loc is None:
            kind_loc = self.kind_locations(refresh=True).get(
                item.get('kind'))
        if kind_loc is None or not item.get('id'):
            raise errors.OCCIError('Cannot locate entity %r of kind %r.'
                                   % (item.get('id'), item.get('kind')),
                                   code=200)
        return kind_loc.rstrip('/') + '/' + str(item['id'])

    @staticmethod
    def _json(resp):
        try:
            doc = resp.json()
        except ValueError:
            raise errors.OCCIError('Invalid JSON from the server.',
                                   code=resp.status_code)
        if not isinstance(doc, dict):
            raise errors.OCCIError('Unexpected JSON from the server.',
                                   code=resp.status_code)
        return doc

    # parsing ---------------------------------------------------------------
    def parse_entity(self, resp, location=None):
        """An :class:`EntityInfo` from a response in any rendering."""
        location = location or resp.url
        ctype = resp.headers.get('Content-Type', '').split(';')[0].strip()
        if 'json' in ctype:
            return self._entity_from_json(resp, self._json(resp), location)
        values = _header_map(resp)
        kind = None
        mixins = []
        for value in values['Category']:
            ref = CategoryRef.from_header(value)
            if ref.cls == 'kind' and kind is None:
                kind = ref
            elif ref.cls == 'mixin':
                mixins.append(ref)
        attrs = {}
        for value in values['X-OCCI-Attribute']:
            name, val = parsing.parse_attribute(value)
            attrs[name] = val
        links = []
        actions = []
        action_urls = {}
        for value in values['Link']:
            link = parsing.parse_link(value)
            target = self._absolute(resp, link['target'])
            if '?action=' in link['target'] and link.get('rel'):
                actions.append(link['rel'])
                action_urls[link['rel']] = target
                continue
            link['target'] = target
            if link.get('self'):
                link['self'] = self._absolute(resp, link['self'])
            links.append(link)
        return EntityInfo(location, kind, mixins, attrs, links, actions,
                          action_urls)

    def _entity_from_json(self, resp, doc, location):
        if 'kind' not in doc and isinstance(doc.get('resources'), list) \
                and doc['resources']:
            doc = doc['resources'][0]
        kind = CategoryRef.from_id(doc['kind']) if doc.get('kind') else None
        mixins = [CategoryRef.from_id(m, 'mixin')
                  for m in doc.get('mixins') or []]
        attrs = dict(doc.get('attributes') or {})
        for key, name in (('id', 'occi.core.id'),
                          ('title', 'occi.core.title'),
                          ('summary', 'occi.core.summary')):
            if doc.get(key) is not None:
                attrs.setdefault(name, doc[key])
        if doc.get('location'):
            location = self._absolute(resp, doc['location'])
        actions = [a for a in doc.get('actions') or []
                   if isinstance(a, str)]
        action_urls = {a: '%s?action=%s' % (location, a.rsplit('#', 1)[-1])
                       for a in actions}
        links = []
        for link in doc.get('links') or []:
            if not isinstance(link, dict):
                continue
            target = link.get('target')
            if isinstance(target, dict):
                target = target.get('location')
            links.append({
                'target': self._absolute(resp, target) if target else None,
                'rel': (link.get('target') or {}).get('kind')
                if isinstance(link.get('target'), dict) else None,
                'self': self._absolute(resp, link['location'])
                if link.get('location') else link.get('id'),
                'category': [link.get('kind')] + list(link.get('mixins')
                                                      or []),
                'attributes': dict(link.get('attributes') or {})})
        return EntityInfo(location, kind, mixins, attrs, links, actions,
                          action_urls)

    # API ---------------------------------------------------------------------
    def query(self):
        """Read the query interface (``/-/``).

        :returns: list of :class:`CategoryInfo`.
        """
        resp = self.request('GET', '/-/', accept=TEXT_PLAIN)
        ctype = resp.headers.get('Content-Type', '').split(';')[0].strip()
        result = []
        if 'json' in ctype:
            doc = self._json(resp)
            for key, cls in (('kinds', 'kind'), ('mixins', 'mixin'),
                             ('actions', 'action')):
                for item in doc.get(key) or []:
                    attrs = {}
                    for name, d in (item.get('attributes') or {}).items():
                        d = d if isinstance(d, dict) else {}
                        attrs[name] = 'required' if d.get('required') else \
                            'mutable' if d.get('mutable', True) else \
                            'immutable'
                    rel = [item['parent']] if item.get('parent') else []
                    rel += list(item.get('depends') or []) + \
                        list(item.get('applies') or [])
                    loc = item.get('location')
                    result.append(CategoryInfo(
                        item['scheme'], item['term'], cls,
                        item.get('title', ''),
                        self._absolute(resp, loc) if loc else None,
                        attrs, item.get('actions') or [], rel))
            return result
        for value in _header_map(resp)['Category']:
            data = parsing.parse_category(value)
            loc = data.get('location')
            result.append(CategoryInfo(
                data['scheme'], data['term'], data.get('class', 'kind'),
                data.get('title', ''),
                self._absolute(resp, loc) if loc else None,
                data.get('attributes'), data.get('actions'),
                data.get('rel')))
        return result

    def create(self, path, kind, attributes=None, mixins=()):
        """Create an entity by POST to its kind's location.

        :param kind: :class:`CategoryRef` of the kind.
        :param attributes: dict name -> str/int/float/bool.
        :param mixins: :class:`CategoryRef` mixins.
        :returns: absolute location of the new entity.
        """
        headers, body = self._render([kind] + list(mixins), attributes)
        resp = self.request('POST', path, headers=headers, body=body)
        return self._location(resp)

    def put(self, location, kind, attributes=None, mixins=()):
        """Create or fully replace the entity at ``location`` (PUT).

        :returns: absolute location of the entity.
        """
        headers, body = self._render([kind] + list(mixins), attributes)
        resp = self.request('PUT', location, headers=headers, body=body)
        return self._location(resp, fallback=self.url(location))

    def get(self, location):
        """Read one entity. :returns: :class:`EntityInfo`."""
        resp = self.request('GET', location)
        return self.parse_entity(resp, self.url(location))

    def look(self, location, etag=None, wait=None):
        """Read one entity if it changed: a conditional GET
        (``If-None-Match: <etag>``, RFC 7232 3.2), held up to ``wait``
        seconds by a server that can (``Prefer: wait=N``, RFC 7240 4.3;
        see :mod:`hurtle.occi.conditional`).

        A server that does not hold answers at once (``held`` False): the
        caller then looks again later, as it would poll. A server that
        knows no ``ETag`` answers 200 each time (``changed`` True).

        :param etag: the ``etag`` of the previous :class:`Look` (None:
            a plain GET).
        :param wait: seconds the server may hold the request (None or 0:
            answer at once); the read timeout is the client's timeout
            plus ``wait``.
        :returns: :class:`Look`.
        :raises OCCIError: as :meth:`get` (404 once the entity is gone).
        """
        headers = {}
        if etag:
            headers['If-None-Match'] = etag
            if wait and wait > 0:
                headers['Prefer'] = 'wait=%d' % max(1, int(wait))
        timeout = self.timeout + (wait or 0) if etag else None
        resp = self.request('GET', location, headers=headers,
                            timeout=timeout)
        held = 'wait' in resp.headers.get('Preference-Applied', '')
        tag = resp.headers.get('ETag') or None
        if resp.status_code == 304:
            return Look(None, tag or etag, False, held)
        return Look(self.parse_entity(resp, self.url(location)), tag, True,
                    held)

    def list(self, path, categories=(), attributes=None):
        """Locations of the entities in a collection (absolute URLs).

        :param categories: optional filter (:class:`CategoryRef`).
        :param attributes: optional filter (dict name -> value).
        """
        headers = {}
        if categories or attributes:
            # Filters travel in headers (text/occi): GET has no body.
            headers, _body = self._render(list(categories), attributes,
                                          content_type=TEXT_OCCI)
        resp = self.request('GET', path, headers=headers, accept=TEXT_PLAIN)
        return self._locations(resp)

    def update(self, location, kind, attributes, mixins=()):
        """Partial update (POST to the entity, GFD.185 3.4.3).

        :returns: :class:`EntityInfo` if the server rendered the entity,
            else ``None``.
        """
        headers, body = self._render([kind] + list(mixins), attributes)
        resp = self.request('POST', location, headers=headers, body=body)
        return self._maybe_entity(resp, location)

    def _maybe_entity(self, resp, location):
        try:
            info = self.parse_entity(resp, self.url(location))
        except (errors.OCCIError, ValueError, KeyError):
            return None
        return info if info.kind is not None else None

    def delete(self, location, timeout=None):
        """Delete an entity (or every entity of a collection).

        :param timeout: seconds to wait for the answer (default: the
            client's), for a server that answers once the deletion is
            done.
        :returns: the answer's headers (a case-insensitive mapping; e.g.
            the CC's ``X-Hurtle-Trust-Kept``). An error's are its
            ``response_headers``.
        """
        return self.request('DELETE', location, timeout=timeout).headers

    def action(self, location, action, attributes=None):
        """Trigger ``action`` on an entity (``POST ?action=<term>``).

        :param action: :class:`CategoryRef` of the action (its ``cls`` is
            sent as ``action``).
        :returns: :class:`EntityInfo` if the server rendered the entity,
            else ``None``.
        """
        ref = CategoryRef(action.scheme, action.term, 'action')
        headers, body = self._render([ref], attributes)
        url = self.url(location)
        sep = '&' if '?' in url else '?'
        url += sep + urllib.parse.urlencode({'action': action.term})
        resp = self.request('POST', url, headers=headers, body=body)
        return self._maybe_entity(resp, location)
