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
"""A small multi-threaded WSGI server (stdlib ``wsgiref``), hardened
against slow and stalled clients.

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
  ``Content-Length`` ``400`` (RFC 7230 3.3.3: a request smuggling vector).
* **Head size**: the request line and headers together may be at most
  ``max_header_size`` bytes; past it the client gets ``431 Request Header
  Fields Too Large`` at once (the rest is not read) and the connection is
  closed.  A request line alone longer than that (or than 64 KiB) gets
  ``414``.
* An HTTP/1.1 request without ``Host``, or any with several, is answered
  ``400`` (RFC 7230 5.4); HTTP/1.0 requests may leave ``Host`` out.
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
import io
import logging
import queue
import select
import socket
import sys
import threading
import time
import urllib.parse
from wsgiref import simple_server

from hurtle.occi import conditional
from hurtle.occi import errors

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


class ChunkedError(ValueError):
    """The chunked body is malformed (answered 400 by the application)."""


class HeadTooLarge(Exception):
    """The request line and headers exceed ``max_header_size`` (431)."""


class _HeadReader(object):
    """``readline`` of the request head from ``rfile``, at most ``budget``
    bytes in all: never reads more than one byte past the budget.

    :raises HeadTooLarge: the head is longer than the budget.
    """

    def __init__(self, rfile, budget):
        self._rfile = rfile
        self._budget = budget

    def readline(self, size=-1):
        if size is None or size < 0 or size > self._budget + 1:
            size = self._budget + 1
        line = self._rfile.readline(size)
        self._budget -= len(line)
        if self._budget < 0:
            raise HeadTooLarge('request head too large')
        return line


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


class _ServerHandler(simple_server.ServerHandler):
    """wsgiref's handler answering in HTTP/1.1, closing the connection
    when it cannot be reused."""

    def cleanup_headers(self):
        super().cleanup_headers()
        handler = self.request_handler
        handler.raw_in.deadline = None
        if not handler.body_done() or \
                'Content-Length' not in self.headers:
            handler.close_connection = True
        if handler.close_connection:
            self.headers['Connection'] = 'close'
        elif handler.request_version == 'HTTP/1.0':
            self.headers['Connection'] = 'keep-alive'

    def send_preamble(self):
        """The status line, ``Date`` (unless the application gave one;
        formatted once per second) and ``Server``, as wsgiref writes
        them."""
        if not self.client_is_modern():
            return
        head = 'HTTP/%s %s\r\n' % (self.http_version, self.status)
        if 'Date' not in self.headers:
            head += _date_line()
        if self.server_software and 'Server' not in self.headers:
            head += 'Server: %s\r\n' % self.server_software
        self._write(head.encode('iso-8859-1'))

    def close(self):
        try:
            # A response without a body (HEAD, an empty one) is never
            # flushed by wsgiref: its head would wait in the buffer.
            self._flush()
            super().close()
        finally:
            self.request_handler.responded = True


class _Handler(simple_server.WSGIRequestHandler):

    #: wsgiref writes the head and the body apart: with Nagle's
    #: algorithm the body waits for the client's delayed ACK (40 ms per
    #: response on a kept-alive connection).
    disable_nagle_algorithm = True
    #: Buffered writes: wsgiref writes the status line, each header block
    #: and the body apart and flushes once per body chunk, so a response
    #: leaves in one ``send`` instead of five.
    wbufsize = 1 << 16

    #: The answers the server gives itself, before any application runs
    #: (400, 408, 413, 414, 431...): plain text like the application's
    #: own errors (``hurtle.occi.app``), not http.server's HTML page.
    error_content_type = 'text/plain; charset=utf-8'
    #: The status code is in the body too: an HTTP/0.9 request line gets
    #: no status line.
    error_message_format = '%(code)d %(message)s: %(explain)s\n'

    def handle_expect_100(self):
        """Send ``100 Continue`` at once (the writes are buffered; a
        client such as curl would wait a second for it)."""
        answer = super().handle_expect_100()
        self.wfile.flush()
        return answer

    def setup(self):
        # StreamRequestHandler.setup's socket files would be replaced at
        # once: the connection is non-blocking (_DeadlineSocketIO).
        self.connection = self.request
        if self.disable_nagle_algorithm:
            self.connection.setsockopt(socket.IPPROTO_TCP,
                                       socket.TCP_NODELAY, True)
        self.raw_in = _DeadlineSocketIO(self.connection,
                                        self.server.header_timeout)
        self.rfile = io.BufferedReader(self.raw_in, 65536)
        self.wfile = io.BufferedWriter(self.raw_in, self.wbufsize)
        if self.server.keep_alive:
            self.protocol_version = 'HTTP/1.1'

    def finish(self):
        try:
            super().finish()
        finally:
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
        self.responded = False
        self.raw_in.deadline = deadline or \
            time.monotonic() + self.server.header_timeout
        self.requestline = ''
        self.request_version = ''
        self.command = ''
        limit = self.server.max_header_size
        try:
            self.raw_requestline = self.rfile.readline(min(limit, 65536) + 1)
            if len(self.raw_requestline) > min(limit, 65536):
                self.close_connection = True
                self.send_error(414)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            if not self._parse_head(limit - len(self.raw_requestline)):
                self.close_connection = True
                return
            environ = self.get_environ()
            environ[conditional.ENVIRON_KEY] = self.server.holds.ticket(
                self.connection)
        except HeadTooLarge:
            self.close_connection = True
            LOG.info('%s: request head over %d bytes, answering 431',
                     self.client_address[0], limit)
            self.send_error(431, explain='Request line and headers larger '
                                         'than %d bytes.' % limit)
            return
        except TimeoutError:
            self.close_connection = True
            if self.raw_requestline:
                self._timeout('headers')
            return
        except (OSError, ValueError):
            self.close_connection = True
            return
        self.raw_in.deadline = time.monotonic() + self.server.body_timeout
        refusal = self._check_host() or self._frame_body(environ)
        if refusal is not None:
            self.close_connection = True
            self.send_error(*refusal)
            return
        handler = _ServerHandler(self._body, self.wfile, self.get_stderr(),
                                 environ, multithread=True)
        handler.http_version = '1.1'
        handler.request_handler = self
        try:
            handler.run(self.server.get_app())
        except OSError:
            self.close_connection = True
        if not self.responded:
            self.close_connection = True

    def _parse_head(self, budget):
        """``parse_request`` reading the headers with at most ``budget``
        bytes (:class:`HeadTooLarge` past it)."""
        rfile = self.rfile
        self.rfile = _HeadReader(rfile, budget)
        try:
            return self.parse_request()
        finally:
            self.rfile = rfile

    def _check_host(self):
        """``(400, message)`` for an HTTP/1.1 request without ``Host`` or
        any request with several (RFC 7230 5.4), else ``None``."""
        hosts = self.headers.get_all('Host') or []
        if len(hosts) > 1:
            return 400, 'Several Host headers'
        if not hosts and self.request_version not in ('HTTP/0.9',
                                                      'HTTP/1.0'):
            return 400, 'Host header missing (required in HTTP/1.1)'
        return None

    def _frame_body(self, environ):
        """Put the body reader in ``wsgi.input`` (set by wsgiref later)
        or return ``(code, message)`` to refuse the request."""
        coding = self.headers.get('Transfer-Encoding')
        if coding is not None:
            if self.headers.get('Content-Length') is not None:
                return 400, 'Both Transfer-Encoding and Content-Length'
            if coding.strip().lower() != 'chunked':
                return 501, 'Transfer-Encoding %s not supported' % (
                    coding[:40],)
            environ.pop('CONTENT_LENGTH', None)
            environ['wsgi.input_terminated'] = True
            self._body = _ChunkedReader(self.rfile, self.server.max_body)
            return None
        try:
            length = int(environ.get('CONTENT_LENGTH') or 0)
        except ValueError:
            return 400, 'Invalid Content-Length'
        if length < 0:
            return 400, 'Invalid Content-Length'
        self._body = _BodyReader(self.rfile, length)
        return None

    def body_done(self):
        """Whether the request body was read to its end."""
        try:
            return self._body.done
        except AttributeError:
            return False

    def _timeout(self, what):
        LOG.info('%s: no complete request %s within %ss, closing',
                 self.client_address[0], what, self.server.header_timeout)

        try:
            self.raw_in.timeout = 1
            body = b'Request timeout.\n'
            self.wfile.write(b'HTTP/1.1 408 Request Timeout\r\n'
                             b'Content-Type: text/plain\r\n'
                             b'Connection: close\r\n'
                             b'Content-Length: %d\r\n\r\n%s'
                             % (len(body), body))
            self.wfile.flush()
        except OSError:
            pass

    def log_request(self, code='-', size='-'):
        if not LOG.isEnabledFor(logging.INFO):
            return      # not even the request line's parsing
        # A request line that did not parse (sent back as 400/414/505 by
        # http.server) leaves no path and no command.
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

    def log_message(self, fmt, *args):
        LOG.debug('%s %s', self.client_address[0], fmt % args)

    def get_stderr(self):
        # wsgiref writes tracebacks of broken apps here: send them to the
        # log instead of the client or stderr.
        return _LogStream()


class _LogStream(object):
    def write(self, text):
        if text.strip():
            LOG.error('%s', text.rstrip())

    def flush(self):
        pass


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


def make_server(app, host='127.0.0.1', port=0, header_timeout=None,
                body_timeout=None, pool_size=None, backlog=None,
                keep_alive=None, retry_after=None, idle_timeout=None,
                max_header_size=None, max_body=None, listen=True,
                max_wait=None, max_held=None):
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
