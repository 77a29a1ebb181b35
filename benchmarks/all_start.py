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
"""How long ``hurtle-all`` takes to start, beside the embedded Heat alone.

For each of ``--runs`` rounds, taking turns, with a new temporary state
directory and the configuration ``tests/functional/hurtle_fixture.py``
writes (noauth, free ports on 127.0.0.1, held until the server answers):

* ``hurtle-all``: seconds from starting ``python -P -m hurtle.cmd.all``
  until the SM answers ``GET /-/`` (any HTTP answer);
* the baseline, ``hurtle-heat``: seconds from starting ``python -P -m
  hurtle.cmd.heat`` with the same configuration until its API answers
  ``GET /`` (401 without the local secret: any HTTP answer counts).

Each is started and probed as ``hurtle.cmd.all.Child`` does (output in
``<state>/log/<name>.log``), and stopped with SIGTERM by its pid once it
answered (killed after 60 s). Prints each figure, then min/median/max
of both and of the ratio hurtle-all / hurtle-heat.

Usage: ``python benchmarks/all_start.py [--runs N]`` from the repository
root, with Hurtle and its test requirements installed.
"""
import argparse
import os
import sys
import time
import types

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import _harness  # noqa: E402

from hurtle.cmd import all as all_cmd  # noqa: E402
from tests.functional import hurtle_fixture  # noqa: E402

START_TIMEOUT = 240.0


def one_start(name, module, probe):
    """Seconds from starting ``python -P -m <module>`` (fresh state and
    configuration, as ``hurtle.cmd.all.Child`` starts it) until
    ``probe(setup)``'s URL answers; it is stopped then.

    :raises RuntimeError: the process exited or did not answer in time
        (its log's tail is in the message).
    """
    setup = hurtle_fixture.HurtleConfig()
    setup.setUp()
    try:
        child = all_cmd.Child(name, module, probe(setup),
                              types.SimpleNamespace(
                                  state_path=setup.state,
                                  config_file=[setup.conf_path]))
        started = time.monotonic()
        child.start()
        try:
            while not child.answers():
                if time.monotonic() - started > START_TIMEOUT:
                    raise RuntimeError('%s did not start:\n%s'
                                       % (name, child.tail()))
                time.sleep(0.02)
            return time.monotonic() - started
        finally:
            child.stop(grace=60)
    finally:
        setup.cleanUp()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=5)
    args = parser.parse_args()
    seen = {'hurtle-all': [], 'hurtle-heat': []}
    for n in range(args.runs):
        for name, module, probe in (
                ('hurtle-all', 'hurtle.cmd.all',
                 lambda s: s.sm_url + '-/'),
                ('hurtle-heat', 'hurtle.cmd.heat',
                 lambda s: s.heat_url + '/')):
            seconds = one_start(name, module, probe)
            seen[name].append(seconds)
            print('run %d  %-11s answering after %.2f s'
                  % (n + 1, name, seconds), flush=True)
    _harness.print_against(seen, 'hurtle-all', 'hurtle-heat',
                           'answering after')


if __name__ == '__main__':
    main()
