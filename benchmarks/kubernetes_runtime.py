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
"""SO start time on the ``kubernetes`` runtime (simulated cluster) against
the ``local`` runtime, and the CC's own overhead on Kubernetes.

Serves the CC's app API twice in this process (``[cc] runtime = local``,
then ``kubernetes`` against tests/k8s_simulator.py with the simulated
kubelet of tests/k8s_kubelet.py, which runs each SO as a local process as
the ``local`` runtime does), and for each of ``--runs`` apps of the sample
SO bundle measures:

* ``local``: seconds of ``POST /app/`` (201 once the SO serves) on the
  ``local`` runtime, the baseline;
* ``k8s``: the same on the ``kubernetes`` runtime;
* ``ratio``: ``k8s`` / ``local``;
* ``to_deploy``: seconds from ``POST /app/`` to the Deployment's POST
  reaching the API (the CC's overhead before the cluster works);
* ``after_ready``: seconds from the kubelet seeing the pod ready to the
  201 (the CC noticing: its status polling, ~0.2 s).

Usage: ``python benchmarks/kubernetes_runtime.py [--runs N]`` from the
repository root, with Hurtle and its test requirements installed.
"""
import argparse
import json
import os
import statistics
import sys
import time

import fixtures

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

from hurtle.cc.runtime import kubernetes_objects as objects  # noqa: E402
from tests import k8s_kubelet  # noqa: E402
from tests.unit.cc import test_app_api  # noqa: E402

ENV = json.dumps({'HURTLE_SO_SECRET': 'bench', 'HURTLE_INSTANCE_ID': 'b'})


class _CC(fixtures.Fixture):
    """Holds what ``test_app_api.serve_cc`` sets up, until cleanUp."""

    def __init__(self, **overrides):
        super().__init__()
        self.overrides = overrides

    def _setUp(self):
        test_app_api.serve_cc(self, cc__allowed_images=[
            test_app_api.BUNDLE], **self.overrides)

    def start_app(self, index):
        started = time.monotonic()
        location = self.client.create('/app/', test_app_api.APP, {
            'occi.app.name': 'bench-%d' % index,
            'occi.app.image': test_app_api.BUNDLE, 'occi.app.env': ENV})
        return location, started, time.monotonic() - started


def run_local(runs):
    cc = _CC()
    cc.setUp()
    try:
        times = []
        for index in range(runs):
            location, _, seconds = cc.start_app(index)
            times.append(seconds)
            cc.client.delete(location)
        return times
    finally:
        cc.cleanUp()


def run_kubernetes(runs):
    cluster = k8s_kubelet.Cluster()
    cluster.setUp()
    cc = _CC(cc__runtime='kubernetes',
             kubernetes__kubeconfig=cluster.kubeconfig,
             kubernetes__service_type='NodePort')
    try:
        cc.setUp()
        rows = []
        for index in range(runs):
            location, started, seconds = cc.start_app(index)
            name = objects.object_name(location.rstrip('/').rsplit('/')[-1])
            posted = [t for t, method, path in cluster.sim.log
                      if method == 'POST' and path.endswith('/deployments')
                      and t >= started][0]
            ready = cluster.kubelet.ready_at[name]
            rows.append((seconds, posted - started,
                         started + seconds - ready))
            cc.client.delete(location)
        return rows
    finally:
        cc.cleanUp()
        cluster.cleanUp()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--runs', type=int, default=3)
    args = parser.parse_args()
    local = run_local(args.runs)
    k8s = run_kubernetes(args.runs)
    print('%4s %8s %8s %7s %12s %14s' % (
        'run', 'local_s', 'k8s_s', 'ratio', 'to_deploy_s', 'after_ready_s'))
    for run, (base, row) in enumerate(zip(local, k8s), 1):
        print('%4d %8.2f %8.2f %7.2f %12.3f %14.3f'
              % (run, base, row[0], row[0] / base, row[1], row[2]))
    print('median ratio k8s/local: %.2f'
          % statistics.median(row[0] / base for base, row in zip(local, k8s)))


if __name__ == '__main__':
    main()
