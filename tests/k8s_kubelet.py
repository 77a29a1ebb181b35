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
"""A "kubelet" for :mod:`tests.k8s_simulator`: runs each Deployment's SO
as a local process, as the ``local`` runtime would.

Every ``interval`` seconds it looks at the simulator's Deployments:

- a new Deployment gets a Pod (labels of its template, an owner
  reference, status ``Pending``); its environment is resolved from the
  ``secretKeyRef``\\ s of the container (a missing Secret or key leaves the
  pod waiting with ``CreateContainerConfigError``); an image other than
  ``image`` waits with ``ErrImagePull``;
- the container runs ``python -m hurtle.cmd.so`` with the container's
  args, ``--host 127.0.0.1 --port 0 --port-file <file>`` (the SO binds a
  free port and says which: none is guessed) and ``--config-file`` the
  kubelet's ``config_files`` (standing in for the mounted ConfigMap);
- each node port of a ``NodePort`` Service (a socket the simulator
  bound) is forwarded, as kube-proxy does, to the port of a ready pod
  the Service selects; a connection with no such pod is closed; the
  node port closes with the Service;
- the readiness probe (TCP or HTTP GET on that port) passing makes the
  pod ``Running``/``Ready`` and the Deployment available;
- a ``startupProbe`` and a ``livenessProbe`` are run as a kubelet's probe
  workers do, on a thread per container start (:class:`_ProbeWorker`):
  the startup probe first (readiness and liveness wait for it; its
  ``failureThreshold`` failures kill the container), then the liveness
  probe every ``periodSeconds`` after ``initialDelaySeconds``, each try
  given ``timeoutSeconds``; ``failureThreshold`` failures in a row kill
  the container (SIGTERM, SIGKILL after the probe's
  ``terminationGracePeriodSeconds``, else the pod's, else 30 s), which
  is then restarted as one that exited. Unset fields take the API's
  defaults (period 10, timeout 1, failure threshold 3). ``exec`` runs
  the command on this node with the container's environment, the
  node's programs standing in for the image's (:data:`PROGRAMS`) and a
  ``--port <containerPort>`` argument pointed at the port the SO bound
  (the pod's network namespace); it passes when it exits 0 within the
  timeout. ``httpGet`` passes on 200-399, ``tcpSocket`` on a
  connection;
- a container that exits is started again with ``restartCount`` + 1
  (``lastState.terminated`` with its exit code, 128 + the signal for one
  killed), the Deployment unavailable until the probe passes again (no
  crash-loop back-off);
- a Deployment that is gone has its process stopped (SIGTERM, SIGKILL
  after 10 s).

:meth:`Kubelet.kill` SIGKILLs the SO of a Deployment (a crash),
:meth:`Kubelet.signal` sends it another signal (SIGSTOP: a hung SO);
``Kubelet.ready_at[name]`` is when (``time.monotonic()``) the pod of
Deployment ``name`` first passed its readiness probe;
``Kubelet.probe_kills`` lists ``(time.monotonic(), deployment, probe
kind, why)`` of each container a probe killed.
"""
import base64
import os
import socket
import subprocess
import sys
import threading
import time
import uuid

import fixtures
import requests

from tests import k8s_simulator
from tests import processes

STOP_GRACE_SECONDS = 10
#: The pod's ``terminationGracePeriodSeconds`` when it sets none.
DEFAULT_POD_GRACE = 30
#: What a probe field is when unset (the API server's defaults).
PROBE_DEFAULTS = {'initialDelaySeconds': 0, 'periodSeconds': 10,
                  'timeoutSeconds': 1, 'successThreshold': 1,
                  'failureThreshold': 3}
#: The node's stand-ins for the programs of the SO image an ``exec``
#: probe may run.
PROGRAMS = {'hurtle-so-probe': [sys.executable, '-P', '-m',
                                'hurtle.cmd.so_probe']}


class _Container(object):
    def __init__(self, namespace, deployment, pod_name, uid, labels,
                 port_file):
        self.labels = labels
        self.port_file = port_file
        self.namespace = namespace
        self.deployment = deployment
        self.pod_name = pod_name
        self.uid = uid
        self.proc = None
        self.port = None
        self.restarts = 0
        self.ready = False
        self.waiting = ('ContainerCreating', '')
        self.last_exit = None
        #: The container's environment (for exec probes).
        self.env = {}
        #: True once the startup probe passed (or there is none).
        self.started = False
        #: The probe worker of the current process (None: none).
        self.worker = None


#: A probe's failure while the container listens on no port yet.
_REFUSED = 'dial tcp 127.0.0.1:%s: connect: connection refused'


