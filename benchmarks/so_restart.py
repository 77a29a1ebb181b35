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
"""How fast the CC notices a killed SO and serves it again.

Starts the embedded default (``hurtle-all`` on free loopback ports, a
temporary state directory, default ``[cc]`` watch and restart options),
then for each of ``--runs`` instances of the sample service, once active:
SIGKILLs its SO process and measures, in the same run:

* ``start``: seconds a ``start`` action of the same app takes (one SO
  start, the baseline; measured after the restart);
* ``noticed``: seconds from the kill until the CC's app shows
  ``occi.app.state`` ``error``;
* ``serving``: seconds from the kill until the app is ``active`` again at
  a new ``occi.app.url`` (``restart_backoff`` included);
* ``ratio``: ``serving`` / ``start``.

Usage: ``python benchmarks/so_restart.py [--runs N]`` from the repository
root, with Hurtle installed.
"""
import argparse
import os
import signal
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from hurtle.occi import client as occi_client  # noqa: E402
from tests.functional import hurtle_fixture  # noqa: E402
from tests.functional import test_cc_hardening  # noqa: E402

KIND = occi_client.CategoryRef('http://schemas.hurtle.it/occi/sm#',
                               'sample', 'kind')


def _poll(probe, timeout=120, interval=0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = probe()
        if result:
            return result
        time.sleep(interval)
    raise RuntimeError('timed out')


def one_run(hurtle, sm, cc):
    location = sm.create('/sample/', KIND)
    attrs = _poll(lambda: (sm.get(location).attributes if sm.get(
        location).attributes['mcn.service.state'] == 'active' else None))
    instance_id = attrs['occi.core.id']
    app = [a for a in map(cc.get, cc.list('/app/'))
           if a.attributes['occi.app.name'].endswith(instance_id)][0]
    pid = [p for p, env in test_cc_hardening._so_processes(
        hurtle.conf_path).items()
        if env.get('HURTLE_INSTANCE_ID') == instance_id][0]
    old_url = app.attributes['occi.app.url']
    killed = time.monotonic()
    os.kill(pid, signal.SIGKILL)
    _poll(lambda: cc.get(app.location).attributes[
        'occi.app.state'] == 'error')
    noticed = time.monotonic() - killed

    def serving():
        now = cc.get(app.location).attributes
        return (now['occi.app.state'] == 'active' and
                now['occi.app.url'] != old_url)
    _poll(serving)
    back = time.monotonic() - killed
    # Baseline: a stop/start of the same app, i.e. one SO start.
    action = 'http://schemas.ogf.org/occi/platform/app/action#'
    cc.action(app.location, occi_client.CategoryRef(action, 'stop',
                                                    'action'))
    started = time.monotonic()
    cc.action(app.location, occi_client.CategoryRef(action, 'start',
                                                    'action'))
    start = time.monotonic() - started
    sm.delete(location)
    return start, noticed, back


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=3)
    args = parser.parse_args()
    hurtle = hurtle_fixture.HurtleAll(
        manifests=(hurtle_fixture.SAMPLE_MANIFEST,))
    hurtle.setUp()
    try:
        sm = occi_client.OCCIClient(hurtle.sm_url,
                                    headers={'X-Project-Id': 'bench'})
        cc = hurtle.cc_client()
        rows = []
        print('%4s %8s %10s %10s %7s' % ('run', 'start_s', 'noticed_s',
                                         'serving_s', 'ratio'))
        for run in range(1, args.runs + 1):
            start, noticed, back = one_run(hurtle, sm, cc)
            rows.append((start, noticed, back))
            print('%4d %8.2f %10.2f %10.2f %7.2f'
                  % (run, start, noticed, back, back / start))
        for name, index in (('start', 0), ('noticed', 1), ('serving', 2)):
            values = [row[index] for row in rows]
            print('%-8s median %.2f s  min %.2f s  max %.2f s'
                  % (name, statistics.median(values), min(values),
                     max(values)))
    finally:
        hurtle.cleanUp()


if __name__ == '__main__':
    main()
