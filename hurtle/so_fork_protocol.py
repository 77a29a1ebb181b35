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
"""How the CC's ``local`` runtime talks to its SO fork server
(``python -m hurtle.cmd.so_fork_server``,
:mod:`hurtle.cc.runtime.fork_server`).

The two ends of one ``socketpair`` (``AF_UNIX``, ``SOCK_STREAM``): the
CC keeps one, the fork server inherits the other as file descriptor
``--fd`` (no socket file: no other process can connect). The CC sends
one request and reads its answer before the next. Each message is a
4-byte big-endian length then that many bytes of UTF-8 JSON, one object,
at most :data:`MAX_MESSAGE` bytes:

* ``{"op": "start", "argv": [str], "env": {str: str}, "cwd": str,
  "umask": int, "log": str}``: fork a child that runs ``argv`` (an
  ``hurtle-so`` command line: ``<python> -P -m hurtle.cmd.so ARGS``) with
  exactly ``env``, in ``cwd``, under ``umask``, its output appended to
  ``log``; answer ``{"ok": true, "pid": int, "start": int}`` (``start``:
  field 22 of ``/proc/<pid>/stat``). With ``"ready": true`` the
  request is followed by one byte carrying one file descriptor
  (``SCM_RIGHTS``): the write end of the SO's readiness pipe
  (:mod:`hurtle.so_ready`), which the child gets as descriptor
  ``hurtle.so_ready.FORKED_FD`` (``env`` names it) and the server closes
  after the fork (also when it refuses the request).
* ``{"op": "exit", "pid": int}``: ``{"ok": true, "code": int | null}``,
  the child's exit status as ``subprocess`` gives it (negative: killed by
  that signal), null while it runs or for a pid the server never forked.
* ``{"op": "ping"}``: ``{"ok": true, "pid": int, "room": {"argv": int,
  "env": int}}`` (bytes the server can give a child's command line and
  environment in ``/proc``).

Any refusal is ``{"ok": false, "error": <sentence>}``; a message that
breaks the framing (too long, not JSON, not an object) closes the
connection, which ends the server.
"""
import json
import os
import socket
import struct

#: Largest message either side sends or accepts, in bytes.
MAX_MESSAGE = 256 * 1024
#: Request operations.
OPS = ('start', 'exit', 'ping')
#: The module a forked child runs (the ``-m`` of ``hurtle-so``).
SO_MODULE = 'hurtle.cmd.so'
#: Environment variable holding the room reserved for children's
#: environments (a padding string; its length is the room).
ROOM_ENV = 'HURTLE_FORK_SERVER_ROOM'
#: Command line option holding the room reserved for children's argv.
ROOM_ARG = '--room'

_HEADER = struct.Struct('>I')
#: The byte that carries a descriptor after a ``start`` request.
FD_BYTE = b'F'


class ProtocolError(Exception):
    """A message breaks the framing or the format; ``str()`` says how."""


def encode(message):
    """The bytes of one message (``message``: a JSON-able dict).

    :raises ProtocolError: it is longer than :data:`MAX_MESSAGE`.
    """
    body = json.dumps(message, separators=(',', ':')).encode('utf-8')
    if len(body) > MAX_MESSAGE:
        raise ProtocolError('message of %d bytes, longer than %d'
                            % (len(body), MAX_MESSAGE))
    return _HEADER.pack(len(body)) + body


def _read_exactly(sock, size):
    chunks, left = [], size
    while left:
        chunk = sock.recv(min(left, 65536))
        if not chunk:
            return None if left == size and not chunks else b''.join(
                chunks)
        chunks.append(chunk)
        left -= len(chunk)
    return b''.join(chunks)


def receive(sock):
    """Read one message from ``sock``.

    :returns: the dict, or None when the other end closed the connection
        between two messages.
    :raises ProtocolError: a truncated message, one longer than
        :data:`MAX_MESSAGE`, not UTF-8 JSON or not an object.
    :raises OSError: the socket failed (``socket.timeout`` included).
    """
    header = _read_exactly(sock, _HEADER.size)
    if header is None:
        return None
    if len(header) != _HEADER.size:
        raise ProtocolError('truncated message header')
    (size,) = _HEADER.unpack(header)
    if size > MAX_MESSAGE:
        raise ProtocolError('message of %d bytes, longer than %d'
                            % (size, MAX_MESSAGE))
    body = _read_exactly(sock, size) or b''
    if len(body) != size:
        raise ProtocolError('truncated message (%d of %d bytes)'
                            % (len(body), size))
    try:
        message = json.loads(body.decode('utf-8'))
    except (UnicodeDecodeError, ValueError):
        raise ProtocolError('message is not UTF-8 JSON')
    if not isinstance(message, dict):
        raise ProtocolError('message is not a JSON object')
    return message


def send(sock, message):
    """Send one message (a dict) on ``sock``.

    :raises ProtocolError: too long (nothing is sent).
    :raises OSError: the socket failed.
    """
    sock.sendall(encode(message))


def check_start(request):
    """Check the fields of a ``start`` request.

    :returns: ``(argv, env, cwd, umask, log)``.
    :raises ProtocolError: a field is missing or of the wrong type, or
        ``argv`` is not an ``hurtle-so`` command line (says which).
    """
    argv = request.get('argv')
    env = request.get('env')
    cwd = request.get('cwd')
    umask = request.get('umask')
    log = request.get('log')
    if (not isinstance(argv, list) or len(argv) < 4 or
            not all(isinstance(a, str) and '\0' not in a for a in argv)):
        raise ProtocolError('argv must be a list of at least 4 strings')
    if argv[1:4] != ['-P', '-m', SO_MODULE]:
        raise ProtocolError('argv must run "-P -m %s"' % SO_MODULE)
    if not isinstance(env, dict) or not all(
            isinstance(k, str) and isinstance(v, str) and k and
            '=' not in k and '\0' not in k + v for k, v in env.items()):
        raise ProtocolError('env must map names to strings')
    for name, value in (('cwd', cwd), ('log', log)):
        if not isinstance(value, str) or not value.startswith('/') or (
                '\0' in value):
            raise ProtocolError('%s must be an absolute path' % name)
    if (not isinstance(umask, int) or isinstance(umask, bool) or
            not 0 <= umask <= 0o777):
        raise ProtocolError('umask must be an int from 0 to 0o777')
    return argv, env, cwd, umask, log


def send_fd(sock, fd):
    """Send descriptor ``fd`` on ``sock`` (one :data:`FD_BYTE` carrying
    it), after a ``start`` request with ``"ready": true``.

    :raises OSError: the socket failed.
    """
    socket.send_fds(sock, [FD_BYTE], [fd])


def receive_fd(sock):
    """Receive the descriptor :func:`send_fd` sent (close-on-exec here).

    :returns: the descriptor.
    :raises ProtocolError: no byte, another byte, or not exactly one
        descriptor came with it (any that came are closed).
    :raises OSError: the socket failed.
    """
    data, fds, _flags, _addr = socket.recv_fds(sock, 1, 2,
                                               socket.MSG_CMSG_CLOEXEC)
    if data != FD_BYTE or len(fds) != 1:
        for fd in fds:
            os.close(fd)
        raise ProtocolError('a start with "ready" must be followed by one '
                            'descriptor')
    return fds[0]
