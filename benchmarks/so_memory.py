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
"""Memory per SO: the CC's ``local`` runtime, and ``shared`` against it.

Each repeat (``--repeats``), taking turns, through the runtime drivers
the CC uses (``hurtle.cc.runtime``), with the sample service's bundle
(samples/sample/so) and the ``so.conf`` the CC writes:

* ``local``: one ``hurtle-so`` process started (forked by the runtime's
  SO fork server, ``[cc] so_fork_server``, started and used once before;
  ``--no-fork-server``: spawned), asked ``GET /-/`` and
  given its entity (``PUT /orchestrator/default``: the SO object is
  made; no deploy, which needs a CC and Heat); its resident memory
  (RSS), proportional share (PSS) and unique memory (USS, what stopping
  it frees), from ``/proc/<pid>/smaps_rollup``; the baseline is a bare
  interpreter (``python -P -c`` waiting on its input, the runtime's
  Python) alive at the same time;
* ``shared``: a new ``hurtle-so-host`` whose RSS is read empty (it took
  one ``list`` command), then after each of ``--sos`` SOs was started in
  it and asked the same.

It prints the medians (min/median/max over the repeats) of: the local
SO's and the bare interpreter's RSS, PSS and USS and their ratios; the
empty host's RSS; the host's with N SOs; the memory each SO adds,
``(host − empty host) / N``; that of the second half of the SOs alone
(what one more SO costs once the first ones loaded what all need); the
host's RSS per SO, ``host / N``; the ratios of the local SO's RSS to the
last three; and, by the way, the seconds from asking the runtime to
start an SO until it answered (local: the process's start; shared: the
median over the SOs started in the running host).

With the fork server it also prints the fork server's own memory (what
the first SO costs more, shared by all).

Usage: ``python benchmarks/so_memory.py [--runtime all|local|shared]
[--sos N] [--repeats R] [--no-fork-server]`` from the repository root,
with Hurtle and its test requirements installed.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import _harness  # noqa: E402

from hurtle.cc.runtime import local  # noqa: E402
from hurtle.cc.runtime import shared  # noqa: E402
from hurtle.occi import categories  # noqa: E402
from hurtle.occi import client as occi_client  # noqa: E402
from tests import conf_fixture  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_BUNDLE = os.path.join(ROOT, 'samples', 'sample', 'so')
SECRET = 'bench-secret'
SO_KIND = occi_client.CategoryRef.of(categories.ORCHESTRATOR)


def _env(app_id):
    return {'HURTLE_SO_SECRET': SECRET, 'HURTLE_INSTANCE_ID': app_id}


def _ask(url):
    """``GET /-/``, then create the SO's entity (``initialise``; no
    deploy: that needs a CC and Heat)."""
    requests.get(url + '-/', headers={'X-Auth-Token': SECRET},
                 timeout=30).raise_for_status()
    occi_client.OCCIClient(url, headers={'X-Auth-Token': SECRET}).put(
        '/orchestrator/default', SO_KIND, {})


def local_memory(conf, repeat):
    """``(memory, bare, seconds to start and answer, server)`` of one
    ``hurtle-so``: its and a bare interpreter's
    :func:`_harness.memory_mib`, read at the same moment, and the fork
    server's (None without one)."""
    runtime = local.LocalRuntime(conf)
    if runtime.fork_server is not None:
        # The fork server runs (and has forked once) before the SO
        # measured: started once for all SOs of the CC.
        app_id = 'warm-%d' % repeat
        runtime.stop(runtime.start(app_id, SAMPLE_BUNDLE, _env(app_id))[1])
    bare = subprocess.Popen(
        [local.python_executable(), '-P', '-c',
         'import sys; sys.stdout.write("up\\n"); sys.stdout.flush(); '
         'sys.stdin.read()'],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        bare.stdout.readline()
        started = time.monotonic()
        url, ref = runtime.start('local-%d' % repeat, SAMPLE_BUNDLE,
                                 _env('local-%d' % repeat))
        try:
            _ask(url)
            seconds = time.monotonic() - started
            server = runtime.fork_server and runtime.fork_server.pid
            return (_harness.memory_mib(ref['pid']),
                    _harness.memory_mib(bare.pid), seconds,
                    server and _harness.memory_mib(server))
        finally:
            runtime.stop_all()
    finally:
        bare.communicate(b'')


def shared_rss(conf, repeat, count):
    """``(empty, [RSS after SO 1..count], median seconds to start and
    answer)`` (MiB) of a new host."""
    runtime = shared.SharedRuntime(conf)
    try:
        host = runtime._host(SAMPLE_BUNDLE)
        host.call({'op': 'list'})
        empty = _harness.rss_mib(host.pid)
        after, seconds = [], []
        for index in range(count):
            app_id = 'shared-%d-%d' % (repeat, index)
            started = time.monotonic()
            url, ref = runtime.start(app_id, SAMPLE_BUNDLE, _env(app_id))
            _ask(url)
            seconds.append(time.monotonic() - started)
            after.append(_harness.rss_mib(ref['host_pid']))
        return empty, after, statistics.median(seconds)
    finally:
        runtime.stop_all()


def _print_local(rows):
    for name in ('rss', 'pss', 'uss'):
        print('%-32s %s (MiB) %s' % ('local: one hurtle-so', name.upper(),
                                     _harness.summary(rows['so_' + name],
                                                      '%.1f')))
        print('%-32s %s (MiB) %s' % ('bare python -P -c', name.upper(),
                                     _harness.summary(rows['bare_' + name],
                                                      '%.1f')))
        ratios = [so / max(bare, 0.01) for so, bare in
                  zip(rows['so_' + name], rows['bare_' + name])]
        print('ratio hurtle-so / bare %s    %s' % (
            name.upper(), _harness.summary(ratios, '%.2f')))
    for name in ('rss', 'pss', 'uss'):
        if rows['server_' + name]:
            print('%-32s %s (MiB) %s' % (
                'local: the fork server', name.upper(),
                _harness.summary(rows['server_' + name], '%.1f')))
    print('%-32s seconds  %s' % ('local: start', _harness.summary(
        rows['local_start'], '%.3f')))


def _print_shared(rows, count):
    half = count // 2
    for name, label in (
            ('empty', 'shared: empty host'),
            ('full', 'shared: host with %d SOs' % count),
            ('added', 'shared: (host - empty) / %d' % count),
            ('added_late', 'shared: SOs %d..%d, each' % (half + 1, count)),
            ('per_so', 'shared: host / %d' % count)):
        print('%-32s RSS (MiB) %s' % (label, _harness.summary(rows[name],
                                                              '%.1f')))
    print('%-32s seconds  %s' % ('shared: start in the host',
                                 _harness.summary(rows['shared_start'],
                                                  '%.3f')))
    if not rows['so_rss']:
        return
    for name in ('added', 'added_late', 'per_so'):
        ratios = [lo / max(sh, 0.01)
                  for lo, sh in zip(rows['so_rss'], rows[name])]
        print('ratio local SO / %-10s %s (median %.1f)' % (
            name, _harness.summary(ratios, '%.1f'),
            statistics.median(ratios)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runtime', choices=('all', 'local', 'shared'),
                        default='all', help='the runtimes to measure')
    parser.add_argument('--sos', type=int, default=10,
                        help='SOs in the shared host (at least 2)')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--fork-server', default=True,
                        action=argparse.BooleanOptionalAction,
                        help='local: fork the SO from the SO fork server '
                             '([cc] so_fork_server, the default) or spawn '
                             'it')
    args = parser.parse_args()
    count = max(args.sos, 2)
    with_local = args.runtime in ('all', 'local')
    with_shared = args.runtime in ('all', 'shared')
    rows = {name: [] for name in (
        'so_rss', 'so_pss', 'so_uss', 'bare_rss', 'bare_pss', 'bare_uss',
        'empty', 'full', 'added', 'added_late', 'per_so', 'local_start',
        'shared_start', 'server_rss', 'server_pss', 'server_uss')}
    for repeat in range(args.repeats):
        fixture = conf_fixture.HurtleConf(
            cc__allowed_images=[SAMPLE_BUNDLE], cc__so_start_timeout=60,
            cc__so_fork_server=args.fork_server)
        fixture.setUp()
        try:
            if with_local:
                memory, bare, seconds, server = local_memory(fixture.conf,
                                                             repeat)
                for name in ('rss', 'pss', 'uss'):
                    rows['so_' + name].append(memory[name])
                    rows['bare_' + name].append(bare[name])
                    if server:
                        rows['server_' + name].append(server[name])
                rows['local_start'].append(seconds)
            if with_shared:
                empty, after, seconds = shared_rss(fixture.conf, repeat,
                                                   count)
                rows['shared_start'].append(seconds)
        finally:
            fixture.cleanUp()
        if with_shared:
            half = count // 2
            rows['empty'].append(empty)
            rows['full'].append(after[-1])
            rows['added'].append((after[-1] - empty) / count)
            rows['added_late'].append((after[-1] - after[half - 1]) /
                                      (count - half))
            rows['per_so'].append(after[-1] / count)
    if with_local:
        _print_local(rows)
    if with_shared:
        _print_shared(rows, count)


if __name__ == '__main__':
    main()
