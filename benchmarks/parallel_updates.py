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
"""Parallel updates of one instance: how many the SM accepts per round.

Starts the embedded default (``hurtle-all`` on free loopback ports), creates
one sample instance and, for each of ``--rounds`` rounds, sends
``--parallel`` partial updates of ``sample.greeting`` at once (threads
behind a barrier). Per round it prints the number answered 200 (should be
exactly 1, the rest 409) and, once the instance is active again, whether
the SM's ``mcn.endpoint.sample`` equals the deployed stack's output.

Usage: ``python benchmarks/parallel_updates.py [--rounds N] [--parallel
N]`` from the repository root, with Hurtle installed. Runs on any Hurtle
revision (it uses only the SM's API and the embedded Heat).
"""
import argparse
import os
import sys
import threading
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from hurtle.occi import client as occi_client  # noqa: E402
from tests.functional import hurtle_fixture  # noqa: E402

KIND = 'sample; scheme="http://schemas.hurtle.it/occi/sm#"; class="kind"'
HEADERS = {'Category': KIND, 'Content-Type': 'text/occi',
           'X-Project-Id': 'demo'}


def wait_active(client, location, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        attrs = client.get(location).attributes
        if attrs['mcn.service.state'] in ('active', 'failed'):
            return attrs
        time.sleep(0.2)
    return attrs


def one_round(location, round_, parallel):
    barrier = threading.Barrier(parallel)
    codes = [None] * parallel

    def send(index):
        barrier.wait()
        codes[index] = requests.post(location, headers=dict(
            HEADERS, **{'X-OCCI-Attribute': 'sample.greeting="r%d-%d"'
                        % (round_, index)}), timeout=120).status_code
    threads = [threading.Thread(target=send, args=(i,))
               for i in range(parallel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return codes


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--rounds', type=int, default=20)
    parser.add_argument('--parallel', type=int, default=10)
    args = parser.parse_args()
    hurtle = hurtle_fixture.HurtleAll(
        manifests=(hurtle_fixture.SAMPLE_MANIFEST,))
    hurtle.setUp()
    try:
        client = occi_client.OCCIClient(hurtle.sm_url,
                                        headers={'X-Project-Id': 'demo'})
        heat = hurtle.heat_client()
        resp = requests.post(hurtle.sm_url + 'sample/', headers=HEADERS,
                             timeout=30)
        location = resp.headers['Location']
        attrs = wait_active(client, location)
        stack_id = attrs['occi.mcn.stack.id']
        accepted, mismatches = [], 0
        for round_ in range(args.rounds):
            codes = one_round(location, round_, args.parallel)
            attrs = wait_active(client, location)
            time.sleep(1.0)   # a racing lifecycle may still write
            attrs = wait_active(client, location)
            stack = heat.stacks.get(stack_id)
            deployed = {o['output_key']: o.get('output_value')
                        for o in stack.outputs or []}
            same = deployed.get('mcn.endpoint.sample') == attrs.get(
                'mcn.endpoint.sample')
            mismatches += not same
            accepted.append(codes.count(200))
            print('round %2d: %d accepted (200), %d refused (409), state '
                  '%s, SM attribute == deployed output: %s'
                  % (round_, codes.count(200), codes.count(409),
                     attrs['mcn.service.state'], same), flush=True)
        print('accepted per round: min %d, max %d; rounds with more than '
              'one accepted: %d of %d; SM != deployed: %d'
              % (min(accepted), max(accepted),
                 sum(1 for a in accepted if a > 1), len(accepted),
                 mismatches))
    finally:
        hurtle.cleanUp()


if __name__ == '__main__':
    main()
