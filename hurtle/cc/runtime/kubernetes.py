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
"""The ``kubernetes`` runtime driver: each SO is a Deployment on a cluster
(doc/source/admin/kubernetes.rst).

``start`` creates, in ``[kubernetes] namespace``, the Secret, Service,
optional Ingress and Deployment of ``hurtle.cc.runtime.kubernetes_objects``
(in that order: the pod never starts before its Secret exists), then waits
up to ``[cc] so_start_timeout`` seconds for the Deployment to report an
available replica (its readiness probe answered). ``stop`` deletes every
object of the app by its label. Kubernetes restarts a crashed SO pod by
itself, and a hung one that fails the liveness probe built from ``[cc]
so_liveness_*`` (:func:`hurtle.cc.runtime.kubernetes_objects.
liveness_probe`) (:attr:`self_healing`): ``status`` reports the pod's
restart count and the CC neither probes nor restarts the SO on its
own.

Auth: ``[kubernetes] kubeconfig`` (and ``context``), or the in-cluster
service account when that option is empty.
"""
import json
import logging
import os

from kubernetes import client
from kubernetes.client import exceptions as kube_exc
from kubernetes import config as kube_config
import urllib3

from hurtle import bundle_command
from hurtle.cc.runtime import base
from hurtle.cc.runtime import kubernetes_objects as objects
from hurtle import conf as hurtle_conf
from hurtle import polling

LOG = logging.getLogger(__name__)

#: Seconds between two reads of a Deployment's status while starting.
POLL_INTERVAL = 0.2


def api_client(conf):
    """A ``kubernetes.client.ApiClient`` authenticated as ``[kubernetes]``
    says (kubeconfig file, or in-cluster service account).

    :raises RuntimeError: the kubeconfig cannot be read, or the CC does
        not run in a pod; the message says which.
    """
    opts = conf.kubernetes
    configuration = client.Configuration()
    try:
        if opts.kubeconfig:
            kube_config.load_kube_config(
                config_file=hurtle_conf.resolve_path(
                    conf, opts.kubeconfig, 'kubeconfig', 'kubernetes'),
                context=opts.context or None,
                client_configuration=configuration)
        else:
            kube_config.load_incluster_config(
                client_configuration=configuration)
    except (kube_config.ConfigException, OSError, ValueError) as exc:
        raise RuntimeError('[kubernetes] kubeconfig %s: %s' % (
            opts.kubeconfig or '(empty: in-cluster service account)', exc))
    configuration.retries = 0
    return client.ApiClient(configuration)


def _reason(exc):
    """The message of an API error (its ``Status`` body) or connection
    error."""
    if isinstance(exc, kube_exc.ApiException):
        try:
            body = json.loads(exc.body or '{}')
        except ValueError:
            body = {}
        return '%s %s: %s' % (exc.status, body.get('reason') or exc.reason,
                              body.get('message') or exc.body)
    return 'Kubernetes API unreachable: %s' % exc


