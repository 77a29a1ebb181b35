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
"""The Kubernetes objects of one SO, built as ``kubernetes.client`` models.

One SO (one CC app) is:

* a ``Secret`` holding the app's environment (``HURTLE_SO_SECRET``...);
* a ``Deployment`` of one pod running the SO image, every environment
  variable a ``secretKeyRef`` into that Secret (no value is written in the
  pod spec), a TCP readiness probe on the SO API port, for an SO of a
  bundle an ``exec`` liveness probe (:func:`liveness_probe`) behind a
  TCP startup probe, resource requests and limits from ``[kubernetes]``;
* a ``Service`` selecting that pod;
* an ``Ingress`` for ``<name>.<[kubernetes] ingress_host>`` when that
  option is set.

All carry the labels of :func:`labels`; ``SELECTOR_LABEL`` alone selects
every object of one app (the runtime deletes them by it).
"""
import collections
import hashlib
import math
import re

from kubernetes import client

from hurtle import bundle_command

#: Label whose value (the object name) selects every object of one app.
SELECTOR_LABEL = 'hurtle.io/app'
#: Annotation keeping the CC's app id as it is (labels cannot hold every
#: app id: ``abc_`` is a valid app id, not a valid label value).
APP_ID_ANNOTATION = 'hurtle.io/app-id'
MANAGED_BY = {'app.kubernetes.io/managed-by': 'hurtle-cc',
              'app.kubernetes.io/component': 'service-orchestrator'}
#: Where ``[kubernetes] config_map`` is mounted in the SO container.
CONFIG_DIR = '/etc/hurtle'
#: Where a command bundle's SO keeps its state (``HURTLE_SO_STATE_FILE``):
#: an ``emptyDir`` volume, which outlives a crashed container restarted
#: in its pod (not the pod).
STATE_DIR = '/var/lib/hurtle-so'
STATE_FILE = STATE_DIR + '/state.json'
STATE_VOLUME = 'so-state'
PREFIX = 'so-'
#: The liveness probe's command, in ``[kubernetes] image``
#: (:mod:`hurtle.cmd.so_probe`).
PROBE_COMMAND = 'hurtle-so-probe'
#: Seconds the kubelet gives the probe command beyond ``[cc]
#: so_liveness_timeout`` (its interpreter's start).
PROBE_START_SECONDS = 1
#: Seconds a container that failed its liveness probe has between SIGTERM
#: and SIGKILL (the least Kubernetes takes; the CC's own probe kills
#: at once).
PROBE_KILL_GRACE = 1
#: Seconds between two startup probes.
STARTUP_PERIOD = 1
#: DNS-1035 label (Service names; also a valid DNS-1123 subdomain).
DNS_LABEL = re.compile(r'^[a-z]([-a-z0-9]*[a-z0-9])?$')
MAX_NAME = 63


def object_name(app_id):
    """The name of every object of app ``app_id``: a DNS-1035 label.

    ``so-`` + the id in lower case with each run of other characters than
    ``a-z0-9`` turned into ``-``; when that changed the id (case, ``_``,
    ``.``) or it must be cut to 63 characters, 8 hex digits of the id's
    SHA-256 are appended, so two app ids never share a name.
    """
    base = re.sub(r'[^a-z0-9]+', '-', str(app_id).lower()).strip('-')
    name = PREFIX + base
    if base == app_id and len(name) <= MAX_NAME:
        return name
    digest = hashlib.sha256(str(app_id).encode('utf-8')).hexdigest()[:8]
    return '%s-%s' % (name[:MAX_NAME - 9].rstrip('-'), digest)


def labels(name):
    """The labels of every object of the app whose objects are ``name``."""
    result = dict(MANAGED_BY)
    result[SELECTOR_LABEL] = name
    return result


def selector(name):
    """The label selector (string) of every object of ``name``."""
    return '%s=%s' % (SELECTOR_LABEL, name)


class Liveness(collections.namedtuple(
        'Liveness', 'failures timeout interval start_timeout')):
    """The ``[cc]`` options the liveness probe of an SO pod follows:
    ``failures`` (``so_liveness_failures``; 0: no probe), ``timeout`` and
    ``interval`` (``so_liveness_timeout``/``_interval``, seconds, float),
    ``start_timeout`` (``so_start_timeout``, seconds)."""

    @classmethod
    def from_conf(cls, conf):
        opts = conf.cc
        return cls(opts.so_liveness_failures, opts.so_liveness_timeout,
                   opts.so_liveness_interval, opts.so_start_timeout)


