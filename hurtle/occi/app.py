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
"""PEP 3333 WSGI application serving OCCI over PySSF's model and backends.

Follows the OCCI 1.1 HTTP rendering (GFD.185) and the OCCI 1.2 text and
JSON renderings (GFD.229, GFD.226).  Reuses PySSF's core model
(``occi.core_model``), backend classes (``occi.backend``), registry and
handler classes; replaces ``occi.wsgi`` (which cannot serve on Python 3)
and PySSF's text parser (not quote-aware, untyped values).

Backends (PySSF ``KindBackend``/``MixinBackend``/``ActionBackend``) get
``extras = {'project': str|None, 'user': str|None, 'roles': [str],
'environ': dict}`` (from ``X-Project-Id``, ``X-User-Id``, ``X-Roles``,
set by keystonemiddleware or :mod:`hurtle.occi.middleware`).  As in PySSF,
backends decide what an update/replace copies from ``new`` into ``old``.
A backend raises :mod:`hurtle.occi.errors` to answer with that status;
any other exception is logged and answered 500 with a short message.
``KindBackend.delete`` may return ``202``: the layer then answers 202 and
leaves the entity in the store (the backend removes it when done).
A backend may define ``after_create(entity, extras)``: called once per
created entity (POST to its kind, PUT on a free location), after every
backend's ``create`` accepted it and the store keeps it, never for a
create that was refused. Work that must not start before the entity
exists (a background lifecycle) starts there. It cannot refuse any more:
an exception in it is logged, the entity stays stored and the answer is
still 201, so the hook records its own failure on the entity (or leaves
it in a state from which the service resumes).
The application's :attr:`Application.answer_hooks` may add headers to
any answer.
A backend may define ``check_update(entity, extras, full)``: called
before the attributes of an update of ``entity`` are checked (``POST``:
``full`` False; ``PUT`` on an existing entity: True); it raises to refuse
(a 409 by state then comes before a 400 for stale immutable values).
A backend may define ``check_mixins(entity, extras)``: called before
``entity``'s mixins change through a mixin collection (``POST``, ``PUT``
or ``DELETE`` with locations on a mixin's location), for every entity
the request names (or a ``PUT`` removes) before any changes; it raises
to refuse (409s are gathered into one 409 naming each entity).
A kind backend may define ``wait_change(entity, extras, timeout)``:
block up to ``timeout`` seconds (float) and return (None) early when
``entity`` may have changed (a spurious return is fine, the layer reads
the entity again). GETs of its entities may then be held for a change
(``If-None-Match`` + ``Prefer: wait=N``: :mod:`hurtle.occi.conditional`);
an exception in it ends the hold with ``304``. Every GET of one entity
answers with a strong ``ETag`` and honours ``If-None-Match`` (``304``).
``entity.actions`` lists the actions applicable now; the layer sets it to
every action of the kind and mixins on create, backends change it.

Answers: 201 + ``Location`` on create, 200 otherwise, 4xx with a short
message in the negotiated rendering (``text/plain`` and ``text/occi``:
the message as body; JSON: ``{"message": ...}``; ``text/uri-list`` and
unacceptable ``Accept``: plain text), never a traceback.  Every 405
carries ``Allow`` (``OPTIONS`` included), naming what ``OPTIONS`` on the
path names but the refused method (``PUT`` on a collection other than a
mixin's is 405).  ``OPTIONS`` on a path (RFC
9110 9.3.7) answers ``200`` without a body and ``Allow`` naming the
methods of that path (``PUT`` only on mixin collections among
collections; ``GET, HEAD, OPTIONS`` under :attr:`Application.read_only`),
after the checks a GET makes (``404`` for nothing there, a backend's
``403``); preconditions are ignored (RFC 9110 13.2.1).  HTML form
posts (create, delete) are served as the OCCI requests they stand for
and answered 303; cross-site posts are refused (403): see
:mod:`hurtle.occi.forms`.

Locations.  Entity locations (``Location``, ``X-OCCI-Location``, link
targets) are absolute URLs built from ``public_url`` when set, else from
the request's scheme, ``Host`` (validated: a malformed one is 400) and
``SCRIPT_NAME``.  Category locations in the query interface are
absolute too by default (``category_locations='absolute'``, GFD.185
3.4.1 shows them so); with ``'path'`` they are rendered as paths
(``/app/``).  Clients of the rOCCI/pOCCI lineage build request URLs as
``endpoint + location``, which breaks on absolute locations; clients that
follow the specification's examples resolve either form (a path against
the endpoint).  ``path`` suits the former, ``absolute`` the latter and
deployments behind a proxy whose public URL differs from the endpoint the
client was given.  OCCI Core's ``entity``, ``resource`` and ``link``
kinds are listed without a location (GFD.223: a kind that cannot be
instantiated is not bound to one) unless a backend serves them.
"""

