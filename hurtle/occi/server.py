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
"""A small multi-threaded WSGI server (stdlib ``socketserver``),
hardened against slow and stalled clients.

Request heads are read by :mod:`hurtle.occi.http_head` (strict RFC 9112,
not ``http.server``'s ``email``-based parser: see there why) and the
responses written by :class:`_Handler` itself (not wsgiref's handler):
with a bare application the server's CPU per request is about that of
the stdlib's bare ``http.server``, half of what it was
(``benchmarks/server_cpu.py``).

* **Bounded pool**: at most ``pool_size`` connections are served at once,
  each on its own daemon thread.  A connection arriving when all are busy
  is answered ``503 Service Unavailable`` with ``Retry-After`` (seconds)
  and closed at once, instead of queueing without end.
* **Read deadlines**: a request line and its headers must arrive within
  ``header_timeout`` seconds (whatever the pace: a client trickling one
  byte at a time is cut off too), the body within ``body_timeout`` seconds
  after the headers.  A client past a deadline gets ``408 Request
  Timeout`` (the application answers 408 for a body that stalls) and the
  connection is closed.  Responses are written with ``header_timeout`` as
  socket timeout.
* **HTTP/1.1 keep-alive** (``keep_alive``): a connection serves further
  requests while the client keeps it open; it is closed when idle for
  ``idle_timeout`` seconds, when a request body was not read to its end,
  or when a response has no ``Content-Length``.  An idle keep-alive
  connection holds its worker (hence the short idle timeout), so the pool
  bounds those too.
* **Idle connections make room**: when every worker is taken, a new
  connection closes the connection that has waited longest for the
  first byte of a request (a kept-alive connection between requests, or
  one that has sent nothing yet) and takes its worker, as nginx reuses
  idle keep-alive connections.  Clients holding many idle connections
  thus cannot lock others out; only connections in the middle of a
  request count against ``pool_size`` and lead to the ``503``.
* ``Transfer-Encoding: chunked`` request bodies are decoded here (within
  the body deadline); ``wsgi.input`` then yields the decoded bytes up to
  the end of the body, ``CONTENT_LENGTH`` is absent and
  ``wsgi.input_terminated`` is ``True`` (the application applies its body
  size limit).  A chunk whose declared size takes the body past
  ``max_body`` bytes (or past the ``max_size`` the application sets on
  ``wsgi.input``) raises :class:`hurtle.occi.errors.RequestEntityTooLarge`
  (413) when read, before any of its bytes are awaited.  Any other transfer
  coding is answered ``501``; a request with both ``Transfer-Encoding`` and
  ``Content-Length`` ``400`` (RFC 9112 6.3: a request smuggling vector).
* **Head size**: the request line and headers together may be at most
  ``max_header_size`` bytes; past it the client gets ``431 Request Header
  Fields Too Large`` at once (the rest is not read) and the connection is
  closed.  A request line alone longer than that (or than 64 KiB) gets
  ``414``.
* An HTTP/1.1 request without ``Host``, or any with several, is answered
  ``400`` (RFC 9112 3.2); HTTP/1.0 requests may leave ``Host`` out.
* **Request targets** (RFC 9112 3.2): a path (``/x?q``); an absolute
  ``http(s)://host:port/x?q``, served by its path with ``host:port`` as
  ``HTTP_HOST`` (3.2.2); ``OPTIONS *``, answered ``200`` (empty, no
  ``Allow``) by the server itself once its ``Host`` passed the checks
  every request to an OCCI application passes (``host_check``: a
  ``Host`` that is not ``host[:port]``, or a name the service's
  :class:`hurtle.occi.hosts.HostGuard` refuses, is a ``400``). Anything
  else is a plain-text ``400`` before any application.
* Listen backlog ``backlog`` (default 128).
* **Held requests** (:mod:`hurtle.occi.conditional`): each request's
  environ carries a ticket of the server's book of held GETs
  (``hurtle.holds``): at most ``max_held`` (default: half the pool) are
  held at once, each at most ``max_wait`` seconds; ``shutdown()`` and
  ``server_close()`` end them at once (their connections are shut down).

Request lines are logged at INFO through :mod:`logging` (logger
``hurtle.occi.server``) without the query string values, so no secret
passed in a query reaches the logs.
"""

import email.utils
import http
import io
import logging
import queue
import select
import socket
import socketserver
import sys
import threading
import time
import urllib.parse
from wsgiref import simple_server
from wsgiref import util

from hurtle.occi import conditional
from hurtle.occi import errors
from hurtle.occi import http_head
from hurtle.occi import request as occi_request

LOG = logging.getLogger(__name__)

#: Defaults of :func:`make_server` (``[wsgi]`` options in hurtle.conf).
DEFAULTS = {
    'header_timeout': 30.0,
    'body_timeout': 30.0,
    'pool_size': 100,
    'backlog': 128,
    'keep_alive': True,
    'retry_after': 1,
    'idle_timeout': 5.0,
    'max_header_size': 65536,
    'max_body': 1024 * 1024,
    'max_wait': 20.0,
    'max_held': None,
}

