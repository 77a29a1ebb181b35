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
"""A strict parser of HTTP/1.1 request heads (RFC 9112 2-7) into the
WSGI environ (PEP 3333) of :mod:`hurtle.occi.server`.

Why not the stdlib's: ``http.server`` hands each request's header block
to ``http.client.parse_headers``, i.e. to the ``email`` package's feed
parser, which builds a ``Message`` of header objects only for wsgiref to
copy it into the environ: about 16 us per request, the largest single
cost of the server under ``benchmarks/get_instance.py``. It is also
lenient where RFC 9112 asks a server to refuse: it unfolds obsolete
line folding, takes a space before the colon, reads a bare CR as the
end of a line. Here one pass over the lines fills the environ, and what
it cannot read unambiguously is refused with a clear status instead of
guessed at:

* a request line that is not ``method SP request-target SP
  HTTP/x.y`` (single spaces; the method a token; no control characters
  in the target): ``400``; a line longer than ``max_line``: ``414``; a
  major version other than 1: ``505``;
* a request target (RFC 9112 3.2) other than a path starting with ``/``
  (origin-form), an ``http``/``https`` URL (absolute-form: its path and
  query are the request's, its authority the ``Host``, whatever the
  ``Host`` header says, 3.2.2) or ``*`` on ``OPTIONS`` (asterisk-form,
  :data:`ASTERISK`): ``400``; so is a fragment (``#``) or userinfo
  (``user@host``);
* a field line without a colon, with a space before it, with a name
  that is not a token, starting with a space (obsolete line folding,
  5.2) or with a control character in its value (a bare CR included):
  ``400``; more than :data:`MAX_FIELDS` field lines, or a head longer
  than its byte budget: ``431``;
* no ``Host`` in an HTTP/1.1 request, or several (3.2): ``400``;
* a ``Content-Length`` that is not one decimal number, both
  ``Transfer-Encoding`` and ``Content-Length`` (6.3: a request smuggling
  vector), or ``Transfer-Encoding`` on HTTP/1.0 (6.1): ``400``; a transfer
  coding other than ``chunked``: ``501``.

The environ gets what wsgiref's would (``REQUEST_METHOD``,
``SERVER_PROTOCOL``, ``PATH_INFO`` percent-decoded as latin-1,
``QUERY_STRING``, ``CONTENT_TYPE`` - ``text/plain`` when absent, as
wsgiref set it -, ``CONTENT_LENGTH``, ``HTTP_*`` with repeated fields
joined by ``,``); the server adds the rest. A field whose name holds
``_`` is dropped, as Apache httpd, nginx and gunicorn drop it: wsgiref
mapped it to the same environ key as its ``-`` spelling, so
``X_Project_Id`` could pass for an ``X-Project-Id`` (or
``X-Forwarded-For``) that a proxy in front strips or sets. A single
LF ends a line as CRLF does (RFC 9112 2.2 allows it). Empty lines
before the request line are skipped (2.2: a server SHOULD ignore at
least one; clients used to send a CRLF after a POST body), up to
:data:`MAX_EMPTY_LINES`; more is ``400``, so that a client cannot hold a
worker with a stream of them (the head's deadline bounds it too).
"""
import re
import urllib.parse

#: Most field lines in one request head (``http.client``'s limit too).
MAX_FIELDS = 100

#: Most empty lines skipped before a request line (RFC 9112 2.2).
MAX_EMPTY_LINES = 8

#: ``PATH_INFO`` of an asterisk-form target (``OPTIONS *``): the server
#: answers it itself, no application sees it.
ASTERISK = '*'

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
#: Control characters other than HTAB (RFC 9110 5.5: a bare CR, LF or
#: NUL in a field value is refused).
_BAD_VALUE = re.compile(rb'[\x00-\x08\x0a-\x1f\x7f]')
#: What may not appear in a request target: controls, space, fragment.
_BAD_TARGET = re.compile(rb'[\x00-\x20\x7f#]')
_VERSION = re.compile(rb'HTTP/([0-9])\.([0-9])\Z')
_ABSOLUTE = re.compile(rb'([A-Za-z][A-Za-z0-9+.\-]*)://([^/?]*)(.*)\Z',
                       re.DOTALL)
#: host (reg-name, IPv4 or [IPv6]) and optional port (RFC 3986 3.2.2).
_AUTHORITY = re.compile(
    rb"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~%!$&'()*+,;=]+)(:[0-9]*)?\Z")
