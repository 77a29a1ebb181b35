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
"""How the CC's ``shared`` runtime talks to a shared SO host
(``hurtle-so-host``, :mod:`hurtle.so.host`).

The host listens on a Unix socket, ``<state_path>/so/hosts/<key>.sock``
(directory 0700, socket 0600, and the host answers only connections of
its own user: ``SO_PEERCRED``). One command per connection: a JSON
object on one line (at most :data:`MAX_MESSAGE` bytes), answered by one
JSON object on one line:

* ``{"op": "start", "app": <app id>, "env": {<name>: <str>}}`` starts
  the SO of app ``<app id>`` with that ``HURTLE_*`` environment; answer
  ``{"ok": true, "port": <int>}`` once its OCCI server listens.
* ``{"op": "stop", "app": <app id>}`` stops it; ``{"ok": true,
  "stopped": <bool>}`` (false: the host held no such SO).
* ``{"op": "list"}``: ``{"ok": true, "pid": <int>, "sos": {<app id>:
  {"port": <int>, "instance": <instance id>, "serving": <bool>}}}``.

Any refusal is ``{"ok": false, "error": <sentence>}``; the host goes on
serving its SOs.
"""
import hashlib
import json
import os
import re
import socket

#: Largest command or answer, in bytes (a start carries the templates).
MAX_MESSAGE = 1024 * 1024
#: App ids the host accepts (those the CC accepts): they name files.
APP_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,35}$')
#: Environment variable holding the host's key (``/proc`` identity check).
KEY_ENV = 'HURTLE_SO_HOST_KEY'
#: Longest path ``AF_UNIX`` takes (sun_path less its final NUL).
MAX_SOCKET_PATH = 107


class HostError(Exception):
    """The host could not be reached or refused the command; ``str()``
    says why."""


class HostRefused(HostError):
    """The host answered ``ok: false``; ``str()`` is its sentence."""


def key(bundle_dir):
    """The host key of an SO bundle: 16 hex digits of the SHA-256 of its
    real path (one host per bundle)."""
    real = os.path.realpath(bundle_dir)
    return hashlib.sha256(real.encode('utf-8')).hexdigest()[:16]


def hosts_dir(state_path):
    """``<state_path>/so/hosts``: sockets, pid files and logs of hosts."""
    return os.path.join(state_path, 'so', 'hosts')


def socket_path(state_path, host_key):
    """The socket of host ``host_key``.

    :raises HostError: the path is too long for a Unix socket.
    """
    path = os.path.join(hosts_dir(state_path), host_key + '.sock')
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        raise HostError('the shared SO host socket %s is longer than %d '
                        'bytes; use a shorter state_path'
                        % (path, MAX_SOCKET_PATH))
    return path


def encode(message):
    """One protocol line (bytes) of ``message`` (a JSON-able dict)."""
    return json.dumps(message, separators=(',', ':')).encode() + b'\n'


def decode(line):
    """The dict one protocol line holds.

    :raises ValueError: not one JSON object, or longer than
        :data:`MAX_MESSAGE` (says which).
    """
    if len(line) > MAX_MESSAGE:
        raise ValueError('message longer than %d bytes' % MAX_MESSAGE)
    try:
        message = json.loads(line.decode('utf-8'))
    except (UnicodeDecodeError, ValueError):
        raise ValueError('not a JSON object on one line')
    if not isinstance(message, dict):
        raise ValueError('not a JSON object on one line')
    return message


def call(path, message, timeout):
    """Send ``message`` to the host at socket ``path``; return its
    answer.

    :param timeout: seconds for connecting, sending and the answer.
    :returns: the answer dict (``ok`` true).
    :raises HostRefused: the host answered ``ok: false``.
    :raises HostError: no host answers there, or the answer is not one
        of the protocol's.
    """
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout)
            sock.connect(path)
            sock.sendall(encode(message))
            with sock.makefile('rb') as answer:
                line = answer.readline(MAX_MESSAGE + 1)
    except OSError as exc:
        raise HostError('shared SO host at %s: %s'
                        % (path, exc.strerror or exc))
    try:
        reply = decode(line)
    except ValueError as exc:
        raise HostError('shared SO host at %s: bad answer (%s)'
                        % (path, exc))
    if not reply.get('ok'):
        raise HostRefused(str(reply.get('error') or 'refused'))
    return reply