def liveness_probe(port, liveness):
    """The ``livenessProbe`` of an SO container serving on ``port``, or
    None when ``liveness.failures`` is 0.

    ``exec`` of ``hurtle-so-probe --port <port> --timeout <timeout>``
    (any HTTP answer to ``GET /-/`` is alive, as for the CC's own probe);
    ``periodSeconds`` is the interval and ``timeoutSeconds`` the timeout
    plus :data:`PROBE_START_SECONDS`, both rounded up to whole seconds
    (at least 1, the API's least); ``failureThreshold`` the failures;
    ``terminationGracePeriodSeconds`` :data:`PROBE_KILL_GRACE`.
    """
    if not liveness or not liveness.failures:
        return None
    return client.V1Probe(
        _exec=client.V1ExecAction(command=[
            PROBE_COMMAND, '--port', str(port),
            '--timeout', '%g' % liveness.timeout]),
        period_seconds=max(1, int(math.ceil(liveness.interval))),
        timeout_seconds=int(math.ceil(liveness.timeout)) +
        PROBE_START_SECONDS,
        failure_threshold=liveness.failures, success_threshold=1,
        termination_grace_period_seconds=PROBE_KILL_GRACE)


def startup_probe(port, liveness):
    """The ``startupProbe`` holding the liveness probe back until the SO
    listens on ``port`` (TCP, every :data:`STARTUP_PERIOD` s, for up to
    ``liveness.start_timeout`` s), or None without a liveness probe."""
    if not liveness or not liveness.failures:
        return None
    return client.V1Probe(
        tcp_socket=client.V1TCPSocketAction(port=port),
        period_seconds=STARTUP_PERIOD,
        failure_threshold=max(1, int(math.ceil(
            liveness.start_timeout / STARTUP_PERIOD))))


def _metadata(name, app_id, namespace):
    return client.V1ObjectMeta(name=name, namespace=namespace,
                               labels=labels(name),
                               annotations={APP_ID_ANNOTATION: app_id})


def secret(name, app_id, namespace, env):
    """The ``V1Secret`` holding ``env`` (dict of str) as ``stringData``."""
    return client.V1Secret(api_version='v1', kind='Secret',
                           metadata=_metadata(name, app_id, namespace),
                           type='Opaque', string_data=dict(env))


def _resources(opts):
    requests = {k: v for k, v in (('cpu', opts.cpu_request),
                                  ('memory', opts.memory_request)) if v}
    limits = {k: v for k, v in (('cpu', opts.cpu_limit),
                                ('memory', opts.memory_limit)) if v}
    return client.V1ResourceRequirements(requests=requests or None,
                                         limits=limits or None)


def _container(name, image, bundle, env_keys, opts, command=None,
               liveness=None):
    args = ['--host', '0.0.0.0', '--port', str(opts.so_port)]
    if bundle:
        args = ['--bundle', bundle] + args
    mounts = []
    if opts.config_map:
        args += ['--config-file', CONFIG_DIR + '/hurtle.conf']
        mounts.append(client.V1VolumeMount(name='hurtle-conf',
                                           mount_path=CONFIG_DIR,
                                           read_only=True))
    plain = []
    if command:
        # An SO in any language: its bundle.json command, in the bundle
        # directory, told its address, port and state file by the
        # environment.
        args = None
        plain = [client.V1EnvVar(name=key, value=value) for key, value in
                 sorted(bundle_command.environment(
                     '0.0.0.0', opts.so_port,
                     state_file=STATE_FILE).items())]
        mounts.append(client.V1VolumeMount(name=STATE_VOLUME,
                                           mount_path=STATE_DIR))
    env = [client.V1EnvVar(name=key, value_from=client.V1EnvVarSource(
        secret_key_ref=client.V1SecretKeySelector(name=name, key=key)))
        for key in sorted(env_keys)] + plain
    return client.V1Container(
        name='so', image=image, image_pull_policy=opts.image_pull_policy,
        command=command or None, args=args, env=env or None,
        working_dir=bundle if command else None,
        ports=[client.V1ContainerPort(name='so-api',
                                      container_port=opts.so_port)],
        # TCP: every path of the SO API wants the SO secret (401), which
        # an httpGet probe would count as a failure.
        readiness_probe=client.V1Probe(
            tcp_socket=client.V1TCPSocketAction(port=opts.so_port),
            period_seconds=2, failure_threshold=3),
        # hurtle-so-probe is in [kubernetes] image, which runs bundles
        # only: an SO image of its own gets none.
        liveness_probe=liveness_probe(opts.so_port, liveness)
        if bundle else None,
        startup_probe=startup_probe(opts.so_port, liveness)
        if bundle else None,
        resources=_resources(opts), volume_mounts=mounts or None)


