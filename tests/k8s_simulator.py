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
"""A Kubernetes API simulator: a real HTTP server on 127.0.0.1.

No Kubernetes API server can run here, so this one serves the REST paths
and JSON of the real one for what Hurtle's ``kubernetes`` runtime uses:

- ``/api/v1/namespaces/<ns>/{secrets,services,pods}``,
  ``/apis/apps/v1/namespaces/<ns>/deployments``,
  ``/apis/networking.k8s.io/v1/namespaces/<ns>/ingresses``: create
  (POST, 201), get, replace (PUT), list with ``labelSelector`` (``k=v``,
  ``k==v``, ``k!=v``, ``k``, ``!k``), delete and deletecollection by
  ``labelSelector``; ``.../<name>/status`` (GET). Watches are not served
  (400).
- Every object sent is checked against the ``kubernetes`` client's models
  (its OpenAPI types): an unknown field, a value of the wrong JSON type, a
  missing required field or a bad enum value answers 422 ``Invalid``;
  names follow the API server's rules (DNS-1123 subdomain; DNS-1035
  label for Services), label keys and values and Ingress hosts too (422);
  the Deployment's selector must match its template's labels (422); the
  probes of a pod (template) follow the API server's rules
  (:func:`check_probes`).
- 409 ``AlreadyExists``, 404 ``NotFound`` (object or namespace), 401
  ``Unauthorized`` without the bearer token: every error is a ``Status``
  object, as the API server sends.
- The server fills what the API server fills: ``uid``,
  ``resourceVersion``, ``creationTimestamp``, ``generation``; a Secret's
  ``stringData`` moves base64-encoded into ``data``; a Service gets a
  ``clusterIP`` and, for ``NodePort``, a node port (a socket bound on
  127.0.0.1 and held, which :mod:`tests.k8s_kubelet` takes over with
  :meth:`KubernetesSimulator.take_port` to forward it to the pod); a new
  Deployment's status says it is unavailable until a kubelet marks it
  available (:meth:`KubernetesSimulator.set_deployment_status`).
- Deleting a Deployment deletes its pods (garbage collection).

:attr:`KubernetesSimulator.requests` records ``(method, path)`` of every
request (``.log``: ``(time.monotonic(), method, path)``);
:meth:`KubernetesSimulator.write_kubeconfig` writes a kubeconfig for it.
"""
import base64
import datetime
import http.server
import json
import os
import re
import socket
import threading
import time
from urllib import parse
import uuid

import fixtures
from kubernetes import client


#: (API prefix, plural) -> (kind, model name, apiVersion, name rule).
RESOURCES = {
    ('api/v1', 'secrets'): ('Secret', 'V1Secret', 'v1', 'subdomain'),
    ('api/v1', 'services'): ('Service', 'V1Service', 'v1', 'label'),
    ('api/v1', 'pods'): ('Pod', 'V1Pod', 'v1', 'subdomain'),
    ('apis/apps/v1', 'deployments'): (
        'Deployment', 'V1Deployment', 'apps/v1', 'subdomain'),
    ('apis/networking.k8s.io/v1', 'ingresses'): (
        'Ingress', 'V1Ingress', 'networking.k8s.io/v1', 'subdomain'),
}
GROUP_SUFFIX = {'api/v1': '', 'apis/apps/v1': '.apps',
                'apis/networking.k8s.io/v1': '.networking.k8s.io'}
PATH = re.compile(r'^/(api/v1|apis/apps/v1|apis/networking\.k8s\.io/v1)'
                  r'/namespaces/([^/]+)/([a-z]+)(?:/([^/]+))?(?:/(status))?$')
DNS1123_LABEL = r'[a-z0-9]([-a-z0-9]*[a-z0-9])?'
DNS1123_SUBDOMAIN = re.compile(
    r'^%s(\.%s)*$' % (DNS1123_LABEL, DNS1123_LABEL))
DNS1035_LABEL = re.compile(r'^[a-z]([-a-z0-9]*[a-z0-9])?$')
QUALIFIED_NAME = re.compile(r'^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$')

