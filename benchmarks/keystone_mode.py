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
"""Create → ``active`` in Keystone mode with trusts, as a ratio to noauth.

Starts a real Keystone (``tests.keystone_fixture``) and three
``hurtle-all`` on free loopback ports:

* ``noauth``: the embedded default;
* ``keystone``: Keystone mode against that Keystone (tokens checked by
  keystonemiddleware on the SM and the CC, the SM's service token), the
  SOs deploying to the embedded noauth Heat;
* ``trusts``: Keystone mode end to end: the embedded Heat checks tokens,
  the SM creates a trust from the user at each create and deletes it with
  the instance, the SO deploys with it into the user's project, and Heat
  makes its own trust per stack.

Then, alternating between them so that all see the same machine load, it
creates ``--runs`` sample instances on each and measures seconds from the
SM's 201 to ``active``, and from DELETE to 404. Prints each run, the
medians and the ratios to noauth.

Usage: ``python benchmarks/keystone_mode.py [--runs N]`` from the
repository root (the first run builds ``.tox/keystone`` from PyPI).
"""
import argparse
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from benchmarks import lifecycle  # noqa: E402

from hurtle.occi import client as occi_client  # noqa: E402
from tests.functional import hurtle_fixture  # noqa: E402
from tests.functional import keystone_hurtle  # noqa: E402
from tests.functional import test_keystone_mode  # noqa: E402
from tests import keystone_fixture  # noqa: E402

KIND = test_keystone_mode.KIND


def one_run(client):
    """``(create_seconds, delete_seconds)`` of one sample instance."""
    started = time.monotonic()
    location = client.create('/sample/', KIND, {'sample.greeting': 'hi'})
    while True:
        attrs = client.get(location).attributes
        if attrs['mcn.service.state'] in ('active', 'failed'):
            break
        time.sleep(0.05)
    created = time.monotonic() - started
    if attrs['mcn.service.state'] != 'active':
        raise RuntimeError('instance failed: %s'
                           % attrs.get('mcn.service.state.reason'))
    return created, lifecycle.delete_seconds(client, location)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=5)
    args = parser.parse_args()
    keystone = keystone_fixture.Keystone(internal_identity=False)
    keystone.setUp()
    parts = [keystone]
    try:
        keystone.add_heat_accounts()
        noauth = hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,))
        noauth.setUp()
        parts.append(noauth)
        keyed = hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,),
            extra_conf=keystone_hurtle.hurtle_conf(keystone))
        keyed.setUp()
        parts.append(keyed)
        trusted = hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,),
            extra_conf=keystone_hurtle.hurtle_conf(keystone, heat=True))
        trusted.setUp()
        parts.append(trusted)
        keystone.add_service('heat', 'orchestration',
                             trusted.heat_url + '/v1/%(tenant_id)s')
        modes = ('noauth', 'keystone', 'trusts')
        rows = {mode: [] for mode in modes}
        print('%4s %-9s %9s %9s' % ('run', 'mode', 'create_s', 'delete_s'))
        for run in range(1, args.runs + 1):
            for mode in modes:
                if mode == 'noauth':
                    client = occi_client.OCCIClient(
                        noauth.sm_url, headers={'X-Project-Id': 'bench'})
                else:
                    # A member of demo, with a new token for each run as a
                    # client would.
                    client = occi_client.OCCIClient(
                        (keyed if mode == 'keystone' else trusted).sm_url,
                        headers={'X-Auth-Token': keystone.token('demo',
                                                                'demo')})
                created, deleted = one_run(client)
                rows[mode].append((created, deleted))
                print('%4d %-9s %9.2f %9.2f' % (run, mode, created, deleted))
        medians = {mode: [statistics.median(r[i] for r in rows[mode])
                          for i in (0, 1)] for mode in modes}
        for mode in modes:
            print('%-9s median create %.2f s, delete %.2f s'
                  % (mode, medians[mode][0], medians[mode][1]))
        for mode in modes[1:]:
            print('%s/noauth: create %.2fx, delete %.2fx'
                  % (mode, medians[mode][0] / medians['noauth'][0],
                     medians[mode][1] / medians['noauth'][1]))
    finally:
        for part in reversed(parts):
            part.cleanUp()


if __name__ == '__main__':
    main()