class KubernetesRuntime(base.Runtime):
    """SOs as Deployments in ``[kubernetes] namespace``.

    The ``ref`` of an SO: ``{'name', 'namespace', 'url'}``.
    """

    self_healing = True

    def __init__(self, conf):
        self.conf = conf
        self.opts = conf.kubernetes
        self.namespace = self.opts.namespace
        self.api = api_client(conf)
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)
        self.networking = client.NetworkingV1Api(self.api)
        self.timeout = self.opts.api_timeout

    # -- start -------------------------------------------------------------
    def _container_image(self, image):
        """``(container image, bundle path or None)`` of ``occi.app.image``
        (a registered bundle directory or image name)."""
        if os.path.isabs(image) and os.path.isdir(image):
            return self.opts.image, image
        return image, None

    def _objects(self, app_id, image, env):
        name = objects.object_name(app_id)
        container_image, bundle = self._container_image(image)
        try:
            command = bundle_command.load(bundle) if bundle else None
        except bundle_command.BundleCommandError as exc:
            raise base.RuntimeError_(str(exc))
        ns = self.namespace
        made = [('secret', objects.secret(name, app_id, ns, env)),
                ('service', objects.service(name, app_id, ns, self.opts))]
        if self.opts.ingress_host:
            made.append(('ingress', objects.ingress(name, app_id, ns,
                                                    self.opts)))
        made.append(('deployment', objects.deployment(
            name, app_id, ns, container_image, bundle, env, self.opts,
            command, objects.Liveness.from_conf(self.conf))))
        return name, made

    def _create(self, kind, body):
        create = {
            'secret': self.core.create_namespaced_secret,
            'service': self.core.create_namespaced_service,
            'ingress': self.networking.create_namespaced_ingress,
            'deployment': self.apps.create_namespaced_deployment,
        }[kind]
        return create(self.namespace, body, _request_timeout=self.timeout)

    def start(self, app_id, image, env):
        """Deploy the SO and wait until its Deployment is available.

        :returns: ``(url, ref)``; the URL is ``http://<name>.<ingress_host>/``
            with an Ingress, ``http://<node_address>:<node port>/`` for a
            NodePort Service, else ``http://<name>.<namespace>.svc:<port>/``.
        :raises RuntimeError_: an object was refused (409 AlreadyExists,
            422 Invalid...: the API's message), the API is unreachable, or
            the SO was not ready within ``[cc] so_start_timeout`` seconds
            (with the pod's waiting reason); what was created is deleted.
        """
        name, made = self._objects(
            app_id, image, base.so_environment(self.conf, app_id, env))
        ref = {'name': name, 'namespace': self.namespace}
        service = None
        try:
            for kind, body in made:
                created = self._create(kind, body)
                if kind == 'service':
                    service = created
        except (kube_exc.ApiException, urllib3.exceptions.HTTPError) as exc:
            if getattr(exc, 'status', None) == 409:
                # Someone else's objects: never delete them.
                self._delete_created(made, kind)
                raise base.RuntimeError_(
                    'the %s %s/%s exists already (left by an earlier CC? '
                    'delete the objects labelled %s): %s'
                    % (kind, self.namespace, name, objects.selector(name),
                       _reason(exc)))
            self._cleanup(ref)
            raise base.RuntimeError_('cannot create the %s %s/%s: %s'
                                     % (kind, self.namespace, name,
                                        _reason(exc)))
        try:
            self._wait_available(name)
        except base.RuntimeError_:
            self._cleanup(ref)
            raise
        ref['url'] = self._url(name, service)
        return ref['url'], ref

    def _delete_created(self, made, failed_kind):
        """Delete, by name, the objects created before ``failed_kind``."""
        delete = {
            'secret': self.core.delete_namespaced_secret,
            'service': self.core.delete_namespaced_service,
            'ingress': self.networking.delete_namespaced_ingress,
        }
        for kind, body in made:
            if kind == failed_kind:
                return
            try:
                delete[kind](body.metadata.name, self.namespace,
                             _request_timeout=self.timeout)
            except (kube_exc.ApiException,
                    urllib3.exceptions.HTTPError) as exc:
                LOG.warning('could not delete the %s %s: %s', kind,
                            body.metadata.name, _reason(exc))

    def _cleanup(self, ref):
        try:
            self.stop(ref)
        except base.RuntimeError_ as exc:
            LOG.warning('could not remove the objects of SO %s: %s',
                        ref['name'], exc)

    def _url(self, name, service):
        host = objects.ingress_host(name, self.opts)
        if host:
            return 'http://%s/' % host
        if self.opts.service_type == 'NodePort':
            return 'http://%s:%d/' % (self.opts.node_address,
                                      service.spec.ports[0].node_port)
        return 'http://%s.%s.svc:%d/' % (name, self.namespace,
                                         self.opts.so_port)

    def _wait_available(self, name):
        def available():
            try:
                dep = self.apps.read_namespaced_deployment_status(
                    name, self.namespace, _request_timeout=self.timeout)
            except kube_exc.ApiException as exc:
                raise base.RuntimeError_('the Deployment %s/%s: %s' % (
                    self.namespace, name, _reason(exc)))
            except urllib3.exceptions.HTTPError:
                return None  # a passing outage: try again until timeout
            return True if (dep.status and dep.status.available_replicas) \
                else None
        try:
            polling.poll_until(available, self.conf.cc.so_start_timeout,
                               POLL_INTERVAL, 'SO Deployment available')
        except polling.Timeout:
            raise base.RuntimeError_(
                'SO Deployment %s/%s not available within %d s: %s'
                % (self.namespace, name, self.conf.cc.so_start_timeout,
                   self._pod_problem(name)))

    def _pods(self, name):
        return self.core.list_namespaced_pod(
            self.namespace, label_selector=objects.selector(name),
            _request_timeout=self.timeout).items

    def _pod_problem(self, name):
        """Why the SO's pod is not ready, from its container status."""
        try:
            pods = self._pods(name)
        except (kube_exc.ApiException, urllib3.exceptions.HTTPError) as exc:
            return 'pods unknown (%s)' % _reason(exc)
        if not pods:
            return 'no pod was created'
        for pod in pods:
            for status in (pod.status and pod.status.container_statuses
                           or []):
                waiting = status.state and status.state.waiting
                if waiting:
                    return 'container waiting: %s %s' % (
                        waiting.reason, waiting.message or '')
            if pod.status and pod.status.phase:
                return 'pod %s is %s, not ready' % (
                    pod.metadata.name, pod.status.phase)
        return 'pod not ready'

    # -- stop --------------------------------------------------------------
    def stop(self, ref):
        """Delete every object labelled with the app's name (an app
        already gone is fine).

        :raises RuntimeError_: the API refused a deletion or is
            unreachable (the app is kept; the CC answers 409).
        """
        name = (ref or {}).get('name')
        if not name:
            return
        namespace = ref.get('namespace') or self.namespace
        selector = objects.selector(name)
        deletions = [
            ('Deployments', self.apps.delete_collection_namespaced_deployment),
            ('Ingresses',
             self.networking.delete_collection_namespaced_ingress),
            ('Services', self.core.delete_collection_namespaced_service),
            ('Secrets', self.core.delete_collection_namespaced_secret),
        ]
        for what, delete in deletions:
            try:
                delete(namespace, label_selector=selector,
                       propagation_policy='Background',
                       _request_timeout=self.timeout)
            except kube_exc.ApiException as exc:
                if exc.status == 404:
                    continue
                raise base.RuntimeError_('cannot delete the %s of SO %s: %s'
                                         % (what, name, _reason(exc)))
            except urllib3.exceptions.HTTPError as exc:
                raise base.RuntimeError_('cannot delete the %s of SO %s: %s'
                                         % (what, name, _reason(exc)))

    # -- state -------------------------------------------------------------
    def status(self, ref):
        """The SO's state from its Deployment, restarts from its pods.

        ``active``: an available replica; ``starting``: not available and
        never restarted; ``error``: not available after a restart, or the
        Deployment is gone. An unreachable API reports ``active`` with
        the restarts unknown (0): the CC does not invent an outage.
        """
        name = (ref or {}).get('name')
        if not name:
            return base.Status('error', 0)
        namespace = ref.get('namespace') or self.namespace
        try:
            dep = self.apps.read_namespaced_deployment_status(
                name, namespace, _request_timeout=self.timeout)
            restarts = sum(
                cs.restart_count or 0 for pod in self._pods(name)
                for cs in (pod.status and pod.status.container_statuses
                           or []))
        except kube_exc.ApiException as exc:
            if exc.status == 404:
                return base.Status('error', 0)
            LOG.warning('status of SO %s unknown: %s', name, _reason(exc))
            return base.Status('active', 0)
        except urllib3.exceptions.HTTPError as exc:
            LOG.warning('status of SO %s unknown: %s', name, _reason(exc))
            return base.Status('active', 0)
        if dep.status and dep.status.available_replicas:
            return base.Status('active', restarts)
        return base.Status('error' if restarts else 'starting', restarts)

    def await_restart(self, ref):
        """Wait up to ``[cc] so_start_timeout`` seconds until the SO's
        Deployment has an available replica again (Kubernetes restarted
        its container after a crash or a failed liveness probe).

        :returns: True when it has, False when not in time or the
            Deployment is gone (logged with the pod's problem).
        """
        name = (ref or {}).get('name')
        if not name:
            return False
        try:
            self._wait_available(name)
        except base.RuntimeError_ as exc:
            LOG.warning('SO %s not back: %s', name, exc)
            return False
        return True

    def is_running(self, ref):
        """True while the SO's Deployment exists (Kubernetes keeps its
        pod running)."""
        name = (ref or {}).get('name')
        if not name:
            return False
        try:
            self.apps.read_namespaced_deployment(
                name, ref.get('namespace') or self.namespace,
                _request_timeout=self.timeout)
        except kube_exc.ApiException as exc:
            return exc.status != 404
        except urllib3.exceptions.HTTPError:
            return True
        return True

    def stop_all(self):
        """Nothing: the SOs outlive the CC on the cluster."""
