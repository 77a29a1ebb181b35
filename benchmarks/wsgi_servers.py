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
"""Requests per second of the SM under uwsgi, gunicorn and ``hurtle-sm``.

Runs the embedded Heat, the CC and the built-in SM
(``tests.functional.hurtle_fixture.HurtleParts``), creates one sample
instance, then serves ``hurtle.wsgi.sm`` on the same configuration under

* ``uwsgi``: 4 processes (``lazy-apps``), HTTP/1.1 keep-alive socket;
* ``gunicorn``: 4 workers, ``gthread`` (2 threads each);
* ``builtin``: the ``hurtle-sm`` already running (Hurtle's own server);

and, on each of the three servers with the same settings, the baseline
``benchmarks/bare_wsgi.py``: a bare WSGI application answering the same
status, content type and body as the SM did.

Load: ``--clients`` (8) Python threads, each with its own
``requests.Session`` (keep-alive), sending ``GET`` for ``--seconds`` per
measurement (``wrk`` is not used: it is not installed here; the Python
client shares the machine with the servers, which bounds the figures).
Paths: one instance (``/sample/<id>``) and the query interface
(``/-/``). The measurements of every (server, path, app) are interleaved
over ``--repeats`` rounds; printed: requests/s min/median/max of each and
the ratio SM / bare on the same server (median of the per-round ratios,
with min and max).

Usage: ``python benchmarks/wsgi_servers.py [--repeats 3] [--seconds 3]``
from the repository root, in the tox environment (gunicorn and uwsgi
from test-requirements.txt).
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import requests  # noqa: E402

from hurtle.occi import client as occi_client  # noqa: E402
from tests.functional import hurtle_fixture  # noqa: E402
from tests.functional import wsgi_fixture  # noqa: E402
from tests import net  # noqa: E402

ROOT = hurtle_fixture.ROOT
KIND = ('sample; scheme="http://schemas.hurtle.it/occi/sm#"; '
        'class="kind"')
HEADERS = {'X-Project-Id': 'demo', 'Accept': 'text/plain'}
WORKERS = 4
THREADS = 2


def load(url, clients, seconds):
    """Requests per second of ``clients`` keep-alive sessions sending
    ``GET url`` for ``seconds``.

    :raises RuntimeError: an answer other than 200.
    """
    counts = [0] * clients
    failures = []
    start = threading.Barrier(clients + 1)

    def client(index):
        session = requests.Session()
        session.get(url, headers=HEADERS, timeout=30)   # connect
        start.wait()
        while time.monotonic() < deadline[0]:
            resp = session.get(url, headers=HEADERS, timeout=30)
            if resp.status_code != 200:
                failures.append(resp.status_code)
                return
            counts[index] += 1
        session.close()
    deadline = [float('inf')]
    threads = [threading.Thread(target=client, args=(i,))
               for i in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.monotonic()
    deadline[0] = began + seconds
    for thread in threads:
        thread.join()
    if failures:
        raise RuntimeError('GET %s answered %s' % (url, failures[:3]))
    return sum(counts) / (time.monotonic() - began)


def record(sm_url, paths, out):
    """Write the SM's answers to ``paths`` as bare_wsgi.py's bodies."""
    bodies = {}
    for path in paths:
        resp = requests.get(sm_url.rstrip('/') + path, headers=HEADERS,
                            timeout=30)
        resp.raise_for_status()
        bodies[path] = ['200 OK', resp.headers['Content-Type'], resp.text]
    with open(out, 'w', encoding='utf-8') as handle:
        json.dump(bodies, handle)


def serve(server, app, hurtle, name):
    """Start ``app`` under ``server`` (uwsgi, gunicorn); its base URL."""
    port = net.free_port()
    command = wsgi_fixture.server_command(server, app, port, WORKERS,
                                          THREADS)
    command += ['--pythonpath', os.path.join(ROOT, 'benchmarks')]
    child = wsgi_fixture.ServedChild(
        name, command, 'http://127.0.0.1:%d/-/' % port, hurtle.state,
        [hurtle.conf_path])
    child.start()
    hurtle.addCleanup(child.stop)
    child.wait_ready(240)
    return 'http://127.0.0.1:%d' % port


def serve_builtin_bare(hurtle):
    port = net.free_port()
    proc = subprocess.Popen(
        [sys.executable, os.path.join(ROOT, 'benchmarks', 'bare_wsgi.py'),
         str(port), '--config-file', hurtle.conf_path],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    hurtle.addCleanup(lambda: (proc.terminate(), proc.wait()))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            requests.get('http://127.0.0.1:%d/-/' % port, timeout=2)
            return 'http://127.0.0.1:%d' % port
        except requests.ConnectionError:
            time.sleep(0.2)
    raise RuntimeError('bare_wsgi.py did not answer')


def spread(values):
    return '%8.1f %8.1f %8.1f' % (min(values), statistics.median(values),
                                  max(values))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--seconds', type=float, default=3.0)
    parser.add_argument('--clients', type=int, default=8)
    args = parser.parse_args()

    hurtle = hurtle_fixture.HurtleParts(
        manifests=(hurtle_fixture.SAMPLE_MANIFEST,))
    hurtle.setUp()
    try:
        client = occi_client.OCCIClient(hurtle.sm_url,
                                        headers={'X-Project-Id': 'demo'})
        location = client.create('/sample/', KIND)
        while client.get(location).attributes[
                'mcn.service.state'] not in ('active', 'failed'):
            time.sleep(0.2)
        instance = '/' + location.split('/', 3)[3]
        paths = {'instance': instance, 'query': '/-/'}
        bodies = os.path.join(hurtle.state, 'bare-bodies.json')
        record(hurtle.sm_url, paths.values(), bodies)
        os.environ['HURTLE_BENCH_BODIES'] = bodies
        targets = {('builtin', 'sm'): hurtle.sm_url.rstrip('/'),
                   ('builtin', 'bare'): serve_builtin_bare(hurtle)}
        for server in ('uwsgi', 'gunicorn'):
            targets[server, 'sm'] = serve(
                server, 'hurtle.wsgi.sm:application', hurtle,
                'bench-sm-' + server)
            targets[server, 'bare'] = serve(
                server, 'bare_wsgi:application', hurtle,
                'bench-bare-' + server)
        print('load: %d Python threads with keep-alive requests.Session, '
              '%.1f s per measurement, %d interleaved rounds; SM servers: '
              'uwsgi %d processes (lazy-apps, %d threads), gunicorn %d '
              'gthread workers (%d threads), builtin hurtle-sm'
              % (args.clients, args.seconds, args.repeats, WORKERS,
                 THREADS, WORKERS, THREADS))
        rates = {}
        for _round in range(args.repeats):
            for (server, app), base in sorted(targets.items()):
                for label, path in paths.items():
                    rates.setdefault((server, label, app), []).append(
                        load(base + path, args.clients, args.seconds))
        print('%-9s %-9s %-5s %8s %8s %8s' % ('server', 'path', 'app',
                                              'min', 'median', 'max'))
        for key in sorted(rates):
            print('%-9s %-9s %-5s %s' % (key + (spread(rates[key]),)))
        print('\nratio SM / bare app on the same server (min median max)')
        for server in ('builtin', 'uwsgi', 'gunicorn'):
            for label in paths:
                ratios = [sm / bare for sm, bare in zip(
                    rates[server, label, 'sm'], rates[server, label, 'bare'])]
                print('%-9s %-9s %s' % (server, label, ' '.join(
                    '%8.3f' % v for v in (min(ratios),
                                          statistics.median(ratios),
                                          max(ratios)))))
        for label in paths:
            builtin = statistics.median(rates['builtin', label, 'sm'])
            for server in ('uwsgi', 'gunicorn'):
                print('%s SM %s / builtin SM: %.2f' % (
                    label, server,
                    statistics.median(rates[server, label, 'sm']) / builtin))
        client.delete(location)
    finally:
        hurtle.cleanUp()


if __name__ == '__main__':
    main()
