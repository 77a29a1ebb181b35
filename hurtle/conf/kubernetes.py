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
"""``[kubernetes]`` options: the CC's ``kubernetes`` runtime
(doc/source/admin/kubernetes.rst)."""
from oslo_config import cfg

kubernetes_group = cfg.OptGroup(
    'kubernetes', title='Kubernetes runtime of the Cloud Controller',
    help='Used when [cc] runtime = kubernetes: each SO is a Deployment, a '
         'Service, a Secret and optionally an Ingress.')

kubernetes_opts = [
    cfg.StrOpt('kubeconfig', default='',
               help='kubeconfig file the CC authenticates with (relative '
                    'to the directory of the config file that sets it). '
                    'Empty: the in-cluster service account of the CC\'s '
                    'own pod.'),
    cfg.StrOpt('context', default='',
               help='kubeconfig context to use (empty: its current '
                    'context).'),
    cfg.StrOpt('namespace', default='hurtle',
               help='Namespace the SOs are deployed in; it must exist.'),
    cfg.FloatOpt('api_timeout', default=10.0, min=0.1,
                 help='Seconds one Kubernetes API request may take.'),
    cfg.StrOpt('image', default='hurtle-so:latest',
               help='Container image running hurtle-so (the Containerfile '
                    'at the root of the source tree builds one), used for '
                    'an occi.app.image that is an SO bundle directory; the '
                    'bundle must be at the same path inside the image. Any '
                    'other registered occi.app.image is run as the '
                    'container image itself.'),
    cfg.StrOpt('image_pull_policy', default='IfNotPresent',
               choices=['Always', 'IfNotPresent', 'Never'],
               help='imagePullPolicy of the SO container.'),
    cfg.PortOpt('so_port', default=8080,
                help='Port the SO API listens on inside its pod (given to '
                     'hurtle-so as --port), probed for readiness.'),
    cfg.StrOpt('service_type', default='ClusterIP',
               choices=[('ClusterIP', 'SO URL http://<service>.<namespace>'
                                      '.svc:<so_port>/ (the SM runs in the '
                                      'cluster)'),
                        ('NodePort', 'SO URL http://<node_address>:'
                                     '<node port>/')],
               help='Type of each SO\'s Service, and so the SO URL the SM '
                    'is given (unless ingress_host is set).'),
    cfg.StrOpt('node_address', default='127.0.0.1',
               help='Address of a cluster node, for SO URLs of '
                    'service_type NodePort.'),
    cfg.StrOpt('ingress_host', default='',
               help='DNS domain of SO Ingresses: when set, each SO gets an '
                    'Ingress for host <name>.<ingress_host> and its URL is '
                    'http://<name>.<ingress_host>/.'),
    cfg.StrOpt('ingress_class', default='',
               help='ingressClassName of SO Ingresses (empty: the '
                    'cluster\'s default class).'),
    cfg.StrOpt('config_map', default='',
               help='ConfigMap (in namespace) holding a hurtle.conf for '
                    'the SOs ([deployer] options...): mounted at '
                    '/etc/hurtle and given to hurtle-so as --config-file. '
                    'Empty: the image\'s defaults.'),
    cfg.StrOpt('cpu_request', default='100m',
               help='CPU request of an SO container (Kubernetes quantity; '
                    'empty: none).'),
    cfg.StrOpt('memory_request', default='128Mi',
               help='Memory request of an SO container (empty: none).'),
    cfg.StrOpt('cpu_limit', default='1',
               help='CPU limit of an SO container (empty: none).'),
    cfg.StrOpt('memory_limit', default='512Mi',
               help='Memory limit of an SO container (empty: none).'),
]


def register_opts(conf):
    conf.register_group(kubernetes_group)
    conf.register_opts(kubernetes_opts, group=kubernetes_group)


def list_opts():
    return {kubernetes_group.name: kubernetes_opts}
