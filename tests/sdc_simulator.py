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
"""A Joyent CloudAPI simulator: a real HTTP(S) server on 127.0.0.1.

Speaks the CloudAPI wire protocol closely enough for Hurtle's SDC client
and Heat resources, and is strict where CloudAPI is:

- every request must carry ``Date`` (within ``max_skew`` seconds, default
  300) and an HTTP Signature ``Authorization`` over ``date`` made with a
  key registered with :meth:`CloudAPISimulator.add_key`; the keyId is
  ``/<login>/keys/<md5 fingerprint or key name>``. Otherwise 401
  ``InvalidCredentials``;
- ``Accept-Version`` is required (400 ``InvalidHeader``; stricter than
  restify) and must accept the simulated version (449 ``InvalidVersion``);
- another login's path: 403 ``NotAuthorized``;
- errors are JSON ``{"code", "message"}`` with CloudAPI's statuses.

State lives in memory. Machines go ``provisioning → running`` (or
``failed``, see :meth:`fail_next_provision`), ``stopping → stopped`` on
``action=stop``, ``stopped → running`` on ``action=start``; each
transitional state is shown for ``transition_polls`` GETs of the machine
(default 1) or until ``transition_delay`` seconds have passed, whichever
comes first. ``DELETE`` answers 204; the machine then answers 410 with its
body (``state: deleted``). Fabric VLANs/networks and firewall rules are
created at once (201), deleted with 204, then 404.

Fault injection: :meth:`inject` queues answers (e.g. 503) or dropped
connections for the next requests.

Usage::

    sim = CloudAPISimulator(account='hurtle')
    sim.add_key(private_key.public_key())
    sim.start()            # sim.url is http://127.0.0.1:<port>
    ...
    sim.stop()
"""
import base64
import collections
import datetime
import email.utils
import http.server
import ipaddress
import json
import os
import re
import ssl
import tempfile
import threading
import time
from urllib import parse
import uuid

from hurtle.heat_plugins.sdc import signing
from tests import sdc_signatures

VERSION = '9.20.0'

DEFAULT_IMAGES = [
    {'id': '2b683a82-a066-11e3-97ab-2faa44701c5a', 'name': 'base-64-lts',
     'version': '19.4.0', 'os': 'smartos', 'type': 'zone-dataset',
     'published_at': '2020-01-08T00:00:00Z'},
    {'id': 'e1faace4-e19b-11e5-928b-83849e2fd94a', 'name': 'base-64-lts',
     'version': '21.4.0', 'os': 'smartos', 'type': 'zone-dataset',
     'published_at': '2022-01-07T00:00:00Z'},
    {'id': '7b5981c4-1889-11e7-b4c5-3f3bdfc9b88b', 'name': 'ubuntu-20.04',
     'version': '20200526', 'os': 'linux', 'type': 'zvol',
     'published_at': '2020-05-26T00:00:00Z'},
    {'id': '3dbbdcca-2eab-11e8-b925-23bf77789921', 'name': 'debian-11',
     'version': '20220405', 'os': 'linux', 'type': 'lx-dataset',
     'published_at': '2022-04-05T00:00:00Z'},
]

DEFAULT_PACKAGES = [
    {'id': '64e23114-d502-c171-967f-b0e0cfb2009a', 'name': 'g4-highcpu-128M',
     'memory': 128, 'disk': 3072, 'swap': 512, 'vcpus': 0, 'lwps': 4000,
     'version': '1.0.3', 'group': 'High CPU', 'default': False},
    {'id': '9fcd9ab7-bd07-cb3c-9f9a-ac7ec3aa934e', 'name': 'g4-highcpu-1G',
     'memory': 1024, 'disk': 25600, 'swap': 4096, 'vcpus': 0,
     'lwps': 4000, 'version': '1.0.3', 'group': 'High CPU',
     'default': True},
    {'id': 'b2f6b2d2-1b8e-6b2b-f1c4-8f3c5c1e4d2a',
     'name': 'k4-highcpu-kvm-1.75G',
     'memory': 1792, 'disk': 51200, 'swap': 3584, 'vcpus': 1,
     'lwps': 4000, 'version': '1.0.0', 'group': 'KVM', 'default': False},
]

