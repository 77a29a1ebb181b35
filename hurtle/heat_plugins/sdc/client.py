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
"""A Joyent CloudAPI client (Triton's public, per-account REST API).

Every request carries ``Accept-Version`` (a semver range, default
``~9||~8``), a ``Date`` header and the HTTP Signature ``Authorization``
header built by :class:`hurtle.heat_plugins.sdc.signing.RequestSigner`.
Answers are JSON; error answers ``{"code", "message"}`` raise the typed
exceptions of :mod:`hurtle.heat_plugins.sdc.exceptions`.

Retries (tenacity, exponential backoff) happen only after a 503 answer or
a connection failure; a POST is retried after a connection failure only
when the connection was never established, so a create is never sent
twice. Nothing secret (keys, signatures, Authorization) is logged: the
log shows method, path and status.

Routes follow the CloudAPI reference (docs/index.md of
TritonDataCenter/sdc-cloudapi): machines, images, packages, networks,
fabric VLANs and networks, firewall rules.
"""
import json
import logging
import re
from urllib import parse

import requests
import tenacity

from hurtle.heat_plugins.sdc import exceptions

LOG = logging.getLogger(__name__)

DEFAULT_API_VERSION = '~9||~8'
USER_AGENT = 'hurtle-sdc/1.0'

UUID_RE = re.compile(r'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-'
                     r'[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$')


def is_uuid(value):
    """True when ``value`` is a UUID string (CloudAPI ids are UUIDs)."""
    return isinstance(value, str) and bool(UUID_RE.match(value))


