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
"""Time from ``POST /sample/`` to ``active`` and from ``DELETE`` to 404,
beside Heat's own time for the same stack.

Starts the embedded default (``hurtle-all`` on free loopback ports, a
temporary state directory, an operator's defaults unless ``--workers``,
``--poll-interval``, ``--watch-interval``, ``--runtime`` or
``--parallel-starts`` say otherwise), creates and deletes one of each
side unmeasured (``parallel_lifecycle.warm_up``), then ``--runs`` times
takes turns between (the side going first alternating, as in
``parallel_lifecycle.py``):

* ``hurtle``: one instance of the sample service: wall-clock seconds from
  the ``POST`` until ``mcn.service.state`` is ``active`` (SO start,
  activate, deploy, provision), then from the ``DELETE`` until the SM
  answers 404;
* ``heat``: one stack of the sample template straight through the
  embedded Heat's API (python-heatclient), as the sample SO has it made:
  created with ``provisioned=false`` until CREATE_COMPLETE, updated with
  ``provisioned=true`` (the provision phase) until UPDATE_COMPLETE, then
  deleted until gone. Wall clock, polled with the same step as the
  Hurtle side (Heat's event timestamps have a resolution of one second).

Prints each run and the ratios hurtle/heat of create and delete
(min/median/max over the runs; 1.0: Hurtle adds nothing to Heat's time).
``parallel_lifecycle.py`` does the same with N at once.

Usage: ``python benchmarks/lifecycle.py [--runs N]`` from the repository
root, with Hurtle installed.
"""
import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import parallel_lifecycle  # noqa: E402

from hurtle.occi import errors  # noqa: E402


def delete_seconds(client, location):
    """Seconds from DELETE of ``location`` (an ``OCCIClient``) to the
    SM's 404 (also ``keystone_mode.py``'s)."""
    started = time.monotonic()
    client.delete(location)

    def gone():
        try:
            client.get(location)
        except errors.NotFound:
            return True
        return None
    parallel_lifecycle.wait(gone, 'instance %s gone' % location, 1)
    return time.monotonic() - started


def timed(work, *args):
    """``(result, wall-clock seconds)`` of ``work(*args)``."""
    started = time.monotonic()
    result = work(*args)
    return result, time.monotonic() - started


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=5)
    parallel_lifecycle.add_options(parser)
    args = parser.parse_args()
    with parallel_lifecycle.running(args) as hurtle:
        sides = {'hurtle': parallel_lifecycle.HurtleSide(hurtle),
                 'heat': parallel_lifecycle.HeatSide(hurtle)}
        parallel_lifecycle.warm_up(sides)
        seconds = {(name, what): [] for name in sides
                   for what in ('create', 'delete')}
        row = '%4s %10s %10s %10s %10s'
        print(row % ('run', 'hurtle_c', 'heat_c', 'hurtle_d', 'heat_d'))
        for run in range(1, args.runs + 1):
            # Take turns: the side going first alternates.
            for name in (['hurtle', 'heat'] if run % 2 else
                         ['heat', 'hurtle']):
                side = sides[name]
                side.serial = run
                made, create_s = timed(side.create, 0)
                _none, delete_s = timed(side.delete, made)
                seconds[name, 'create'].append(create_s)
                seconds[name, 'delete'].append(delete_s)
            print('%4d %10.2f %10.2f %10.2f %10.2f' % (
                run, seconds['hurtle', 'create'][-1],
                seconds['heat', 'create'][-1],
                seconds['hurtle', 'delete'][-1],
                seconds['heat', 'delete'][-1]), flush=True)
        for what in ('create', 'delete'):
            ratios = [h / b for h, b in zip(seconds['hurtle', what],
                                            seconds['heat', what])]
            print('%-6s hurtle %s s  heat %s s  ratio %s' % (
                what, parallel_lifecycle.spread(seconds['hurtle', what]),
                parallel_lifecycle.spread(seconds['heat', what]),
                parallel_lifecycle.spread(ratios)))


if __name__ == '__main__':
    main()
