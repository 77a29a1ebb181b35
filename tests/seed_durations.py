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
"""Give a new stestr repository the test classes' usual durations, so
that its first run shares them out evenly among the workers.

stestr keeps each test's duration from earlier runs (``.stestr``) and
balances its workers with them; a fresh clone (CI) has none, and stestr
then deals test classes out round-robin, whatever their length: with
three workers one finished 10 minutes before the others. This script,
run by tox before ``stestr run``, does nothing when ``.stestr`` exists;
otherwise it creates it and loads, through ``stestr load``, one made-up
run in which every test listed now took its class's duration in
:data:`DURATIONS` (``tests/durations.json``: class id -> seconds, all
its tests together, from a full run) divided among the class's tests.
Classes not in the file are new: stestr deals them out as before.

A failure here never stops the tests: it is printed and the run goes
on unbalanced. Usage: ``python tests/seed_durations.py`` from the root.
To refresh the file after a full run: ``python tests/seed_durations.py
--write``: it charges each class with the wall time its tests took on
their worker, class set-up included (:func:`class_times`): stestr's own
per-test times leave out ``setUpClass``, which is most of the time of a
class that starts Keystone, PostgreSQL or Hurtle's processes.
"""
import collections
import datetime
import io
import json
import os
import subprocess
import sys

DURATIONS = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                         'durations.json')
START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def _stestr(*args, **kwargs):
    kwargs.setdefault('check', True)
    return subprocess.run([sys.executable, '-m', 'stestr'] + list(args),
                          **kwargs)


def _class_of(test_id):
    return test_id.split('(')[0].rsplit('.', 1)[0]


def stream(test_ids, durations):
    """A subunit v2 stream (bytes) in which each test of a class in
    ``durations`` succeeded after its share of the class's seconds."""
    from subunit import v2
    classes = collections.Counter(_class_of(t) for t in test_ids)
    buf = io.BytesIO()
    out = v2.StreamResultToBytes(buf)
    for test_id in test_ids:
        total = durations.get(_class_of(test_id))
        if total is None:
            continue
        seconds = total / classes[_class_of(test_id)]
        out.status(test_id=test_id, test_status='inprogress',
                   timestamp=START)
        out.status(test_id=test_id, test_status='success',
                   timestamp=START + datetime.timedelta(seconds=seconds))
    return buf.getvalue()


def seed():
    if os.path.exists('.stestr'):
        return
    with open(DURATIONS) as handle:
        durations = json.load(handle)
    _stestr('init', capture_output=True)
    listed = _stestr('list', capture_output=True, text=True).stdout
    test_ids = [line.strip() for line in listed.splitlines()
                if line.strip()]
    _stestr('load', input=stream(test_ids, durations),
            capture_output=True)
    print('seed_durations: the durations of %d test classes loaded into '
          '.stestr' % len(durations))


def class_times(stream):
    """``{class id: seconds}`` of a run, from its subunit v2 byte stream.

    Each test is charged with the time from the end of the test before it
    on the same worker (``worker-N`` tag; for a worker's first test, the
    start of the run) to its own end: its run plus what ran between the
    two tests, the set-up of its class when it is the first of it (and the
    clean-up of the class before). Tests without both timestamps are left
    out.
    """
    import subunit
    import testtools
    tests = []

    def on_test(test):
        start, stop = test['timestamps']
        if start is None or stop is None:
            return
        worker = min([tag for tag in test['tags']
                      if tag.startswith('worker-')] or [''])
        tests.append((worker, start, stop, test['id']))
    result = testtools.StreamToDict(on_test)
    result.startTestRun()
    subunit.ByteStreamToStreamResult(
        io.BytesIO(stream), non_subunit_name='stdout').run(result)
    result.stopTestRun()
    totals = collections.Counter()
    if not tests:
        return totals
    begin = min(start for _worker, start, _stop, _id in tests)
    last = {}
    for worker, start, stop, test_id in sorted(tests):
        since = last.get(worker, begin)
        totals[_class_of(test_id)] += (stop - since).total_seconds()
        last[worker] = stop
    return totals


def write():
    """Replace ``tests/durations.json`` with the classes' durations in
    the last run in ``.stestr`` (:func:`class_times`)."""
    # (stestr last exits 1 when the run had failures: their times count.)
    last = _stestr('last', '--subunit', capture_output=True,
                   check=False).stdout
    totals = class_times(last)
    with open(DURATIONS, 'w') as handle:
        json.dump({k: round(v, 1) for k, v in sorted(totals.items())},
                  handle, indent=0, sort_keys=True)
        handle.write('\n')


def main():
    try:
        write() if sys.argv[1:] == ['--write'] else seed()
    except Exception as exc:   # never stop the tests for a schedule
        print('seed_durations: not seeded (%s: %s); stestr deals the test '
              'classes out round-robin' % (type(exc).__name__, exc))


if __name__ == '__main__':
    main()