_PRIMITIVES = {'str': (str,), 'int': (int,), 'float': (int, float),
               'bool': (bool,), 'datetime': (str,), 'date': (str,),
               'bytes': (str,)}  # bytes travel base64-encoded


class Invalid(Exception):
    """An object the API server would refuse with 422; ``causes`` lists
    ``(field, message)``."""

    def __init__(self, causes):
        super().__init__('; '.join('%s: %s' % c for c in causes))
        self.causes = causes


def check_type(value, type_name, field, causes):
    """Append to ``causes`` what in ``value`` does not fit the client's
    OpenAPI type ``type_name`` (``'V1Deployment'``, ``'list[str]'``...):
    unknown fields and wrong JSON types."""
    if value is None:
        return
    if type_name == 'object':
        return
    if type_name in _PRIMITIVES:
        if not isinstance(value, _PRIMITIVES[type_name]) or (
                type_name in ('int', 'float') and isinstance(value, bool)):
            causes.append((field, 'Invalid value: %s: expected %s'
                           % (json.dumps(value)[:80], type_name)))
        return
    if type_name.lower().startswith('list['):
        if not isinstance(value, list):
            causes.append((field, 'Invalid value: expected a list'))
            return
        for index, item in enumerate(value):
            check_type(item, type_name[5:-1], '%s[%d]' % (field, index),
                       causes)
        return
    if type_name.lower().startswith(('dict(', 'dict[')):
        if not isinstance(value, dict):
            causes.append((field, 'Invalid value: expected an object'))
            return
        inner = type_name[type_name.index(',') + 1:-1].strip()
        for key, item in value.items():
            check_type(item, inner, '%s[%s]' % (field, key), causes)
        return
    model = getattr(client, type_name)
    if not isinstance(value, dict):
        causes.append((field, 'Invalid value: expected a %s object'
                       % type_name))
        return
    by_json = {v: k for k, v in model.attribute_map.items()}
    for key, item in value.items():
        sub = '%s.%s' % (field, key) if field else key
        if key not in by_json:
            causes.append((sub, 'unknown field "%s"' % key))
            continue
        check_type(item, model.openapi_types[by_json[key]], sub, causes)


def validate(data, model_name):
    """Check ``data`` strictly, then build the model with the client's own
    deserializer (required fields and enums).

    :raises Invalid: what is wrong.
    """
    causes = []
    check_type(data, model_name, '', causes)
    if causes:
        raise Invalid(causes)

    api = client.ApiClient()
    try:
        try:
            api.deserialize(json.dumps(data), model_name, 'application/json')
        except TypeError as exc:
            if 'positional' not in str(exc):
                raise
            # kubernetes < 35: deserialize(response object, type).
            response = type('Response', (), {'data': json.dumps(data)})()
            api.deserialize(response, model_name)
    except (ValueError, TypeError) as exc:
        raise Invalid([('', str(exc))])


def _check_name(name, rule, causes):
    if not name:
        causes.append(('metadata.name', 'Required value: name is required'))
    elif rule == 'label' and (len(name) > 63 or
                              not DNS1035_LABEL.match(name)):
        causes.append(('metadata.name', 'Invalid value: "%s": a DNS-1035 '
                       'label must consist of lower case alphanumeric '
                       'characters or \'-\', start with an alphabetic '
                       'character, and end with an alphanumeric character'
                       % name))
    elif len(name) > 253 or not DNS1123_SUBDOMAIN.match(name):
        causes.append(('metadata.name', 'Invalid value: "%s": a lowercase '
                       'RFC 1123 subdomain must consist of lower case '
                       'alphanumeric characters, \'-\' or \'.\', and must '
                       'start and end with an alphanumeric character'
                       % name))


