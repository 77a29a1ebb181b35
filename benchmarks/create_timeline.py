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
"""Where the time of one create goes: Hurtle's steps beside Heat's own.

``lifecycle.py`` gives the ratio of a create to Heat's own create and
update; this script splits a create into its steps so the part that is
Hurtle's (starting the SO, the calls that pass a phase on, noticing that
Heat finished) is seen apart from Heat's work. Starts the embedded
default as ``lifecycle.py`` does (same options), then ``--runs`` times
creates one instance of the sample service and deletes it, watching the
SM every ``--step`` seconds. Heat's side is read afterwards from the
embedded Heat's own database (its ``event`` table, written by the engine
with microseconds; the API rounds event times to the second), so
watching Heat adds no load to it.

Per run, seconds from the ``POST``:

* ``so``: until the SM shows the ``deploy`` phase (SO started, activated);
* ``accept``: from there until Heat's stack event CREATE IN_PROGRESS (the
  deploy call through the SO and the CC, Heat accepting the stack);
* ``heat_c``: Heat's create (CREATE IN_PROGRESS to COMPLETE);
* ``notice``: from Heat's CREATE COMPLETE until the SM shows the
  ``provision`` phase (it noticed that the deploy is done);
* ``call``: from there until Heat's UPDATE IN_PROGRESS (the provision
  call through the SO and the CC, Heat accepting the update);
* ``heat_u``: Heat's update (UPDATE IN_PROGRESS to COMPLETE);
* ``late``: from Heat's UPDATE COMPLETE until the SM shows ``active``;
* ``total``.

``so + accept + notice + call + late`` is Hurtle's own part; the medians
of each column are printed last, and Hurtle's part as a share of the
total.

Usage: ``python benchmarks/create_timeline.py [--runs N] [--runtime
shared]`` from the repository root, with Hurtle installed.
"""
import argparse
import datetime
import os
import sqlite3
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import parallel_lifecycle  # noqa: E402

from hurtle.occi import client as occi_client  # noqa: E402

COLUMNS = ('so', 'accept', 'heat_c', 'notice', 'call', 'heat_u', 'late',
           'total')
#: Columns that are Hurtle's own time.
OWN = ('so', 'accept', 'notice', 'call', 'late')


def stack_events(state, instance_id):
    """``{(action, status): naive UTC datetime}`` of the stack-level
    events of instance ``instance_id``'s stack (``hurtle-<id>``), read
    from the embedded Heat's SQLite database under ``state``."""
    path = os.path.join(state, 'heat', 'heat.sqlite')
    name = 'hurtle-' + instance_id
    with sqlite3.connect('file:%s?mode=ro' % path, uri=True) as db:
        rows = db.execute(
            'SELECT e.resource_action, e.resource_status, e.created_at '
            'FROM event e JOIN stack s ON s.id = e.stack_id '
            'WHERE s.name = ? AND e.resource_name = ? ORDER BY e.id',
            (name, name)).fetchall()
    return {(action, status): datetime.datetime.fromisoformat(at)
            for action, status, at in rows}


def one_create(client, step):
    """``(instance id, POST time as naive UTC, {state: naive UTC time
    first seen})`` of one instance of the sample service, polled every
    ``step`` seconds until active."""
    posted = datetime.datetime.utcnow()
    location = client.create('/sample/', parallel_lifecycle.KIND)
    seen = {}
    deadline = time.monotonic() + parallel_lifecycle.LIMIT
    while 'active' not in seen:
        state = client.get(location).attributes['mcn.service.state']
        seen.setdefault(state, datetime.datetime.utcnow())
        if state == 'failed':
            raise RuntimeError('instance %s failed' % location)
        if time.monotonic() > deadline:
            raise RuntimeError('instance %s not active' % location)
        time.sleep(step)
    return location, posted, seen


def split(posted, seen, events):
    """The :data:`COLUMNS` of one create, in seconds."""
    def since(start, end):
        return (end - start).total_seconds()
    create_start = events[('CREATE', 'IN_PROGRESS')]
    create_end = events[('CREATE', 'COMPLETE')]
    update_start = events[('UPDATE', 'IN_PROGRESS')]
    update_end = events[('UPDATE', 'COMPLETE')]
    # The phase after activate; ``provision`` if deploy went unseen.
    deployed = seen.get('deploy', seen.get('provision', create_start))
    provision = seen.get('provision', update_start)
    return {'so': since(posted, deployed),
            'accept': since(deployed, create_start),
            'heat_c': since(create_start, create_end),
            'notice': since(create_end, provision),
            'call': since(provision, update_start),
            'heat_u': since(update_start, update_end),
            'late': since(update_end, seen['active']),
            'total': since(posted, seen['active'])}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=5)
    parser.add_argument('--step', type=float, default=0.02,
                        help='seconds between two looks at the SM '
                             '(default: %(default)s)')
    parallel_lifecycle.add_options(parser)
    args = parser.parse_args()
    with parallel_lifecycle.running(args) as hurtle:
        client = occi_client.OCCIClient(hurtle.sm_url,
                                        headers={'X-Project-Id': 'bench'})
        side = parallel_lifecycle.HurtleSide(hurtle)
        # One first, unmeasured: imports, caches, the first SO.
        side.delete(one_create(client, args.step)[0])
        rows = []
        print(('%4s' + ' %7s' * len(COLUMNS)) % (('run',) + COLUMNS))
        for run in range(1, args.runs + 1):
            location, posted, seen = one_create(client, args.step)
            events = stack_events(hurtle.state, location.rsplit('/', 1)[-1])
            rows.append(split(posted, seen, events))
            print(('%4d' + ' %7.2f' * len(COLUMNS)) % (
                (run,) + tuple(rows[-1][name] for name in COLUMNS)),
                flush=True)
            side.delete(location)
        medians = {name: statistics.median(row[name] for row in rows)
                   for name in COLUMNS}
        print(('%4s' + ' %7.2f' * len(COLUMNS)) % (
            ('med',) + tuple(medians[name] for name in COLUMNS)))
        own = [sum(row[name] for name in OWN) for row in rows]
        print('Hurtle\'s own part (%s): %s s, %s of the total' % (
            ' + '.join(OWN), parallel_lifecycle.spread(own),
            parallel_lifecycle.spread(
                [part / row['total'] for part, row in zip(own, rows)])))


if __name__ == '__main__':
    main()