def _not_sent(exc):
    """True when a connection error happened before the request was sent."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = exc.args[0] if exc.args else None
    reason = getattr(reason, 'reason', reason)
    text = type(reason).__name__
    return text in ('NewConnectionError', 'NameResolutionError')


class _Retryable(Exception):
    """Internal: wraps a failure that may be retried."""

    def __init__(self, error):
        super().__init__(str(error))
        self.error = error


class CloudAPIClient(object):
    """Client for one CloudAPI endpoint and account.

    :param url: CloudAPI base URL (``https://host[:port]``).
    :param account: the login; routes are ``/<account>/...``.
    :param signer: a :class:`hurtle.heat_plugins.sdc.signing.RequestSigner`.
    :param api_version: ``Accept-Version`` header value.
    :param verify: TLS verification: True (default), False, or a CA
        bundle path.
    :param timeout: seconds per HTTP request.
    :param retries: extra attempts after a 503 or connection failure.
    :param backoff: first backoff delay in seconds (doubles, max 10 s).
    """

    def __init__(self, url, account, signer, api_version=None, verify=True,
                 timeout=30.0, retries=3, backoff=0.5, session=None):
        if not url:
            raise ValueError('CloudAPI url is required')
        if not account:
            raise ValueError('CloudAPI account is required')
        self.url = url.rstrip('/')
        self.account = account
        self.signer = signer
        self.api_version = api_version or DEFAULT_API_VERSION
        self.verify = verify
        self.timeout = timeout
        self.retries = max(0, int(retries))
        self.backoff = backoff
        self.session = session or requests.Session()

    def __repr__(self):
        return '<CloudAPIClient %s account=%s>' % (self.url, self.account)

    # -- transport ---------------------------------------------------------

    def _path(self, *parts):
        quoted = [parse.quote(str(p), safe='') for p in parts]
        return '/' + '/'.join([parse.quote(self.account, safe='')] + quoted)

    def request(self, method, path, params=None, body=None):
        """Send one signed request; return the decoded JSON (or None).

        :param method: HTTP method.
        :param path: absolute path, e.g. ``/<account>/machines``.
        :param params: query parameters (dict).
        :param body: JSON-serialisable request body.
        :returns: the decoded JSON body, or None for an empty answer
            (e.g. 202/204).
        :raises hurtle.heat_plugins.sdc.exceptions.CloudAPIError: a typed
            error for a non-2xx answer, ConnectionFailed when CloudAPI is
            unreachable.
        """
        def attempt():
            return self._send(method, path, params, body)

        retryer = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(_Retryable),
            stop=tenacity.stop_after_attempt(self.retries + 1),
            wait=tenacity.wait_exponential(multiplier=self.backoff,
                                           max=10),
            reraise=True)
        try:
            return retryer(attempt)
        except _Retryable as exc:
            raise exc.error

    def _send(self, method, path, params, body):
        headers = {'Accept': 'application/json',
                   'Accept-Version': self.api_version,
                   'User-Agent': USER_AGENT}
        headers.update(self.signer.headers())
        data = None
        if body is not None:
            headers['Content-Type'] = 'application/json'
            data = json.dumps(body)
        try:
            resp = self.session.request(method, self.url + path,
                                        params=params, data=data,
                                        headers=headers,
                                        timeout=self.timeout,
                                        verify=self.verify,
                                        allow_redirects=False)
        except requests.exceptions.SSLError as exc:
            raise exceptions.ConnectionFailed(
                'TLS failure talking to %s: %s' % (self.url, exc))
        except (requests.exceptions.ConnectionError,
                requests.exceptions.Timeout) as exc:
            LOG.warning('CloudAPI %s %s: connection failed: %s',
                        method, path, type(exc).__name__)
            error = exceptions.ConnectionFailed(
                'Cannot reach CloudAPI at %s: %s' % (self.url,
                                                     type(exc).__name__))
            if method.upper() != 'POST' or _not_sent(exc):
                raise _Retryable(error)
            raise error
        LOG.debug('CloudAPI %s %s -> %s', method, path, resp.status_code)
        if 200 <= resp.status_code < 300:
            if not resp.content:
                return None
            try:
                return resp.json()
            except ValueError:
                raise exceptions.CloudAPIError(
                    'CloudAPI answered %s with a body that is not JSON'
                    % resp.status_code, status=resp.status_code,
                    code='InvalidResponse')
        try:
            payload = resp.json()
        except ValueError:
            payload = resp.text[:200]
        error = exceptions.from_response(resp.status_code, payload)
        if resp.status_code == 503:
            LOG.warning('CloudAPI %s %s: 503 %s', method, path,
                        error.message)
            raise _Retryable(error)
        raise error

    # -- machines (instances) ----------------------------------------------

    def get_machine(self, machine_id):
        """GetMachine: the machine dict; Gone (410) once deleted."""
        return self.request('GET', self._path('machines', machine_id))

    def create_machine(self, image, package, name=None, networks=None,
                       metadata=None, tags=None, firewall_enabled=None):
        """CreateMachine: POST /:login/machines; returns the machine (201).

        ``metadata`` and ``tags`` are sent as ``metadata.<key>`` and
        ``tag.<key>`` fields, as CloudAPI documents.
        """
        body = {'image': image, 'package': package}
        if name:
            body['name'] = name
        if networks:
            body['networks'] = list(networks)
        for key, value in (metadata or {}).items():
            body['metadata.%s' % key] = value
        for key, value in (tags or {}).items():
            body['tag.%s' % key] = value
        if firewall_enabled is not None:
            body['firewall_enabled'] = bool(firewall_enabled)
        return self.request('POST', self._path('machines'), body=body)

    def machine_action(self, machine_id, action, **params):
        """POST /:login/machines/:id?action=<action> (202, no body).

        Actions: start, stop, reboot, resize (package=), rename (name=),
        enable_firewall, disable_firewall.
        """
        query = {'action': action}
        query.update(params)
        return self.request('POST', self._path('machines', machine_id),
                            params=query)

    def stop_machine(self, machine_id):
        return self.machine_action(machine_id, 'stop')

    def start_machine(self, machine_id):
        return self.machine_action(machine_id, 'start')

    def resize_machine(self, machine_id, package):
        return self.machine_action(machine_id, 'resize', package=package)

    def rename_machine(self, machine_id, name):
        return self.machine_action(machine_id, 'rename', name=name)

    def set_machine_firewall(self, machine_id, enabled):
        return self.machine_action(
            machine_id, 'enable_firewall' if enabled else 'disable_firewall')

    def delete_machine(self, machine_id):
        """DeleteMachine: DELETE /:login/machines/:id (204)."""
        return self.request('DELETE', self._path('machines', machine_id))

    def update_machine_metadata(self, machine_id, metadata):
        """UpdateMachineMetadata: POST adds or replaces the given keys."""
        return self.request('POST', self._path('machines', machine_id,
                                               'metadata'),
                            body=dict(metadata))

    def delete_machine_metadata(self, machine_id, key):
        return self.request('DELETE', self._path('machines', machine_id,
                                                 'metadata', key))

    def replace_machine_tags(self, machine_id, tags):
        """ReplaceMachineTags: PUT /:login/machines/:id/tags."""
        return self.request('PUT', self._path('machines', machine_id,
                                              'tags'), body=dict(tags))

    # -- images, packages, networks ----------------------------------------

    def list_images(self, **filters):
        return self.request('GET', self._path('images'),
                            params=filters or None)

    def get_image(self, image_id):
        return self.request('GET', self._path('images', image_id))

    def find_image(self, name_or_id):
        """The image with this id, or the newest active one of this name.

        ``name@version`` selects a version. :raises ResourceNotFound:
        """
        if is_uuid(name_or_id):
            return self.get_image(name_or_id)
        name, _, version = name_or_id.partition('@')
        filters = {'name': name}
        if version:
            filters['version'] = version
        images = [i for i in self.list_images(**filters) or []
                  if i.get('name') == name
                  and (not version or i.get('version') == version)]
        if not images:
            raise exceptions.ResourceNotFound(
                'Image %s not found' % name_or_id,
                status=404, code='ResourceNotFound')
        images.sort(key=lambda i: (i.get('published_at') or '',
                                   i.get('version') or ''))
        return images[-1]

    def get_package(self, name_or_id):
        """GetPackage accepts a package's id or its name."""
        return self.request('GET', self._path('packages', name_or_id))

    def list_networks(self):
        return self.request('GET', self._path('networks'))

    def get_network(self, network_id):
        return self.request('GET', self._path('networks', network_id))

    def find_network(self, name_or_id):
        """The network with this id, or the only one with this name.

        :raises ResourceNotFound: none matches.
        :raises InvalidArgument: the name is ambiguous.
        """
        if is_uuid(name_or_id):
            return self.get_network(name_or_id)
        matches = [n for n in self.list_networks() or []
                   if n.get('name') == name_or_id]
        if not matches:
            raise exceptions.ResourceNotFound(
                'Network %s not found' % name_or_id,
                status=404, code='ResourceNotFound')
        if len(matches) > 1:
            raise exceptions.InvalidArgument(
                'Network name %s is ambiguous (%d networks); use its id'
                % (name_or_id, len(matches)),
                status=409, code='InvalidArgument')
        return matches[0]

    # -- fabrics -------------------------------------------------------------

    def create_fabric_network(self, vlan_id, name, subnet,
                              provision_start_ip, provision_end_ip,
                              gateway=None, resolvers=None, routes=None,
                              description=None, internet_nat=None):
        """CreateFabricNetwork: POST .../vlans/:vlan_id/networks (201)."""
        body = {'name': name, 'subnet': subnet,
                'provision_start_ip': provision_start_ip,
                'provision_end_ip': provision_end_ip}
        optional = {'gateway': gateway, 'resolvers': resolvers,
                    'routes': routes, 'description': description,
                    'internet_nat': internet_nat}
        body.update((k, v) for k, v in optional.items() if v is not None)
        return self.request('POST', self._path('fabrics', 'default', 'vlans',
                                               vlan_id, 'networks'),
                            body=body)

    def update_fabric_network(self, vlan_id, network_id, **fields):
        """UpdateFabricNetwork: PUT .../vlans/:vlan_id/networks/:id (200).

        Fields: name, description, gateway, provision_start_ip,
        provision_end_ip, resolvers, routes (CloudAPI 9).
        """
        return self.request('PUT', self._path('fabrics', 'default', 'vlans',
                                              vlan_id, 'networks',
                                              network_id),
                            body=fields)

    def delete_fabric_network(self, vlan_id, network_id):
        return self.request('DELETE', self._path('fabrics', 'default',
                                                 'vlans', vlan_id,
                                                 'networks', network_id))

    # -- firewall rules ------------------------------------------------------

    def get_firewall_rule(self, rule_id):
        return self.request('GET', self._path('fwrules', rule_id))

    def create_firewall_rule(self, rule, enabled=False, description=None):
        """CreateFirewallRule: POST /:login/fwrules (201)."""
        body = {'rule': rule, 'enabled': bool(enabled)}
        if description is not None:
            body['description'] = description
        return self.request('POST', self._path('fwrules'), body=body)

    def update_firewall_rule(self, rule_id, rule=None, enabled=None,
                             description=None):
        """UpdateFirewallRule: POST /:login/fwrules/:id (200)."""
        body = {}
        if rule is not None:
            body['rule'] = rule
        if enabled is not None:
            body['enabled'] = bool(enabled)
        if description is not None:
            body['description'] = description
        return self.request('POST', self._path('fwrules', rule_id),
                            body=body)

    def delete_firewall_rule(self, rule_id):
        return self.request('DELETE', self._path('fwrules', rule_id))
