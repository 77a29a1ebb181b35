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
"""N instances created at once, beside N Heat stacks created at once.

Starts the embedded default (``hurtle-all`` on free loopback ports, a
temporary state directory, ``[sm] workers``, ``poll_interval`` and
``watch_interval`` and ``[cc] parallel_starts`` at their defaults unless
``--workers``, ``--poll-interval``, ``--watch-interval`` or
``--parallel-starts`` say otherwise), creates and deletes one of each
side unmeasured (:func:`warm_up`: the first round alone would pay for
the CC's SO fork server starting, Heat's first stack and the like), then
for each N of ``--counts``, ``--repeats`` times, takes turns between:

* ``hurtle``: N threads each ``POST /sample/`` at once; wall-clock
  seconds until every instance is ``active``; then every instance is
  DELETEd at once, seconds until the SM answers 404 for all;
* ``heat``: N threads each create a stack of the sample template through
  the embedded Heat's API (python-heatclient) with the parameters the
  sample SO gives (``provisioned=false``), wait for CREATE_COMPLETE,
  update it (``provisioned=true``, as the SO's provision phase does) and
  wait for UPDATE_COMPLETE, then read its outputs once: seconds until
  all are done (wall clock, the same polling step as the Hurtle side:
  Heat's event timestamps have a resolution of one second); then every
  stack is deleted at once, seconds until all are gone. It makes the
  requests Hurtle's Heat deployer makes (``hurtle.so.deployers.heat``,
  with which the CC makes the SOs' stacks): the stack's canonical path
  ``/stacks/<name>/<id>`` (``/stacks/<id>`` costs a redirect after a
  look-up in Heat, a second request every poll), polls without outputs
  and reads them once at rest.

Prints, per N, the create and delete seconds of both, their ratios
(hurtle/heat, min/median/max over the repeats), Hurtle's seconds per
instance (flat across N = time linear in N), the CPU seconds
``hurtle-all`` and its children (Heat, CC, SM, SOs) used for each side's
create and delete, and the median seconds Hurtle's instances spent in
each create state.

Usage: ``python benchmarks/parallel_lifecycle.py [--counts 1,5,10,20,50]
[--repeats N]`` from the repository root, with Hurtle installed.
"""
import argparse
import concurrent.futures
import contextlib
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from heatclient import exc as heat_exc  # noqa: E402
from keystoneauth1 import exceptions as ks_exc  # noqa: E402

from hurtle.conf import sm as sm_conf  # noqa: E402
from hurtle.occi import client as occi_client  # noqa: E402
from hurtle.occi import errors  # noqa: E402
from tests.functional import hurtle_fixture  # noqa: E402

KIND = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                               'sample', 'kind')
TEMPLATE = os.path.join(hurtle_fixture.ROOT, 'samples', 'sample',
                        'templates', 'sample.yaml')
#: Seconds between two polls of one instance or stack, per instance or
#: stack polled at once (both sides): N pollers ask 20 times a second in
#: all, so that the polling does not load the servers it measures.
STEP = 0.05
#: ... but each at least once a second.
MAX_STEP = 1.0
#: Seconds one create or delete of N may take before the run fails.
LIMIT = 600


def _default(name):
    for opt in sm_conf.sm_opts:
        if opt.name == name:
            return opt.default
    raise KeyError(name)


def wait(check, what, count):
    """Poll ``check()`` until it returns a value other than None, every
    :data:`STEP` s times ``count`` (the number polling at once; at most
    :data:`MAX_STEP` s); :data:`LIMIT` s at most."""
    step = min(MAX_STEP, STEP * count)
    deadline = time.monotonic() + LIMIT
    while time.monotonic() < deadline:
        value = check()
        if value is not None:
            return value
        time.sleep(step)
    raise RuntimeError('%s: not within %d s' % (what, LIMIT))


def at_once(count, work):
    """Run ``work(i)`` for i in 0..count-1 in ``count`` threads started
    together; returns the results and the wall-clock seconds until the
    last ended. An exception of any re-raises."""
    with concurrent.futures.ThreadPoolExecutor(count) as pool:
        started = time.monotonic()
        results = list(pool.map(work, range(count)))
        return results, time.monotonic() - started


