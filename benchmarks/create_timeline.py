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
"""Where the time of one create (or delete) goes: Hurtle's steps beside
Heat's own.

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

With ``--delete`` the same for the delete of each instance instead
(its create is not split): seconds from the ``DELETE``, the processes'
steps read from their logs under the state directory (INFO lines,
milliseconds) and Heat's from its database:

* ``accept``: until the SM answered 202 (the client's clock);
* ``call``: from there until Heat's stack event DELETE IN_PROGRESS (the
  SM's worker, its look at the CC app, the SO's dispose call through the
  CC, Heat accepting the delete);
* ``heat_d``: Heat's delete (DELETE IN_PROGRESS to COMPLETE);
* ``free``: from Heat's DELETE COMPLETE until Heat freed the stack's
  name (the ``deleted_at`` of its ``stack`` row: Heat's own work after
  the event, which its baseline in ``lifecycle.py`` does not wait for),
  when the SO answered after that; 0 when it answered before (it no
  longer waits for the name since issue 12's second delete pass);
* ``so_end``: from there (or from COMPLETE) until the SO answered the
  dispose (its log's ``DELETE /orchestrator/default`` line): the notice
  back through the CC and the SO;
* ``stop``: until the CC logged the app removed (``app <id> stopped
  and removed``, or ``app <id> removed; its SO is stopping`` when the
  CC answers before the SO's exit): the SM's call, the SO told to stop
  (and, before, its exit);
* ``purge``: until the SM logged the instance ``disposed``;
* ``seen``: until the client's ``GET`` first had 404 (looking every
  ``--step`` seconds);
* ``total``.

``accept + call + so_end + stop + purge + seen`` is Hurtle's own part.

Usage: ``python benchmarks/create_timeline.py [--runs N] [--runtime
shared] [--delete]`` from the repository root, with Hurtle installed.
"""
import argparse
import datetime
import os
import re
import sqlite3
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import parallel_lifecycle  # noqa: E402

from hurtle.occi import client as occi_client  # noqa: E402
from hurtle.occi import errors  # noqa: E402

COLUMNS = ('so', 'accept', 'heat_c', 'notice', 'call', 'heat_u', 'late',
           'total')
#: Columns that are Hurtle's own time.
OWN = ('so', 'accept', 'notice', 'call', 'late')
#: The same of a delete (``--delete``).
DELETE_COLUMNS = ('accept', 'call', 'heat_d', 'free', 'so_end', 'stop',
                  'purge', 'seen', 'total')
DELETE_OWN = ('accept', 'call', 'so_end', 'stop', 'purge', 'seen')
#: A log line's time and text (oslo.log's default format, local time).
LOG_LINE = re.compile(r'^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) (.*)$')


def stack_events(state, instance_id):
    """``{(action, status): naive UTC datetime}`` of the stack-level
    events of instance ``instance_id``'s stack (``hurtle-<id>``), read
    from the embedded Heat's SQLite database under ``state``."""
    name = 'hurtle-' + instance_id
    with _heat_db(state) as db:
        rows = db.execute(
            'SELECT e.resource_action, e.resource_status, e.created_at '
            'FROM event e JOIN stack s ON s.id = e.stack_id '
            'WHERE s.name = ? AND e.resource_name = ? ORDER BY e.id',
            (name, name)).fetchall()
    return {(action, status): datetime.datetime.fromisoformat(at)
            for action, status, at in rows}


def _heat_db(state):
    path = os.path.join(state, 'heat', 'heat.sqlite')
    return sqlite3.connect('file:%s?mode=ro' % path, uri=True)


def name_freed(state, instance_id):
    """When Heat freed the name of instance ``instance_id``'s stack (the
    ``deleted_at`` of its ``stack`` row, naive UTC), or None."""
    with _heat_db(state) as db:
        row = db.execute('SELECT deleted_at FROM stack WHERE name = ? '
                         'AND deleted_at IS NOT NULL',
                         ('hurtle-' + instance_id,)).fetchone()
    return datetime.datetime.fromisoformat(row[0]) if row else None


