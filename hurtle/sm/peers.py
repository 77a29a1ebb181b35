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
"""The parts the SM's lifecycle talks to.

* :meth:`Peers.cc`: the CC's app API, as ``[sm] service_project``;
* :meth:`Peers.so`: one instance's SO, with its per-SO secret;
* :meth:`Peers.sm`: another SM (composition), as the instance's project:
  in Keystone mode with a token of the instance's own trust
  (:meth:`Peers.trust_session`), so that its dependencies are created
  in the user's project as the user (the trust impersonates), get their
  own trusts (redelegated from this one) and can be disposed of after
  the user's token is gone; without a trust, with the SM's service token;
* :meth:`Peers.deployer`: the deployer an SO of the instance would use
  (``[deployer] driver`` for the instance's project), to dispose a stack
  by id when its SO is gone.

Every OCCI client retries connection errors and 503 (``[sm]
call_retries``). A client of the CC or another SM times out after ``[sm]
phase_timeout`` seconds; an SO's client after ``[sm] call_timeout``
seconds (a request that waits for the SO's work gives its own timeout:
a held GET adds its hold, the SO's DELETE waits for the time left in the
phase), and within a phase its ``deadline`` bounds every attempt and
retry (``hurtle.sm.so_client``); a ``probe`` client (the SO watcher's)
tries once and waits at most ``PROBE_TIMEOUT`` seconds. Once the SM
stops (:attr:`Peers.stopping` set) no call is retried any more. A peer
that cannot be reached raises ``ConnectionFailed("<component>
unreachable")``, one that takes a request but answers nothing in time
``NoAnswer("<component> does not answer")``: that sentence is what
users see as a reason, the URL and exception go to the log only.

In the noauth mode the CC client also sends the local secret
(``hurtle.local_secret``) as ``X-Auth-Token``; only the CC gets it.
"""
import collections
import http.cookiejar
import logging
import threading
import urllib.parse
import weakref

import requests

from hurtle.conf import service_credentials
from hurtle import local_secret
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle.sdk import deployer as deployers
from hurtle.sm import trusts

LOG = logging.getLogger(__name__)


#: Seconds a probe of the CC or an SO may take.
PROBE_TIMEOUT = 10
#: What the SM asks SOs and other SMs to answer in: JSON keeps line
#: breaks in values (a multi-line stack output) that the header rendering
#: turns into spaces; an SO that does only ``text/occi`` answers in it
#: (doc/source/contributor/so-api.rst).
PEER_ACCEPT = '%s, %s;q=0.5' % (occi_client.OCCI_JSON, occi_client.TEXT_OCCI)

#: Trust-scoped keystoneauth1 sessions :class:`Peers` keeps (least
#: recently used dropped first); each renews its own token.
TRUST_SESSIONS = 64


