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
"""Stalled clients against the OCCI server: are they cut off, do normal
requests still answer, how many threads do they hold?

Serves a small OCCI application (``hurtle.occi.server`` with the
``[wsgi]`` defaults unless given) on a free loopback port, opens
``--stalled`` connections (half stop inside their headers, half send a
body shorter than their ``Content-Length``), then reports:

* ``normal``: how many of 5 normal requests were answered (and the
  slowest one, seconds);
* ``closed``: how many stalled connections the server closed (408 or EOF)
  within ``--wait`` seconds;
* ``threads``: live threads after that.

Usage: ``python benchmarks/slow_clients.py [--stalled 50] [--timeout 2]
[--wait 6] [--pool N]`` from the repository root.
"""
import argparse
import os
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import requests  # noqa: E402

from hurtle.occi import server  # noqa: E402
from tests.unit.occi import base  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--stalled', type=int, default=50)
    parser.add_argument('--timeout', type=float, default=2.0,
                        help='header and body timeout (seconds)')
    parser.add_argument('--wait', type=float, default=6.0)
    parser.add_argument('--pool', type=int, default=None)
    args = parser.parse_args()
    app, _back = base.make_app(broken=False)
    srv, _thread = server.serve_in_thread(
        app, header_timeout=args.timeout, body_timeout=args.timeout,
        pool_size=args.pool)
    port = srv.server_port
    stalled = []
    for index in range(args.stalled):
        sock = socket.create_connection(('127.0.0.1', port))
        sock.sendall(b'GET /-/ HTTP/1.1\r\nHost: x\r\nAcc' if index % 2 else
                     b'POST /app/ HTTP/1.1\r\nHost: x\r\n'
                     b'Content-Length: 1000\r\n\r\nab')
        stalled.append(sock)
    answered, slowest = 0, 0.0
    for _ in range(5):
        started = time.monotonic()
        try:
            resp = requests.get('http://127.0.0.1:%d/-/' % port, timeout=10,
                                headers={'X-Project-Id': 'p'})
            answered += resp.status_code == 200
        except requests.RequestException:
            pass
        slowest = max(slowest, time.monotonic() - started)
    time.sleep(args.wait)
    closed = 0
    for sock in stalled:
        sock.settimeout(0.5)
        try:
            data = sock.recv(100)
            closed += data == b'' or data.startswith(b'HTTP/1.1 408')
        except OSError:
            pass
        sock.close()
    print('stalled=%d normal=%d/5 (slowest %.2f s) closed=%d/%d within '
          '%.0f s threads=%d' % (args.stalled, answered, slowest, closed,
                                 args.stalled, args.wait,
                                 threading.active_count()))
    srv.shutdown()
    srv.server_close()


if __name__ == '__main__':
    main()