def logged(path, *words):
    """Naive UTC time of the first line of log ``path`` that holds every
    one of ``words``, or None."""
    try:
        with open(path, errors='replace') as handle:
            for line in handle:
                if all(word in line for word in words):
                    match = LOG_LINE.match(line)
                    if match:
                        local = datetime.datetime.fromisoformat(
                            match.group(1)).astimezone()
                        return local.astimezone(
                            datetime.timezone.utc).replace(tzinfo=None)
    except OSError:
        return None
    return None


def one_delete(client, location, step):
    """``(DELETE time, 202 time, 404 time)`` as naive UTC of
    ``location``, looked at every ``step`` seconds until 404."""
    started = datetime.datetime.utcnow()
    client.delete(location)
    accepted = datetime.datetime.utcnow()
    deadline = time.monotonic() + parallel_lifecycle.LIMIT
    while True:
        try:
            client.get(location)
        except errors.NotFound:
            return started, accepted, datetime.datetime.utcnow()
        if time.monotonic() > deadline:
            raise RuntimeError('instance %s not gone' % location)
        time.sleep(step)


def split_delete(state, instance_id, times, events):
    """The :data:`DELETE_COLUMNS` of one delete, in seconds; a step
    whose log line is missing counts as 0 (its time goes to the next)."""
    started, accepted, gone = times
    logs = os.path.join(state, 'log')
    delete_start = events[('DELETE', 'IN_PROGRESS')]
    delete_end = events[('DELETE', 'COMPLETE')]
    freed = name_freed(state, instance_id) or delete_end
    so_end = logged(os.path.join(state, 'so', instance_id + '.log'),
                    'DELETE /orchestrator/default') or freed
    stopped = logged(os.path.join(logs, 'hurtle-cc.log'), 'app ' +
                     instance_id + ' ', 'removed') or so_end
    purged = logged(os.path.join(logs, 'hurtle-sm.log'), 'instance ' +
                    instance_id + ' disposed') or stopped
    marks = [('accept', accepted), ('call', delete_start),
             ('heat_d', delete_end),
             # The name's freeing counts only when the SO waited for it.
             ('free', freed if so_end >= freed else delete_end),
             ('so_end', so_end), ('stop', stopped),
             ('purge', purged), ('seen', gone)]
    row, last = {}, started
    for name, at in marks:
        row[name] = max(0.0, (at - last).total_seconds())
        last = max(last, at)
    row['total'] = (gone - started).total_seconds()
    return row


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
    parser.add_argument('--delete', action='store_true',
                        help='split the deletes instead of the creates')
    parallel_lifecycle.add_options(parser)
    args = parser.parse_args()
    with parallel_lifecycle.running(args) as hurtle:
        client = occi_client.OCCIClient(hurtle.sm_url,
                                        headers={'X-Project-Id': 'bench'})
        side = parallel_lifecycle.HurtleSide(hurtle)
        # One first, unmeasured: imports, caches, the first SO.
        side.delete(one_create(client, args.step)[0])
        columns, own_columns = ((DELETE_COLUMNS, DELETE_OWN) if args.delete
                                else (COLUMNS, OWN))
        rows = []
        print(('%4s' + ' %7s' * len(columns)) % (('run',) + columns))
        for run in range(1, args.runs + 1):
            location, posted, seen = one_create(client, args.step)
            instance_id = location.rsplit('/', 1)[-1]
            if args.delete:
                times = one_delete(client, location, args.step)
                rows.append(split_delete(hurtle.state, instance_id, times,
                                         stack_events(hurtle.state,
                                                      instance_id)))
            else:
                rows.append(split(posted, seen,
                                  stack_events(hurtle.state, instance_id)))
                side.delete(location)
            print(('%4d' + ' %7.2f' * len(columns)) % (
                (run,) + tuple(rows[-1][name] for name in columns)),
                flush=True)
        medians = {name: statistics.median(row[name] for row in rows)
                   for name in columns}
        print(('%4s' + ' %7.2f' * len(columns)) % (
            ('med',) + tuple(medians[name] for name in columns)))
        own = [sum(row[name] for name in own_columns) for row in rows]
        print('Hurtle\'s own part (%s): %s s, %s of the total' % (
            ' + '.join(own_columns), parallel_lifecycle.spread(own),
            parallel_lifecycle.spread(
                [part / row['total'] for part, row in zip(own, rows)])))


if __name__ == '__main__':
    main()
