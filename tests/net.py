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
"""Network helpers for tests: loopback ports only."""
import socket
import threading

import requests


def free_port(host='127.0.0.1'):
    """A TCP port free on ``host`` right now (also: one nothing listens on,
    for tests of unreachable services)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def reserve_port(host='127.0.0.1'):
    """A socket bound to a free TCP port of ``host`` with SO_REUSEADDR,
    not listening: the kernel gives that port to no one else (a free
    port from :func:`free_port` may be taken by another test's server
    before the child process binds it), while a server that sets
    SO_REUSEADDR too (gunicorn, http.server, PostgreSQL) can still bind
    and listen on it. Close it once the server listens; the port is
    ``sock.getsockname()[1]``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    return sock


def held_port(case, host='127.0.0.1'):
    """A port of ``host`` held (:func:`reserve_port`) until ``case``'s
    cleanups run (``case``: a test case or fixture): a server the test
    starts on it (SO_REUSEADDR) can listen there, and while none does, a
    connection to it is refused, so it also serves as an address where
    nothing answers."""
    sock = reserve_port(host)
    case.addCleanup(sock.close)
    return sock.getsockname()[1]


class Ports(object):
    """Ports held (:func:`reserve_port`) for servers a test is about to
    start in child processes: :meth:`take` gives a port number and keeps
    its socket; :meth:`release` closes them all once the servers listen
    (also safe to call twice, e.g. from a cleanup)."""

    def __init__(self, host='127.0.0.1'):
        self.host = host
        self._held = []

    def take(self):
        """A port number nobody else is given until :meth:`release`."""
        sock = reserve_port(self.host)
        self._held.append(sock)
        return sock.getsockname()[1]

    def release(self):
        held, self._held = self._held, []
        for sock in held:
            sock.close()


def silent_url(case, host='127.0.0.1'):
    """The URL (``http://host:port/``) of a server that takes connections
    but never answers, as a SIGSTOPped process does (the kernel completes
    the handshakes and buffers the requests); it stops at the end of
    ``case``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    case.addCleanup(sock.close)
    sock.bind((host, 0))
    sock.listen(64)
    return 'http://%s:%d/' % (host, sock.getsockname()[1])


def exchange(port, data, host='127.0.0.1', timeout=10):
    """Send the raw bytes ``data`` on a new connection to ``host:port`` and
    return everything the server sends until it closes the connection
    (bytes; the request must make it close, e.g. ``Connection: close``)."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                return b''.join(chunks)
            chunks.append(chunk)


def serve_in_thread(srv):
    """Run ``srv.serve_forever`` (a ``socketserver`` server) on a daemon
    thread; return the callable that shuts it down and joins the thread
    (for ``addCleanup``)."""
    thread = threading.Thread(target=srv.serve_forever,
                              kwargs={'poll_interval': 0.05}, daemon=True)
    thread.start()

    def stop():
        srv.shutdown()
        thread.join(5)
    return stop


def so_serves(url, secret):
    """True if the SO API at ``url`` (ending in ``/``) answers its health
    path ``-/`` with 200 to ``secret``; False if nothing listens there."""
    try:
        return requests.get(url + '-/', timeout=5, headers={
            'X-Auth-Token': secret}).status_code == 200
    except requests.ConnectionError:
        return False