PUBLIC_NETWORK = {
    'id': '9ec60129-9034-47b4-b111-3026f9b1a10f', 'name': 'Joyent-SDC-Public',
    'public': True, 'fabric': False,
    'description': 'Public internet addresses',
    'subnet': '165.225.128.0/22', 'provision_start_ip': '165.225.128.10',
    'provision_end_ip': '165.225.131.250', 'gateway': '165.225.128.1',
    'resolvers': ['8.8.8.8', '8.8.4.4'],
}

_FW_RULE_RE = re.compile(r'^\s*FROM\s+.+\s+TO\s+.+\s+(ALLOW|BLOCK)\s+\S+',
                         re.IGNORECASE | re.DOTALL)
_BRANDS = {'zone-dataset': ('joyent', 'smartmachine'),
           'lx-dataset': ('lx', 'smartmachine'),
           'zvol': ('kvm', 'virtualmachine')}


class ApiError(Exception):
    def __init__(self, status, code, message, body=None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.body = body


def _now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%dT%H:%M:%S.%f')[:-3] + 'Z'


def version_accepted(range_text, version=VERSION):
    """Does the semver range (``~9||~8``, ``*``, ``9.20.0``…) accept it?"""
    major, minor, _patch = version.split('.')
    for term in (range_text or '').split('||'):
        term = term.strip()
        if term in ('*', 'x'):
            return True
        if term.startswith('~') or term.startswith('^'):
            parts = term[1:].split('.')
            if parts[0] != major:
                continue
            if len(parts) > 1 and term[0] == '~' and parts[1] != minor:
                continue
            return True
        if term == version:
            return True
    return False


class _Machine(object):
    pass


class CloudAPISimulator(object):
    """In-memory CloudAPI behind a real HTTP server (see module doc)."""

    def __init__(self, account='hurtle', transition_polls=1,
                 transition_delay=None, max_skew=300, tls=False):
        self.account = account
        self.transition_polls = transition_polls
        self.transition_delay = transition_delay
        self.max_skew = max_skew
        self.tls = tls
        self.lock = threading.RLock()
        self.keys = {}          # fingerprint or name -> public key
        self.requests = []      # (method, path, headers dict)
        self._injected = collections.deque()
        self._fail_next = collections.deque()
        self.images = {i['id']: dict(i, state='active', public=True,
                                     owner='00000000-0000-0000-0000-'
                                           '000000000000')
                       for i in DEFAULT_IMAGES}
        self.packages = {p['id']: dict(p) for p in DEFAULT_PACKAGES}
        self.networks = {PUBLIC_NETWORK['id']: dict(PUBLIC_NETWORK)}
        self.vlans = {2: {'vlan_id': 2, 'name': 'default',
                          'description': 'default VLAN'}}
        self.fabric_networks = {}   # id -> network (with vlan_id)
        default_net = self._new_fabric_network(
            2, {'name': 'default', 'subnet': '192.168.128.0/22',
                'provision_start_ip': '192.168.128.5',
                'provision_end_ip': '192.168.131.250',
                'gateway': '192.168.128.1',
                'resolvers': ['8.8.8.8', '8.8.4.4']})
        self.default_fabric_network_id = default_net['id']
        self.machines = {}
        self.fwrules = {}
        self._next_ip = {}
        self._server = None
        self._thread = None
        self._tmpdir = None

    # -- control -------------------------------------------------------------

    def add_key(self, public_key, name=None):
        """Register a public key (cryptography object) on the account.

        :returns: its MD5 fingerprint.
        """
        fingerprint = signing.md5_fingerprint(public_key)
        with self.lock:
            self.keys[fingerprint] = public_key
            if name:
                self.keys[name] = public_key
        return fingerprint

    def inject(self, status=None, code=None, message=None, count=1,
               drop=False):
        """Answer the next ``count`` requests with an error (or drop them).

        :param drop: close the connection without any answer.
        """
        with self.lock:
            for _ in range(count):
                self._injected.append((status, code, message, drop))

    def fail_next_provision(self):
        """The next created machine goes provisioning → failed."""
        with self.lock:
            self._fail_next.append(True)

    def start(self):
        handler = _make_handler(self)
        self._server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                       handler)
        self._server.daemon_threads = True
        scheme = 'http'
        if self.tls:
            self._tmpdir = tempfile.mkdtemp(prefix='cloudapi-sim-')
            cert, key = _self_signed(self._tmpdir)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self._server.socket = context.wrap_socket(self._server.socket,
                                                      server_side=True)
            self.ca_file = cert
            scheme = 'https'
        self.port = self._server.server_address[1]
        self.url = '%s://127.0.0.1:%d' % (scheme, self.port)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={'poll_interval': 0.05},
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None
        if self._tmpdir:
            for name in os.listdir(self._tmpdir):
                os.unlink(os.path.join(self._tmpdir, name))
            os.rmdir(self._tmpdir)
            self._tmpdir = None

    # -- helpers -------------------------------------------------------------

    def live_machines(self):
        with self.lock:
            return [m for m in self.machines.values()
                    if m['state'] != 'deleted']

    def _all_networks(self):
        nets = dict(self.networks)
        for net in self.fabric_networks.values():
            nets[net['id']] = net
        return nets

    def _new_fabric_network(self, vlan_id, params):
        for field in ('name', 'subnet', 'provision_start_ip',
                      'provision_end_ip'):
            if not params.get(field):
                raise ApiError(409, 'MissingParameter',
                               '%s is a required parameter' % field)
        try:
            subnet = ipaddress.ip_network(params['subnet'])
            start = ipaddress.ip_address(params['provision_start_ip'])
            end = ipaddress.ip_address(params['provision_end_ip'])
        except ValueError as exc:
            raise ApiError(409, 'InvalidArgument', 'Invalid parameters: %s'
                           % exc)
        if start not in subnet or end not in subnet or start > end:
            raise ApiError(409, 'InvalidArgument',
                           'provision_start_ip and provision_end_ip must be '
                           'within subnet %s, start before end' % subnet)
        if not subnet.is_private:
            raise ApiError(409, 'InvalidArgument',
                           'subnet must be within private (RFC1918) ranges')
        gateway = params.get('gateway')
        if gateway:
            try:
                if ipaddress.ip_address(gateway) not in subnet:
                    raise ValueError(gateway)
            except ValueError:
                raise ApiError(409, 'InvalidArgument',
                               'gateway must be an address in the subnet')
        for net in self.fabric_networks.values():
            if net['vlan_id'] == vlan_id and net['name'] == params['name']:
                raise ApiError(409, 'InvalidArgument',
                               'network with name "%s" already exists'
                               % params['name'])
        net = {'id': str(uuid.uuid4()), 'name': params['name'],
               'public': False, 'fabric': True, 'vlan_id': vlan_id,
               'subnet': str(subnet),
               'provision_start_ip': str(start),
               'provision_end_ip': str(end),
               'resolvers': list(params.get('resolvers') or []),
               'internet_nat': bool(params.get('internet_nat', True))}
        for field in ('gateway', 'description', 'routes'):
            if params.get(field) is not None:
                net[field] = params[field]
        self.fabric_networks[net['id']] = net
        return net

    def _update_fabric_network(self, net, data):
        allowed = ('name', 'description', 'gateway', 'provision_start_ip',
                   'provision_end_ip', 'resolvers', 'routes')
        unknown = sorted(set(data) - set(allowed))
        if unknown:
            raise ApiError(409, 'InvalidArgument',
                           'property "%s": cannot be updated' % unknown[0])
        subnet = ipaddress.ip_network(net['subnet'])
        for field in ('gateway', 'provision_start_ip', 'provision_end_ip'):
            if data.get(field) is None:
                continue
            try:
                ok = ipaddress.ip_address(data[field]) in subnet
            except ValueError:
                ok = False
            if not ok:
                raise ApiError(409, 'InvalidArgument',
                               '%s must be an address in %s'
                               % (field, subnet))
        if data.get('name') and data['name'] != net['name'] and any(
                n['name'] == data['name'] and n['vlan_id'] == net['vlan_id']
                for n in self.fabric_networks.values()):
            raise ApiError(409, 'InvalidArgument',
                           'network with name "%s" already exists'
                           % data['name'])
        net.update((k, v) for k, v in data.items() if v is not None)
        return net

    def _allocate_ip(self, net):
        start = ipaddress.ip_address(net['provision_start_ip'])
        offset = self._next_ip.get(net['id'], 0)
        self._next_ip[net['id']] = offset + 1
        return str(start + offset)

    def _advance(self, machine):
        """Apply a pending transition once its polls/delay have passed."""
        pending = machine.get('_pending')
        if not pending:
            return
        target, polls_left, deadline, changes = pending
        due = polls_left <= 0 or (deadline is not None
                                  and time.monotonic() >= deadline)
        if due:
            machine['state'] = target
            machine.update(changes)
            machine['updated'] = _now_iso()
            machine['_pending'] = None
        else:
            machine['_pending'] = (target, polls_left - 1, deadline, changes)

    def _schedule(self, machine, now_state, target, **changes):
        machine['state'] = now_state
        deadline = None
        if self.transition_delay is not None:
            deadline = time.monotonic() + self.transition_delay
        machine['_pending'] = (target, self.transition_polls, deadline,
                               changes)

    @staticmethod
    def _public(machine):
        return {k: v for k, v in machine.items() if not k.startswith('_')}

    # -- request handling --------------------------------------------------

    def authenticate(self, method, path, headers):
        date = headers.get('date')
        if not date:
            raise ApiError(401, 'InvalidCredentials',
                           'Date header is required')
        try:
            when = email.utils.parsedate_to_datetime(date)
        except (TypeError, ValueError):
            raise ApiError(401, 'InvalidCredentials',
                           'Date header is not a valid HTTP date')
        if when.tzinfo is None:
            when = when.replace(tzinfo=datetime.timezone.utc)
        skew = abs((datetime.datetime.now(datetime.timezone.utc)
                    - when).total_seconds())
        if skew > self.max_skew:
            raise ApiError(401, 'InvalidCredentials',
                           'Date header %s is too skewed (%d s; %d s max)'
                           % (date, skew, self.max_skew))
        auth = headers.get('authorization')
        if not auth:
            raise ApiError(401, 'InvalidCredentials',
                           'Authorization header is required')
        try:
            params = sdc_signatures.parse_authorization(auth)
        except ValueError as exc:
            raise ApiError(401, 'InvalidCredentials',
                           'Invalid Authorization header: %s' % exc)
        key_id = params.get('keyId', '')
        parts = key_id.split('/')
        if len(parts) != 4 or parts[0] or parts[2] != 'keys':
            raise ApiError(401, 'InvalidCredentials',
                           'keyId must be /<login>/keys/<fingerprint>')
        if parts[1] != self.account:
            raise ApiError(401, 'InvalidCredentials',
                           'Unknown login %s' % parts[1])
        key = self.keys.get(parts[3])
        if key is None:
            raise ApiError(401, 'InvalidCredentials',
                           'Unknown key %s' % parts[3])
        signed = params.get('headers', 'date').lower().split()
        if signed != ['date']:
            raise ApiError(401, 'InvalidCredentials',
                           'Only the date header may be signed')
        try:
            signature = base64.b64decode(params.get('signature', ''),
                                         validate=True)
        except ValueError:
            raise ApiError(401, 'InvalidCredentials',
                           'Signature is not base64')
        data = signing.signing_string(date).encode('utf-8')
        if not sdc_signatures.verify(key, params.get('algorithm', ''),
                                     data, signature):
            raise ApiError(401, 'InvalidCredentials',
                           'Invalid signature')

    def handle(self, method, raw_path, headers, body):
        """Serve one request; return ``(status, json_body_or_None)``."""
        with self.lock:
            self.requests.append((method, raw_path, dict(headers)))
            if self._injected:
                status, code, message, drop = self._injected.popleft()
                if drop:
                    return 'drop', None
                return status, {'code': code, 'message': message}
        self.authenticate(method, raw_path, headers)
        accept = headers.get('accept-version')
        if not accept:
            raise ApiError(400, 'InvalidHeader',
                           'Accept-Version header is required')
        if not version_accepted(accept):
            raise ApiError(449, 'InvalidVersion',
                           '%s is not supported by CloudAPI %s'
                           % (accept, VERSION))
        url = parse.urlsplit(raw_path)
        query = dict(parse.parse_qsl(url.query, keep_blank_values=True))
        segments = [parse.unquote(s) for s in url.path.split('/')[1:]]
        if not segments or not segments[0]:
            raise ApiError(404, 'ResourceNotFound', '%s does not exist'
                           % url.path)
        if segments[0] != self.account:
            raise ApiError(403, 'NotAuthorized',
                           '%s may not access /%s' % (self.account,
                                                      segments[0]))
        if body:
            try:
                data = json.loads(body)
            except ValueError:
                raise ApiError(400, 'BadRequest', 'Body is not valid JSON')
            if not isinstance(data, dict):
                raise ApiError(400, 'BadRequest',
                               'Body must be a JSON object')
        else:
            data = {}
        with self.lock:
            return self._route(method, segments[1:], query, data)

    def _route(self, method, seg, query, data):
        n = len(seg)
        head = seg[0] if seg else None
        if head == 'machines':
            if n == 1 and method == 'GET':
                return 200, [self._public(m) for m in self.machines.values()
                             if m['state'] != 'deleted']
            if n == 1 and method == 'POST':
                return self._create_machine(data)
            if n >= 2:
                return self._machine_routes(method, seg[1], seg[2:], query,
                                            data)
        elif head == 'images':
            if n == 1 and method == 'GET':
                return 200, [i for i in self.images.values()
                             if all(str(i.get(k)) == v
                                    for k, v in query.items()
                                    if k in ('name', 'version', 'type',
                                             'os', 'state'))]
            if n == 2 and method == 'GET':
                image = self.images.get(seg[1])
                if image is None:
                    raise ApiError(404, 'ResourceNotFound',
                                   'image %s not found' % seg[1])
                return 200, image
        elif head == 'packages':
            if n == 1 and method == 'GET':
                return 200, list(self.packages.values())
            if n == 2 and method == 'GET':
                return 200, self._package(seg[1], 404)
        elif head == 'networks':
            nets = self._all_networks()
            if n == 1 and method == 'GET':
                return 200, list(nets.values())
            if n == 2 and method == 'GET':
                if seg[1] not in nets:
                    raise ApiError(404, 'ResourceNotFound',
                                   'network %s not found' % seg[1])
                return 200, nets[seg[1]]
        elif head == 'fabrics' and n >= 3 and seg[1] == 'default' \
                and seg[2] == 'vlans':
            return self._fabric_routes(method, seg[3:], data)
        elif head == 'fwrules':
            return self._fwrule_routes(method, seg[1:], data)
        if head in ('machines', 'images', 'packages', 'networks', 'fabrics',
                    'fwrules'):
            raise ApiError(405, 'BadMethod', '%s is not allowed on %s'
                           % (method, '/'.join(seg)))
        raise ApiError(404, 'ResourceNotFound', '/%s does not exist'
                       % '/'.join(seg))

    def _package(self, name_or_id, status):
        for pkg in self.packages.values():
            if name_or_id in (pkg['id'], pkg['name']):
                return pkg
        code = 'ResourceNotFound' if status == 404 else 'InvalidArgument'
        raise ApiError(status, code, 'package %s not found' % name_or_id)

    def _create_machine(self, data):
        for field in ('image', 'package'):
            if not data.get(field):
                raise ApiError(409, 'MissingParameter',
                               '%s is a required parameter' % field)
        image = self.images.get(data['image'])
        if image is None:
            raise ApiError(409, 'InvalidArgument',
                           'image %s not found' % data['image'])
        package = self._package(data['package'], 409)
        name = data.get('name') or uuid.uuid4().hex[:7]
        if any(m['name'] == name for m in self.live_machines()):
            raise ApiError(409, 'InvalidArgument',
                           'Invalid Parameters: name %s is already in use'
                           % name)
        all_nets = self._all_networks()
        net_ids = data.get('networks') or [PUBLIC_NETWORK['id']]
        if not isinstance(net_ids, list):
            raise ApiError(409, 'InvalidArgument',
                           'networks must be an array of network ids')
        for net_id in net_ids:
            if net_id not in all_nets:
                raise ApiError(409, 'InvalidArgument',
                               'network %s not found' % net_id)
        brand, mtype = _BRANDS.get(image['type'], ('joyent', 'smartmachine'))
        metadata = {k[len('metadata.'):]: v for k, v in data.items()
                    if k.startswith('metadata.')}
        tags = {k[len('tag.'):]: v for k, v in data.items()
                if k.startswith('tag.')}
        ips = [self._allocate_ip(all_nets[i]) for i in net_ids]
        public_ips = [ip for ip, i in zip(ips, net_ids)
                      if all_nets[i].get('public')]
        now = _now_iso()
        machine = {
            'id': str(uuid.uuid4()), 'name': name, 'type': mtype,
            'brand': brand, 'state': 'provisioning', 'image': image['id'],
            'ips': ips, 'memory': package['memory'],
            'disk': package['disk'], 'metadata': metadata, 'tags': tags,
            'created': now, 'updated': now, 'networks': list(net_ids),
            'primaryIp': (public_ips or ips)[0],
            'firewall_enabled': bool(data.get('firewall_enabled', False)),
            'compute_node': '564d0b8e-6099-7648-351e-877faf6c56f6',
            'package': package['name'], 'docker': False,
        }
        self.machines[machine['id']] = machine
        target = 'failed' if self._fail_next and self._fail_next.popleft() \
            else 'running'
        self._schedule(machine, 'provisioning', target)
        return 201, self._public(machine)

    def _machine(self, machine_id):
        machine = self.machines.get(machine_id)
        if machine is None:
            raise ApiError(404, 'ResourceNotFound',
                           'VM %s not found' % machine_id)
        if machine['state'] == 'deleted':
            raise ApiError(410, 'ResourceNotFound',
                           'VM %s has been deleted' % machine_id,
                           body=self._public(machine))
        return machine

    def _machine_routes(self, method, machine_id, rest, query, data):
        if not rest and method == 'GET':
            machine = self.machines.get(machine_id)
            if machine is not None:
                self._advance(machine)
            return 200, self._public(self._machine(machine_id))
        machine = self._machine(machine_id)
        if not rest and method == 'DELETE':
            machine['state'] = 'deleted'
            machine['_pending'] = None
            return 204, None
        if not rest and method == 'POST':
            return self._machine_action(machine, query.get('action'), query)
        if rest and rest[0] == 'metadata':
            if len(rest) == 1 and method == 'GET':
                return 200, machine['metadata']
            if len(rest) == 1 and method == 'POST':
                for key, value in data.items():
                    if not isinstance(value, str):
                        raise ApiError(409, 'InvalidArgument',
                                       'metadata values must be strings')
                machine['metadata'].update(data)
                return 200, machine['metadata']
            if len(rest) == 2 and method == 'DELETE':
                machine['metadata'].pop(rest[1], None)
                return 204, None
        if rest and rest[0] == 'tags':
            if len(rest) == 1 and method == 'GET':
                return 200, machine['tags']
            if len(rest) == 1 and method in ('PUT', 'POST'):
                if method == 'PUT':
                    machine['tags'] = dict(data)
                else:
                    machine['tags'].update(data)
                return 200, machine['tags']
        raise ApiError(405, 'BadMethod', '%s not allowed here' % method)

    def _machine_action(self, machine, action, query):
        state = machine['state']
        if action == 'stop':
            if state not in ('running', 'stopped'):
                raise ApiError(409, 'InvalidState',
                               'VM is %s and cannot be stopped' % state)
            if state == 'running':
                self._schedule(machine, 'stopping', 'stopped')
        elif action == 'start':
            if state not in ('stopped', 'running'):
                raise ApiError(409, 'InvalidState',
                               'VM is %s and cannot be started' % state)
            if state == 'stopped':
                self._schedule(machine, 'stopped', 'running')
        elif action == 'reboot':
            if state != 'running':
                raise ApiError(409, 'InvalidState',
                               'VM is %s and cannot be rebooted' % state)
        elif action == 'resize':
            package = self._package(query.get('package', ''), 409)
            if machine['brand'] == 'kvm':
                raise ApiError(409, 'InvalidArgument',
                               'resize is not supported for KVM VMs')
            self._schedule(machine, state, state, package=package['name'],
                           memory=package['memory'], disk=package['disk'])
        elif action == 'rename':
            name = query.get('name')
            if not name:
                raise ApiError(409, 'MissingParameter',
                               'name is a required parameter')
            if any(m['name'] == name and m is not machine
                   for m in self.live_machines()):
                raise ApiError(409, 'InvalidArgument',
                               'name %s is already in use' % name)
            machine['name'] = name
        elif action in ('enable_firewall', 'disable_firewall'):
            machine['firewall_enabled'] = action == 'enable_firewall'
        else:
            raise ApiError(409, 'InvalidArgument',
                           'unsupported action %s' % action)
        machine['updated'] = _now_iso()
        return 202, None

    def _fabric_routes(self, method, seg, data):
        if not seg:
            if method == 'GET':
                return 200, list(self.vlans.values())
            if method == 'POST':
                try:
                    vlan_id = int(data.get('vlan_id'))
                except (TypeError, ValueError):
                    raise ApiError(409, 'InvalidArgument',
                                   'vlan_id must be an integer')
                if not 0 <= vlan_id <= 4095:
                    raise ApiError(409, 'InvalidArgument',
                                   'vlan_id must be between 0 and 4095')
                if vlan_id in self.vlans:
                    raise ApiError(409, 'InvalidArgument',
                                   'VLAN %d already exists' % vlan_id)
                if not data.get('name'):
                    raise ApiError(409, 'MissingParameter',
                                   'name is a required parameter')
                vlan = {'vlan_id': vlan_id, 'name': data['name']}
                if data.get('description'):
                    vlan['description'] = data['description']
                self.vlans[vlan_id] = vlan
                return 201, vlan
        try:
            vlan_id = int(seg[0])
        except ValueError:
            raise ApiError(404, 'ResourceNotFound', 'vlan %s not found'
                           % seg[0])
        if vlan_id not in self.vlans:
            raise ApiError(404, 'ResourceNotFound', 'vlan %d not found'
                           % vlan_id)
        nets = [n for n in self.fabric_networks.values()
                if n['vlan_id'] == vlan_id]
        if len(seg) == 1:
            if method == 'GET':
                return 200, self.vlans[vlan_id]
            if method == 'DELETE':
                if nets:
                    raise ApiError(409, 'InUseError',
                                   'VLAN %d has networks' % vlan_id)
                del self.vlans[vlan_id]
                return 204, None
        if seg[1] == 'networks' and len(seg) == 2:
            if method == 'GET':
                return 200, nets
            if method == 'POST':
                return 201, self._new_fabric_network(vlan_id, data)
        if seg[1] == 'networks' and len(seg) == 3:
            net = self.fabric_networks.get(seg[2])
            if net is None or net['vlan_id'] != vlan_id:
                raise ApiError(404, 'ResourceNotFound',
                               'network %s not found' % seg[2])
            if method == 'GET':
                return 200, net
            if method == 'PUT':
                return 200, self._update_fabric_network(net, data)
            if method == 'DELETE':
                users = [m['id'] for m in self.live_machines()
                         if net['id'] in m['networks']]
                if users:
                    raise ApiError(409, 'InUseError',
                                   'network %s is in use by %s'
                                   % (net['id'], ', '.join(users)))
                del self.fabric_networks[net['id']]
                return 204, None
        raise ApiError(405, 'BadMethod', '%s not allowed here' % method)

    def _fwrule_routes(self, method, seg, data):
        if not seg:
            if method == 'GET':
                return 200, list(self.fwrules.values())
            if method == 'POST':
                self._check_rule(data, required=True)
                rule = {'id': str(uuid.uuid4()), 'rule': data['rule'],
                        'enabled': bool(data.get('enabled', False)),
                        'global': False,
                        'description': data.get('description', '')}
                self.fwrules[rule['id']] = rule
                return 201, rule
        rule = self.fwrules.get(seg[0])
        if rule is None:
            raise ApiError(404, 'ResourceNotFound', 'rule %s not found'
                           % seg[0])
        if len(seg) == 1:
            if method == 'GET':
                return 200, rule
            if method == 'POST':
                self._check_rule(data, required=True)
                rule['rule'] = data['rule']
                for field in ('enabled', 'description'):
                    if field in data:
                        rule[field] = data[field]
                return 200, rule
            if method == 'DELETE':
                del self.fwrules[rule['id']]
                return 204, None
        if (len(seg) == 2 and method == 'POST'
                and seg[1] in ('enable', 'disable')):
            rule['enabled'] = seg[1] == 'enable'
            return 200, rule
        raise ApiError(405, 'BadMethod', '%s not allowed here' % method)

    @staticmethod
    def _check_rule(data, required):
        text = data.get('rule')
        if required and not text:
            raise ApiError(409, 'MissingParameter',
                           'rule is a required parameter')
        if not isinstance(text, str) or not _FW_RULE_RE.match(text):
            raise ApiError(409, 'InvalidArgument',
                           'rule: Error at character 0: %r: expected '
                           '"FROM <from> TO <to> ALLOW|BLOCK <ports>"'
                           % (text,))


