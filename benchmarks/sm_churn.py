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
"""Does the SM give its memory back after instances come and go?

Starts the embedded default (``hurtle-all`` on free loopback ports, a
temporary state directory, the sample manifest, ``--workers`` lifecycle
threads), reads the resident memory (``VmRSS``), thread count and open
file descriptors of its ``hurtle-sm`` child (and, secondarily, of
``hurtle-cc``) once idle, then ``--rounds`` times:

* creates ``--instances`` instances of the sample service at once
  (``POST /sample/``, noauth: ``X-Project-Id``) and waits until every
  one is ``active`` (``mcn.service.state``);
* deletes them all and waits until each answers 404;
* lets the processes settle ``--settle`` seconds and reads them again.

The baseline is the same process idle before the first round, in the
same run: it prints each reading and the ratio after/idle per round, so
growth in every round (a leak) can be told from a one-off (caches,
pools warmed once). ``--arena-max N`` runs hurtle-all (so every child)
with ``MALLOC_ARENA_MAX=N`` to show what glibc's per-thread malloc
arenas account for.

Usage: ``python benchmarks/sm_churn.py [--instances N] [--rounds N]``
from the repository root, with Hurtle installed.
"""
import argparse
import os
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import _harness  # noqa: E402

from hurtle.occi import client as occi_client  # noqa: E402
from hurtle.occi import errors  # noqa: E402
from tests.functional import hurtle_fixture  # noqa: E402

KIND = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                               'sample', 'kind')
#: Seconds one round's creates (or deletes) may take altogether.
ROUND_TIMEOUT = 600


def child_pid(parent, module):
    """Pid of the child of ``parent`` running ``python -m module``."""
    wanted = module.encode()
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as handle:
                ppid = int(handle.read().rsplit(')', 1)[1].split()[1])
            with open('/proc/%s/cmdline' % name, 'rb') as handle:
                args = handle.read().split(b'\0')
        except (OSError, ValueError):
            continue
        if ppid == parent and wanted in args:
            return int(name)
    raise RuntimeError('no %s child of pid %d' % (module, parent))


def reading(pid):
    """``(RSS MiB, threads, open fds)`` of process ``pid``."""
    return (_harness.rss_mib(pid), len(os.listdir('/proc/%d/task' % pid)),
            len(os.listdir('/proc/%d/fd' % pid)))


def wait_all(client, locations, done, what):
    """Poll each of ``locations`` until ``done(location)`` is true."""
    pending = list(locations)
    deadline = time.monotonic() + ROUND_TIMEOUT
    while pending:
        if time.monotonic() > deadline:
            raise RuntimeError('%d instances never %s' % (len(pending),
                                                          what))
        pending = [loc for loc in pending if not done(loc)]
        if pending:
            time.sleep(0.2)


def churn(client, count):
    """Create ``count`` instances, wait for all ``active``, delete all,
    wait for all 404; returns ``(create s, delete s)``."""
    def active(location):
        entity = client.get(location)
        state = entity.attributes['mcn.service.state']
        if state == 'failed':
            raise RuntimeError('instance failed: %s' % entity.attributes.get(
                'mcn.service.state.reason'))
        return state == 'active'

    def gone(location):
        try:
            client.get(location)
        except errors.NotFound:
            return True
        return False

    started = time.monotonic()
    locations = [client.create('/sample/', KIND) for _ in range(count)]
    wait_all(client, locations, active, 'active')
    created = time.monotonic()
    for location in locations:
        client.delete(location)
    wait_all(client, locations, gone, 'gone')
    return created - started, time.monotonic() - created


class PeakSampler(object):
    """Highest ``VmRSS`` (MiB) of each pid, sampled every 0.1 s in a
    thread until :meth:`stop`; ``.peaks`` is ``{pid: MiB}``."""

    def __init__(self, pids):
        self.peaks = {pid: 0.0 for pid in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self):
        while not self._stop.wait(0.1):
            for pid in self.peaks:
                try:
                    rss = _harness.rss_mib(pid)
                except OSError:  # it died: the round fails and says so
                    continue
                self.peaks[pid] = max(self.peaks[pid], rss)

    def stop(self):
        self._stop.set()
        self._thread.join()
        return self.peaks


def show(label, pid, idle=None, peak=None):
    rss, threads, fds = reading(pid)
    extra = ''
    if peak is not None:
        extra += '  peak %7.1f MiB' % peak
    if idle is not None:
        extra += '  after/idle %.2f' % (rss / idle[0])
    print('  %-10s RSS %7.1f MiB  threads %4d  fds %4d%s'
          % (label, rss, threads, fds, extra), flush=True)
    return rss, threads, fds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--instances', type=int, default=20)
    parser.add_argument('--rounds', type=int, default=2)
    parser.add_argument('--settle', type=float, default=5.0,
                        help='seconds to wait after the deletes')
    parser.add_argument('--workers', type=int, default=8,
                        help='[sm] workers (the default of hurtle.conf)')
    parser.add_argument('--arena-max', type=int,
                        help='run hurtle-all with MALLOC_ARENA_MAX=N')
    args = parser.parse_args()
    if args.arena_max:
        os.environ['MALLOC_ARENA_MAX'] = str(args.arena_max)
    hurtle = hurtle_fixture.HurtleAll(
        manifests=(hurtle_fixture.SAMPLE_MANIFEST,),
        extra_conf='[sm]\nworkers = %d\n' % args.workers)
    hurtle.setUp()
    try:
        pids = {name: child_pid(hurtle.proc.pid, 'hurtle.cmd.' + name)
                for name in ('sm', 'cc')}
        client = occi_client.OCCIClient(hurtle.sm_url,
                                        headers={'X-Project-Id': 'bench'})
        # One request first: the SM's idle size is that of a server that
        # has answered, not of one that never did.
        client.get('/sample/')
        time.sleep(args.settle)
        print('%d instances per round, %d workers, MALLOC_ARENA_MAX=%s'
              % (args.instances, args.workers,
                 os.environ.get('MALLOC_ARENA_MAX', '(unset)')))
        print('idle')
        idle = {name: show(name, pid) for name, pid in pids.items()}
        ratios = []
        for number in range(1, args.rounds + 1):
            sampler = PeakSampler(pids.values())
            create_s, delete_s = churn(client, args.instances)
            time.sleep(args.settle)
            peaks = sampler.stop()
            print('round %d (all active in %.1f s, all gone in %.1f s)'
                  % (number, create_s, delete_s))
            after = {name: show(name, pid, idle[name], peaks[pid])
                     for name, pid in pids.items()}
            ratios.append(after['sm'][0] / idle['sm'][0])
        print('SM RSS after/idle per round: %s (target <= 1.20)'
              % ' '.join('%.2f' % r for r in ratios))
    finally:
        hurtle.cleanUp()


if __name__ == '__main__':
    main()
