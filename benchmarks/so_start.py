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
"""What starting one SO costs the CC's ``local`` runtime.

Starts, through ``hurtle.cc.runtime.local.LocalRuntime.start`` (the call
the CC makes for every instance), ``--runs`` times each, taking turns:

* ``hurtle-so`` serving the sample service's bundle (samples/sample/so)
  with the ``so.conf`` the CC writes, forked by the runtime's SO fork
  server (``[cc] so_fork_server``; started by one SO start before, not
  counted; its seconds are printed) or, with ``--no-fork-server``,
  spawned;
* the baseline: a bundle whose ``bundle.json`` runs this interpreter on a
  minimal SO (``tests.unit.cc.test_command_bundle.SERVER``: stdlib
  ``http.server``, the same port contract), so process
  creation, the interpreter's own start-up and the runtime's readiness
  polling are in both.

For each it prints seconds until the SO answers (min/median/max), the
CPU seconds the SO process used until then (user + system, from
``/proc/<pid>/stat``) and its resident memory then (``VmRSS``, MiB), then
the ratios hurtle-so / baseline.

Usage: ``python benchmarks/so_start.py [--runs N] [--no-fork-server]``
from the repository
root, with Hurtle and its test requirements installed.
"""
import argparse
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import _harness  # noqa: E402

from hurtle.cc.runtime import local  # noqa: E402
from tests import conf_fixture  # noqa: E402
from tests.unit.cc import test_command_bundle  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE_BUNDLE = os.path.join(ROOT, 'samples', 'sample', 'so')


def cpu_seconds(pid):
    """User + system CPU seconds of process ``pid`` so far."""
    with open('/proc/%d/stat' % pid) as handle:
        fields = handle.read().rsplit(')', 1)[1].split()
    # utime and stime are fields 14 and 15 of proc(5); the split above
    # starts at field 3.
    return (int(fields[11]) + int(fields[12])) / os.sysconf('SC_CLK_TCK')


def one_start(runtime, app_id, bundle):
    started = time.monotonic()
    _url, ref = runtime.start(app_id, bundle,
                              {'HURTLE_SO_SECRET': 'bench-secret',
                               'HURTLE_INSTANCE_ID': app_id})
    wall = time.monotonic() - started
    cpu = cpu_seconds(ref['pid'])
    rss = _harness.rss_mib(ref['pid'])
    runtime.stop(ref)
    return wall, cpu, rss


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=10)
    parser.add_argument('--fork-server', default=True,
                        action=argparse.BooleanOptionalAction,
                        help='fork hurtle-so from the SO fork server ([cc] '
                             'so_fork_server, the default) or spawn it')
    args = parser.parse_args()
    baseline = tempfile.mkdtemp(prefix='so-start-')
    with open(os.path.join(baseline, 'so.py'), 'w') as handle:
        # The tests' stand-in SO in "another language" (the port contract
        # and a JSON answer, nothing else).
        handle.write(test_command_bundle.SERVER)
    with open(os.path.join(baseline, 'bundle.json'), 'w') as handle:
        json.dump({'command': [sys.executable, 'so.py']}, handle)
    fixture = conf_fixture.HurtleConf(
        cc__allowed_images=[SAMPLE_BUNDLE, baseline],
        cc__so_start_timeout=60, cc__so_fork_server=args.fork_server)
    fixture.setUp()
    try:
        runtime = local.LocalRuntime(fixture.conf)
        if args.fork_server:
            wall, _cpu, _rss = one_start(runtime, 'bench-warm',
                                         SAMPLE_BUNDLE)
            print('fork server start + first SO: %.3f s (not counted)'
                  % wall)
        seen = {'hurtle-so': [], 'baseline': []}
        for n in range(args.runs):
            for name, bundle in (('hurtle-so', SAMPLE_BUNDLE),
                                 ('baseline', baseline)):
                seen[name].append(one_start(runtime, 'bench-%d' % n,
                                            bundle))
        runtime.stop_all()
    finally:
        fixture.cleanUp()
    for name, values in seen.items():
        print('%-9s  answering after (s) %s   CPU (s) %s   RSS (MiB) %s' % (
            name, _harness.summary([v[0] for v in values], '%.3f'),
            _harness.summary([v[1] for v in values], '%.2f'),
            _harness.summary([v[2] for v in values], '%.1f')))
    for index, what in ((0, 'answering'), (1, 'CPU'), (2, 'RSS')):
        ratios = [s[index] / max(b[index], 0.01) for s, b in zip(
            seen['hurtle-so'], seen['baseline'])]
        print('ratio hurtle-so / baseline, %-9s %s (median %.1f)' % (
            what, _harness.summary(ratios, '%.1f'),
            statistics.median(ratios)))


if __name__ == '__main__':
    main()