def deployment(name, app_id, namespace, image, bundle, env_keys, opts,
               command=None, liveness=None):
    """The ``V1Deployment`` of the SO.

    :param image: the container image.
    :param bundle: the SO bundle path inside the image (``--bundle``), or
        None for an image that knows its SO.
    :param command: the bundle's ``bundle.json`` command
        (:mod:`hurtle.bundle_command`), run in ``bundle`` as the
        container's command with ``HURTLE_SO_HOST``/``HURTLE_SO_PORT``
        instead of hurtle-so's arguments, and ``HURTLE_SO_STATE_FILE`` in
        an ``emptyDir`` volume (:data:`STATE_DIR`); None for a Python
        bundle.
    :param env_keys: names of the environment variables, each read from
        the Secret ``name`` (:func:`secret`).
    :param opts: the ``[kubernetes]`` option group.
    :param liveness: a :class:`Liveness`: the container of a bundle gets
        :func:`liveness_probe` and :func:`startup_probe`; None: neither.
    """
    volumes = []
    if opts.config_map:
        volumes.append(client.V1Volume(
            name='hurtle-conf',
            config_map=client.V1ConfigMapVolumeSource(name=opts.config_map)))
    if command:
        volumes.append(client.V1Volume(
            name=STATE_VOLUME, empty_dir=client.V1EmptyDirVolumeSource()))
    template = client.V1PodTemplateSpec(
        metadata=client.V1ObjectMeta(labels=labels(name),
                                     annotations={APP_ID_ANNOTATION: app_id}),
        spec=client.V1PodSpec(
            containers=[_container(name, image, bundle, env_keys, opts,
                                   command, liveness)],
            volumes=volumes or None,
            automount_service_account_token=False,
            restart_policy='Always'))
    return client.V1Deployment(
        api_version='apps/v1', kind='Deployment',
        metadata=_metadata(name, app_id, namespace),
        spec=client.V1DeploymentSpec(
            replicas=1,
            selector=client.V1LabelSelector(
                match_labels={SELECTOR_LABEL: name}),
            strategy=client.V1DeploymentStrategy(type='Recreate'),
            template=template))


def service(name, app_id, namespace, opts):
    """The ``V1Service`` in front of the SO's pod (``[kubernetes]
    service_type``), port ``so_port``."""
    return client.V1Service(
        api_version='v1', kind='Service',
        metadata=_metadata(name, app_id, namespace),
        spec=client.V1ServiceSpec(
            type=opts.service_type, selector={SELECTOR_LABEL: name},
            ports=[client.V1ServicePort(name='so-api', port=opts.so_port,
                                        target_port=opts.so_port,
                                        protocol='TCP')]))


def ingress_host(name, opts):
    """The Ingress host of ``name``, or None without ``ingress_host``."""
    return '%s.%s' % (name, opts.ingress_host) if opts.ingress_host else None


def ingress(name, app_id, namespace, opts):
    """The ``V1Ingress`` routing :func:`ingress_host` to the Service."""
    backend = client.V1IngressBackend(service=client.V1IngressServiceBackend(
        name=name, port=client.V1ServiceBackendPort(number=opts.so_port)))
    return client.V1Ingress(
        api_version='networking.k8s.io/v1', kind='Ingress',
        metadata=_metadata(name, app_id, namespace),
        spec=client.V1IngressSpec(
            ingress_class_name=opts.ingress_class or None,
            rules=[client.V1IngressRule(
                host=ingress_host(name, opts),
                http=client.V1HTTPIngressRuleValue(paths=[
                    client.V1HTTPIngressPath(path='/', path_type='Prefix',
                                             backend=backend)]))]))