_DIGITS = re.compile(r'[0-9]{1,18}\Z')

#: Field name (as sent) -> environ key; bounded (names are few).
_KEYS = {}
_KEYS_MAX = 512
#: Not yet in :data:`_KEYS` (None there means "dropped").
_UNSEEN = object()
_CGI_KEYS = {'CONTENT_TYPE': 'CONTENT_TYPE',
             'CONTENT_LENGTH': 'CONTENT_LENGTH'}


class HeadError(Exception):
    """A request head refused: answer ``status`` and close.

    :ivar status: HTTP status code (400, 414, 431, 501 or 505).
    :ivar explain: one line for the client, without control characters.
    :ivar request: ``(method, target)`` when the request line was read
        (for the log), else None.
    """

    def __init__(self, status, explain):
        super().__init__(status, explain)
        self.status = status
        self.explain = explain
        self.request = None


class Truncated(Exception):
    """The client closed the connection inside the request head."""


def _key(name):
    """The environ key of field ``name`` (bytes), or None for a name
    with ``_`` (dropped); HeadError if ``name`` is not a token."""
    key = _KEYS.get(name, _UNSEEN)
    if key is _UNSEEN:
        if not _TOKEN.match(name):
            raise HeadError(400, 'Invalid header field name %r (RFC 9110 '
                                 '5.1: a token, no space before ":").'
                            % name[:40].decode('latin-1'))
        if b'_' in name:
            key = None
        else:
            upper = name.decode('ascii').upper().replace('-', '_')
            key = _CGI_KEYS.get(upper) or 'HTTP_' + upper
        if len(_KEYS) < _KEYS_MAX:
            _KEYS[name] = key
    return key


def parse_target(method, target):
    """Split a request target (RFC 9112 3.2).

    :param method: the request method (str).
    :param target: the request target as sent (bytes, no controls).
    :returns: ``(path, query, authority)``: path and query as sent
        (str, latin-1); authority the ``host[:port]`` of an absolute-form
        target, else None; ``(ASTERISK, '', None)`` for ``OPTIONS *``.
    :raises HeadError: 400 for any other form.
    """
    authority = None
    if target[:1] != b'/':
        if target == b'*':
            if method == 'OPTIONS':
                return ASTERISK, '', None
            raise HeadError(400, 'Request target "*" is for OPTIONS only '
                                 '(RFC 9112 3.2.4).')
        found = _ABSOLUTE.match(target)
        if found is None:
            raise HeadError(
                400, 'Request target %r is neither a path starting with '
                '"/" nor an absolute http URL (RFC 9112 3.2).'
                % target[:80].decode('latin-1'))
        scheme, authority, target = found.groups()
        if scheme.lower() not in (b'http', b'https'):
            raise HeadError(400, 'Request target scheme %r is not http '
                                 'or https.' % scheme[:20].decode('latin-1'))
        if not _AUTHORITY.match(authority):
            raise HeadError(400, 'Request target URL without a valid host '
                                 '(or with user information, RFC 9110 '
                                 '4.2).')
        authority = authority.decode('latin-1')
        if target[:1] != b'/':
            if target[:1] not in (b'', b'?'):
                raise HeadError(400, 'Invalid request target URL.')
            target = b'/' + target
    path, _sep, query = target.decode('latin-1').partition('?')
    return path, query, authority