def _check_labels(labels, field, causes):
    for key, value in (labels or {}).items():
        prefix, _, name = key.rpartition('/')
        if (prefix and not DNS1123_SUBDOMAIN.match(prefix)) or len(
                name) > 63 or not QUALIFIED_NAME.match(name):
            causes.append(('%s' % field, 'Invalid value: "%s": name part '
                           'must be a valid qualified name' % key))
        if value and (len(value) > 63 or not QUALIFIED_NAME.match(value)):
            causes.append(('%s' % field, 'Invalid value: "%s": a valid '
                           'label must be an empty string or consist of '
                           'alphanumeric characters, \'-\', \'_\' or \'.\''
                           % value))


#: A named port (IANA_SVC_NAME): at most 15 of a-z0-9-, a letter in it,
#: no leading, trailing or double hyphen.
PORT_NAME = re.compile(r'^(?=.*[a-z])[a-z0-9]+(-[a-z0-9]+)*$')
PROBE_HANDLERS = ('exec', 'httpGet', 'tcpSocket', 'grpc')
PROBE_NUMBERS = ('initialDelaySeconds', 'timeoutSeconds', 'periodSeconds',
                 'successThreshold', 'failureThreshold')


def _check_port(port, field, causes):
    if isinstance(port, int):
        if not 1 <= port <= 65535:
            causes.append((field, 'Invalid value: %d: must be between 1 '
                           'and 65535, inclusive' % port))
    elif not isinstance(port, str) or len(port) > 15 or \
            not PORT_NAME.match(port):
        causes.append((field, 'Invalid value: %s: must be a port number '
                       'or an IANA_SVC_NAME' % json.dumps(port)))


def check_probes(pod_spec, field, causes):
    """Append to ``causes`` what the API server refuses in the probes of
    ``pod_spec``'s containers (``field``: the pod spec's path): exactly
    one handler; ``exec.command`` not empty; ports in range or named;
    ``initialDelaySeconds``, ``timeoutSeconds``, ``periodSeconds``,
    ``successThreshold``, ``failureThreshold`` not negative;
    ``successThreshold`` 1 for ``livenessProbe`` and ``startupProbe``;
    ``terminationGracePeriodSeconds`` more than 0, and not set on a
    ``readinessProbe``."""
    for index, container in enumerate(pod_spec.get('containers') or []):
        for kind in ('livenessProbe', 'readinessProbe', 'startupProbe'):
            probe = container.get(kind)
            if not probe:
                continue
            at = '%s.containers[%d].%s' % (field, index, kind)
            handlers = [h for h in PROBE_HANDLERS if probe.get(h)]
            if not handlers:
                causes.append((at, 'Required value: must specify a '
                               'handler type'))
            elif len(handlers) > 1:
                causes.append(('%s.%s' % (at, handlers[1]), 'Forbidden: '
                               'may not specify more than 1 handler '
                               'type'))
            if 'exec' in handlers and not probe['exec'].get('command'):
                causes.append((at + '.exec.command', 'Required value'))
            for handler in ('httpGet', 'tcpSocket'):
                if handler in handlers:
                    _check_port(probe[handler].get('port'),
                                '%s.%s.port' % (at, handler), causes)
            for name in PROBE_NUMBERS:
                if (probe.get(name) or 0) < 0:
                    causes.append(('%s.%s' % (at, name), 'Invalid value: '
                                   '%d: must be greater than or equal '
                                   'to 0' % probe[name]))
            if kind != 'readinessProbe' and \
                    probe.get('successThreshold') not in (None, 1):
                causes.append((at + '.successThreshold', 'Invalid value: '
                               '%d: must be 1' % probe['successThreshold']))
            grace = probe.get('terminationGracePeriodSeconds')
            if grace is not None:
                if kind == 'readinessProbe':
                    causes.append((at + '.terminationGracePeriodSeconds',
                                   'Invalid value: %d: must not be set '
                                   'for readinessProbes' % grace))
                elif grace <= 0:
                    causes.append((at + '.terminationGracePeriodSeconds',
                                   'Invalid value: %d: must be greater '
                                   'than 0' % grace))