def _exit_code(returncode):
    """A container's exit code: 128 + the signal for one killed."""
    return 128 - returncode if returncode < 0 else returncode


class _ProbeWorker(object):
    """Runs the startup and liveness probes of one start of a container
    (see the module docstring), on a daemon thread of its own.

    :param kubelet: the :class:`Kubelet` (its probe checks and its
        record of kills).
    :param container: the :class:`_Container`.
    :param proc: the process of this start (the worker ends with it).
    :param pod_spec: the pod template's spec.
    """

    def __init__(self, kubelet, container, proc, pod_spec):
        self.kubelet = kubelet
        self.container = container
        self.proc = proc
        self.spec = pod_spec['containers'][0]
        self.pod_grace = pod_spec.get('terminationGracePeriodSeconds')
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True,
                                       name='probe-%s' % container.pod_name)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self._stop.set()

    def _alive(self):
        return not self._stop.is_set() and self.proc.poll() is None

    def _run(self):
        startup = self.spec.get('startupProbe')
        if startup and not self._until_failed(startup, 'Startup',
                                              until_success=True):
            return
        self.container.started = True
        liveness = self.spec.get('livenessProbe')
        if liveness:
            self._until_failed(liveness, 'Liveness')

    def _until_failed(self, probe, kind, until_success=False):
        """Probe until ``failureThreshold`` failures in a row (then kill
        the container and return False), the process ends (False) or,
        with ``until_success``, a probe passes (True)."""
        field = dict(PROBE_DEFAULTS)
        field.update({k: v for k, v in probe.items() if v is not None})
        if self._stop.wait(field['initialDelaySeconds']):
            return False
        failures = 0
        while self._alive():
            began = time.monotonic()
            why = self.kubelet.check(probe, self.container,
                                     field['timeoutSeconds'])
            if not self._alive():
                return False
            if why is None:
                failures = 0
                if until_success:
                    return True
            else:
                failures += 1
                if failures >= field['failureThreshold']:
                    self._kill(probe, kind, why)
                    return False
            self._stop.wait(max(0.0, began + field['periodSeconds'] -
                                time.monotonic()))
        return False

    def _kill(self, probe, kind, why):
        grace = probe.get('terminationGracePeriodSeconds')
        if grace is None:
            grace = self.pod_grace
        if grace is None:
            grace = DEFAULT_POD_GRACE
        self.kubelet.probe_kills.append((time.monotonic(),
                                         self.container.deployment, kind,
                                         why))
        processes.terminate(self.proc, grace)


class _NodePortProxy(object):
    """The "kube-proxy" of one node port: forwards each connection to the
    port of a ready pod matching the Service's selector (closes it when
    there is none).

    :param sock: the node port's bound socket (from the simulator).
    :param target: callable returning the pod port to forward to, or
        None.
    """

    def __init__(self, sock, target):
        self.sock = sock
        self.target = target
        self._closed = threading.Event()
        sock.listen(16)
        sock.settimeout(0.2)
        threading.Thread(target=self._accept, name='node-port',
                         daemon=True).start()

    def close(self):
        self._closed.set()
        try:
            self.sock.shutdown(socket.SHUT_RDWR)  # stops listening now
        except OSError:
            pass
        self.sock.close()

    def _accept(self):
        while not self._closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            port = self.target()
            try:
                upstream = socket.create_connection(('127.0.0.1', port), 5) \
                    if port else None
            except OSError:
                upstream = None
            if upstream is None:
                conn.close()
                continue
            for src, dst in ((conn, upstream), (upstream, conn)):
                threading.Thread(target=_pipe, args=(src, dst),
                                 daemon=True).start()


def _pipe(src, dst):
    """Copy ``src`` to ``dst`` until EOF, then half-close ``dst``."""
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass


def _read_port(path):
    """The port an SO wrote to ``path`` (``--port-file``), or None."""
    try:
        with open(path) as handle:
            text = handle.read().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