def read_head(readline, max_line, max_head, environ):
    """Read one request head and fill ``environ`` from it.

    :param readline: ``readline(size)`` of the connection (bytes; b''
        when the client closed).
    :param max_line: longest request line in bytes (414 past it).
    :param max_head: most bytes of the request line and header field
        lines together, the ending empty line included (431 past it);
        never reads more than one byte past.
    :param environ: dict to add the request's keys to.
    :returns: ``(method, target, keep_alive_default)`` - method str,
        target the request target as sent (str, for the log), and
        whether HTTP/1.1 rules apply (persistent unless ``close``) - or
        None when the client closed before sending a request line.
    :raises HeadError: the head is refused (see the module docstring).
    :raises Truncated: the client closed inside the head.
    :raises TimeoutError: from ``readline``.
    """
    line = readline(max_line + 1)
    skipped = 0
    while line == b'\r\n' or line == b'\n':
        skipped += 1
        if skipped > MAX_EMPTY_LINES:
            raise HeadError(400, 'More than %d empty lines before the '
                                 'request line.' % MAX_EMPTY_LINES)
        line = readline(max_line + 1)
    if not line:
        return None
    if len(line) > max_line:
        raise HeadError(414, 'Request line longer than %d bytes.'
                        % max_line)
    if line[-1:] != b'\n':
        raise Truncated()
    budget = max_head - len(line)
    line = line[:-2] if line[-2:] == b'\r\n' else line[:-1]
    parts = line.split(b' ')
    if len(parts) != 3 or not _TOKEN.match(parts[0]) or \
            not parts[1] or _BAD_TARGET.search(parts[1]):
        raise HeadError(400, 'Bad request line %r (RFC 9112 3: method, '
                             'target, version, one space apart).'
                        % line[:80].decode('latin-1'))
    version = _VERSION.match(parts[2])
    if version is None:
        raise HeadError(400, 'Bad HTTP version %r.'
                        % parts[2][:20].decode('latin-1'))
    if version.group(1) != b'1':
        raise HeadError(505, 'Only HTTP/1.0 and HTTP/1.1 are served.')
    modern = version.group(2) != b'0'
    method = parts[0].decode('ascii')
    target = parts[1]
    try:
        return _read_fields(readline, budget, modern, method, target,
                            parts[2], environ)
    except HeadError as error:
        error.request = (method, target.decode('latin-1'))
        raise


def _read_fields(readline, budget, modern, method, target, version,
                 environ):
    """The rest of :func:`read_head`, from the request target on."""
    path, query, authority = parse_target(method, target)

    fields = {}
    count = 0
    while True:
        line = readline(budget + 1)
        budget -= len(line)
        if budget < 0:
            raise HeadError(431, 'Request line and headers too large.')
        if line == b'\r\n' or line == b'\n':
            break
        if line[-1:] != b'\n':
            raise Truncated()
        count += 1
        if count > MAX_FIELDS:
            raise HeadError(431, 'More than %d header fields.'
                            % MAX_FIELDS)
        if line[0] in b' \t':
            raise HeadError(400, 'Obsolete line folding in the header '
                                 '(RFC 9112 5.2).')
        line = line[:-2] if line[-2:] == b'\r\n' else line[:-1]
        name, colon, value = line.partition(b':')
        if not colon:
            raise HeadError(400, 'Header line without a colon: %r.'
                            % line[:40].decode('latin-1'))
        key = _key(name)
        if key is None:
            continue
        value = value.strip(b' \t')
        if _BAD_VALUE.search(value):
            raise HeadError(400, 'Control character in header %s.'
                            % name.decode('ascii'))
        value = value.decode('latin-1')
        if key in fields:
            if key == 'HTTP_HOST':
                raise HeadError(400, 'Several Host headers')
            if key == 'CONTENT_LENGTH':
                raise HeadError(400, 'Several Content-Length headers')
            fields[key] += ',' + value
        else:
            fields[key] = value

    if modern and 'HTTP_HOST' not in fields:
        raise HeadError(400, 'Host header missing (required in HTTP/1.1)')
    if authority is not None:
        fields['HTTP_HOST'] = authority     # RFC 9112 3.2.2, 7.2
    length = fields.get('CONTENT_LENGTH')
    if length is not None and not _DIGITS.match(length):
        raise HeadError(400, 'Invalid Content-Length.')
    coding = fields.get('HTTP_TRANSFER_ENCODING')
    if coding is not None:
        if length is not None:
            raise HeadError(400, 'Both Transfer-Encoding and '
                                 'Content-Length (RFC 9112 6.3)')
        if not modern:
            raise HeadError(400, 'Transfer-Encoding in an HTTP/1.0 '
                                 'request (RFC 9112 6.1)')
        if coding.strip().lower() != 'chunked':
            raise HeadError(501, 'Transfer-Encoding %s not supported'
                            % coding[:40])
    if 'CONTENT_TYPE' not in fields:
        fields['CONTENT_TYPE'] = 'text/plain'
    environ.update(fields)
    environ['REQUEST_METHOD'] = method
    environ['SERVER_PROTOCOL'] = version.decode('ascii')
    environ['PATH_INFO'] = urllib.parse.unquote(path, 'iso-8859-1') \
        if '%' in path else path
    environ['QUERY_STRING'] = query
    return method, target.decode('latin-1'), modern