def parse_selector(text):
    """``labelSelector`` → list of ``(key, op, value)``; op is ``=``,
    ``!=``, ``exists`` or ``!exists``.

    :raises ValueError: a requirement this simulator does not know.
    """
    requirements = []
    for part in filter(None, (p.strip() for p in (text or '').split(','))):
        if '!=' in part:
            key, value = part.split('!=', 1)
            requirements.append((key.strip(), '!=', value.strip()))
        elif '==' in part or '=' in part:
            key, value = re.split('==|=', part, 1)
            requirements.append((key.strip(), '=', value.strip()))
        elif part.startswith('!'):
            requirements.append((part[1:].strip(), '!exists', None))
        elif ' ' in part or '(' in part:
            raise ValueError('unsupported label selector %r' % part)
        else:
            requirements.append((part, 'exists', None))
    return requirements


def matches(labels, requirements):
    """True if ``labels`` (dict) satisfy every requirement."""
    labels = labels or {}
    for key, op, value in requirements:
        if op == '=' and labels.get(key) != value:
            return False
        if op == '!=' and labels.get(key) == value:
            return False
        if op == 'exists' and key not in labels:
            return False
        if op == '!exists' and key in labels:
            return False
    return True


def now():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%SZ')


def status_body(code, reason, message, details=None):
    """A ``Status`` object as the API server sends with an error."""
    return {'kind': 'Status', 'apiVersion': 'v1', 'metadata': {},
            'status': 'Failure' if code >= 400 else 'Success',
            'message': message, 'reason': reason,
            'details': details or {}, 'code': code}


class ApiError(Exception):
    def __init__(self, code, reason, message, details=None):
        super().__init__(message)
        self.body = status_body(code, reason, message, details)
        self.code = code