def _make_handler(sim):

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = 'HTTP/1.1'
        server_version = 'cloudapi/%s' % VERSION

        def log_message(self, fmt, *args):   # keep test output quiet
            pass

        def _serve(self):
            length = int(self.headers.get('Content-Length') or 0)
            body = self.rfile.read(length) if length else b''
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                status, payload = sim.handle(self.command, self.path,
                                             headers, body)
            except ApiError as exc:
                status = exc.status
                payload = exc.body if exc.body is not None else {
                    'code': exc.code, 'message': exc.message}
            except Exception as exc:   # noqa: B902 - never crash the server
                status, payload = 500, {'code': 'InternalError',
                                        'message': str(exc)}
            if status == 'drop':
                self.close_connection = True
                return
            data = b'' if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header('Api-Version', VERSION)
            if data:
                self.send_header('Content-Type', 'application/json')
            self.send_header('Content-Length', str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

    return Handler


def _self_signed(directory):
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, '127.0.0.1')])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address('127.0.0.1'))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None),
                           critical=True)
            .sign(key, hashes.SHA256()))
    cert_path = os.path.join(directory, 'cert.pem')
    key_path = os.path.join(directory, 'key.pem')
    with open(cert_path, 'wb') as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(key_path, 'wb') as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return cert_path, key_path


def main():
    """Run a simulator from the command line (for manual and functional
    tests): ``python -m tests.sdc_simulator PUBKEY_FILE [PORT_FILE]``.

    Registers the OpenSSH/PEM public key given, prints the URL and serves
    until interrupted.
    """
    import sys

    from cryptography.hazmat.primitives import serialization

    with open(sys.argv[1], 'rb') as f:
        data = f.read()
    if data.startswith(b'ssh-') or data.startswith(b'ecdsa-'):
        public = serialization.load_ssh_public_key(data)
    else:
        public = serialization.load_pem_public_key(data)
    sim = CloudAPISimulator(account=os.environ.get('SDC_ACCOUNT', 'hurtle'))
    sim.add_key(public)
    sim.start()
    print(sim.url, flush=True)
    if len(sys.argv) > 2:
        with open(sys.argv[2], 'w') as f:
            f.write(sim.url)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sim.stop()


if __name__ == '__main__':
    main()