class ComponentClient(occi_client.OCCIClient):
    """OCCI client of one component (the CC, an SO, an SM): when it cannot
    be reached its error says which component, ``"<component>
    unreachable"`` (``ConnectionFailed``), or ``"<component> does not
    answer"`` (``NoAnswer``: it took the request but sent nothing back in
    time); the URL and exception go to the log only."""

    def __init__(self, component, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.component = component

    def request(self, *args, **kwargs):
        try:
            return super().request(*args, **kwargs)
        except errors.NoAnswer as exc:
            LOG.warning('%s does not answer: %s', self.component,
                        exc.message)
            raise errors.NoAnswer('%s does not answer' % self.component)
        except errors.ConnectionFailed as exc:
            LOG.warning('%s unreachable: %s', self.component, exc.message)
            raise errors.ConnectionFailed('%s unreachable' % self.component)


class ServiceTokenClient(ComponentClient):
    """A :class:`ComponentClient` sending a token of a keystoneauth1
    session (Keystone mode: the SM's service token, or a token of an
    instance's trust): when the peer answers 401 (the token was revoked,
    or the peer's Keystone no longer accepts it), keystoneauth1 gets a new
    token and the request is sent once more with it.

    :param keystone: the keystoneauth1 session of the token.
    """

    def __init__(self, component, keystone, *args, **kwargs):
        super().__init__(component, *args, **kwargs)
        self.keystone = keystone

    def request(self, *args, **kwargs):
        try:
            return super().request(*args, **kwargs)
        except errors.Unauthorized:
            LOG.info('The %s refused the service token: authenticating '
                     'again', self.component)
            self.keystone.invalidate()
            self.headers['X-Auth-Token'] = self.keystone.get_token()
            return super().request(*args, **kwargs)


class Peers(object):
    """Clients of the CC, SOs, other SMs and the deployer.

    :param conf: oslo.config object (``[sm]``, ``[deployer]``,
        ``[service_credentials]``).
    """

    def __init__(self, conf):
        self.conf = conf
        #: Set when the SM stops: its clients retry nothing from then on.
        self.stopping = threading.Event()
        self._keystone = None
        self._trusts = collections.OrderedDict()   # trust id -> session
        self._trusts_lock = threading.Lock()
        self._local = threading.local()
        # Every thread's session, for forget_endpoint.
        self._sessions = weakref.WeakSet()
        self._sessions_lock = threading.Lock()

    def http_session(self):
        """The calling thread's :class:`requests.Session` for every peer
        (its connections are kept alive between the calls of one
        lifecycle; one per thread because requests does not promise a
        session is safe to share). It accepts no cookies: peers on the
        same host would otherwise get each other's (cookies ignore
        ports)."""
        session = getattr(self._local, 'session', None)
        if session is None:
            session = requests.Session()
            session.cookies.set_policy(
                http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
            self._local.session = session
            with self._sessions_lock:
                self._sessions.add(session)
        return session

    def retire_session(self):
        """Leave the calling thread's :meth:`http_session` to whoever uses
        it now: its next call gets a new one. A lifecycle thread that
        stopped waiting for a request still under way on another thread
        (``hurtle.sm.so_wait``) must not share the session with it."""
        self._local.session = None

    def forget_endpoint(self, url):
        """``url``'s server is gone for good (an SO that was deleted):
        close every thread's kept-alive connections to its host and port.
        Without this each thread kept, for every SO it had called, the
        sockets the SO had closed (CLOSE_WAIT): about 2 open files per
        instance ever created, up to requests' bound of ten hosts per
        session. Only idle connections are closed (urllib3's pools are
        thread-safe; one in use by its thread is closed when handed
        back to the closed pool)."""
        parts = urllib.parse.urlsplit(url)
        if not parts.hostname:
            return
        port = parts.port or (443 if parts.scheme == 'https' else 80)
        with self._sessions_lock:
            sessions = list(self._sessions)
        for session in sessions:
            close_pools(session, parts.hostname, port)

    def _client(self, component, url, headers, probe=False,
                service_token=False, keystone=None, accept=None,
                timeout=None):
        if probe:
            timeout = min(PROBE_TIMEOUT, self.conf.sm.phase_timeout)
            retries = 0
        else:
            timeout = min(timeout or self.conf.sm.phase_timeout,
                          self.conf.sm.phase_timeout)
            retries = self.conf.sm.call_retries
        kwargs = dict(headers=headers, verify=not self.conf.sm.insecure,
                      timeout=timeout, retries=retries, stop=self.stopping,
                      session=self.http_session())
        if accept:
            kwargs['accept'] = accept
        if service_token and self.conf.auth_strategy == 'keystone':
            return ServiceTokenClient(
                component, keystone or self.keystone_session(), url,
                **kwargs)
        return ComponentClient(component, url, **kwargs)

    def keystone_session(self):
        """The SM's one keystoneauth1 session of ``[service_credentials]``
        (loaded on first use; it renews its token): for the tokens sent
        to the CC and other SMs, and the catalogue's endpoint look-ups."""
        if self._keystone is None:
            self._keystone = service_credentials.load_session(self.conf)
        return self._keystone

    def trust_session(self, trust_id):
        """A keystoneauth1 session of the ``[service_credentials]`` user
        scoped to the trust ``trust_id`` (its tokens act as the trustor in
        the trust's project), kept for reuse: the last
        :data:`TRUST_SESSIONS` used are kept.

        :raises keystoneauth1.exceptions.ClientException: invalid
            ``[service_credentials]`` options (Keystone itself is only
            called for a token).
        """
        with self._trusts_lock:
            session = self._trusts.pop(trust_id, None)
            if session is None:
                session = service_credentials.load_trust_session(
                    self.conf, trust_id)
            self._trusts[trust_id] = session
            while len(self._trusts) > TRUST_SESSIONS:
                self._trusts.popitem(last=False)
            return session

    def forget_trust(self, trust_id):
        """Drop the kept session of ``trust_id`` (the trust was deleted)."""
        with self._trusts_lock:
            self._trusts.pop(trust_id, None)

    def auth_headers(self, project):
        """Headers authenticating the SM towards the CC or another SM.

        noauth: ``X-Project-Id: project``. keystone: a token of the
        ``[service_credentials]`` (keystoneauth1 renews it), so that
        instances the SM creates elsewhere belong to its service project.
        """
        if self.conf.auth_strategy == 'keystone':
            return {'X-Auth-Token': self.keystone_session().get_token()}
        return {'X-Project-Id': project}

    def cc(self, probe=False):
        """An OCCI client of the CC, as ``[sm] service_project``."""
        headers = self.auth_headers(self.conf.sm.service_project)
        if self.conf.auth_strategy != 'keystone':
            headers.update(local_secret.headers(self.conf.state_path))
        return self._client('cloud controller (CC)', self.conf.sm.cc_url,
                            headers, probe, service_token=True)

    def cc_answers(self):
        """True if anything answers HTTP at ``[sm] cc_url`` (any status:
        a CC refusing an unauthenticated call is up), False if nothing
        does within ``PROBE_TIMEOUT`` seconds."""
        try:
            requests.get(self.conf.sm.cc_url, timeout=PROBE_TIMEOUT)
        except requests.RequestException:
            return False
        return True

    def so(self, row, probe=False, url=None):
        """An OCCI client of the SO of ``row``, at ``url`` or else at
        ``row.so_url`` (one must be set); its requests wait at most
        ``[sm] call_timeout`` seconds for an answer (a probe:
        ``PROBE_TIMEOUT``), a request passing its own ``timeout`` longer
        (a held GET, the SO's DELETE)."""
        return self._client('service orchestrator (SO)', url or row.so_url,
                            {'X-Auth-Token': row.so_secret,
                             'X-Tenant-Name': row.project}, probe,
                            accept=PEER_ACCEPT,
                            timeout=self.conf.sm.call_timeout)

    def sm(self, row, url):
        """An OCCI client of the SM at ``url``, as ``row``'s project.

        Keystone mode: with a token of ``row``'s trust when it has one
        (the dependency then belongs to the user, see the module
        docstring), else with the SM's service token.

        :raises keystoneauth1.exceptions.ClientException: no token can be
            had (Keystone unreachable, or the trust is gone).
        """
        trust_id = (row.attributes or {}).get(trusts.ATTRIBUTE)
        component = 'service manager (SM) of a dependency'
        if self.conf.auth_strategy == 'keystone' and trust_id:
            session = self.trust_session(trust_id)
            return self._client(component, url,
                                {'X-Auth-Token': session.get_token()},
                                service_token=True, keystone=session,
                                accept=PEER_ACCEPT)
        return self._client(component, url, self.auth_headers(row.project),
                            service_token=True, accept=PEER_ACCEPT)

    def deployer(self, row, region=None):
        """The ``hurtle.sdk.Deployer`` of ``row``'s project; the ``cc``
        driver acts as the instance's SO (its app id is the instance id,
        ``row.so_secret`` its secret), whose app still exists while the
        SM disposes of the stack.

        :param region: the region of the stack (a manifest's ``regions``);
            None: the driver's default.
        :raises RuntimeError: the configured driver cannot be loaded.
        """
        identity = None
        if row.so_secret:
            identity = deployers.SOIdentity(
                cc_url=self.conf.sm.cc_url, app_id=row.id,
                secret=row.so_secret)
        return deployers.load(
            self.conf, row.project,
            trust_id=(row.attributes or {}).get(trusts.ATTRIBUTE),
            so_identity=identity, region=region)


def close_pools(session, host, port):
    """Close the connection pools ``session`` (a :class:`requests.Session`)
    keeps for ``host`` and ``port`` (on every mounted adapter, any
    scheme). requests has no call for one host; its adapters'
    ``poolmanager.pools`` close a pool when it is removed."""
    host = host.lower()
    for adapter in session.adapters.values():
        pools = getattr(getattr(adapter, 'poolmanager', None), 'pools', None)
        if pools is None:
            continue
        for key in list(pools.keys()):
            if getattr(key, 'key_host', None) == host and \
                    getattr(key, 'key_port', None) == port:
                pools.pop(key, None)