import http
import logging
import re

from occi import backend as occi_backend
from occi import exceptions as occi_exceptions

from hurtle.occi import errors
from hurtle.occi import forms
from hurtle.occi import fragments
from hurtle.occi import handlers
from hurtle.occi import memo
from hurtle.occi import registry as occi_registry
from hurtle.occi import renderings
from hurtle.occi import request as occi_request

LOG = logging.getLogger(__name__)

#: Control characters but line feed and tab, which an error message may
#: quote from the request (a path with ``%00``, a marker with ``%0d``):
#: shown escaped. A line feed may separate the lines of a log tail.
_CONTROL = re.compile('[\x00-\x08\x0b-\x1f\x7f]')


#: Longest error message sent (characters): messages echo what the client
#: sent (a path, a header value), which must not come back in full.
MAX_MESSAGE = 1024


def _bounded(message):
    """``message``, cut to :data:`MAX_MESSAGE` characters (saying how
    many were left out)."""
    if len(message) <= MAX_MESSAGE:
        return message
    return '%s... (%d more characters)' % (
        message[:MAX_MESSAGE], len(message) - MAX_MESSAGE)


def _controls_escaped(message):
    """``message`` with its control characters as ``\\xNN`` (other
    characters, non-ASCII ones too, as they are)."""
    return _CONTROL.sub(lambda found: '\\x%02x' % ord(found.group()),
                        message)


def _printable(text):
    """``text`` with control characters escaped, for one log line (a
    client's path must not forge log lines)."""
    return repr(str(text or ''))[1:-1]


#: The methods of a path under :attr:`Application.read_only`.
READ_ONLY_METHODS = ('GET', 'HEAD', 'OPTIONS')


#: Reason phrases by status code (``http.HTTPStatus``'s, looked up once).
_PHRASES = {status.value: status.phrase for status in http.HTTPStatus}


def _phrase(code):
    return _PHRASES.get(code, 'Error')