#: Longest chunk-size line of a chunked body, trailer lines included.
MAX_CHUNK_LINE = 1024

_date = [None, '']      # [second, 'Date: ...\r\n'] of the last response


def _date_line():
    """The ``Date`` header line of a response sent now (RFC 7231 7.1.1.2),
    formatted once per second."""
    now = int(time.time())
    second, line = _date
    if second != now:
        line = 'Date: %s\r\n' % email.utils.formatdate(now, usegmt=True)
        _date[:] = [now, line]
    return line


class _DeadlineSocketIO(io.RawIOBase):
    """Raw reader and writer of a non-blocking socket.

    The socket stays non-blocking for its whole life: a read or write is
    tried at once and the socket is polled only when it would block
    (on a kept-alive connection the next request is often there
    already), and no ``settimeout`` (an ``ioctl`` each) runs per
    request.

    * Reads end at ``deadline`` (``time.monotonic``), so a whole request
      line, header block or body is bounded in time, not each read
      alone; without a deadline each wait lasts at most ``timeout``
      seconds. With ``now_only`` a read takes only bytes already
      received (never waits).
    * Writes wait at most ``timeout`` seconds for each part of the
      data to leave.

    :param sock: the connection's socket (set non-blocking here).
    :param timeout: seconds a read without deadline, or a write, may
        wait for the socket (None: no limit).
    :raises TimeoutError: the deadline or the timeout passed (or, with
        ``now_only``, nothing had arrived).
    """

    def __init__(self, sock, timeout=None):
        super().__init__()
        sock.setblocking(False)
        self._sock = sock
        self._fileno = sock.fileno()
        self.deadline = None
        self.timeout = timeout
        self.now_only = False

    def readable(self):
        return True

    def writable(self):
        return True

    def fileno(self):
        return self._fileno

    def _wait(self, event, seconds):
        """Poll for ``event`` up to ``seconds`` (None: no limit)."""
        if seconds is not None and seconds <= 0:
            raise TimeoutError('socket deadline passed')
        poller = select.poll()
        poller.register(self._fileno, event)
        if not poller.poll(None if seconds is None else seconds * 1000):
            raise TimeoutError('socket timed out')

    def readinto(self, buf):
        while True:
            try:
                return self._sock.recv_into(buf)
            except (BlockingIOError, InterruptedError):
                pass
            if self.now_only:
                raise TimeoutError('nothing received yet')
            if self.deadline is not None:
                self._wait(select.POLLIN, self.deadline - time.monotonic())
            else:
                self._wait(select.POLLIN, self.timeout)

    def write(self, data):
        while True:
            try:
                return self._sock.send(data)
            except (BlockingIOError, InterruptedError):
                pass
            self._wait(select.POLLOUT, self.timeout)


class _BodyReader(object):
    """``wsgi.input`` of a body with a ``Content-Length``: at most
    ``length`` bytes; ``done`` once all were read."""

    def __init__(self, rfile, length):
        self._rfile = rfile
        self._left = length

    @property
    def done(self):
        return self._left == 0

    def read(self, size=-1):
        if size is None or size < 0 or size > self._left:
            size = self._left
        if not size:
            return b''
        data = self._rfile.read(size)
        self._left -= len(data)
        if not data:
            self._left = -1     # the client closed early: never reuse
        return data

    def readline(self, size=-1):
        if size is None or size < 0 or size > self._left:
            size = self._left
        if not size:
            return b''
        data = self._rfile.readline(size)
        self._left -= len(data)
        return data

    def readlines(self, hint=-1):
        return list(iter(self.readline, b''))

    def __iter__(self):
        return iter(self.readline, b'')


class _ContinueFirst(object):
    """The request's input stream for a client that sent ``Expect:
    100-continue``: the interim ``100 Continue`` goes out just before
    the first read of the content (RFC 9110 10.1.1), so that a request
    the application refuses without reading its content (413 for a
    ``Content-Length`` past ``max_body``, 401, 404, ...) gets its final
    status at once and the client never sends the content.

    :param rfile: the connection's buffered input.
    :param send: ``f(bytes)`` writing to the client; raising
        :class:`_ClientGone` when it cannot (then nothing is sent and
        the reads that follow see what the connection gives).
    """

    def __init__(self, rfile, send):
        self._rfile = rfile
        self._send = send

    def _go(self):
        send, self._send = self._send, None
        if send is not None:
            try:
                send(b'HTTP/1.1 100 Continue\r\n\r\n')
            except _ClientGone:
                pass

    def read(self, size=-1):
        self._go()
        return self._rfile.read(size)

    def readline(self, size=-1):
        self._go()
        return self._rfile.readline(size)


class ChunkedError(ValueError):
    """The chunked body is malformed (answered 400 by the application)."""


