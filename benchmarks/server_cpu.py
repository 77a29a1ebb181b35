#!/usr/bin/env python3
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
"""CPU of the serving process per request, for ``GET /sample/<id>`` and
``GET /-/``.

The child process of ``get_instance.py`` (``_harness.py``) serves the
SM (its api-paste.ini pipeline), the SM's exact response from a bare
WSGI app on Hurtle's server (``same``) and from a stdlib
``ThreadingHTTPServer`` (``stdlib``). ``--clients`` keep-alive threads
load each in turn for ``--seconds``; printed: req/s and the child's CPU
seconds (user + system, ``/proc/<pid>/stat``) per request, in µs. The
three share the child process, hence the same load; ``same`` against
``stdlib`` is the cost of Hurtle's server itself, ``sm`` against
``same`` the cost of the SM. A diagnosis, not a row of issue 12.

Usage: ``python benchmarks/server_cpu.py [--clients 8] [--seconds 3]``
"""
import argparse
import os
import time

import _harness
import get_instance

_TICK = os.sysconf('SC_CLK_TCK')


def _cpu(pid):
    """CPU seconds (user + system) of process ``pid`` so far."""
    with open('/proc/%d/stat' % pid) as handle:
        fields = handle.read().rsplit(')', 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / float(_TICK)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clients', type=int, default=8)
    parser.add_argument('--seconds', type=float, default=3)
    args = parser.parse_args()
    servers = _harness.Servers(100, paste=True)
    pid = servers._proc.pid
    try:
        for name, path in (('/sample/<id>', '/sample/' + servers.ids[0]),
                           ('/-/', '/-/')):
            get_instance.mirror(servers, path)
            shown = []
            for which in ('sm', 'same', 'stdlib'):
                cpu, wall = _cpu(pid), time.monotonic()
                rate = get_instance._load(servers.urls[which], path,
                                          args.clients, args.seconds)
                cpu, wall = _cpu(pid) - cpu, time.monotonic() - wall
                shown.append('%s %5.0f req/s %4.0f us' % (
                    which, rate, cpu / (rate * wall) * 1e6))
            print('%-13s %s' % (name, ' | '.join(shown)))
    finally:
        servers.stop()


if __name__ == '__main__':
    main()
