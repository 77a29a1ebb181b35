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
"""The Heat deployer: stacks on Hurtle's embedded Heat or an OpenStack Heat.

``[deployer] auth_strategy`` (default: ``[DEFAULT] auth_strategy``) says
how: ``noauth`` talks to a noauth Heat at
``[deployer] heat_url`` (python-heatclient over a keystoneauth1 noauth
session, see ``hurtle.so.deployers.heat_noauth``), also when Hurtle's own
APIs check Keystone tokens; ``keystone``
authenticates with the ``[service_credentials]`` and finds Heat in the
service catalog (``orchestration``) unless ``[deployer] heat_url`` is set
explicitly; given a trust id (the instance's trust, see
``hurtle.sm.trusts``) it authenticates as that user scoped to the trust,
so stacks go into the trustor's project. The
embedded Heat wants the local secret (``hurtle.local_secret``, under
``state_path``) as ``X-Auth-Token``: SOs run with the CC's configuration,
so they read the same file.
"""
import collections
import dataclasses
import logging
import threading
import urllib.parse

from heatclient import exc as heat_exc
from heatclient.v1 import client as heat_v1
from keystoneauth1 import exceptions as ks_exc
import requests

from hurtle.conf import deployer as deployer_conf
from hurtle.conf import service_credentials
from hurtle import local_secret
from hurtle.sdk import deployer as deployer_api
from hurtle.so.deployers import heat_noauth as noauth_client

LOG = logging.getLogger(__name__)

#: Failures to reach Heat at all: the request may be retried.
_UNREACHABLE = (ks_exc.ConnectionError, heat_exc.CommunicationError,
                requests.ConnectionError, requests.Timeout)
#: Heat (or a proxy in front of it) answering that it cannot serve now.
_UNAVAILABLE_CODES = (502, 503, 504)


def _unavailable(what, exc):
    """DeployerUnavailable for ``exc``; the detail goes to the log only."""
    detail = '%s: %s: %s' % (what, type(exc).__name__, exc)
    LOG.debug('Heat unreachable: %s', detail)
    return deployer_api.DeployerUnavailable(detail=detail)


class _StackNames(object):
    """Names of stacks by id, as Heat gave them (the last ``size`` seen).

    Heat answers a request on ``/stacks/<id>`` with a redirect to
    ``/stacks/<name>/<id>``: every poll of a stack cost two requests and
    a look-up in Heat. A stack's name never changes, so once known the
    canonical path is used directly.
    """

    def __init__(self, size=4096):
        self.size = size
        self._names = collections.OrderedDict()
        self._lock = threading.Lock()

    def remember(self, stack_id, name):
        if not stack_id or not name:
            return
        with self._lock:
            self._names[stack_id] = name
            self._names.move_to_end(stack_id)
            while len(self._names) > self.size:
                self._names.popitem(last=False)

    def ref(self, stack_id):
        """``<name>/<id>`` if the name is known, else ``stack_id``."""
        with self._lock:
            name = self._names.get(stack_id)
        return '%s/%s' % (name, stack_id) if name else stack_id


_NAMES = _StackNames()


def _outputs(stack):
    outputs = {}
    for output in getattr(stack, 'outputs', None) or []:
        if 'output_error' in output:
            continue
        outputs[output['output_key']] = output.get('output_value')
    return outputs


def heat_message(exc):
    """The sentence Heat gave for a refused request (not the JSON body)."""
    error = getattr(exc, 'error', None)
    if isinstance(error, dict):
        inner = error.get('error')
        message = (inner.get('message') if isinstance(inner, dict)
                   else None) or error.get('explanation')
        if message:
            return str(message).strip()
    return str(exc)


def _http_session(pool):
    """A :class:`requests.Session` keeping up to ``pool`` connections
    per host, or None (``pool`` None: keystoneauth1's own session)."""
    if not pool:
        return None
    session = requests.Session()
    adapter = requests.adapters.HTTPAdapter(pool_maxsize=pool)
    session.mount('http://', adapter)
    session.mount('https://', adapter)
    return session


