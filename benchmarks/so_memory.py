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
"""Memory per SO: the CC's ``shared`` runtime against ``local``.

Each repeat (``--repeats``), taking turns, through the runtime drivers
the CC uses (``hurtle.cc.runtime``), with the sample service's bundle
(samples/sample/so) and the ``so.conf`` the CC writes:

* ``local``: one ``hurtle-so`` process started, asked ``GET /-/`` and
  given its entity (``PUT /orchestrator/default``: the SO object is
  made; no deploy, which needs a CC and Heat); its resident memory
  (``VmRSS``) is the baseline;
* ``shared``: a new ``hurtle-so-host`` whose RSS is read empty (it took
  one ``list`` command), then after each of ``--sos`` SOs was started in
  it and asked the same.

It prints the medians (min/median/max over the repeats) of: the local
SO's RSS; the empty host's; the host's with N SOs; the memory each SO
adds, ``(host − empty host) / N``; that of the second half of the SOs
alone (what one more SO costs once the first ones loaded what all
need); the host's RSS per SO, ``host / N``; the ratios of the local
SO's RSS to the last three; and, by the way, the seconds from asking the
runtime to start an SO until it answered (local: the process's start;
shared: the median over the SOs started in the running host).

Usage: ``python benchmarks/so_memory.py [--sos N] [--repeats R]`` from
the repository root, with Hurtle and its test requirements installed.
"""
import argparse
import os
import statistics
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


def local_rss(conf, repeat):
    """``(RSS in MiB, seconds to start and answer)`` of one
    ``hurtle-so``."""
    runtime = local.LocalRuntime(conf)
    started = time.monotonic()
    url, ref = runtime.start('local-%d' % repeat, SAMPLE_BUNDLE,
                             _env('local-%d' % repeat))
    try:
        _ask(url)
        return _harness.rss_mib(ref['pid']), time.monotonic() - started
    finally:
        runtime.stop_all()


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sos', type=int, default=10,
                        help='SOs in the shared host (at least 2)')
    parser.add_argument('--repeats', type=int, default=3)
    args = parser.parse_args()
    count = max(args.sos, 2)
    rows = {name: [] for name in ('local', 'empty', 'full', 'added',
                                  'added_late', 'per_so', 'local_start',
                                  'shared_start')}
    for repeat in range(args.repeats):
        fixture = conf_fixture.HurtleConf(
            cc__allowed_images=[SAMPLE_BUNDLE], cc__so_start_timeout=60)
        fixture.setUp()
        try:
            rss, seconds = local_rss(fixture.conf, repeat)
            rows['local'].append(rss)
            rows['local_start'].append(seconds)
            empty, after, seconds = shared_rss(fixture.conf, repeat, count)
            rows['shared_start'].append(seconds)
        finally:
            fixture.cleanUp()
        half = count // 2
        rows['empty'].append(empty)
        rows['full'].append(after[-1])
        rows['added'].append((after[-1] - empty) / count)
        rows['added_late'].append((after[-1] - after[half - 1]) /
                                  (count - half))
        rows['per_so'].append(after[-1] / count)
    for name, label in (
            ('local', 'local: one hurtle-so'),
            ('empty', 'shared: empty host'),
            ('full', 'shared: host with %d SOs' % count),
            ('added', 'shared: (host - empty) / %d' % count),
            ('added_late', 'shared: SOs %d..%d, each' % (half + 1, count)),
            ('per_so', 'shared: host / %d' % count)):
        print('%-32s RSS (MiB) %s' % (label, _harness.summary(rows[name],
                                                              '%.1f')))
    for name, label in (('local_start', 'local: start'),
                        ('shared_start', 'shared: start in the host')):
        print('%-32s seconds  %s' % (label, _harness.summary(rows[name],
                                                             '%.3f')))
    for name in ('added', 'added_late', 'per_so'):
        ratios = [lo / max(sh, 0.01)
                  for lo, sh in zip(rows['local'], rows[name])]
        print('ratio local SO / %-10s %s (median %.1f)' % (
            name, _harness.summary(ratios, '%.1f'),
            statistics.median(ratios)))


if __name__ == '__main__':
    main()
