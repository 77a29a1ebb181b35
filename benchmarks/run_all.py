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
"""Every benchmark of this directory, one after the other (``tox -e
bench``).

Each runs as its own process with settings short enough for the whole
set to finish in about ten minutes on two cores (:data:`SUITE`; a
script's own defaults are the fuller measurement). Its output is printed
as it comes, then one line with its wall time; a script that fails or
runs past its time limit is reported and the others still run.

Usage: ``python benchmarks/run_all.py [NAME ...]`` from the repository
root (names as in :data:`SUITE`, without ``.py``; none: all). Exits 1 if
any benchmark failed.
"""
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))

#: ``(script, arguments, time limit in seconds)``, cheapest first.
SUITE = [
    ('occi_render', ['--kinds', '500', '--entities', '5000'], 120),
    ('so_start', ['--runs', '5'], 120),
    ('so_memory', ['--repeats', '2'], 120),
    ('slow_clients', [], 120),
    ('get_instance', ['--seconds', '2', '--repeats', '3'], 120),
    ('listing', ['--rows', '10000', '--repeats', '3'], 240),
    ('parallel_updates', ['--rounds', '5'], 180),
    ('wsgi_servers', ['--seconds', '2', '--repeats', '2'], 240),
    ('lifecycle', ['--runs', '3'], 240),
    ('sm_churn', ['--instances', '10', '--rounds', '2'], 300),
    ('parallel_lifecycle', ['--counts', '1,5,10', '--repeats', '1'], 300),
    ('deployer_drivers', ['--runs', '3'], 240),
    ('so_restart', ['--runs', '2'], 180),
    ('all_start', ['--runs', '2'], 240),
    ('all_stop', ['--runs', '2', '--instances', '2'], 300),
    ('kubernetes_runtime', ['--runs', '2'], 180),
    ('keystone_mode', ['--runs', '2'], 420),
]


def run(name, args, limit):
    """Run one benchmark; returns ``(ok, seconds)``."""
    started = time.monotonic()
    try:
        code = subprocess.run(
            [sys.executable, os.path.join(HERE, name + '.py')] + args,
            timeout=limit).returncode
    except subprocess.TimeoutExpired:
        print('%s: no result within %d s' % (name, limit))
        code = None
    return code == 0, time.monotonic() - started


def main(argv):
    wanted = set(argv)
    unknown = wanted - {name for name, _a, _l in SUITE}
    if unknown:
        sys.exit('unknown benchmarks: %s (known: %s)' % (
            ', '.join(sorted(unknown)),
            ', '.join(name for name, _a, _l in SUITE)))
    results = []
    for name, args, limit in SUITE:
        if wanted and name not in wanted:
            continue
        print('=== %s %s' % (name, ' '.join(args)), flush=True)
        ok, seconds = run(name, args, limit)
        print('=== %s: %s in %.0f s' % (name, 'done' if ok else 'FAILED',
                                        seconds), flush=True)
        results.append((name, ok, seconds))
    print('\n%-20s %8s  result' % ('benchmark', 'seconds'))
    for name, ok, seconds in results:
        print('%-20s %8.0f  %s' % (name, seconds, 'ok' if ok else 'FAILED'))
    print('%-20s %8.0f' % ('total', sum(s for _n, _o, s in results)))
    return 0 if all(ok for _n, ok, _s in results) else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