@dataclasses.dataclass(frozen=True)
class TaggedStack:
    """A stack of :meth:`HeatDeployer.stacks_tagged`: Heat's ``id``,
    ``name``, ``status`` (e.g. ``CREATE_COMPLETE``), ``tags`` (tuple),
    ``project`` (from the stack's link; None if it has none) and
    ``parent`` (the id of the stack it is nested in, or None)."""

    id: str
    name: str
    status: str
    tags: tuple = ()
    project: str = None
    parent: str = None


def _project_of(stack):
    """The project in the path of a listed stack's self link
    (``.../v1/<project>/stacks/<name>/<id>``), or None."""
    for link in getattr(stack, 'links', None) or []:
        parts = urllib.parse.urlsplit(link.get('href') or '').path.split('/')
        if 'stacks' in parts and parts.index('stacks') > 0:
            return urllib.parse.unquote(parts[parts.index('stacks') - 1])
    return None


class HeatDeployer(deployer_api.Deployer):
    """``hurtle.sdk.Deployer`` over the Heat orchestration API v1."""

    def __init__(self, conf, project, trust_id=None, region=None,
                 so_identity=None, http_pool=None):
        """:param region: the Keystone catalog region of the Heat endpoint
            (keystone mode); with noauth, the ``[deployer]
            heat_region_urls`` entry of that region, else ``heat_url``.
        :param so_identity: ignored (this driver talks to Heat itself).
        :param http_pool: connections to Heat kept alive for reuse (int;
            None: requests' default, 10): a deployer shared by many
            threads (the CC's) needs one per thread calling at once, or
            urllib3 discards the extra ones with a warning each.
        """
        # An SO process leaves this group out of its start-up
        # (hurtle.conf.SERVER_ONLY); this driver is what reads it.
        service_credentials.register_opts(conf)
        self.project = project
        self._missing = service_credentials.missing_endpoint(
            conf, 'orchestration')
        if deployer_conf.strategy(conf) == 'keystone':
            http = _http_session(http_pool)
            sent_with = {'session': http} if http else {}
            if trust_id:
                session = service_credentials.load_trust_session(
                    conf, trust_id, **sent_with)
            else:
                session = service_credentials.load_session(conf, **sent_with)
            self._keystone = session
            endpoint = None
            heat_url = conf.deployer.heat_url
            if heat_url and '%(project)s' not in heat_url:
                endpoint = heat_url
            self.client = heat_v1.Client(
                session=session, endpoint_override=endpoint,
                service_type='orchestration',
                interface=service_credentials.interface(conf),
                region_name=region)
        else:
            self._keystone = None
            project = conf.deployer.heat_project
            self._noauth_project = project
            endpoint = deployer_conf.noauth_heat_url(conf, region, project)
            self.client = noauth_client.heat_client(
                endpoint, project=project, user=conf.deployer.heat_user,
                verify=not conf.deployer.insecure,
                timeout=conf.deployer.heat_timeout,
                token=local_secret.load_or_create(conf.state_path),
                http_session=_http_session(http_pool))

    def _call(self, what, func, *args, **kwargs):
        """``func(*args, **kwargs)`` with Heat's failures mapped.

        :raises DeployerUnavailable: Heat could not be reached, or answered
            502/503/504 (nothing done; retry later).
        :raises DeployerError: Heat refused the request (its answer).
        """
        try:
            return func(*args, **kwargs)
        except _UNREACHABLE as exc:
            raise _unavailable(what, exc)
        except ks_exc.EndpointNotFound:
            raise deployer_api.DeployerError('%s: %s' % (
                what, self._missing))
        except heat_exc.HTTPException as exc:
            if getattr(exc, 'code', None) in _UNAVAILABLE_CODES:
                raise _unavailable(what, exc)
            raise deployer_api.DeployerError(
                '%s: Heat answered %s: %s'
                % (what, exc.code, heat_message(exc)),
                status=getattr(exc, 'code', None))
        except ks_exc.ClientException as exc:
            raise deployer_api.DeployerError('%s: %s' % (what, exc))

    def deploy(self, name, template, parameters=None, files=None,
               environment=None, tags=None):
        """Start creating a stack (see ``hurtle.sdk.Deployer.deploy``).

        :param tags: strings (at most 80 characters, no comma) Heat keeps
            with the stack, for :meth:`tagged`.
        """
        fields = dict(stack_name=name, template=template,
                      parameters=parameters or {}, files=files or {},
                      environment=environment or {})
        if tags:
            fields['tags'] = ','.join(tags)
        body = self._call('create stack %s' % name, self.client.stacks.create,
                          **fields)
        _NAMES.remember(body['stack']['id'], name)
        return body['stack']['id']

    def _by_name(self, name):
        """Heat's live stack called ``name`` (Heat resolves a name only
        to a stack not yet deleted), or None."""
        def find():
            try:
                return self.client.stacks.get(name)
            except heat_exc.HTTPNotFound:
                return None
        return self._call('get stack %s' % name, find)

    def holds_name(self, name, stack_id):
        """Whether Heat still resolves ``name`` to stack ``stack_id``
        (one look-up, the stack itself not read).

        Heat marks a stack ``DELETE_COMPLETE`` (and announces it) a moment
        before it frees the stack's name: a stack of that name created in
        between is refused with 409 "already exists". A stack is gone
        only once both hold.

        :raises DeployerUnavailable: Heat could not be reached.
        :raises DeployerError: Heat refused the look-up (not a 404).
        """
        def lookup():
            # Heat answers a look-up by name with a redirect to the
            # stack's path (.../stacks/<name>/<id>), or 404 once no live
            # stack has that name: the redirect is not followed (that
            # would read the whole stack).
            try:
                resp = self.client.http_client.get(
                    '/stacks/%s' % urllib.parse.quote(name, safe=''),
                    redirect=False)
            except heat_exc.HTTPNotFound:
                return None
            if resp.status_code in (301, 302, 303, 307):
                location = urllib.parse.urlsplit(
                    resp.headers.get('Location') or '').path
                return urllib.parse.unquote(location.rstrip('/')
                                            .rsplit('/', 1)[-1])
            return ((resp.json() or {}).get('stack') or {}).get('id')
        return self._call('look up stack %s' % name, lookup) == stack_id

    def tagged(self, name, tag):
        """Heat's id of the stack ``name`` if it exists, is not being
        deleted and carries ``tag``; else None.

        :raises DeployerUnavailable: Heat could not be reached.
        :raises DeployerError: Heat refused the look-up (not a 404).
        """
        stack = self._by_name(name)
        if (stack is None or stack.stack_status.startswith('DELETE_') or
                tag not in (getattr(stack, 'tags', None) or [])):
            return None
        return stack.id

    def scope(self):
        """The project this deployer's stacks are made in: ``[deployer]
        heat_project`` (noauth), else the project id of its Keystone
        session (the trust's project, with a trust).

        :raises DeployerUnavailable: Keystone could not be reached.
        :raises DeployerError: Keystone refused the credentials (e.g.
            the trust was deleted).
        """
        if self._keystone is None:
            return self._noauth_project
        return self._call('authenticate', self._keystone.get_project_id)

    def stacks_tagged(self, tag):
        """Heat's top-level stacks carrying ``tag`` that this deployer's
        credentials see (one listing, filtered by Heat), deleted ones
        excepted: a list of :class:`TaggedStack`.

        :raises DeployerUnavailable: Heat could not be reached.
        :raises DeployerError: Heat (or Keystone: credentials gone)
            refused the listing.
        """
        def listing():
            return [TaggedStack(
                id=stack.id, name=stack.stack_name,
                status=stack.stack_status,
                tags=tuple(getattr(stack, 'tags', None) or ()),
                project=_project_of(stack),
                parent=getattr(stack, 'parent', None))
                for stack in self.client.stacks.list(filters={'tags': tag})]
        return self._call('list stacks tagged %s' % tag, listing)

    def update(self, stack_id, template=None, parameters=None, files=None,
               environment=None, tags=None):
        """Start updating a stack (see ``hurtle.sdk.Deployer.update``).

        :param tags: the stack's tags (as for :meth:`deploy`), sent again:
            Heat replaces a stack's tags with those of a full update
            (``PUT``, a new template), none if none are given.
        """
        fields = {'parameters': parameters or {}}
        if tags:
            fields['tags'] = ','.join(tags)
        if files:
            fields['files'] = files
        if environment:
            fields['environment'] = environment
        if template is None:
            fields['existing'] = True
        else:
            fields['template'] = template
        self._call('update stack %s' % stack_id, self.client.stacks.update,
                   _NAMES.ref(stack_id), **fields)

    def _get(self, stack_id, resolve_outputs=False):
        """Heat's stack ``stack_id``; outputs resolved only when asked
        (resolving them is most of a stack GET's cost in Heat)."""
        stack = self.client.stacks.get(_NAMES.ref(stack_id),
                                       resolve_outputs=resolve_outputs)
        _NAMES.remember(stack.id, stack.stack_name)
        return stack

    def details(self, stack_id, expect_rest=False):
        """The stack's ``StackDetails``, outputs read only once
        :func:`~hurtle.sdk.deployer.outputs_due` holds (resolving them is
        most of Heat's cost of a stack read): a stack in progress is one
        request without them, one found complete a second request with
        them, or, with ``expect_rest`` (an event announced it complete),
        one request with them whatever the state.
        """
        stack = self._call('get stack %s' % stack_id, self._get, stack_id,
                           expect_rest)
        if not expect_rest and deployer_api.outputs_due(stack.stack_status):
            stack = self._call('get stack %s' % stack_id, self._get,
                               stack_id, True)
        status = stack.stack_status
        return deployer_api.StackDetails(
            id=stack.id, status=status,
            reason=stack.stack_status_reason or '',
            outputs=_outputs(stack) if deployer_api.outputs_due(status)
            else {})

    def details_at_rest(self, stack_id):
        """:meth:`details` with ``expect_rest``: one request."""
        return self.details(stack_id, expect_rest=True)

    def dispose(self, stack_id):
        def delete():
            try:
                self.client.stacks.delete(_NAMES.ref(stack_id))
            except heat_exc.HTTPNotFound:
                pass  # gone already
        self._call('delete stack %s' % stack_id, delete)

    def is_gone(self, stack_id):
        return self.deletion(stack_id) is None

    def deletion(self, stack_id, name_free=True):
        """One read of the stack (without outputs), and a look-up of its
        name once it is ``DELETE_COMPLETE``: None when Heat has no such
        stack, or it is deleted and its name free (with ``name_free``
        False: or it is deleted, no look-up)."""
        def look():
            try:
                stack = self._get(stack_id)
            except heat_exc.HTTPNotFound:
                return None
            if stack.stack_status == 'DELETE_COMPLETE' and (
                    not name_free or
                    not self.holds_name(stack.stack_name, stack.id)):
                return None
            return deployer_api.StackDetails(
                id=stack.id, status=stack.stack_status,
                reason=stack.stack_status_reason or '')
        return self._call('get stack %s' % stack_id, look)

    def deletion_by_id(self, stack_id):
        """One read of the stack (without outputs): None when Heat has no
        such stack or reads it ``DELETE_COMPLETE``, whether or not Heat
        has freed its name yet."""
        return self.deletion(stack_id, name_free=False)