class Kubelet(fixtures.Fixture):
    """See the module docstring.

    :param simulator: a started ``KubernetesSimulator``.
    :param image: the image this node can run (``[kubernetes] image``).
    :param config_files: ``--config-file`` paths given to every SO.
    :param log_dir: where each SO's output goes (``<pod>.log``).
    """

    def __init__(self, simulator, image, config_files, log_dir,
                 interval=0.1):
        super().__init__()
        self.sim = simulator
        self.image = image
        self.config_files = list(config_files)
        self.log_dir = log_dir
        self.interval = interval
        self.containers = {}  # deployment uid -> _Container
        self.proxies = {}  # service uid -> [_NodePortProxy]
        self.ready_at = {}
        self.probe_kills = []
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def _setUp(self):
        os.makedirs(self.log_dir, exist_ok=True)
        self._thread = threading.Thread(target=self._run, name='kubelet',
                                        daemon=True)
        self._thread.start()
        self.addCleanup(self._shutdown)

    def _shutdown(self):
        self._stop.set()
        self._thread.join(30)
        with self._lock:
            for proxies in self.proxies.values():
                for proxy in proxies:
                    proxy.close()
            self.proxies.clear()
            for container in list(self.containers.values()):
                self._terminate(container)
            self.containers.clear()

    def kill(self, deployment, namespace='hurtle'):
        """SIGKILL the SO process of ``deployment``; returns its pid."""
        with self._lock:
            for container in self.containers.values():
                if (container.deployment, container.namespace) == (
                        deployment, namespace) and container.proc:
                    container.proc.kill()
                    return container.proc.pid
        raise LookupError('no running SO for deployment %s' % deployment)

    def signal(self, deployment, signum, namespace='hurtle'):
        """Send ``signum`` to the SO process of ``deployment`` (SIGSTOP:
        it runs and answers nothing); returns its pid."""
        with self._lock:
            for container in self.containers.values():
                if (container.deployment, container.namespace) == (
                        deployment, namespace) and container.proc:
                    container.proc.send_signal(signum)
                    return container.proc.pid
        raise LookupError('no running SO for deployment %s' % deployment)

    def pid(self, deployment, namespace='hurtle'):
        """Pid of the SO process of ``deployment`` (None if none)."""
        with self._lock:
            for container in self.containers.values():
                if (container.deployment, container.namespace) == (
                        deployment, namespace) and container.proc:
                    return container.proc.pid
        return None

    # -- the loop ------------------------------------------------------
    def _run(self):
        while not self._stop.wait(self.interval):
            try:
                self.sync()
            except Exception as exc:  # keep the node alive; tests see it
                sys.stderr.write('kubelet: %r\n' % exc)

    def sync(self):
        """One pass over the Deployments (see the module docstring)."""
        deployments = {d['metadata']['uid']: d
                       for d in self.sim.list('deployments')}
        with self._lock:
            self._sync_proxies()
            for uid in [u for u in self.containers if u not in deployments]:
                container = self.containers.pop(uid)
                self._terminate(container)
                self.sim.delete_pod(container.namespace, container.pod_name)
            for uid, dep in deployments.items():
                container = self.containers.get(uid)
                if container is None:
                    meta = dep['metadata']
                    pod_name = '%s-%s' % (meta['name'],
                                          uuid.uuid4().hex[:10])
                    container = _Container(
                        meta['namespace'], meta['name'], pod_name, uid,
                        dep['spec']['template']['metadata']['labels'],
                        os.path.join(self.log_dir, pod_name + '.port'))
                    self.containers[uid] = container
                self._step(dep, container)
                self._publish(dep, container)

    def _sync_proxies(self):
        services = {svc['metadata']['uid']: svc
                    for svc in self.sim.list('services')
                    if svc['spec'].get('type') == 'NodePort'}
        for uid in [u for u in self.proxies if u not in services]:
            for proxy in self.proxies.pop(uid):
                proxy.close()
        for uid, svc in services.items():
            if uid in self.proxies:
                continue
            target = self._target(svc['metadata']['namespace'],
                                  svc['spec'].get('selector') or {})
            self.proxies[uid] = [
                _NodePortProxy(sock, target)
                for sock in (self.sim.take_port(p['nodePort'])
                             for p in svc['spec']['ports']) if sock]

    def _target(self, namespace, selector):
        """A callable: the port of a ready pod of ``namespace`` whose
        labels match ``selector`` (None if none)."""
        def port():
            # No lock: sync() holds it while it stops SOs; a copy of the
            # values is taken atomically.
            for container in list(self.containers.values()):
                if container.ready and container.namespace == namespace \
                        and selector and all(container.labels.get(k) == v
                                             for k, v in selector.items()):
                    return container.port
            return None
        return port

    def _step(self, dep, container):
        spec = dep['spec']['template']['spec']['containers'][0]
        if container.proc is not None and container.proc.poll() is not None:
            container.last_exit = _exit_code(container.proc.returncode)
            container.proc = None
            container.ready = False
            container.started = False
            container.restarts += 1
        if container.proc is None:
            if spec['image'] != self.image:
                container.waiting = ('ErrImagePull', 'image %s not found'
                                     % spec['image'])
                return
            try:
                env = self._env(container.namespace, spec)
            except LookupError as exc:
                container.waiting = ('CreateContainerConfigError', str(exc))
                return
            self._start(container, dep['spec']['template']['spec'], env)
        if container.port is None:
            container.port = _read_port(container.port_file)
        if not container.ready and container.port and container.started:
            container.ready = self._probe(spec, container.port)
            if container.ready:
                self.ready_at.setdefault(container.deployment,
                                         time.monotonic())

    def _env(self, namespace, spec):
        env = {}
        for var in spec.get('env') or []:
            if 'value' in var:
                env[var['name']] = var['value']
                continue
            ref = var['valueFrom']['secretKeyRef']
            secret = self.sim.get('secrets', namespace, ref['name'])
            if secret is None:
                raise LookupError('secret "%s" not found' % ref['name'])
            if ref['key'] not in (secret.get('data') or {}):
                raise LookupError("couldn't find key %s in Secret %s/%s"
                                  % (ref['key'], namespace, ref['name']))
            env[var['name']] = base64.b64decode(
                secret['data'][ref['key']]).decode('utf-8')
        return env

    def _start(self, container, pod_spec, env):
        spec = pod_spec['containers'][0]
        container.port = None
        if os.path.exists(container.port_file):
            os.unlink(container.port_file)
        args = list(spec.get('args') or [])
        for flag in ('--host', '--port', '--config-file'):
            while flag in args:
                index = args.index(flag)
                del args[index:index + 2]
        args += ['--host', '127.0.0.1', '--port', '0', '--port-file',
                 container.port_file]
        for path in self.config_files:
            args += ['--config-file', path]
        child_env = dict(os.environ)
        child_env.update(env)
        log = open(os.path.join(self.log_dir, container.pod_name + '.log'),
                   'ab')
        with log:
            container.proc = subprocess.Popen(
                [sys.executable, '-P', '-m', 'hurtle.cmd.so'] + args,
                env=child_env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True)
        container.waiting = None
        container.env = env
        container.started = False
        container.worker = _ProbeWorker(self, container, container.proc,
                                        pod_spec).start()

    def _probe(self, spec, port):
        probe = spec.get('readinessProbe') or {}
        if 'httpGet' in probe:
            try:
                answer = requests.get('http://127.0.0.1:%d%s' % (
                    port, probe['httpGet'].get('path', '/')), timeout=1)
            except requests.RequestException:
                return False
            return 200 <= answer.status_code < 400
        try:
            with socket.create_connection(('127.0.0.1', port), timeout=1):
                return True
        except OSError:
            return False

    def check(self, probe, container, timeout):
        """Run ``probe`` (a probe of the pod spec) once against
        ``container``, waiting at most ``timeout`` seconds.

        :returns: None if it passed, else why not (a sentence, as the
            kubelet's event says it).
        """
        port = container.port or _read_port(container.port_file)
        if 'exec' in probe:
            return self._check_exec(probe['exec'], container, port, timeout)
        if not port:
            # Nothing bound yet: what a connection to the pod gets.
            return _REFUSED % (probe.get('httpGet') or probe.get(
                'tcpSocket') or {}).get('port')
        if 'httpGet' in probe:
            action = probe['httpGet']
            headers = {h['name']: h['value']
                       for h in action.get('httpHeaders') or []}
            try:
                answer = requests.get(
                    'http://127.0.0.1:%d%s' % (port, action.get('path', '/')),
                    headers=headers, timeout=timeout, allow_redirects=False)
            except requests.Timeout:
                return 'context deadline exceeded (Client.Timeout ' \
                    'exceeded while awaiting headers)'
            except requests.RequestException as exc:
                return 'Get: %s' % type(exc).__name__
            if 200 <= answer.status_code < 400:
                return None
            return 'HTTP probe failed with statuscode: %d' % \
                answer.status_code
        try:
            with socket.create_connection(('127.0.0.1', port),
                                          timeout=timeout):
                return None
        except OSError as exc:
            return 'dial tcp 127.0.0.1:%d: connect: %s' % (
                port, exc.strerror or exc)

    def _check_exec(self, action, container, port, timeout):
        command = list(action.get('command') or [])
        if not command:
            return 'no command'
        if command[0] in PROGRAMS:
            command = PROGRAMS[command[0]] + command[1:]
        declared = [str(p['containerPort']) for p in
                    self._spec_ports(container)]
        for index, arg in enumerate(command[:-1]):
            if arg == '--port' and command[index + 1] in declared:
                if not port:
                    return 'command exited 1: %s' % (
                        _REFUSED % command[index + 1])
                command[index + 1] = str(port)
        env = dict(os.environ)
        env.update(container.env)
        try:
            done = subprocess.run(command, env=env, timeout=timeout,
                                  stdin=subprocess.DEVNULL,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.STDOUT)
        except subprocess.TimeoutExpired:
            return 'command timed out after %gs' % timeout
        except OSError as exc:
            return 'exec failed: %s' % exc
        if done.returncode == 0:
            return None
        return 'command exited %d: %s' % (
            done.returncode, done.stdout.decode('utf-8', 'replace').strip())

    def _spec_ports(self, container):
        dep = self.sim.get('deployments', container.namespace,
                           container.deployment)
        if dep is None:
            return []
        return dep['spec']['template']['spec']['containers'][0].get(
            'ports') or []

    def _terminate(self, container):
        if container.worker is not None:
            container.worker.stop()
        processes.terminate(container.proc, STOP_GRACE_SECONDS)

    # -- what the API shows --------------------------------------------
    def _publish(self, dep, container):
        meta = dep['metadata']
        now = k8s_simulator.now()
        spec = dep['spec']['template']['spec']['containers'][0]
        if container.ready:
            state = {'running': {'startedAt': now}}
        else:
            reason, message = container.waiting or ('ContainerCreating', '')
            if container.proc is not None:
                state = {'running': {'startedAt': now}}
            else:
                state = {'waiting': {'reason': reason, 'message': message}}
        status = {'name': spec['name'], 'image': spec['image'],
                  'imageID': '', 'ready': container.ready,
                  'started': container.started,
                  'restartCount': container.restarts, 'state': state}
        if container.last_exit is not None:
            status['lastState'] = {'terminated': {
                'exitCode': container.last_exit,
                'reason': 'Completed' if container.last_exit == 0
                else 'Error'}}
        pod = {
            'apiVersion': 'v1', 'kind': 'Pod',
            'metadata': {
                'name': container.pod_name, 'namespace': meta['namespace'],
                'labels': dep['spec']['template']['metadata']['labels'],
                'ownerReferences': [{
                    'apiVersion': 'apps/v1', 'kind': 'Deployment',
                    'name': meta['name'], 'uid': meta['uid'],
                    'controller': True}]},
            'spec': dep['spec']['template']['spec'],
            'status': {
                'phase': 'Running' if container.proc else 'Pending',
                'conditions': [{'type': 'Ready', 'status': str(
                    container.ready)}],
                'containerStatuses': [status]}}
        if self.sim.get('deployments', meta['namespace'],
                        meta['name']) is None:
            return  # deleted meanwhile: no orphan pod
        self.sim.put_pod(pod)
        available = 1 if container.ready else 0
        self.sim.set_deployment_status(meta['namespace'], meta['name'], {
            'observedGeneration': meta.get('generation', 1),
            'replicas': 1, 'updatedReplicas': 1,
            'readyReplicas': available, 'availableReplicas': available,
            'unavailableReplicas': 1 - available,
            'conditions': [{
                'type': 'Available', 'status': str(bool(available)),
                'reason': 'MinimumReplicasAvailable' if available else
                'MinimumReplicasUnavailable',
                'lastUpdateTime': now, 'lastTransitionTime': now}]})


