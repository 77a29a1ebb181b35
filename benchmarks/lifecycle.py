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
"""Time from ``POST /sample/`` to ``active``, beside Heat's own time.

Starts the embedded default (``hurtle-all`` on free loopback ports, a
temporary state directory), then for each of ``--runs`` instances of the
sample service measures, in the same run:

* ``sm``: wall-clock seconds from the SM's 201 to ``mcn.service.state ==
  active`` (SO start, activate, deploy, provision, polling);
* ``heat``: the embedded Heat's own seconds for that instance's stack,
  from its events: stack CREATE_IN_PROGRESS to CREATE_COMPLETE plus
  UPDATE_IN_PROGRESS to UPDATE_COMPLETE (the provision phase);
* ``overhead``: the difference, i.e. what Hurtle adds;
* ``delete``: seconds from DELETE to the SM's 404.

Usage: ``python benchmarks/lifecycle.py [--runs N]`` from the repository
root, with Hurtle installed.
"""
import argparse
import datetime
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from hurtle.occi import client as occi_client  # noqa: E402
from hurtle.occi import errors  # noqa: E402
from tests.functional import hurtle_fixture  # noqa: E402

KIND = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                               'sample', 'kind')


def _ts(value):
    return datetime.datetime.fromisoformat(value.replace('Z', ''))


def heat_seconds(heat, stack_id):
    """Seconds Heat spent creating and updating the stack (from events)."""
    events = heat.events.list(stack_id, nested_depth=0,
                              sort_dir='asc', sort_keys='event_time')
    starts = {}
    total = 0.0
    for event in events:
        if event.physical_resource_id != stack_id:
            continue  # a resource's event, not the stack's own
        status = event.resource_status
        action = status.split('_')[0]
        if status.endswith('_IN_PROGRESS'):
            starts[action] = _ts(event.event_time)
        elif status.endswith('_COMPLETE') and action in starts:
            total += (_ts(event.event_time) -
                      starts.pop(action)).total_seconds()
    return total


def one_run(client, heat):
    started = time.monotonic()
    location = client.create('/sample/', KIND)
    while True:
        entity = client.get(location)
        state = entity.attributes['mcn.service.state']
        if state in ('active', 'failed'):
            break
        time.sleep(0.05)
    sm_seconds = time.monotonic() - started
    if state != 'active':
        raise RuntimeError('instance failed: %s' % entity.attributes.get(
            'mcn.service.state.reason'))
    stack_id = entity.attributes['occi.mcn.stack.id']
    heat_total = heat_seconds(heat, stack_id)
    return sm_seconds, heat_total, delete_seconds(client, location)


def delete_seconds(client, location):
    """Seconds from DELETE of ``location`` to the SM's 404."""
    started = time.monotonic()
    client.delete(location)
    while True:
        try:
            client.get(location)
        except errors.NotFound:
            break
        time.sleep(0.05)
    return time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=5)
    args = parser.parse_args()
    started = time.monotonic()
    hurtle = hurtle_fixture.HurtleAll()
    hurtle.setUp()
    try:
        print('hurtle-all ready in %.1f s' % (time.monotonic() - started))
        client = occi_client.OCCIClient(hurtle.sm_url,
                                        headers={'X-Project-Id': 'bench'})
        heat = hurtle.heat_client('admin')
        rows = []
        print('%4s %8s %8s %9s %8s' % ('run', 'sm_s', 'heat_s',
                                       'overhead', 'delete_s'))
        for run in range(1, args.runs + 1):
            sm_s, heat_s, delete_s = one_run(client, heat)
            rows.append((sm_s, heat_s, delete_s))
            print('%4d %8.2f %8.2f %9.2f %8.2f'
                  % (run, sm_s, heat_s, sm_s - heat_s, delete_s))
        for name, index in (('sm', 0), ('heat', 1), ('delete', 2)):
            values = [row[index] for row in rows]
            print('%-6s median %.2f s  min %.2f s  max %.2f s'
                  % (name, statistics.median(values), min(values),
                     max(values)))
    finally:
        hurtle.cleanUp()


if __name__ == '__main__':
    main()
