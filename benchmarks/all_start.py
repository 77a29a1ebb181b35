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
  until the SM answers ``GET /-/`` (any HTTP answer); and
  ``hurtle-all (heat too)``, until its embedded Heat answers as well (the
  SM may answer before Heat does: it needs Heat only for stacks);
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

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

import _harness  # noqa: E402
import requests  # noqa: E402

START_TIMEOUT = 240.0


def _answers(url):
    """Whether anything answers HTTP at ``url``."""
    try:
        requests.get(url, timeout=2)
    except requests.RequestException:
        return False
    return True


def one_start(name, module, probe, also=None):
    """Seconds from starting ``python -P -m <module>`` (fresh state and
    configuration, as ``hurtle.cmd.all.Child`` starts it) until
    ``probe(setup)``'s URL answers, and (with ``also``) until
    ``also(setup)``'s URL answers too: ``(first, both)``; it is stopped
    then.

    :raises RuntimeError: the process exited or did not answer in time
        (its log's tail is in the message).
    """
    with _harness.lone_child(name, module, probe) as (setup, child):
        other = also(setup) if also is not None else None
        started = time.monotonic()
        child.start()
        first = None
        while True:
            if time.monotonic() - started > START_TIMEOUT:
                raise RuntimeError('%s did not start:\n%s'
                                   % (name, child.tail()))
            if first is None and child.answers():
                first = time.monotonic() - started
            if first is not None and (other is None or _answers(other)):
                return first, time.monotonic() - started
            time.sleep(0.02)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=5)
    args = parser.parse_args()
    seen = {'hurtle-all': [], 'hurtle-all (heat too)': [],
            'hurtle-heat': []}
    for n in range(args.runs):
        first, both = one_start('hurtle-all', 'hurtle.cmd.all',
                                lambda s: s.sm_url + '-/',
                                lambda s: s.heat_url + '/')
        seen['hurtle-all'].append(first)
        seen['hurtle-all (heat too)'].append(both)
        heat, _same = one_start('hurtle-heat', 'hurtle.cmd.heat',
                                lambda s: s.heat_url + '/')
        seen['hurtle-heat'].append(heat)
        print('run %d  hurtle-all SM answering after %.2f s, its Heat too '
              'after %.2f s; hurtle-heat alone after %.2f s'
              % (n + 1, first, both, heat), flush=True)
    _harness.print_against(seen, 'hurtle-all', 'hurtle-heat',
                           'answering after')
    ratios = [a / b for a, b in zip(seen['hurtle-all (heat too)'],
                                    seen['hurtle-heat'])]
    print('ratio hurtle-all (heat too) / hurtle-heat %s (min/median/max)'
          % _harness.summary(ratios, '%.2f'))


if __name__ == '__main__':
    main()