class Cluster(fixtures.Fixture):
    """A simulated cluster: ``.sim`` (the API), ``.kubelet`` (one node),
    ``.kubeconfig`` (a 0600 kubeconfig with the API's token, namespace
    ``hurtle``) and ``.dir`` (the kubelet's SO logs and a minimal
    hurtle.conf for the SOs, ``.so_conf``, whose ``state_path`` is
    ``.dir``). ``config_files`` (default ``[.so_conf]``) may be changed
    before an SO starts.
    """

    def __init__(self, image='hurtle-so:latest', namespaces=('hurtle',)):
        super().__init__()
        self.image = image
        self.namespaces = namespaces

    def _setUp(self):
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.sim = self.useFixture(k8s_simulator.KubernetesSimulator(
            namespaces=self.namespaces))
        self.kubeconfig = self.sim.write_kubeconfig(
            os.path.join(self.dir, 'kubeconfig'))
        self.so_conf = os.path.join(self.dir, 'so.conf')
        with open(self.so_conf, 'w') as handle:
            handle.write('[DEFAULT]\nstate_path = %s\n' % self.dir)
        self.kubelet = self.useFixture(Kubelet(
            self.sim, self.image, [self.so_conf],
            os.path.join(self.dir, 'logs')))

    @property
    def config_files(self):
        return self.kubelet.config_files

    @config_files.setter
    def config_files(self, paths):
        self.kubelet.config_files = list(paths)