class HurtleSide(object):
    """Creates and deletes instances of the sample service at the SM."""

    #: The create states, in order.
    STATES = ('initialise', 'activate', 'deploy', 'provision', 'active')

    def __init__(self, hurtle):
        self.hurtle = hurtle
        self.count = 1
        #: Per instance created: ``{state: seconds after the POST when
        #: it was first seen}``.
        self.seen = []

    def _client(self):
        return occi_client.OCCIClient(self.hurtle.sm_url,
                                      headers={'X-Project-Id': 'bench'})

    def create(self, _index):
        client = self._client()
        started = time.monotonic()
        location = client.create('/sample/', KIND)
        seen = {}
        self.seen.append(seen)

        def active():
            entity = client.get(location)
            state = entity.attributes['mcn.service.state']
            seen.setdefault(state, time.monotonic() - started)
            if state == 'failed':
                raise RuntimeError('instance failed: %s' % entity.attributes
                                   .get('mcn.service.state.reason'))
            return location if state == 'active' else None
        return wait(active, 'instance %s active' % location, self.count)

    def delete(self, location):
        client = self._client()
        client.delete(location)

        def gone():
            try:
                client.get(location)
            except errors.NotFound:
                return True
            return None
        wait(gone, 'instance %s gone' % location, self.count)


class HeatSide(object):
    """Creates, updates and deletes stacks of the sample template through
    the embedded Heat's API, as the sample SO has them made."""

    def __init__(self, hurtle):
        self.hurtle = hurtle
        with open(TEMPLATE) as handle:
            self.template = handle.read()
        self.serial = 0
        self.count = 1

    def _status(self, heat, path, wanted):
        """Poll stack ``path`` (``<name>/<id>``) without its outputs
        until it is ``wanted``."""
        def check():
            try:
                status = heat.stacks.get(
                    path, resolve_outputs=False).stack_status
            except heat_exc.HTTPNotFound:
                status = 'DELETE_COMPLETE'
            except ks_exc.ConnectionError as exc:
                # A poll that timed out is polled again, as the SM's
                # calls are retried (the machine may be overloaded).
                print('stack %s: %s; polled again'
                      % (path, type(exc).__name__), flush=True)
                return None
            if status == wanted:
                return status
            if status.endswith('_FAILED'):
                raise RuntimeError('stack %s: %s' % (path, status))
            return None
        return wait(check, 'stack %s %s' % (path, wanted), self.count)

    def create(self, index):
        """Create, update, then read the outputs of one stack; returns
        its path (``<name>/<id>``)."""
        heat = self.hurtle.heat_client('bench')
        name = 'bench-%d-%d' % (self.serial, index)
        body = heat.stacks.create(
            stack_name=name, template=self.template,
            parameters={'provisioned': False})
        # Heat answers /stacks/<id> with a redirect to /stacks/<name>/<id>
        # (two requests and a look-up each time): Hurtle's Heat deployer
        # uses the canonical path, so does this client.
        path = '%s/%s' % (name, body['stack']['id'])
        self._status(heat, path, 'CREATE_COMPLETE')
        heat.stacks.update(path, template=self.template,
                           parameters={'provisioned': True})
        self._status(heat, path, 'UPDATE_COMPLETE')
        # The outputs, as the instance has them once active (Hurtle's
        # Heat deployer, too, polls without them and reads them at rest).
        heat.stacks.get(path)
        return path

    def delete(self, path):
        heat = self.hurtle.heat_client('bench')
        heat.stacks.delete(path)
        self._status(heat, path, 'DELETE_COMPLETE')


#: The parts of hurtle-all whose CPU seconds are told apart: the module
#: each runs (``python -m ...``) -> its name. The SOs are the CC's
#: children, or the SO fork server's (``[cc] so_fork_server``), whose
#: own seconds are SO start-up and count as the SOs'.
PARTS = {'hurtle.cmd.heat': 'heat', 'hurtle.cmd.cc': 'cc',
         'hurtle.cmd.sm': 'sm', 'hurtle.cmd.so': 'so',
         'hurtle.cmd.so_fork_server': 'so'}


def _processes():
    """``{pid: (ppid, part, own ticks, waited-for children's ticks)}``
    from ``/proc/<pid>/stat`` (utime + stime, cutime + cstime) and
    ``cmdline`` (:data:`PARTS`; other: None)."""
    found = {}
    for name in os.listdir('/proc'):
        if not name.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % name) as handle:
                fields = handle.read().rsplit(')', 1)[1].split()
            with open('/proc/%s/cmdline' % name, 'rb') as handle:
                args = handle.read().decode('utf-8', 'replace').split('\0')
        except OSError:
            continue    # exited meanwhile
        part = next((PARTS[a] for a in args if a in PARTS), None)
        # After "pid (comm)": state ppid ...; utime..cstime are 12-15.
        found[int(name)] = (int(fields[1]), part,
                            int(fields[11]) + int(fields[12]),
                            int(fields[13]) + int(fields[14]))
    return found