class KubernetesSimulator(fixtures.Fixture):
    """The simulator (see the module docstring); ``.url``, ``.token``.

    ``namespaces``: those that exist (others answer 404).
    State: ``objects[(plural, namespace, name)]`` is the stored JSON; use
    :meth:`get`, :meth:`list`, :meth:`set_deployment_status` and
    :meth:`put_pod` (the kubelet's side) under no lock of your own.
    """

    def __init__(self, namespaces=('hurtle',)):
        super().__init__()
        self.namespaces = set(namespaces)
        self.token = uuid.uuid4().hex
        self.objects = {}
        self.requests = []
        self.log = []
        self._reserved = {}
        self.lock = threading.RLock()
        self._version = 0

    # -- the kubelet's and the tests' side ------------------------------
    def get(self, plural, namespace, name):
        with self.lock:
            obj = self.objects.get((plural, namespace, name))
            return json.loads(json.dumps(obj)) if obj else None

    def list(self, plural, namespace=None, selector=''):
        requirements = parse_selector(selector)
        with self.lock:
            return [json.loads(json.dumps(obj))
                    for (kind, ns, _), obj in sorted(self.objects.items())
                    if kind == plural and namespace in (None, ns) and
                    matches(obj['metadata'].get('labels'), requirements)]

    def _bump(self, obj):
        self._version += 1
        obj['metadata']['resourceVersion'] = str(self._version)

    def set_deployment_status(self, namespace, name, status):
        """Replace a Deployment's ``status`` (False if it is gone)."""
        with self.lock:
            obj = self.objects.get(('deployments', namespace, name))
            if obj is None:
                return False
            obj['status'] = status
            self._bump(obj)
            return True

    def put_pod(self, pod):
        """Create or replace a Pod (validated like an API request)."""
        validate(pod, 'V1Pod')
        meta = pod['metadata']
        with self.lock:
            meta.setdefault('uid', str(uuid.uuid4()))
            meta.setdefault('creationTimestamp', now())
            self._bump(pod)
            self.objects[('pods', meta['namespace'], meta['name'])] = pod

    def delete_pod(self, namespace, name):
        with self.lock:
            self.objects.pop(('pods', namespace, name), None)

    def _reserve_port(self):
        """A node port: a socket bound on 127.0.0.1, kept until the kubelet
        takes it (:meth:`take_port`) or the Service goes."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(('127.0.0.1', 0))
        port = sock.getsockname()[1]
        self._reserved[port] = sock
        return port

    def take_port(self, port):
        """The bound socket of node port ``port`` (the kubelet's "proxy"
        listens on it), or None if taken or released already."""
        with self.lock:
            return self._reserved.pop(port, None)

    def _release_ports(self, service):
        for port in (service.get('spec') or {}).get('ports') or []:
            sock = self._reserved.pop(port.get('nodePort'), None)
            if sock is not None:
                sock.close()

    def write_kubeconfig(self, path, namespace='hurtle'):
        """Write a kubeconfig (YAML is a superset of JSON) for this
        server with its bearer token; file mode 0600."""

        document = {
            'apiVersion': 'v1', 'kind': 'Config',
            'clusters': [{'name': 'sim', 'cluster': {'server': self.url}}],
            'users': [{'name': 'hurtle-cc', 'user': {'token': self.token}}],
            'contexts': [{'name': 'sim', 'context': {
                'cluster': 'sim', 'user': 'hurtle-cc',
                'namespace': namespace}}],
            'current-context': 'sim'}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as handle:
            json.dump(document, handle)
        return path

    # -- the API -------------------------------------------------------
    def _route(self, path):
        match = PATH.match(path)
        if not match:
            raise ApiError(404, 'NotFound', 'the server could not find the '
                           'requested resource')
        prefix, namespace, plural, name, sub = match.groups()
        if (prefix, plural) not in RESOURCES:
            raise ApiError(404, 'NotFound', 'the server could not find the '
                           'requested resource')
        if namespace not in self.namespaces:
            raise ApiError(404, 'NotFound', 'namespaces "%s" not found'
                           % namespace, {'name': namespace,
                                         'kind': 'namespaces'})
        return prefix, namespace, plural, name, sub

    def _resource(self, prefix, plural):
        return plural + GROUP_SUFFIX[prefix]

    def _not_found(self, prefix, plural, name):
        return ApiError(404, 'NotFound', '%s "%s" not found'
                        % (self._resource(prefix, plural), name),
                        {'name': name, 'kind': plural})

    def _check_object(self, prefix, namespace, plural, body):
        kind, model, api_version, rule = RESOURCES[(prefix, plural)]
        meta = body.get('metadata') if isinstance(body, dict) else None
        name = (meta or {}).get('name', '') if isinstance(meta, dict) else ''
        label = '%s%s "%s"' % (kind, GROUP_SUFFIX[prefix], name)
        if not isinstance(body, dict):
            raise ApiError(400, 'BadRequest', 'the body is not an object')
        if body.get('kind') not in (None, kind) or body.get(
                'apiVersion') not in (None, api_version):
            raise ApiError(400, 'BadRequest', 'the object is a %s %s, not '
                           'a %s %s' % (body.get('apiVersion'),
                                        body.get('kind'), api_version, kind))
        try:
            validate(body, model)
        except Invalid as exc:
            raise self._invalid(label, kind, name, exc.causes)
        causes = []
        _check_name(name, rule, causes)
        _check_labels(meta.get('labels'), 'metadata.labels', causes)
        if meta.get('namespace') not in (None, namespace):
            raise ApiError(400, 'BadRequest', 'the namespace of the provided '
                           'object does not match the namespace sent on the '
                           'request')
        if plural == 'deployments':
            spec = body['spec']
            template_labels = (spec['template'].get('metadata') or {}).get(
                'labels') or {}
            _check_labels(template_labels, 'spec.template.metadata.labels',
                          causes)
            wanted = (spec['selector'].get('matchLabels') or {})
            if not wanted or any(template_labels.get(k) != v
                                 for k, v in wanted.items()):
                causes.append(('spec.template.metadata.labels',
                               'Invalid value: `selector` does not match '
                               'template `labels`'))
            check_probes(spec['template'].get('spec') or {},
                         'spec.template.spec', causes)
        if plural == 'pods':
            check_probes(body.get('spec') or {}, 'spec', causes)
        if plural == 'ingresses':
            for index, rule in enumerate(body['spec'].get('rules') or []):
                host = rule.get('host') or ''
                if host and not DNS1123_SUBDOMAIN.match(
                        host[2:] if host.startswith('*.') else host):
                    causes.append(('spec.rules[%d].host' % index,
                                   'Invalid value: "%s": a lowercase RFC '
                                   '1123 subdomain' % host))
        if causes:
            raise self._invalid(label, kind, name, causes)
        return kind, api_version, name

    def _invalid(self, label, kind, name, causes):
        return ApiError(
            422, 'Invalid', '%s is invalid: %s' % (
                label, ', '.join('%s: %s' % c for c in causes)),
            {'name': name, 'kind': kind, 'causes': [
                {'reason': 'FieldValueInvalid', 'message': m, 'field': f}
                for f, m in causes]})

    def _fill(self, plural, namespace, body, kind, api_version):
        meta = body['metadata']
        meta.update(namespace=namespace, uid=str(uuid.uuid4()),
                    creationTimestamp=now())
        body['kind'], body['apiVersion'] = kind, api_version
        if plural == 'secrets':
            data = body.setdefault('data', {}) or {}
            for key, value in (body.pop('stringData', None) or {}).items():
                data[key] = base64.b64encode(
                    value.encode('utf-8')).decode('ascii')
            body['data'] = data
        elif plural == 'services':
            spec = body.setdefault('spec', {})
            spec['clusterIP'] = '10.96.%d.%d' % divmod(self._version % 65000,
                                                       250)
            spec.setdefault('type', 'ClusterIP')
            for port in spec.get('ports') or []:
                port.setdefault('protocol', 'TCP')
                port.setdefault('targetPort', port['port'])
                if spec['type'] == 'NodePort' and 'nodePort' not in port:
                    port['nodePort'] = self._reserve_port()
        elif plural == 'deployments':
            meta['generation'] = 1
            body['status'] = {
                'observedGeneration': 1, 'replicas': 0,
                'unavailableReplicas': body['spec'].get('replicas', 1),
                'conditions': [{
                    'type': 'Available', 'status': 'False',
                    'reason': 'MinimumReplicasUnavailable',
                    'message': 'Deployment does not have minimum '
                               'availability.',
                    'lastUpdateTime': now(), 'lastTransitionTime': now()}]}
        self._bump(body)

    def create(self, prefix, namespace, plural, body):
        kind, api_version, name = self._check_object(prefix, namespace,
                                                     plural, body)
        with self.lock:
            key = (plural, namespace, name)
            if key in self.objects:
                raise ApiError(409, 'AlreadyExists', '%s "%s" already exists'
                               % (self._resource(prefix, plural), name),
                               {'name': name, 'kind': plural})
            self._fill(plural, namespace, body, kind, api_version)
            self.objects[key] = body
            return 201, body

    def replace(self, prefix, namespace, plural, name, body):
        kind, api_version, body_name = self._check_object(
            prefix, namespace, plural, body)
        if body_name != name:
            raise ApiError(400, 'BadRequest', 'the name of the object (%s) '
                           'does not match the name on the URL (%s)'
                           % (body_name, name))
        with self.lock:
            old = self.objects.get((plural, namespace, name))
            if old is None:
                raise self._not_found(prefix, plural, name)
            for field in ('uid', 'creationTimestamp', 'generation'):
                if field in old['metadata']:
                    body['metadata'][field] = old['metadata'][field]
            body['metadata']['namespace'] = namespace
            body['kind'], body['apiVersion'] = kind, api_version
            if 'status' in old:
                body['status'] = old['status']
            self._bump(body)
            self.objects[(plural, namespace, name)] = body
            return 200, body

    def _delete_one(self, plural, namespace, name):
        obj = self.objects.pop((plural, namespace, name))
        if plural == 'services':
            self._release_ports(obj)
        if plural == 'deployments':  # the garbage collector's part
            for key in [k for k, pod in self.objects.items()
                        if k[0] == 'pods' and k[1] == namespace and any(
                            ref.get('uid') == obj['metadata']['uid']
                            for ref in pod['metadata'].get(
                                'ownerReferences') or [])]:
                del self.objects[key]
        return obj

    def handle(self, method, path, query, body):
        """Serve one request; returns ``(status, JSON body)``."""
        prefix, namespace, plural, name, sub = self._route(path)
        kind = RESOURCES[(prefix, plural)][0]
        api_version = RESOURCES[(prefix, plural)][2]
        if query.get('watch', ['false'])[0] in ('true', '1'):
            raise ApiError(400, 'BadRequest', 'watch is not served by this '
                           'simulator')
        try:
            selector = parse_selector(query.get('labelSelector', [''])[0])
        except ValueError as exc:
            raise ApiError(400, 'BadRequest', str(exc))
        if name is None:
            if method == 'POST':
                return self.create(prefix, namespace, plural, body)
            if method not in ('GET', 'DELETE'):
                raise ApiError(405, 'MethodNotAllowed',
                               'method %s not allowed' % method)
            with self.lock:
                items = [obj for (p, ns, _), obj in sorted(
                    self.objects.items()) if p == plural and ns == namespace
                    and matches(obj['metadata'].get('labels'), selector)]
                if method == 'DELETE':
                    for obj in items:
                        self._delete_one(plural, namespace,
                                         obj['metadata']['name'])
                listing = {'kind': kind + 'List', 'apiVersion': api_version,
                           'metadata': {'resourceVersion':
                                        str(self._version)},
                           'items': json.loads(json.dumps(items))}
                return 200, listing
        with self.lock:
            obj = self.objects.get((plural, namespace, name))
            if method == 'PUT' and sub is None:
                return self.replace(prefix, namespace, plural, name, body)
            if obj is None:
                raise self._not_found(prefix, plural, name)
            if method == 'GET':
                return 200, json.loads(json.dumps(obj))
            if method == 'DELETE' and sub is None:
                self._delete_one(plural, namespace, name)
                return 200, {'kind': 'Status', 'apiVersion': 'v1',
                             'metadata': {}, 'status': 'Success',
                             'details': {'name': name, 'kind': plural,
                                         'uid': obj['metadata']['uid']}}
        raise ApiError(405, 'MethodNotAllowed', 'method %s not allowed'
                       % method)

    # -- the server ----------------------------------------------------
    def _setUp(self):
        sim = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def _serve(self):
                url = parse.urlsplit(self.path)
                with sim.lock:
                    sim.requests.append((self.command, url.path))
                    sim.log.append((time.monotonic(), self.command,
                                    url.path))
                length = int(self.headers.get('Content-Length') or 0)
                raw = self.rfile.read(length) if length else b''
                try:
                    if self.headers.get('Authorization') != (
                            'Bearer %s' % sim.token):
                        raise ApiError(401, 'Unauthorized', 'Unauthorized')
                    try:
                        body = json.loads(raw) if raw else None
                    except ValueError:
                        raise ApiError(400, 'BadRequest', 'the body is not '
                                       'JSON')
                    code, answer = sim.handle(self.command, url.path,
                                              parse.parse_qs(url.query),
                                              body)
                except ApiError as exc:
                    code, answer = exc.code, exc.body
                data = json.dumps(answer).encode('utf-8')
                self.send_response(code)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _serve

        self._server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                       Handler)
        self._server.daemon_threads = True
        self.url = 'http://127.0.0.1:%d' % self._server.server_address[1]
        thread = threading.Thread(target=self._server.serve_forever,
                                  name='k8s-simulator', daemon=True)
        thread.start()
        self.addCleanup(self._close_reserved)
        self.addCleanup(self._server.server_close)
        self.addCleanup(self._server.shutdown)

    def _close_reserved(self):
        with self.lock:
            for sock in self._reserved.values():
                sock.close()
            self._reserved.clear()
