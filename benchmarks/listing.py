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
"""``GET /sample/`` at N instances, beside a bare server with the same body.

An SM (SQLite, noauth) holds ``--rows`` instances (default 10,000)
written through its store. For each case (the whole collection as
``text/uri-list``, ``text/plain``, ``text/occi``, ``application/occi+json``,
and one page of ``--page`` as JSON), the SM's response is fetched once and
a bare WSGI app on the same server class (``hurtle.occi.server``) is made
to answer the same status, headers and body; then ``--repeats``
interleaved pairs of requests (one keep-alive client) time both. Prints
seconds min/median/max for each and the ratio SM/bare of each pair.

Usage: ``python benchmarks/listing.py [--rows 10000] [--repeats 7]
[--page 100] [--page-query 'limit=%d']``
"""
import argparse
import time

import _harness
import requests

CASES = [('uri-list', 'text/uri-list', ''),
         ('text/plain', 'text/plain', ''),
         ('text/occi', 'text/occi', ''),
         ('json', 'application/occi+json', ''),
         ('json page', 'application/occi+json', 'PAGE')]


def _timed(session, url, accept):
    start = time.perf_counter()
    resp = session.get(url, headers={'Accept': accept})
    took = time.perf_counter() - start
    assert resp.status_code == 200, (resp.status_code, resp.text[:200])
    return took, resp


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rows', type=int, default=10000)
    parser.add_argument('--repeats', type=int, default=7)
    parser.add_argument('--page', type=int, default=100)
    parser.add_argument('--page-query', default='limit=%d',
                        help="query of one page ('%%d': its size)")
    args = parser.parse_args()
    start = time.perf_counter()
    servers = _harness.Servers(args.rows)
    print('%d rows written in %.1f s' % (args.rows,
                                         time.perf_counter() - start))
    session = requests.Session()
    row = '%-11s %9s %22s %22s %22s'
    print(row % ('case', 'bytes', 'sm s min/med/max',
                 'bare s min/med/max', 'ratio min/med/max'))
    try:
        for name, accept, query in CASES:
            if query == 'PAGE':
                query = '?' + args.page_query.replace('%d', str(args.page))
            path = _harness.KIND_PATH + query
            _took, resp = _timed(session, servers.urls['sm'] + path, accept)
            # Repeated header lines (text/occi) stay apart.
            servers.can('*', 200, list(resp.raw.headers.iteritems()),
                        resp.content)
            sm_times, bare_times = [], []
            for _ in range(args.repeats):
                sm_times.append(_timed(session, servers.urls['sm'] + path,
                                       accept)[0])
                bare_times.append(_timed(
                    session, servers.urls['same'] + path, accept)[0])
            ratios = [s / b for s, b in zip(sm_times, bare_times)]
            print(row % (name, len(resp.content),
                         _harness.summary(sm_times),
                         _harness.summary(bare_times),
                         _harness.summary(ratios, '%.1f')))
    finally:
        servers.stop()


if __name__ == '__main__':
    main()
