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
"""One OCCI request as the handlers see it, and header negotiation.

``Request`` reads a PEP 3333 environ: method, path, media types, OCCI
headers (repeated and comma-joined alike), the body as ``str`` and the
action query (GFD.185 3.4.5); ``parse_accept`` orders ``Accept`` media
ranges by q-value (RFC 7231 5.3.2).
"""

import logging
import re
import urllib.parse

from hurtle.occi import errors
from hurtle.occi import memo


LOG = logging.getLogger(__name__)

#: The ``Server`` header value (the ``OCCI/1.1`` token is required by
#: GFD.185 3.6.4).
SERVER = 'hurtle OCCI/1.1'
#: Highest OCCI version this layer speaks; a client announcing a higher
#: one in ``User-Agent`` gets 501 (GFD.185 3.6.4).
MAX_OCCI_VERSION = (1, 2)

QUERY_PATHS = ('/-/', '/.well-known/org/ogf/occi/-/')

ALIASES = {
    'application/json': 'application/occi+json',
    'text/json': 'application/occi+json',
    'application/x-www-form-urlencoded': 'text/plain',
    '*/*': 'text/plain',
    'text/*': 'text/plain',
    'application/*': 'application/occi+json',
}

CORE_ATTRS = {
    'occi.core.id': 'immutable',
    'occi.core.title': 'mutable',
    'occi.core.summary': 'mutable',
}
LINK_ATTRS = {
    'occi.core.source': 'mutable',
    'occi.core.target': 'mutable',
}
SAFE_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._\-~]{0,127}$')
OCCI_UA = re.compile(r'OCCI/(\d+)\.(\d+)', re.I)


_HOST = re.compile(
    r'^(?:\[[0-9A-Fa-f:.]{2,45}\]'
    r'|[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?'
    r'(?:\.[A-Za-z0-9](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?)*\.?)'
    r'(?::(\d{1,5}))?$')


#: ``(scheme, Host, SCRIPT_NAME) -> base URL`` of valid requests, and
#: ``base URL -> path prefix`` (:class:`Request`).
_HOSTNAMES = memo.Memo(size=1024)
_PREFIXES = memo.Memo(size=1024)


#: The message of a ``Host`` that is not ``host[:port]``.
INVALID_HOST = 'Invalid Host header: it must be host[:port].'


def valid_host(value):
    """Whether ``value`` is a valid ``Host`` header value
    (``host[:port]``, at most 255 characters)."""
    match = _HOST.match(value or '')
    if not match or len(value) > 255:
        return False
    port = match.group(1)
    return port is None or 0 < int(port) < 65536


def check_public_url(url):
    """``url`` without a trailing slash, or ``None`` if not set.

    :raises ValueError: not an ``http(s)://host[:port][/path]`` URL (no
        query, fragment or user info).
    """
    if not url:
        return None
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ('http', 'https') or \
            not valid_host(parts.netloc) or parts.query or parts.fragment:
        raise ValueError('public URL %r is not http(s)://host[:port]'
                         '[/path]' % (url,))
    return url.rstrip('/')


def media_type(value):
    """Media type without parameters, lower-cased ('' if none)."""
    return (value or '').split(';', 1)[0].strip().lower()


#: A weight (RFC 9110 12.4.2): 0 to 1, at most three decimals.
_QVALUE = re.compile(r'^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$')


def parse_accept(value):
    """Parse an ``Accept`` header (RFC 7231 5.3.2).

    :returns: list of media ranges ordered by preference (q-value, then
        specificity, then order); ranges with ``q=0`` are dropped.
    :raises hurtle.occi.errors.BadRequest: a weight that is not a number
        from 0 to 1 with at most three decimals (RFC 9110 12.4.2).
    """
    items = []
    for index, part in enumerate((value or '').split(',')):
        part = part.strip()
        if not part:
            continue
        pieces = [p.strip() for p in part.split(';')]
        media = pieces[0].lower()
        qval = 1.0
        for param in pieces[1:]:
            name, _sep, val = param.partition('=')
            if name.strip().lower() == 'q':
                if not _QVALUE.match(val.strip()):
                    raise errors.BadRequest(
                        'Accept: the weight q=%s of %s is not a number from '
                        '0 to 1 (RFC 9110 12.4.2).' % (val.strip()[:20],
                                                       media[:80]))
                qval = float(val.strip())
        if qval <= 0:
            continue
        specificity = 0 if media == '*/*' else 1 if media.endswith(
            '/*') else 2
        items.append((-qval, -specificity, index, media))
    items.sort()
    return [media for _q, _s, _i, media in items]