def cpu_seconds(root):
    """CPU seconds (user + system) used so far by process ``root`` and
    its descendants, the exited ones their parents waited for included,
    by part: ``{'heat', 'cc', 'sm', 'so', 'other'}`` (an SO that exited
    counts in its parent's children's time: the CC's)."""
    processes = _processes()
    children = {}
    for pid, (ppid, _part, _own, _waited) in processes.items():
        children.setdefault(ppid, []).append(pid)
    totals = dict.fromkeys(('heat', 'cc', 'sm', 'so', 'other'), 0)
    todo = [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        if pid not in processes:
            continue
        _ppid, part, own, waited = processes[pid]
        totals[part or 'other'] += own
        # The CC's and the fork server's waited-for children are SOs;
        # hurtle-all's are parts that exited (none while it serves).
        totals['so' if part in ('cc', 'so') else 'other'] += waited
    tick = os.sysconf('SC_CLK_TCK')
    return {part: ticks / tick for part, ticks in totals.items()}


def warm_up(sides):
    """One create and delete of each side, unmeasured: what only the
    first round would pay (the CC's SO fork server starting with the first
    SO, the SM's first lifecycle thread and connections, Heat's first
    stack, the client's imports) is not counted in any round."""
    for side in sides.values():
        side.count = 1
        side.delete(side.create(0))


def one_round(side, count, root):
    """``(create seconds, delete seconds, CPU seconds, {part: CPU
    seconds})`` of ``count`` at once; CPU seconds of process ``root``
    (hurtle-all) and its descendants during both (:func:`cpu_seconds`)."""
    side.count = count
    before = cpu_seconds(root)
    handles, create_s = at_once(count, side.create)
    _none, delete_s = at_once(count, lambda i: side.delete(handles[i]))
    after = cpu_seconds(root)
    parts = {part: after[part] - before[part] for part in after}
    return create_s, delete_s, sum(parts.values()), parts


def phase_medians(seen):
    """``[(state, median seconds)]``: the time from first seeing each
    create state to first seeing the next one seen, over the instances
    (``HurtleSide.seen``)."""
    spans = {}
    for times in seen:
        ordered = [state for state in HurtleSide.STATES if state in times]
        for state, following in zip(ordered, ordered[1:]):
            spans.setdefault(state, []).append(times[following] -
                                               times[state])
    return [(state, statistics.median(spans[state]))
            for state in HurtleSide.STATES if state in spans]


def spread(values):
    return '%.2f/%.2f/%.2f' % (min(values), statistics.median(values),
                               max(values))


def add_options(parser):
    """The ``hurtle-all`` settings options (an operator's defaults)."""
    parser.add_argument('--workers', type=int, default=_default('workers'),
                        help='[sm] workers (default: its default, '
                             '%(default)s)')
    parser.add_argument('--poll-interval', type=float,
                        default=_default('poll_interval'),
                        help='[sm] poll_interval (default: its default, '
                             '%(default)s)')
    parser.add_argument('--watch-interval', type=float,
                        default=_default('watch_interval'),
                        help='[sm] watch_interval (default: its default, '
                             '%(default)s)')
    parser.add_argument('--runtime', default='local',
                        help='[cc] runtime (default: %(default)s)')
    parser.add_argument('--parallel-starts', type=int,
                        help='[cc] parallel_starts (default: its default, '
                             'the number of CPUs)')


def make_hurtle(args):
    """``hurtle-all`` (not set up) with the settings of ``args``; the
    fixture's own ``[sm]`` settings suit tests (one worker), these are an
    operator's (the later value of an option wins)."""
    return hurtle_fixture.HurtleAll(
        manifests=(hurtle_fixture.SAMPLE_MANIFEST,),
        phase_timeout=LIMIT, watch_interval=args.watch_interval,
        extra_conf='[sm]\nworkers = %d\npoll_interval = %s\n'
        '[cc]\nruntime = %s\n%s' % (
            args.workers, args.poll_interval, args.runtime,
            'parallel_starts = %d\n' % args.parallel_starts
            if args.parallel_starts else ''))


@contextlib.contextmanager
def running(args):
    """``hurtle-all`` with the settings of ``args``, set up (its start
    time printed) for the ``with`` block and cleaned up after it."""
    started = time.monotonic()
    hurtle = make_hurtle(args)
    hurtle.setUp()
    try:
        print('hurtle-all ready in %.1f s (%s)' % (
            time.monotonic() - started, settings(args)))
        yield hurtle
    finally:
        hurtle.cleanUp()


def settings(args):
    """The settings of ``args`` as one line."""
    return ('[sm] workers %d, poll_interval %s, watch_interval %s; [cc] '
            'runtime %s, parallel_starts %s' % (
                args.workers, args.poll_interval, args.watch_interval,
                args.runtime, args.parallel_starts or 'default'))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--counts', default='1,5,10,20,50',
                        help='comma-separated numbers of instances created '
                             'at once (default: %(default)s)')
    parser.add_argument('--repeats', type=int, default=3)
    add_options(parser)
    args = parser.parse_args()
    counts = [int(value) for value in args.counts.split(',')]
    with running(args) as hurtle:
        sides = {'hurtle': HurtleSide(hurtle), 'heat': HeatSide(hurtle)}
        warm_up(sides)
        summary = []
        print('%4s %3s %9s %9s %9s %10s %9s %9s' % (
            'n', 'rep', 'hurtle_s', 'heat_s', 'h_del_s', 'heat_del_s',
            'h_cpu_s', 'heat_cpu_s'))
        for count in counts:
            rows = []
            sides['hurtle'].seen = []
            for repeat in range(1, args.repeats + 1):
                sides['heat'].serial += 1
                # Take turns: the side going first alternates.
                order = (['hurtle', 'heat'] if repeat % 2
                         else ['heat', 'hurtle'])
                result = {}
                for name in order:
                    result[name] = one_round(sides[name], count,
                                             hurtle.proc.pid)
                rows.append(result)
                print('%4d %3d %9.2f %9.2f %9.2f %10.2f %9.2f %9.2f' % (
                    count, repeat, result['hurtle'][0], result['heat'][0],
                    result['hurtle'][1], result['heat'][1],
                    result['hurtle'][2], result['heat'][2]), flush=True)
            summary.append((count, rows, phase_medians(sides['hurtle'].seen)))
        print('\nper N: seconds (min/median/max), ratio hurtle/heat, '
              'hurtle seconds per instance (median)')
        print('%4s %17s %17s %17s %17s %17s %8s' % (
            'n', 'hurtle_create', 'heat_create', 'create_ratio',
            'hurtle_delete', 'delete_ratio', 's/inst'))
        for count, rows, _phases in summary:
            h_create = [r['hurtle'][0] for r in rows]
            b_create = [r['heat'][0] for r in rows]
            h_delete = [r['hurtle'][1] for r in rows]
            b_delete = [r['heat'][1] for r in rows]
            print('%4d %17s %17s %17s %17s %17s %8.2f' % (
                count, spread(h_create), spread(b_create),
                spread([h / b for h, b in zip(h_create, b_create)]),
                spread(h_delete),
                spread([h / b for h, b in zip(h_delete, b_delete)]),
                statistics.median(h_create) / count))
        print('(heat_delete per N: %s)' % ', '.join(
            '%d: %s' % (count, spread([r['heat'][1] for r in rows]))
            for count, rows, _phases in summary))
        print('CPU seconds of hurtle-all and its children per create + '
              'delete of N (median): %s' % ', '.join(
                  '%d: hurtle %.1f, heat %.1f' % (
                      count, statistics.median(r['hurtle'][2] for r in rows),
                      statistics.median(r['heat'][2] for r in rows))
                  for count, rows, _phases in summary))
        print('of which, per part (median, hurtle side): %s' % ', '.join(
            '%d: %s' % (count, ' '.join(
                '%s %.1f' % (part, statistics.median(
                    r['hurtle'][3][part] for r in rows))
                for part in sorted(rows[0]['hurtle'][3])))
            for count, rows, _phases in summary))
        print('hurtle seconds from first seeing a state to first seeing '
              'the next (median over the instances; polled every %.2f-%.2f '
              's):' % (STEP, MAX_STEP))
        for count, _rows, phases in summary:
            print('%4d %s' % (count, '  '.join(
                '%s %.2f' % item for item in phases)))


if __name__ == '__main__':
    main()
