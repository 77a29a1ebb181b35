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
"""CPU per request of ``GET /sample/<id>`` (or ``--path``) in-process.

An SM as ``_harness.py`` builds it (SQLite, noauth, ``--rows`` instances
of project ``p1``, behind its api-paste.ini pipeline), called as a WSGI
application without HTTP: ``--repeats`` rounds of ``--requests`` GETs
(``Accept: text/plain``) from one thread; printed: the thread's CPU time
(``time.thread_time``, so other processes on the machine count less than
in wall time) per request in µs, the least of the rounds. ``--profile``
then prints a cProfile (thread CPU clock) of one more round. A
diagnosis, not a row of issue 12.

Usage: ``python benchmarks/in_process.py [--requests 10000] [--repeats 5]
[--rows 100] [--path /-/] [--profile]``
"""
import argparse
import cProfile
import gc
import io
import pstats
import sys
import time

import _harness


def _environ(path, port):
    return {'REQUEST_METHOD': 'GET', 'PATH_INFO': path, 'SCRIPT_NAME': '',
            'QUERY_STRING': '', 'SERVER_NAME': '127.0.0.1',
            'SERVER_PORT': port, 'HTTP_HOST': '127.0.0.1:' + port,
            'HTTP_ACCEPT': 'text/plain', 'SERVER_PROTOCOL': 'HTTP/1.1',
            'wsgi.url_scheme': 'http', 'wsgi.input': io.BytesIO(b''),
            'wsgi.errors': sys.stderr, 'wsgi.multithread': True,
            'wsgi.multiprocess': False, 'wsgi.run_once': False,
            'wsgi.version': (1, 0), 'REMOTE_ADDR': '127.0.0.1'}


def _round(app, path, port, requests):
    """Thread CPU seconds of ``requests`` GETs of ``path``."""
    environs = [_environ(path, port) for _ in range(requests)]
    statuses = []

    def start_response(status, headers, exc_info=None):
        statuses.append(status)
    started = time.thread_time()
    for environ in environs:
        b''.join(app(environ, start_response))
    spent = time.thread_time() - started
    if any(not status.startswith('200') for status in statuses):
        raise RuntimeError('%s: %s' % (path, statuses[0]))
    return spent


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--requests', type=int, default=10000)
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--rows', type=int, default=100)
    parser.add_argument('--path', default=None,
                        help='default: /sample/<the first instance>')
    parser.add_argument('--profile', action='store_true')
    args = parser.parse_args()
    sm, ids = _harness.sm_with_rows(args.rows)
    try:
        app = _harness._paste_pipeline(sm)
        path = args.path or _harness.KIND_PATH + ids[0]
        port = sm.url.rsplit(':', 1)[1].strip('/')
        _round(app, path, port, 10)
        gc.freeze()     # as hurtle.cmd.common.serve does
        best = min(_round(app, path, port, args.requests)
                   for _ in range(args.repeats))
        print('GET %s: %.1f us of CPU per request (least of %d x %d)'
              % (path, best / args.requests * 1e6, args.repeats,
                 args.requests))
        if args.profile:
            profile = cProfile.Profile(time.thread_time)
            profile.runcall(_round, app, path, port, args.requests)
            stats = pstats.Stats(profile)
            stats.sort_stats('cumulative').print_stats(40)
            stats.sort_stats('tottime').print_stats(25)
    finally:
        sm.cleanUp()


if __name__ == '__main__':
    main()