class Application(object):
    """The OCCI WSGI application (PEP 3333).

    :param registry: a :class:`hurtle.occi.registry.Registry` (default: a
        new one with a :class:`~hurtle.occi.registry.MemoryStore`).
    :param max_body: largest accepted request body in bytes (413 above).
    :param max_page: largest page (``?number=``) for collections (413).
    :param public_url: base URL of entity locations (e.g.
        ``https://cloud.example/sm``), instead of the request's ``Host``;
        ``None``: from the request.
    :param category_locations: ``'absolute'`` (default) or ``'path'``:
        how the query interface renders category locations (see the
        module docstring).
    :param listing_cache: most bytes of rendered collection members
        kept for JSON listings (:attr:`fragments`; used with a store that
        has versions, :meth:`hurtle.occi.registry.EntityStore.versions`);
        0 keeps none.
    :raises ValueError: unknown ``category_locations`` or a
        ``public_url`` that is not an http(s) URL.
    """

    def __init__(self, registry=None, max_body=1024 * 1024, max_page=1000,
                 public_url=None, category_locations='absolute',
                 listing_cache=32 * 1024 * 1024):
        self.registry = registry if registry is not None else \
            occi_registry.Registry()
        self.max_body = max_body
        self.max_page = max_page
        self.public_url = public_url
        self.renderings = {}
        for cls in renderings.RENDERINGS:
            self.renderings[cls.mime_type] = cls(self.registry)
        self.category_locations = category_locations
        self.registry.renderings = self.renderings
        self.registry.default_mime_type = 'text/plain'
        #: Location prefixes answering only GET, HEAD and OPTIONS (else
        #: 405 with ``Allow: GET, HEAD, OPTIONS``), e.g. ``('/service/',)``.
        self.read_only = ()
        #: Callables ``check(environ)`` run before each request is routed;
        #: an ``OCCIError`` one raises is the answer (rendered as usual).
        self.checks = []
        #: Callables ``hook(environ, status, headers)`` run on each answer
        #: (an error's too) before it is sent: ``status`` an int,
        #: ``headers`` the list of ``(name, value)`` it may append to
        #: (e.g. ``hurtle.cc.kept_trusts.answer_hook``). An exception in
        #: one is logged and answered 500 instead (the request may have
        #: been done: the caller sends it again).
        self.answer_hooks = []
        #: Rendered answers reused while what they depend on is
        #: unchanged (the key says it all, e.g. the query interface's:
        #: :class:`hurtle.occi.handlers.QueryHandler`).
        self.answers = memo.Memo(size=256)
        self._negotiated = memo.Memo(size=256)
        #: Rendered members of JSON listings, reused while their rows'
        #: versions and context are unchanged
        #: (:meth:`hurtle.occi.handlers.CollectionHandler._get_kind`).
        self.fragments = fragments.Fragments(listing_cache)

    @property
    def public_url(self):
        """Base URL of locations, or ``None`` (from each request)."""
        return self._public_url

    @public_url.setter
    def public_url(self, url):
        self._public_url = occi_request.check_public_url(url)

    @property
    def category_locations(self):
        """``'absolute'`` or ``'path'`` (see the module docstring)."""
        return self._category_locations

    @category_locations.setter
    def category_locations(self, mode):
        if mode not in ('absolute', 'path'):
            raise ValueError('category_locations must be "absolute" or '
                             '"path", not %r' % (mode,))
        self._category_locations = mode
        for rendering in self.renderings.values():
            rendering.category_paths = mode == 'path'

    def register_backend(self, category, backend):
        """Register the backend of a kind, mixin or action (like PySSF).

        :raises AttributeError: the backend's class does not fit the
            category (KindBackend for kinds, MixinBackend for mixins,
            ActionBackend for actions), as in PySSF.
        """
        ok = (repr(category) == 'kind' and
              isinstance(backend, occi_backend.KindBackend)) or \
             (repr(category) == 'mixin' and
              isinstance(backend, occi_backend.MixinBackend)) or \
             (repr(category) == 'action' and
              isinstance(backend, occi_backend.ActionBackend))
        if not ok:
            raise AttributeError('Backends handling kinds need to derive '
                                 'from KindBackend, mixins from '
                                 'MixinBackend, actions from '
                                 'ActionBackend.')
        self.registry.set_backend(category, backend, None)

    # negotiation ----------------------------------------------------------
    def negotiate(self, accept, what):
        """Pick the rendering for the response (RFC 7231 5.3.2).

        :param what: ``'entity'``, ``'collection'``, ``'categories'``,
            ``'locations'`` or ``'message'``.
        :raises NotAcceptable: nothing acceptable is served.
        :raises BadRequest: only ``text/uri-list`` is acceptable and the
            answer is not a collection (GFD.185 3.6.3).
        """
        # Clients send few distinct Accept headers: each is parsed once.
        return self._negotiated.get(
            (accept, what), lambda: self._negotiate(accept, what))

    def _negotiate(self, accept, what):
        if not accept or not accept.strip():
            return self.renderings['text/plain']
        candidates = []
        for media in occi_request.parse_accept(accept):
            media = occi_request.ALIASES.get(media, media)
            if media in self.renderings:
                candidates.append(self.renderings[media])
        if not candidates:
            raise errors.NotAcceptable(
                'Cannot render %s; available: %s.' %
                (accept[:80], ', '.join(sorted(self.renderings))))
        for rendering in candidates:
            if what == 'message' or what in rendering.renders:
                return rendering
        raise errors.BadRequest('%s can only render collections.'
                                % candidates[0].mime_type)

    @staticmethod
    def _route(request):
        path = request.path
        if path in occi_request.QUERY_PATHS:
            return handlers.QueryHandler, 'categories'
        if path.endswith('/'):
            if request.method == 'GET' or request.method == 'HEAD':
                return handlers.CollectionHandler, 'collection'
            if request.method == 'POST' and request.action is None:
                return handlers.CollectionHandler, 'locations'
            return handlers.CollectionHandler, 'message'
        if request.method in ('GET', 'HEAD', 'POST'):
            return handlers.ResourceHandler, 'entity'
        if request.method == 'PUT':
            return handlers.ResourceHandler, 'locations'
        return handlers.ResourceHandler, 'message'

    def _check_version(self, environ):
        agent = environ.get('HTTP_USER_AGENT', '')
        highest = occi_request.MAX_OCCI_VERSION
        for major, minor in occi_request.OCCI_UA.findall(agent):
            if (int(major), int(minor)) > highest:
                raise errors.NotImplementedYet(
                    'OCCI/%s.%s is not supported; this service speaks up '
                    'to OCCI/%d.%d.' % ((major, minor) + highest))

    def _is_read_only(self, path):
        """Whether ``path`` is under a prefix of :attr:`read_only`."""
        return any(path.startswith(prefix) or path == prefix.rstrip('/')
                   for prefix in self.read_only)

    def _check_read_only(self, request):
        """:raises MethodNotAllowed: a write under :attr:`read_only`."""
        if request.method not in READ_ONLY_METHODS and \
                self._is_read_only(request.path):
            raise errors.MethodNotAllowed(
                '%s is read-only: only GET, HEAD and OPTIONS are '
                'allowed.'
                % request.path[:80],
                headers=[('Allow', ', '.join(READ_ONLY_METHODS))])

    def _options(self, handler_cls, request):
        """Answer ``OPTIONS`` on a path (RFC 9110 9.3.7): ``200``, no
        body (nor ``Content-Type``), ``Allow`` naming the methods the
        path answers; no ``Accept`` negotiation, no preconditions.

        :raises NotFound: nothing at the path (as for GET); and the
            other refusals of a GET (403 of a backend).
        """
        handler = handler_cls(self.registry, request.headers, request.body,
                              request.pyssf_query, request.extras)
        handler.setup(self, request, self.renderings['text/plain'])
        status, headers, body = handler.handle('OPTIONS', request.path)
        if self._is_read_only(request.path):
            headers = [('Allow', ', '.join(READ_ONLY_METHODS))]
        return status, headers, body

    def handle(self, environ):
        """Serve one request: ``(status, [(name, value)], body str)``."""
        self._check_version(environ)
        for check in self.checks:
            check(environ)
        request = occi_request.Request(environ, self.max_body,
                                       public_url=self.public_url)
        self.registry.set_hostname(request.hostname)
        form = forms.read(request, self.registry)
        self._check_read_only(request)
        handler_cls, what = self._route(request)
        if request.method == 'OPTIONS':
            return self._options(handler_cls, request)
        if request.method == 'PUT' and what == 'locations':
            rendering = self.negotiate(request.accept, 'entity')
        else:
            rendering = self.negotiate(request.accept, what)
        handler = handler_cls(self.registry, request.headers, request.body,
                              request.pyssf_query, request.extras)
        handler.setup(self, request, rendering)
        status, headers, body = handler.handle(request.method,
                                               request.path)
        if form is not None:
            status, headers, page = forms.redirect(
                form, request, rendering, status, headers)
            body = body if page is None else page
        headers = [h for h in headers if h[0].lower() != 'content-type']
        if status != 304:   # RFC 7232 4.1: no representation metadata
            headers.extend(self._type_headers(rendering))
        return status, headers, body

    @staticmethod
    def _type_headers(rendering):
        """``Content-Type`` of ``rendering``; for HTML pages also the
        headers that keep another site from framing them (their forms
        create and delete: clickjacking) and browsers from sniffing."""
        if rendering.mime_type == 'text/html':
            return [('Content-Type', 'text/html; charset=utf-8'),
                    ('X-Frame-Options', 'DENY'),
                    ('Content-Security-Policy', "frame-ancestors 'none'"),
                    ('X-Content-Type-Options', 'nosniff')]
        return [('Content-Type', rendering.mime_type)]

    def _error(self, environ, code, message):
        message = _controls_escaped(_bounded(message))
        try:
            rendering = self.negotiate(environ.get('HTTP_ACCEPT', ''),
                                       'message')
        except errors.OCCIError:
            rendering = self.renderings['text/plain']
        if rendering.mime_type == 'text/uri-list':
            rendering = self.renderings['text/plain']
        if rendering.mime_type == 'text/html':
            # A browser shows the page, not the status line.
            headers, body = rendering.message(
                message, title='%d %s' % (code, _phrase(code)))
        else:
            headers, body = rendering.message(message)
        return code, self._type_headers(rendering), body

    def __call__(self, environ, start_response):
        try:
            status, headers, body = self.handle(environ)
        except errors.OCCIError as exc:
            status, headers, body = self._error(environ, exc.code,
                                                exc.message)
            headers.extend(getattr(exc, 'headers', None) or [])
        except occi_exceptions.HTTPError as exc:
            status, headers, body = self._error(environ, int(exc.code),
                                                str(exc.message))
        except Exception:
            LOG.exception('Unexpected error serving %s %s',
                          _printable(environ.get('REQUEST_METHOD')),
                          _printable(environ.get('PATH_INFO')))
            status, headers, body = self._error(environ, 500,
                                                'Internal server error.')
        if status == 405 and not any(name.lower() == 'allow'
                                     for name, _value in headers):
            headers.append(('Allow', self._allowed(environ)))
        for hook in self.answer_hooks:
            try:
                hook(environ, status, headers)
            except Exception:
                LOG.exception('Unexpected error answering %s %s',
                              _printable(environ.get('REQUEST_METHOD')),
                              _printable(environ.get('PATH_INFO')))
                status, headers, body = self._error(
                    environ, 500, 'Internal server error.')
                break
        if status >= 400:
            LOG.info('%s %s -> %d %s',
                     _printable(environ.get('REQUEST_METHOD')),
                     _printable(environ.get('PATH_INFO')), status,
                     _printable(body[:200]))
        data = body.encode('utf-8') if isinstance(body, str) else body
        if status == 304:
            # No body; Content-Length, if given, is the length the 200
            # would have had (RFC 7230 3.3.2).
            data = b''
            dropped = ('server',)
        else:
            dropped = ('content-length', 'server')
        headers = [(name, self._header_value(value))
                   for name, value in headers
                   if name.lower() not in dropped]
        if status != 304 or not any(name.lower() == 'content-length'
                                    for name, _value in headers):
            headers.append(('Content-Length', str(len(data))))
        headers.append(('Server', occi_request.SERVER))
        start_response('%d %s' % (status, _phrase(status)), headers)
        if environ.get('REQUEST_METHOD', '').upper() == 'HEAD':
            return [b'']
        return [data]

    def _allowed(self, environ):
        """``Allow`` for a 405 a backend raised: the methods of the path
        (as its handler counts them, ``PUT`` on mixin collections only
        among collections) but the refused one."""
        method = (environ.get('REQUEST_METHOD') or '').upper()
        path = environ.get('PATH_INFO') or '/'
        methods = None
        methods_at = environ.get(handlers.METHODS_AT)
        if methods_at is not None:
            try:
                methods = methods_at()
            except Exception:   # the answer is a 405 already
                LOG.debug('methods of %s unknown', _printable(path),
                          exc_info=True)
        if methods is None:
            if path in occi_request.QUERY_PATHS:
                handler = handlers.QueryHandler
            elif path.endswith('/'):
                handler = handlers.CollectionHandler
            else:
                handler = handlers.ResourceHandler
            methods = handler.methods()
        return ', '.join(name for name in methods if name != method)

    @staticmethod
    def _header_value(value):
        # PEP 3333: header values are latin-1 "native strings".
        value = str(value).replace('\r', ' ').replace('\n', ' ')
        return value.encode('utf-8').decode('latin-1')
