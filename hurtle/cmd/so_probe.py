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
"""``hurtle-so-probe``: the liveness probe of an SO in a Kubernetes pod
(doc/source/admin/kubernetes.rst, "Hung SOs").

The ``kubernetes`` runtime gives the SO container an ``exec``
``livenessProbe`` running, inside the container::

    hurtle-so-probe --port <so_port> --timeout <[cc] so_liveness_timeout>

It sends ``GET http://127.0.0.1:<port>/-/`` without the SO's secret and
exits 0 on any HTTP answer (401 included: the rule of
:mod:`hurtle.so_liveness`, which the CC's own probe on the other runtimes
follows too), 1 when none comes within ``--timeout`` seconds or the
port refuses the connection, with one line on standard error saying
which (the kubelet shows it in the pod's events). An
``httpGet`` probe cannot do this: the kubelet counts only 2xx and 3xx as
alive, and every path of the SO API answers 401 without the secret,
which must not be written in the pod spec.

It imports the standard library and :mod:`hurtle.so_liveness` only: it
runs every ``periodSeconds``.
"""
import argparse
import sys

from hurtle import so_liveness


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='hurtle-so-probe',
        description='Exit 0 when the SO API on this port answers GET /-/ '
                    '(any HTTP status), 1 otherwise.')
    parser.add_argument('--host', default='127.0.0.1',
                        help='address of the SO API (127.0.0.1)')
    parser.add_argument('--port', type=int, required=True,
                        help='port of the SO API')
    parser.add_argument('--timeout', type=float, default=10.0,
                        help='seconds to wait for the answer (10)')
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error('--timeout must be more than 0')
    host = '[%s]' % args.host if ':' in args.host else args.host
    reason = so_liveness.probe('http://%s:%d/' % (host, args.port),
                               args.timeout)
    if reason is None:
        return 0
    sys.stderr.write('the SO on port %d does not answer GET /-/: %s\n'
                     % (args.port, reason))
    return 1


if __name__ == '__main__':
    sys.exit(main())