class _ChunkedReader(_BodyReader):
    """``wsgi.input`` decoding ``Transfer-Encoding: chunked`` (RFC 7230
    4.1); ``done`` once the last chunk and the trailers were read.  Reads
    at most what the caller asks for (a chunk announcing gigabytes is not
    buffered).

    :param max_size: largest body in bytes; the application may lower or
        raise it (``environ['wsgi.input'].max_size``) before reading.
    :raises ChunkedError: malformed chunk size line or framing.
    :raises hurtle.occi.errors.RequestEntityTooLarge: a chunk size line
        declares a body longer than ``max_size`` (raised at that line,
        without waiting for the chunk's bytes).
    """

    def __init__(self, rfile, max_size):
        super().__init__(rfile, 0)
        self.max_size = max_size
        self._declared = 0
        self._finished = False
        self._started = False
        self._chunk_left = 0
        self._buffer = b''

    @property
    def done(self):
        return self._finished and not self._buffer

    def _line(self):
        line = self._rfile.readline(MAX_CHUNK_LINE + 1)
        if len(line) > MAX_CHUNK_LINE or not line.endswith(b'\n'):
            raise ChunkedError('chunk size line too long or truncated')
        return line.rstrip(b'\r\n')

    def _some(self, want):
        """Up to ``want`` decoded bytes (b'' at the end of the body)."""
        if self._chunk_left == 0:
            if self._started and self._line():
                raise ChunkedError('chunk longer than its size')
            self._started = True
            size_text = self._line().split(b';', 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ChunkedError('invalid chunk size %r' % size_text[:20])
            if size < 0:
                raise ChunkedError('invalid chunk size')
            self._declared += size
            if self.max_size is not None and self._declared > self.max_size:
                raise errors.RequestEntityTooLarge(
                    'Request body larger than %d bytes.' % self.max_size)
            if size == 0:
                while self._line():     # trailers, up to the empty line
                    pass
                self._finished = True
                return b''
            self._chunk_left = size
        data = self._rfile.read(min(want, self._chunk_left, 65536))
        if not data:
            raise ChunkedError('body ends inside a chunk')
        self._chunk_left -= len(data)
        return data

    def read(self, size=-1):
        out = [self._buffer]
        have = len(self._buffer)
        while not self._finished and (size is None or size < 0 or
                                      have < size):
            want = 65536 if size is None or size < 0 else size - have
            data = self._some(want)
            out.append(data)
            have += len(data)
        data = b''.join(out)
        if size is None or size < 0:
            self._buffer = b''
            return data
        self._buffer = data[size:]
        return data[:size]

    def readline(self, size=-1):
        data = self.read(size)
        head, sep, tail = data.partition(b'\n')
        self._buffer = tail + self._buffer
        return head + sep


#: Response fields only the server sets (PEP 3333: hop-by-hop fields).
_HOP_BY_HOP = frozenset((
    'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization',
    'te', 'trailers', 'transfer-encoding', 'upgrade'))

#: Statuses whose responses never have content (RFC 9110 6.4.1); a
#: ``Content-Length`` there describes the resource, not the response.
_BODILESS = frozenset(['100', '101', '102', '103', '204', '304'])

_ERROR_BODY = b'A server error occurred.  Please contact the administrator.'


class _ClientGone(Exception):
    """A write to the client failed (it went away, or stopped reading
    for ``header_timeout``), or the response cannot go on: the
    connection closes, nothing more is sent."""


class _Handler(socketserver.BaseRequestHandler):
    """One connection: read a request head (:mod:`hurtle.occi.http_head`),
    call the WSGI application, write its response; again while the
    connection is kept alive.

    This replaces ``http.server``'s request handler and wsgiref's
    ``ServerHandler``, which parsed each head through the ``email``
    package and built a handler, a header object and several writes per
    response (1.5-2.5 times the CPU per request of a bare stdlib
    server); here the head goes straight into the environ and a
    response's head leaves with its first body block in one ``send``.
    PEP 3333 holds: ``start_response`` once (again only with
    ``exc_info``, re-raised once the head is sent), the ``write``
    callable, the result's ``close()``. The head leaves with the first
    non-empty block (or at the end); a one-block list without
    ``Content-Length`` gets one (as wsgiref gave it), an empty body
    ``Content-Length: 0`` (not on 1xx, 204, 304); a body shorter or
    longer than its ``Content-Length`` is logged and closes the
    connection (the excess is not sent); a ``HEAD`` response carries no
    body; an exception before the head is a ``500``, after it the
    connection closes.
    """

    #: A long body leaves in several sends: none waits for the client's
    #: delayed ACK (Nagle's algorithm: 40 ms per response).
    disable_nagle_algorithm = True
    #: ``SERVER_SOFTWARE``, and the ``Server`` field when the application
    #: gives none (the server's own answers: 400, 431, ``OPTIONS *``...):
    #: the software's name without the Python version wsgiref showed.
    server_version = 'hurtle'
    software_version = 'hurtle'

    def setup(self):
        # Non-blocking for the connection's whole life (_DeadlineSocketIO).
        self.connection = self.request
        if self.disable_nagle_algorithm:
            self.connection.setsockopt(socket.IPPROTO_TCP,
                                       socket.TCP_NODELAY, True)
        self.raw_in = _DeadlineSocketIO(self.connection,
                                        self.server.header_timeout)
        self.rfile = io.BufferedReader(self.raw_in, 65536)
        self.command = ''
        self.path = ''
        self._body = None

    def finish(self):
        self.rfile.close()

    def handle(self):
        self.close_connection = True
        if not self._await_request(self.server.header_timeout):
            return
        # The first request's head is due header_timeout after the
        # connection opened, not after its first byte.
        self._serve_one(deadline=self.raw_in.deadline)
        while not self.close_connection and \
                self._await_request(self.server.idle_timeout):
            self._serve_one()

    def _await_request(self, timeout):
        """Wait up to ``timeout`` seconds for the first byte of the next
        request, idle meanwhile (the server may close this connection for
        a new one); False (close quietly) if none starts.

        Bytes already there (read with the last request, or received
        since) start the next request at once, without a poll. Else the
        wait polls the socket without reading it: bytes that arrive
        stay in the socket, where the server sees them
        (``_reclaim``), until this connection is no longer idle.
        """
        deadline = time.monotonic() + timeout
        # Bytes of the next request buffered or received already?
        self.raw_in.now_only = True
        try:
            if self.rfile.peek(1):
                return True
            return False    # the client closed the connection
        except (TimeoutError, ValueError):
            pass
        except OSError:
            return False
        finally:
            self.raw_in.now_only = False
        self.server.idle_begin(self)
        poller = select.poll()
        poller.register(self.connection, select.POLLIN)
        try:
            ready = bool(poller.poll(max(0.0, deadline - time.monotonic())
                                     * 1000))
        except OSError:
            ready = False
        if not self.server.idle_end(self) or not ready:
            return False
        self.raw_in.deadline = deadline
        try:
            return bool(self.rfile.peek(1))
        except (TimeoutError, OSError, ValueError):
            return False

    def _serve_one(self, deadline=None):
        """Read, answer and log one request; ``close_connection`` is True
        after it unless the connection may serve another."""
        server = self.server
        self.raw_in.deadline = deadline or \
            time.monotonic() + server.header_timeout
        self.command = self.path = ''
        self.close_connection = True
        self._body = None
        limit = server.max_header_size
        environ = server.base_environ.copy()
        try:
            request = http_head.read_head(
                self.rfile.readline, min(limit, 65536), limit, environ)
        except http_head.HeadError as error:
            if error.request is not None:
                self.command, self.path = error.request
            explain = error.explain
            if error.status == 431 and explain.startswith('Request line'):
                LOG.info('%s: request head over %d bytes, answering 431',
                         self.client_address[0], limit)
                explain = ('Request line and headers larger than %d bytes.'
                           % limit)
            self._answer(error.status, explain)
            return
        except TimeoutError:
            self._timeout('headers')
            return
        except (http_head.Truncated, OSError, ValueError):
            return
        if request is None:
            return
        self.command, self.path, modern = request
        keep = self._keep(environ.get('HTTP_CONNECTION'), modern)
        if environ['PATH_INFO'] == http_head.ASTERISK:
            # OPTIONS *: about the server as a whole (RFC 9110 9.3.7);
            # the applications behind it know paths only. A body is not
            # read: the connection closes after it.
            try:
                server.check_host(environ)
            except errors.OCCIError as refusal:
                self._answer(refusal.code, refusal.message, modern=modern)
                return
            bodiless = environ['CONTENT_LENGTH'] in ('', '0') and \
                'HTTP_TRANSFER_ENCODING' not in environ
            self._answer(200, None, keep=keep and bodiless, modern=modern)
            return
        self.raw_in.deadline = time.monotonic() + server.body_timeout
        rfile = self.rfile
        if modern and 'HTTP_EXPECT' in environ and \
                environ['HTTP_EXPECT'].lower() == '100-continue':
            rfile = _ContinueFirst(rfile, self._send)
        if 'HTTP_TRANSFER_ENCODING' in environ:
            del environ['CONTENT_LENGTH']
            environ['wsgi.input_terminated'] = True
            body = _ChunkedReader(rfile, server.max_body)
        else:
            body = _BodyReader(rfile, int(environ['CONTENT_LENGTH'] or 0))
        self._body = environ['wsgi.input'] = body
        environ['REMOTE_ADDR'] = self.client_address[0]
        environ[conditional.ENVIRON_KEY] = server.holds.ticket(
            self.connection)
        self._run(server.get_app(), environ, keep, modern)

    def _keep(self, connection, modern):
        """Whether the connection may serve another request after this
        one, as the client asks (``Connection`` field value or None;
        HTTP/1.1 or 1.0) and the server allows (``keep_alive``)."""
        if not self.server.keep_alive:
            return False
        if connection is None:
            return modern
        tokens = [token.strip() for token in connection.lower().split(',')]
        if 'close' in tokens:
            return False
        return modern or 'keep-alive' in tokens

    # The response (PEP 3333)

    def _run(self, app, environ, keep, modern):
        """Call ``app`` and send its response; sets ``close_connection``
        and logs the request."""
        self._status = None
        self._fields = None
        self._sent = False          # the head has left
        self._length = None         # Content-Length (int) once sent
        self._written = 0           # body bytes given by the application
        self._keep_alive = keep
        self._modern = modern
        self._head_only = environ['REQUEST_METHOD'] == 'HEAD'
        self._sized = False         # a one-block list: Content-Length
        result = None
        try:
            try:
                result = app(environ, self._start_response)
                self._sized = type(result) is list and len(result) == 1
                for data in result:
                    if data:
                        self._write(data)
                if not self._sent:
                    self._write(b'')
            finally:
                close = getattr(result, 'close', None)
                if close is not None:
                    close()
        except _ClientGone:
            self.close_connection = True
            return
        except Exception:
            self.close_connection = True
            if self._sent:
                LOG.exception('%s %s: the application failed after the '
                              'response head, closing the connection',
                              self.command, self._log_path())
                return
            LOG.exception('%s %s: the application failed', self.command,
                          self._log_path())
            self._answer(500, None, body=_ERROR_BODY)
            return
        if self._length is not None and self._written < self._length \
                and not self._head_only and \
                self._status[:3] not in _BODILESS:
            LOG.error('%s %s: the application sent %d of its %d body '
                      'bytes, closing the connection', self.command,
                      self._log_path(), self._written, self._length)
            self._keep_alive = False
        self.close_connection = not (self._keep_alive and self._body.done)
        self.log_request(self._status[:3], self._written)

    def _start_response(self, status, headers, exc_info=None):
        """PEP 3333 ``start_response``: returns ``write``.

        :raises AssertionError: called again without ``exc_info``, or a
            status that is not ``'NNN reason'``.
        """
        if exc_info:
            try:
                if self._sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self._status is not None:
            raise AssertionError('start_response called twice without '
                                 'exc_info')
        if type(status) is not str or len(status) < 4 or \
                not status[:3].isdigit() or status[3] != ' ' or \
                '\n' in status or '\r' in status:
            raise AssertionError('Invalid status %r' % (status,))
        self._status = status
        self._fields = headers
        return self._write

    def _write(self, data):
        """PEP 3333 ``write``: send body bytes (with the head first);
        b'' sends the head alone."""
        if type(data) is not bytes:
            if not isinstance(data, (bytearray, memoryview)):
                raise TypeError('Response body blocks are bytes, not %s'
                                % type(data).__name__)
            data = bytes(data)
        if not self._sent:
            if self._status is None:
                raise AssertionError('write() before start_response()')
            head = self._head(data)
            self._sent = True
            if self._head_only:
                self._written += len(data)
                self._send(head)
            elif len(data) < 65536:
                self._count(data)
                self._send(head + data)
            else:
                self._count(data)
                self._send(head)
                self._send(data)
            return
        if not data:
            return
        self._count(data)
        if not self._head_only:
            self._send(data)

    def _count(self, data):
        """Count ``data`` as sent; never past the Content-Length."""
        self._written += len(data)
        if self._length is not None and self._written > self._length \
                and not self._head_only:
            self._keep_alive = False
            LOG.error('%s %s: the application sent more than its '
                      'Content-Length of %d, closing the connection',
                      self.command, self._log_path(), self._length)
            raise _ClientGone()

    def _head(self, data):
        """The response head (bytes) of the status and fields given,
        ``data`` the first body block (b'': none, the body is empty)."""
        self.raw_in.deadline = None
        status = self._status
        fields = []
        date = server = False
        for name, value in self._fields:
            field = name + ': ' + value
            if '\n' in field or '\r' in field:
                raise AssertionError('Line break in response field %r'
                                     % (name,))
            fields.append(field)
            low = name.lower()
            if low == 'content-length':
                if not (value.isdigit() and value.isascii()):
                    raise AssertionError('Invalid Content-Length %r'
                                         % (value,))
                self._length = int(value)
            elif low == 'date':
                date = True
            elif low == 'server':
                server = True
            elif low in _HOP_BY_HOP:
                raise AssertionError('Hop-by-hop field %s in a response'
                                     % (name,))
        if self._length is None:
            if status[:3] in _BODILESS:
                pass
            elif not data or self._sized:
                self._length = len(data)
                fields.append('Content-Length: %d' % self._length)
            else:
                self._keep_alive = False
        if not self._body.done:
            self._keep_alive = False    # the rest of the body is unread
        if not self._keep_alive:
            fields.append('Connection: close')
        elif not self._modern:
            fields.append('Connection: keep-alive')
        fields.append('\r\n')
        return ''.join((
            'HTTP/1.1 ', status, '\r\n',
            '' if date else _date_line(),
            '' if server else 'Server: %s\r\n' % self.software_version,
            '\r\n'.join(fields))).encode('latin-1')

    def _send(self, data):
        """Send all of ``data``; :class:`_ClientGone` if it cannot."""
        try:
            sent = self.raw_in.write(data)
            if sent < len(data):
                view = memoryview(data)
                while sent < len(data):
                    sent += self.raw_in.write(view[sent:])
        except OSError as error:
            self.close_connection = True
            self._keep_alive = False
            LOG.debug('%s went away: %s', self.client_address[0],
                      error.__class__.__name__)
            raise _ClientGone()

    def _answer(self, code, explain, keep=False, modern=True, body=None):
        """The server's own plain-text answer ``code``, ``explain`` (one
        line) in its body; the connection closes unless ``keep``.

        The body is the bare reason, as the applications' error messages
        are: the status is the status line's alone (a client that shows
        "<status>: <message>" would otherwise repeat it, "400 400 Bad
        Request: ...")."""
        status = http.HTTPStatus(code)
        if body is None and code != 200:
            body = ('%s\n' % (explain or status.description)
                    ).encode('utf-8', 'replace')
        body = body or b''
        fields = ['HTTP/1.1 %d %s\r\n' % (code, status.phrase),
                  _date_line(),
                  'Server: %s\r\n' % self.software_version]
        if body:
            fields.append('Content-Type: text/plain; charset=utf-8\r\n')
        fields.append('Content-Length: %d\r\n' % len(body))
        if not keep:
            fields.append('Connection: close\r\n')
        elif not modern:
            fields.append('Connection: keep-alive\r\n')
        fields.append('\r\n')
        head = ''.join(fields).encode('latin-1')
        self.close_connection = not keep
        try:
            self._send(head if self.command == 'HEAD' else head + body)
        except _ClientGone:
            pass
        self.log_request(code, len(body))

    def _timeout(self, what):
        LOG.info('%s: no complete request %s within %ss, closing',
                 self.client_address[0], what, self.server.header_timeout)
        self.raw_in.timeout = 1
        body = b'Request timeout.\n'
        try:
            self._send(b'HTTP/1.1 408 Request Timeout\r\n'
                       b'Content-Type: text/plain\r\n'
                       b'Connection: close\r\n'
                       b'Content-Length: %d\r\n\r\n%s' % (len(body), body))
        except _ClientGone:
            pass

    def _log_path(self):
        """The request's path, without its query (which may hold
        secrets), for log lines."""
        return self.path.partition('?')[0][:200]

    def log_request(self, code='-', size='-'):
        if not LOG.isEnabledFor(logging.INFO):
            return      # not even the request line's parsing
        # A request line that did not parse (answered 400/414/505 here)
        # leaves no path and no command.
        path = getattr(self, 'path', None) or ''
        parsed = urllib.parse.urlsplit(path)
        query = urllib.parse.parse_qs(parsed.query, keep_blank_values=True)
        shown = parsed.path
        if query:
            shown += '?' + '&'.join('%s=...' % k if k != 'action' else
                                    'action=%s' % v[-1][:40]
                                    for k, v in query.items())
        LOG.info('%s "%s %s" %s %s', self.client_address[0],
                 getattr(self, 'command', None) or '-', shown, code, size)


class _LogStream(object):
    """``wsgi.errors``: lines to the log at ERROR."""

    def write(self, text):
        if text.strip():
            LOG.error('%s', text.rstrip())

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass


_LOG_STREAM = _LogStream()


class ThreadingWSGIServer(simple_server.WSGIServer):
    """``wsgiref`` server: a bounded pool of daemon threads, one per
    connection (see the module docstring)."""

    allow_reuse_address = True
    daemon_threads = True

    def configure(self, header_timeout, body_timeout, pool_size, backlog,
                  keep_alive, retry_after, idle_timeout, max_header_size,
                  max_body, max_wait=20.0, max_held=None):
        self.max_header_size = int(max_header_size)
        self.max_body = int(max_body)
        self.header_timeout = float(header_timeout)
        self.idle_timeout = float(idle_timeout)
        self.body_timeout = float(body_timeout)
        self.pool_size = int(pool_size)
        self.request_queue_size = int(backlog)
        self.keep_alive = bool(keep_alive)
        self.retry_after = int(retry_after)
        self._slots = threading.BoundedSemaphore(self.pool_size)
        self._refused = queue.Queue(maxsize=max(self.request_queue_size, 1))
        self._refuser = None
        self._idle_lock = threading.Lock()
        self._idle = {}     # handler -> monotonic time it became idle
        self.holds = conditional.Holds(
            max_wait, max(1, self.pool_size // 2) if max_held is None
            else max_held)

    #: ``host_check(environ)`` of :func:`make_server`, or None.
    host_check = None

    def check_host(self, environ):
        """Check the ``Host`` of a request no application sees
        (``OPTIONS *``) as an OCCI application checks it: ``host[:port]``
        (:func:`hurtle.occi.request.valid_host`; HTTP/1.0 may leave it
        out), then :attr:`host_check`.

        :raises hurtle.occi.errors.OCCIError: refused (400).
        """
        host = environ.get('HTTP_HOST')
        if host is not None and not occi_request.valid_host(host):
            raise errors.BadRequest(occi_request.INVALID_HOST)
        if self.host_check is not None:
            self.host_check(environ)

    def setup_environ(self):
        """The environ every request starts from: wsgiref's keys of the
        server (``SERVER_NAME``, ``SERVER_PORT``...) and the ``wsgi.*``
        constants; unlike wsgiref's, not a copy of ``os.environ`` (no
        process variable reaches an application through a request)."""
        super().setup_environ()
        self.base_environ.update({
            'SERVER_SOFTWARE': _Handler.server_version,
            'wsgi.errors': _LOG_STREAM,
            'wsgi.version': (1, 0),
            'wsgi.run_once': False,
            'wsgi.url_scheme': 'http',
            'wsgi.multithread': True,
            'wsgi.multiprocess': False,
            'wsgi.file_wrapper': util.FileWrapper,
        })

    def shutdown(self):
        """Stop serving: held requests end at once, then the accept loop
        (``serve_forever``) returns."""
        self.holds.stop()
        super().shutdown()

    def idle_begin(self, handler):
        """``handler`` waits for the first byte of a request."""
        with self._idle_lock:
            self._idle[handler] = time.monotonic()

    def idle_end(self, handler):
        """``handler`` stopped waiting; False if its connection was taken
        for a new one meanwhile (it must close)."""
        with self._idle_lock:
            return self._idle.pop(handler, None) is not None

    def _reclaim(self):
        """Close the connection idle the longest; True if there was one
        (its worker is released once its thread sees the close). One
        whose request has arrived but not been read yet is not idle."""
        with self._idle_lock:
            for handler in sorted(self._idle, key=self._idle.get):
                if not _has_bytes(handler.connection):
                    del self._idle[handler]
                    break
            else:
                return False
        try:
            handler.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        return True

    def _take_slot(self):
        """A worker slot, closing an idle connection for it if all are
        taken; False if every worker is in a request."""
        if self._slots.acquire(blocking=False):
            return True
        while self._reclaim():
            # The reclaimed worker ends within milliseconds.
            if self._slots.acquire(timeout=0.5):
                return True
        return False

    def process_request(self, request, client_address):
        if not self._take_slot():
            self._refuse(request, client_address)
            return
        try:
            threading.Thread(target=self._work,
                             args=(request, client_address),
                             name='occi-worker', daemon=True).start()
        except RuntimeError:
            self._slots.release()
            self.shutdown_request(request)

    def _work(self, request, client_address):
        try:
            self.finish_request(request, client_address)
        except Exception:
            self.handle_error(request, client_address)
        finally:
            self.shutdown_request(request)
            self._slots.release()

    def handle_error(self, request, client_address):
        """Log what ended a connection: a client that went away (broken
        pipe, reset) is no error of ours (one debug line); anything else
        is logged with its traceback."""
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            LOG.debug('%s went away: %s', client_address[0],
                      error.__class__.__name__)
            return
        LOG.exception('Error serving a connection from %s',
                      client_address[0])

    # saturation: 503 from one helper thread, never from the accept loop
    def _refuse(self, request, client_address):
        LOG.warning('%s: all %d workers busy, answering 503',
                    client_address[0], self.pool_size)
        if self._refuser is None or not self._refuser.is_alive():
            self._refuser = threading.Thread(target=self._refuse_loop,
                                             name='occi-refuser',
                                             daemon=True)
            self._refuser.start()
        try:
            self._refused.put_nowait(request)
        except queue.Full:
            self.shutdown_request(request)

    def _refuse_loop(self):
        body = b'Service busy; retry later.\n'
        answer = (b'HTTP/1.1 503 Service Unavailable\r\n'
                  b'Retry-After: %d\r\n'
                  b'Content-Type: text/plain\r\n'
                  b'Connection: close\r\n'
                  b'Content-Length: %d\r\n\r\n%s'
                  % (self.retry_after, len(body), body))
        while True:
            request = self._refused.get()
            if request is None:
                return
            try:
                request.settimeout(0.2)
                try:
                    request.recv(65536)     # the request, if already sent
                except OSError:
                    pass
                request.sendall(answer)
            except OSError:
                pass
            finally:
                self.shutdown_request(request)

    def server_close(self):
        self.holds.stop()
        super().server_close()
        if getattr(self, '_refuser', None) is not None:
            try:
                self._refused.put_nowait(None)
            except queue.Full:
                pass


def _has_bytes(sock):
    """Whether ``sock`` is readable now: bytes received and not read yet,
    or the client's close (its thread ends on its own then). Never waits
    (a ``recv`` would, for the socket's timeout, whatever its flags)."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    try:
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return False


class _ThreadingWSGIServerV6(ThreadingWSGIServer):
    """:class:`ThreadingWSGIServer` on an IPv6 address."""

    address_family = socket.AF_INET6


def wake_accept_loop(server):
    """Make ``server``'s accept loop (``serve_forever``, waiting up to
    its poll interval in ``poll``) look for a stop request now: its
    listening socket is shut down, which wakes the ``poll`` on Linux
    (until the stop request is seen, accepting fails at once and
    the loop goes round). No connection is accepted after it; none would
    be served (the server closes its socket as it stops). Never raises.

    An SO stopped by the CC (SIGTERM, an instance's delete waiting for
    it) exited 0 to 0.2 s later, half the time 0.1 s: now within
    milliseconds. The signal handler of :mod:`hurtle.cmd.common` and the
    shared runtime's SO host (:mod:`hurtle.so.host`) use it.
    """
    try:
        server.socket.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass


def make_server(app, host='127.0.0.1', port=0, header_timeout=None,
                body_timeout=None, pool_size=None, backlog=None,
                keep_alive=None, retry_after=None, idle_timeout=None,
                max_header_size=None, max_body=None, listen=True,
                max_wait=None, max_held=None, host_check=None):
    """Create (bind, not start) a threaded WSGI server for ``app``.

    :param app: the WSGI application; None to give it later with
        ``server.set_app(app)`` (before ``serve_forever()``).
    :param host: address to bind, IPv4 or IPv6 (with a ``:``).
    :param port: TCP port; 0 picks a free one (see ``server.server_port``).
    :param header_timeout: seconds a client may take to send a request
        line and headers (and to start the next request on a kept-alive
        connection); 408 and close after.
    :param body_timeout: seconds a client may take to send a body once
        its headers arrived; 408 and close after.
    :param pool_size: connections served at once; more get 503.
    :param backlog: listen backlog of the socket.
    :param keep_alive: serve several requests per connection (HTTP/1.1).
    :param idle_timeout: seconds a kept-alive connection may stay idle
        before its next request starts (closed quietly after).
    :param retry_after: ``Retry-After`` seconds of the 503.
    :param max_header_size: bytes of request line and headers together;
        431 past it (414 for a request line alone past it).
    :param max_body: largest chunked request body in bytes, checked at
        each chunk size line (413); the application may change it per
        request (``wsgi.input.max_size``).
    :param max_wait: most seconds a GET is held for a change
        (:mod:`hurtle.occi.conditional`; 0: never held).
    :param max_held: most requests held at once (None: half of
        ``pool_size``); past it a request is answered at once.
    :param host_check: ``check(environ)`` run on ``OPTIONS *`` (which
        no application sees) after the ``Host`` syntax check: raises a
        :class:`hurtle.occi.errors.OCCIError` to refuse, as the
        application's own checks do (e.g. the SM's
        :class:`hurtle.occi.hosts.HostGuard`).
    :param listen: False binds the address without listening yet (a taken
        port fails at once, clients are refused until the caller is
        ready): call ``server.server_activate()`` before
        ``serve_forever()``.
    ``None`` takes the value of :data:`DEFAULTS`.
    :returns: server with ``serve_forever()``, ``shutdown()``,
        ``server_close()`` and ``server_port``.
    :raises OSError: the address cannot be bound (``errno`` says why,
        e.g. ``EADDRINUSE``).
    """
    given = dict(header_timeout=header_timeout, body_timeout=body_timeout,
                 pool_size=pool_size, backlog=backlog,
                 keep_alive=keep_alive, retry_after=retry_after,
                 idle_timeout=idle_timeout, max_header_size=max_header_size,
                 max_body=max_body, max_wait=max_wait, max_held=max_held)
    options = dict(DEFAULTS)
    options.update((k, v) for k, v in given.items() if v is not None)
    server_class = (_ThreadingWSGIServerV6 if ':' in host
                    else ThreadingWSGIServer)
    server = server_class((host, port), _Handler, bind_and_activate=False)
    server.configure(**options)
    server.host_check = host_check
    try:
        server.server_bind()
        if listen:
            server.server_activate()
    except BaseException:
        server.server_close()
        raise
    server.set_app(app)
    return server


def serve_in_thread(app, host='127.0.0.1', port=0, **options):
    """Start serving ``app`` in a daemon thread (for tests and tools).

    :param options: as for :func:`make_server`.
    :returns: ``(server, thread)``; stop with ``server.shutdown()`` then
        ``server.server_close()``.
    """
    server = make_server(app, host, port, **options)
    thread = threading.Thread(target=server.serve_forever,
                              kwargs={'poll_interval': 0.05},
                              name='occi-server-%d' % server.server_port,
                              daemon=True)
    thread.start()
    return server, thread