def extras_of(environ):
    """The backends' ``extras`` of a request (``hurtle.occi.app``): its
    ``project``, ``user`` (str or None) and ``roles`` (list of str), from
    ``X-Project-Id``, ``X-User-Id`` and ``X-Roles``, and its ``environ``.

    :raises BadRequest: ``X-Project-Id`` or ``X-User-Id`` is not UTF-8.
    """
    return {
        # PEP 3333 native strings: UTF-8 ids arrive latin-1 decoded.
        'project': Request._text(environ.get('HTTP_X_PROJECT_ID') or '',
                                 'X-Project-Id') or None,
        'user': Request._text(environ.get('HTTP_X_USER_ID') or '',
                              'X-User-Id') or None,
        'roles': [r.strip() for r in
                  environ.get('HTTP_X_ROLES', '').split(',')
                  if r.strip()],
        'environ': environ,
    }


class Request(object):
    """What the handlers need from one WSGI request.

    :raises BadRequest: HTTP/1.1 request without ``Host``, path or an OCCI
        or identity header not UTF-8, bad body framing (see
        :meth:`_read_body`).
    """

    def __init__(self, environ, max_body, public_url=None):
        self.environ = environ
        self._check_host(environ)
        self.method = environ.get('REQUEST_METHOD', 'GET').upper()
        raw_path = environ.get('PATH_INFO', '') or '/'
        try:
            self.path = raw_path.encode('latin-1').decode('utf-8')
        except UnicodeError:
            raise errors.BadRequest('Request path is not UTF-8.')
        qs = environ.get('QUERY_STRING', '') or ''
        try:
            self.query = urllib.parse.parse_qs(
                qs, keep_blank_values=True, errors='strict') if qs else {}
        except UnicodeDecodeError:
            # Not decoded with replacement characters: a marker or a
            # filter would name something else than was sent.
            raise errors.BadRequest('Query string is not UTF-8 once '
                                    'percent-decoded.')
        except ValueError:
            raise errors.BadRequest('Malformed query string.')
        self.headers = {}
        for wsgi_name, name in (('HTTP_CATEGORY', 'Category'),
                                ('HTTP_LINK', 'Link'),
                                ('HTTP_X_OCCI_ATTRIBUTE', 'X-OCCI-Attribute'),
                                ('HTTP_X_OCCI_LOCATION', 'X-OCCI-Location')):
            if wsgi_name in environ:
                self.headers[name] = self._text(environ[wsgi_name], name)
        self.accept = environ.get('HTTP_ACCEPT', '')
        self.content_type = media_type(environ.get('CONTENT_TYPE', ''))
        self.body = self._read_body(environ, max_body)
        self.extras = extras_of(environ)
        self.hostname = public_url or self._hostname(environ)
        #: the OCCIData of an HTML form post (``hurtle.occi.forms``)
        self.form = None
        #: path prefix of every location (``SCRIPT_NAME`` or the public
        #: URL's path), without the trailing slash
        self.prefix = _PREFIXES.get(
            self.hostname,
            lambda: urllib.parse.urlsplit(self.hostname).path.rstrip('/'))

    @staticmethod
    def _text(value, name):
        """A PEP 3333 native string (latin-1 decoded bytes) as the text its
        UTF-8 bytes spell.

        :raises BadRequest: the bytes are not UTF-8 (the message names
            ``name``).
        """
        try:
            return value.encode('latin-1').decode('utf-8')
        except UnicodeError:
            raise errors.BadRequest('%s is not UTF-8.' % name)

    @staticmethod
    def _check_host(environ):
        """RFC 7230 5.4: an HTTP/1.1 (or later 1.x) request must carry
        ``Host``; an HTTP/1.0 one may leave it out.

        :raises BadRequest: HTTP/1.1 request without ``Host``.
        """
        if environ.get('HTTP_HOST') is not None:
            return
        match = re.match(r'^HTTP/(\d+)\.(\d+)$',
                         environ.get('SERVER_PROTOCOL') or '')
        if match and (int(match.group(1)), int(match.group(2))) >= (1, 1):
            raise errors.BadRequest('Host header missing: HTTP/1.1 requests '
                                    'must send one.')

    @staticmethod
    def _read_body(environ, max_body):
        """The request body as ``str`` (CRLF -> LF).

        A ``Transfer-Encoding: chunked`` body is read when the server
        decoded it (``wsgi.input_terminated``), else 411.

        :raises BadRequest: bad Content-Length, body shorter than it,
            malformed chunks, not UTF-8, both framings given.
        :raises LengthRequired: a transfer coding the server did not
            decode.
        :raises RequestEntityTooLarge: more than ``max_body`` bytes.
        :raises RequestTimeout: the body did not arrive in time.
        """
        coding = environ.get('HTTP_TRANSFER_ENCODING')
        stream = environ.get('wsgi.input')
        try:
            if coding is not None:
                if coding.strip().lower() != 'chunked' or \
                        not environ.get('wsgi.input_terminated'):
                    raise errors.LengthRequired(
                        'Transfer-Encoding %s cannot be read here; send '
                        'the body with a Content-Length.' % coding[:40])
                if environ.get('CONTENT_LENGTH'):
                    raise errors.BadRequest('Both Transfer-Encoding and '
                                            'Content-Length given.')
                if hasattr(stream, 'max_size'):
                    # hurtle.occi.server's chunked reader: refuse a chunk
                    # declaring more than this at its size line (413).
                    stream.max_size = max_body
                data = stream.read(max_body + 1)
                if len(data) > max_body:
                    raise errors.RequestEntityTooLarge(
                        'Request body larger than %d bytes.' % max_body)
            else:
                data = Request._read_length(environ, stream, max_body)
        except TimeoutError:
            raise errors.RequestTimeout('The request body did not arrive '
                                        'in time.')
        except ValueError:
            raise errors.BadRequest('Malformed chunked request body.')
        if not data:
            return ''
        try:
            text = data.decode('utf-8')
        except UnicodeError:
            raise errors.BadRequest('Request body is not UTF-8.')
        return text.replace('\r\n', '\n').replace('\r', '\n')

    @staticmethod
    def _read_length(environ, stream, max_body):
        length = environ.get('CONTENT_LENGTH') or '0'
        try:
            length = int(length)
        except ValueError:
            raise errors.BadRequest('Invalid Content-Length.')
        if length < 0:
            raise errors.BadRequest('Invalid Content-Length.')
        if length > max_body:
            raise errors.RequestEntityTooLarge(
                'Request body larger than %d bytes.' % max_body)
        if not length:
            return b''
        data = stream.read(length)
        if len(data) < length:
            raise errors.BadRequest('Request body shorter than its '
                                    'Content-Length (%d of %d bytes).'
                                    % (len(data), length))
        return data

    @staticmethod
    def _hostname(environ):
        """``scheme://host[:port]`` + ``SCRIPT_NAME`` of this request.

        :raises BadRequest: ``Host`` is not ``host[:port]`` (RFC 7230
            5.4: a DNS name, IPv4 or bracketed IPv6 address; port 1 to
            65535).
        """
        scheme = environ.get('wsgi.url_scheme', 'http')
        if scheme not in ('http', 'https'):
            scheme = 'http'
        host = environ.get('HTTP_HOST')
        if host is None:
            host = environ.get('SERVER_NAME', 'localhost')
            port = str(environ.get('SERVER_PORT', ''))
            if port and port not in ('80', '443'):
                host += ':' + port
        script = environ.get('SCRIPT_NAME', '')
        # Few distinct values reach a service: each is checked once.
        return _HOSTNAMES.get((scheme, host, script), lambda: Request._base(
            scheme, host, script))

    @staticmethod
    def _base(scheme, host, script):
        """:meth:`_hostname` of these values (uncached)."""
        if not valid_host(host):
            raise errors.BadRequest(INVALID_HOST)
        script = urllib.parse.quote(
            Request._text(script, 'SCRIPT_NAME').rstrip('/'))
        return '%s://%s%s' % (scheme, host, script)

    @property
    def action(self):
        values = self.query.get('action')
        if values is None:
            return None
        return values[-1]

    @property
    def pyssf_query(self):
        # PySSF's handlers test ``query is not ()``: hand them the literal
        # empty tuple unless an action was asked for.
        if self.action is None:
            return ()
        return ('action', self.action)
