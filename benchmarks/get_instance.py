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
"""Requests per second of ``GET /sample/<id>`` and ``GET /-/``.

An SM (SQLite, noauth, ``--rows`` instances written through its store;
behind its api-paste.ini pipeline, or ``--pipeline noauth``: the noauth
middleware alone)
and a bare WSGI app returning the SM's exact response (status, headers,
body) on a stdlib ``ThreadingHTTPServer`` speaking HTTP/1.1 keep-alive
run in a child process. ``--clients`` threads (default 8), each with one
keep-alive connection, send GETs for ``--seconds`` (default 3) to one,
then the other, ``--repeats`` times interleaved. Prints req/s
min/median/max of each and the ratio SM/bare of each pair (1.0: as fast
as a bare server; higher is better).

Usage: ``python benchmarks/get_instance.py [--clients 8] [--seconds 3]
[--repeats 3] [--rows 100] [--pipeline paste|noauth]``
"""
import argparse
import http.client
import threading
import time
import urllib.parse

import _harness


def _load(url, path, clients, seconds):
    """Requests per second from ``clients`` keep-alive threads."""
    parts = urllib.parse.urlsplit(url)
    counts = [0] * clients
    errors = []
    stop = time.perf_counter() + seconds

    def worker(index):
        conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                          timeout=30)
        try:
            while time.perf_counter() < stop:
                conn.request('GET', path, headers={'Accept': 'text/plain'})
                resp = conn.getresponse()
                resp.read()
                if resp.status != 200:
                    errors.append(resp.status)
                    return
                counts[index] += 1
        except (OSError, http.client.HTTPException) as exc:
            errors.append(repr(exc))
        finally:
            conn.close()
    start = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i,))
               for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError('%s: %s' % (path, errors[:3]))
    return sum(counts) / (time.perf_counter() - start)


def mirror(servers, path):
    """Make the bare servers answer ``path`` with the SM's own answer to
    it (status, headers, body; ``Accept: text/plain``)."""
    conn = http.client.HTTPConnection(
        urllib.parse.urlsplit(servers.urls['sm']).netloc)
    conn.request('GET', path, headers={'Accept': 'text/plain'})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    servers.can(path, resp.status, resp.getheaders(), body)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--clients', type=int, default=8)
    parser.add_argument('--seconds', type=float, default=3)
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--rows', type=int, default=100)
    parser.add_argument('--pipeline', choices=('paste', 'noauth'),
                        default='paste',
                        help='paste: the SM behind its api-paste.ini '
                        'pipeline, as hurtle-sm serves it (default); '
                        'noauth: behind the noauth middleware alone')
    args = parser.parse_args()
    servers = _harness.Servers(args.rows, paste=args.pipeline == 'paste')
    row = '%-22s %24s %24s %18s'
    print(row % ('GET', 'sm req/s min/med/max', 'bare req/s min/med/max',
                 'ratio min/med/max'))
    try:
        for name, path in (('/sample/<id>', '/sample/' + servers.ids[0]),
                           ('/-/', '/-/')):
            mirror(servers, path)
            sm_rates, bare_rates = [], []
            for _ in range(args.repeats):
                sm_rates.append(_load(servers.urls['sm'], path,
                                      args.clients, args.seconds))
                bare_rates.append(_load(servers.urls['stdlib'], path,
                                        args.clients, args.seconds))
            ratios = [s / b for s, b in zip(sm_rates, bare_rates)]
            print(row % (name, _harness.summary(sm_rates, '%.0f'),
                         _harness.summary(bare_rates, '%.0f'),
                         _harness.summary(ratios, '%.2f')))
    finally:
        servers.stop()


if __name__ == '__main__':
    main()
