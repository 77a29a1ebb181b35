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
"""What deploying through the CC's ``stack`` kind costs over talking to
Heat directly.

Starts a real embedded Heat and a CC (its real paste pipeline, in a
thread, on a loopback port, with one app whose SO identity the ``cc``
driver uses), then, ``--runs`` times and interleaved (heat, cc, heat,
cc, ...), creates a one-resource stack through each deployer driver and
polls (every 50 ms) until it is ``CREATE_COMPLETE``:

* ``heat``: seconds from ``deploy`` to complete with the ``heat`` driver
  (the baseline);
* ``cc``: the same through the ``cc`` driver (SO → CC → Heat);
* ``ratio``: ``cc`` / ``heat`` of the same repeat; the median is printed
  last.

Usage: ``python benchmarks/deployer_drivers.py [--runs N]`` from the
repository root, with Hurtle installed.
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from hurtle.sdk import deployer as deployers  # noqa: E402
from tests import cc_fixture  # noqa: E402
from tests import conf_fixture  # noqa: E402
from tests.functional import heat_fixture  # noqa: E402

TEMPLATE = '''heat_template_version: 2018-08-31
resources:
  nothing:
    type: OS::Heat::None
outputs:
  done:
    value: yes
'''


def create_seconds(deployer, name):
    """Seconds from ``deploy`` until the stack is complete; deletes it
    afterwards (not timed)."""
    start = time.monotonic()
    stack_id = deployer.deploy(name, TEMPLATE)
    while True:
        details = deployer.details(stack_id)
        if details.complete:
            break
        if details.failed:
            raise RuntimeError('%s failed: %s' % (name, details.reason))
        time.sleep(0.05)
    elapsed = time.monotonic() - start
    deployer.dispose_and_wait(stack_id, 120, 0.1)
    return elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=5)
    args = parser.parse_args()
    heat = heat_fixture.EmbeddedHeat()
    heat.setUp()
    conf_fix = conf_fixture.HurtleConf(
        state_path=heat.state_path,
        deployer__heat_url=heat.api_url + '/v1/%(project)s')
    conf_fix.setUp()
    conf = conf_fix.conf
    cc = cc_fixture.CCServer(conf, {'bench': 'bench-secret'})
    try:
        cc.setUp()
        cc_url = cc.url
        drivers = {
            'heat': deployers.load_driver('heat', conf, 'admin'),
            'cc': deployers.load_driver(
                'cc', conf, 'admin', so_identity=deployers.SOIdentity(
                    cc_url, 'bench', 'bench-secret')),
        }
        ratios = []
        print('run  heat_s   cc_s   ratio')
        for run in range(args.runs):
            heat_s = create_seconds(drivers['heat'], 'bench-heat-%d' % run)
            cc_s = create_seconds(drivers['cc'], 'bench-cc-%d' % run)
            ratios.append(cc_s / heat_s)
            print('%3d  %6.3f  %6.3f  %5.2f' % (run, heat_s, cc_s,
                                                ratios[-1]))
        print('median ratio cc/heat: %.2f' % statistics.median(ratios))
    finally:
        cc.cleanUp()
        conf_fix.cleanUp()
        heat.cleanUp()


if __name__ == '__main__':
    main()
