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
"""How long ``hurtle-all`` takes to stop, beside the embedded Heat alone.

For each of ``--runs`` rounds, taking turns, with a new temporary state
directory and the configuration ``tests/functional/hurtle_fixture.py``
writes (noauth, free ports on 127.0.0.1) plus the ``[sm]`` defaults of
``etc/hurtle/hurtle.conf`` (``poll_interval`` 0.5 s, leases 30 s, SO
watch every 10 s, 8 workers):

* ``hurtle-all``: ``--instances`` instances of the sample service are
  created; once all are ``active`` (``--busy``: once the last one is in
  ``deploy`` or ``provision``, so that lifecycle work is under way), the
  seconds from SIGTERM to hurtle-all's exit (its children and their SOs
  included: it waits for them);
* the baseline, ``hurtle-heat``: the seconds from SIGTERM to the exit of
  the embedded Heat alone, after one stack of the sample template was
  created through its API (so that its engine's RPC workers exist).

Prints each figure, then min/median/max of both and of the ratio
hurtle-all / hurtle-heat.

Usage: ``python benchmarks/all_stop.py [--runs N] [--instances N]
[--busy]`` from the repository root, with Hurtle and its test
requirements installed.
"""
import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import _harness  # noqa: E402

from hurtle.occi import client as occi_client  # noqa: E402
from hurtle import polling  # noqa: E402
from tests.functional import hurtle_fixture  # noqa: E402

SAMPLE = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                                 'sample', 'kind')
TEMPLATE = os.path.join(hurtle_fixture.ROOT, 'samples', 'sample',
                        'templates', 'sample.yaml')
DEFAULTS = """[sm]
poll_interval = 0.5
lease_time = 30
lease_scan_interval = 10
watch_interval = 10
workers = 8
"""
TIMEOUT = 240.0


def all_stop(instances, busy):
    """Seconds from SIGTERM to the exit of a ``hurtle-all`` serving
    ``instances`` sample instances (``busy``: the last one mid-create)."""
    hurtle = hurtle_fixture.HurtleAll(
        manifests=(hurtle_fixture.SAMPLE_MANIFEST,), extra_conf=DEFAULTS)
    hurtle.setUp()
    try:
        sm = hurtle.sm_client('demo')
        locations = [sm.create('/sample/', SAMPLE, {})
                     for _ in range(instances)]

        def ready():
            states = [sm.get(loc).attributes['mcn.service.state']
                      for loc in locations]
            if busy and states[-1] in ('deploy', 'provision'):
                return True
            return all(s in ('active', 'failed') for s in states) or None
        polling.poll_until(ready, TIMEOUT, 0.1, 'instances ready')
        started = time.monotonic()
        hurtle.proc.send_signal(signal.SIGTERM)
        hurtle.proc.wait(TIMEOUT)
        return time.monotonic() - started
    finally:
        hurtle.cleanUp()


def heat_stop():
    """Seconds from SIGTERM to the exit of ``hurtle-heat`` alone, after
    one stack was created through its API."""
    with _harness.lone_child('hurtle-heat', 'hurtle.cmd.heat',
                             lambda s: s.heat_url + '/',
                             extra_conf=DEFAULTS) as (setup, child):
        child.start()
        child.wait_ready(TIMEOUT)
        heat = setup.heat_client('demo')
        with open(TEMPLATE) as handle:
            heat.stacks.create(stack_name='bench', template=handle.read())

        def created():
            return heat.stacks.get('bench').stack_status.endswith(
                'COMPLETE') or None
        polling.poll_until(created, TIMEOUT, 0.1, 'stack created')
        started = time.monotonic()
        child.proc.send_signal(signal.SIGTERM)
        child.proc.wait(TIMEOUT)
        return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=3)
    parser.add_argument('--instances', type=int, default=3)
    parser.add_argument('--busy', action='store_true')
    args = parser.parse_args()
    seen = {'hurtle-all': [], 'hurtle-heat': []}
    for n in range(args.runs):
        for name, measure in (
                ('hurtle-all', lambda: all_stop(args.instances, args.busy)),
                ('hurtle-heat', heat_stop)):
            seconds = measure()
            seen[name].append(seconds)
            print('run %d  %-11s stopped in %.2f s' % (n + 1, name, seconds),
                  flush=True)
    _harness.print_against(seen, 'hurtle-all', 'hurtle-heat',
                           'stopped in')


if __name__ == '__main__':
    main()
