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
"""A fake Keystone speaking the Identity API v3: a real HTTP server on
127.0.0.1, for tests of Hurtle's keystone mode.

It serves what keystoneauth1 and keystonemiddleware's ``auth_token`` use:

- ``GET /`` → 300 with the versions list (``{"versions": {"values":
  [...]}}``), ``GET /v3`` and ``/v3/`` → 200 with the v3 version document
  (version discovery);
- ``POST /v3/auth/tokens`` with the ``password`` method (user by name and
  domain, or by id) or the ``token`` method, scoped to a project (by name
  and domain, or id) or unscoped → 201 with ``X-Subject-Token`` and a
  token body (``methods``, ``user``, ``project``, ``roles``, ``catalog``,
  ``expires_at``, ``issued_at``, ``audit_ids``); ``?nocatalog`` leaves the
  catalog out. A wrong password, unknown user or a project the user has no
  role on → 401 with Keystone's error body; a malformed body → 400;
- ``GET /v3/auth/tokens`` (validation): needs a valid ``X-Auth-Token``
  (else 401) and answers 200 with the token named by ``X-Subject-Token``
  and that header, or 404 when it is unknown, revoked or expired
  (``?allow_expired=1`` accepts expired ones);
- ``DELETE /v3/auth/tokens``: revokes ``X-Subject-Token`` (204).

The catalog has the ``identity`` service (public, internal and admin
endpoints at this server's root) plus what :meth:`add_endpoint` adds.
Errors never echo a token. Every request is recorded in :attr:`requests`
as ``(method, path, {header: value})`` for assertions.

Usage::

    ks = FakeKeystone()
    ks.add_user('hurtle', 'secret', project='service', roles=['admin'])
    ks.start()                # ks.url: http://127.0.0.1:<port>
    token = ks.issue('hurtle', 'service')   # a token id, for clients
    ...
    ks.stop()
"""
import datetime
import http.server
import json
import secrets
import threading
from urllib import parse
import uuid

DEFAULT_DOMAIN = {'id': 'default', 'name': 'Default'}


def _iso(moment):
    return moment.strftime('%Y-%m-%dT%H:%M:%S.%fZ')


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


class _Error(Exception):
    def __init__(self, code, title, message):
        super().__init__(message)
        self.code, self.title, self.message = code, title, message


class FakeKeystone(object):
    """In-memory Identity v3 server (see the module docstring).

    :param token_lifetime: seconds a token is valid.
    """

    def __init__(self, token_lifetime=3600):
        self.token_lifetime = token_lifetime
        self.users = {}          # name -> dict(id, name, password, domain)
        self.projects = {}       # name -> dict(id, name, domain)
        self.assignments = {}    # (user_id, project_id) -> [role names]
        self.tokens = {}         # token id -> token body (dict)
        self.endpoints = []      # (service type, name, url)
        self.requests = []
        self._lock = threading.Lock()
        self._server = None
        self.url = None

    # -- set-up ----------------------------------------------------------
    def add_project(self, name):
        project = self.projects.get(name)
        if project is None:
            project = {'id': uuid.uuid4().hex, 'name': name,
                       'domain': dict(DEFAULT_DOMAIN)}
            self.projects[name] = project
        return project['id']

    def add_user(self, name, password, project=None, roles=('member',)):
        """Create a user (default domain), with ``roles`` on ``project``.

        :returns: the user id.
        """
        user = self.users.setdefault(name, {
            'id': uuid.uuid4().hex, 'name': name, 'password': password,
            'domain': dict(DEFAULT_DOMAIN)})
        if project is not None:
            project_id = self.add_project(project)
            self.assignments[(user['id'], project_id)] = list(roles)
        return user['id']

    def add_endpoint(self, service_type, url, name=None):
        """Add a service to the catalog (all three interfaces at ``url``)."""
        self.endpoints.append((service_type, name or service_type, url))

    def issue(self, user, project=None):
        """Issue a token directly (as if the user had authenticated).

        :returns: the token id.
        """
        record = self.users[user]
        project_rec = self.projects[project] if project else None
        return self._issue(record, project_rec, ['password'])

    def revoke(self, token_id):
        with self._lock:
            self.tokens.pop(token_id, None)

    def project_id(self, name):
        return self.projects[name]['id']

    def calls(self, method, path):
        """Recorded requests with this method and path."""
        return [r for r in self.requests if r[0] == method and r[1] == path]

    # -- serving ---------------------------------------------------------
    def start(self):
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, fmt, *args):
                pass

            def _handle(self):
                fake._dispatch(self)

            do_GET = do_POST = do_DELETE = do_HEAD = _handle

        self._server = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                                       Handler)
        self._server.daemon_threads = True
        self.url = 'http://127.0.0.1:%d' % self._server.server_port
        thread = threading.Thread(target=self._server.serve_forever,
                                  name='fake-keystone', daemon=True)
        thread.start()
        return self

    def stop(self):
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    # -- protocol ----------------------------------------------------------
    def _version(self):
        return {'id': 'v3.14', 'status': 'stable',
                'updated': '2020-04-07T00:00:00Z',
                'links': [{'rel': 'self', 'href': self.url + '/v3/'}],
                'media-types': [{
                    'base': 'application/json',
                    'type': 'application/vnd.openstack.identity-v3+json'}]}

    def _catalog(self):
        services = [('identity', 'keystone', self.url)] + self.endpoints
        catalog = []
        for service_type, name, url in services:
            catalog.append({
                'id': uuid.uuid5(uuid.NAMESPACE_URL,
                                 service_type + name).hex,
                'type': service_type, 'name': name,
                'endpoints': [{'id': uuid.uuid4().hex, 'interface': iface,
                               'region': 'RegionOne',
                               'region_id': 'RegionOne', 'url': url}
                              for iface in ('public', 'internal', 'admin')]})
        return catalog

    def _issue(self, user, project, methods):
        now = _now()
        body = {
            'methods': methods,
            'user': {'id': user['id'], 'name': user['name'],
                     'domain': dict(user['domain']),
                     'password_expires_at': None},
            'audit_ids': [secrets.token_urlsafe(16)],
            'issued_at': _iso(now),
            'expires_at': _iso(now + datetime.timedelta(
                seconds=self.token_lifetime)),
        }
        if project is not None:
            roles = self.assignments.get((user['id'], project['id']))
            if roles is None:
                raise _Error(401, 'Unauthorized',
                             'The request you have made requires '
                             'authentication.')
            body['project'] = {'id': project['id'], 'name': project['name'],
                               'domain': dict(project['domain'])}
            body['is_domain'] = False
            body['roles'] = [{'id': uuid.uuid5(uuid.NAMESPACE_DNS, r).hex,
                              'name': r} for r in roles]
            body['catalog'] = self._catalog()
        token_id = 'gAAAAA' + secrets.token_urlsafe(48)
        with self._lock:
            self.tokens[token_id] = body
        return token_id

    def _find_user(self, spec):
        if not isinstance(spec, dict):
            raise _Error(400, 'Bad Request', 'Invalid user in the request.')
        if 'id' in spec:
            for user in self.users.values():
                if user['id'] == spec['id']:
                    return user
        elif 'name' in spec:
            user = self.users.get(spec['name'])
            domain = spec.get('domain') or {}
            if user is not None and (domain.get('id') == user['domain']['id']
                                     or domain.get('name') ==
                                     user['domain']['name']):
                return user
        else:
            raise _Error(400, 'Bad Request', 'Invalid user in the request.')
        return None

    def _find_project(self, spec):
        if not isinstance(spec, dict):
            raise _Error(400, 'Bad Request', 'Invalid scope.')
        for project in self.projects.values():
            if spec.get('id') == project['id']:
                return project
            if spec.get('name') == project['name']:
                domain = spec.get('domain') or {}
                if domain.get('id') == project['domain']['id'] or \
                        domain.get('name') == project['domain']['name']:
                    return project
        raise _Error(401, 'Unauthorized', 'The request you have made '
                     'requires authentication.')

    def _valid(self, token_id, allow_expired=False):
        with self._lock:
            body = self.tokens.get(token_id or '')
        if body is None:
            return None
        expires = datetime.datetime.strptime(
            body['expires_at'], '%Y-%m-%dT%H:%M:%S.%fZ').replace(
                tzinfo=datetime.timezone.utc)
        if expires <= _now() and not allow_expired:
            return None
        return body

    def _authenticate(self, request):
        try:
            auth = request['auth']
            identity = auth['identity']
            methods = identity['methods']
        except (KeyError, TypeError):
            raise _Error(400, 'Bad Request',
                         'Expecting to find auth.identity.methods in the '
                         'request body.')
        if methods == ['password']:
            password = identity.get('password') or {}
            user = self._find_user(password.get('user'))
            if user is None or \
                    password['user'].get('password') != user['password']:
                raise _Error(401, 'Unauthorized', 'The request you have '
                             'made requires authentication.')
        elif methods == ['token']:
            body = self._valid((identity.get('token') or {}).get('id'))
            if body is None:
                raise _Error(401, 'Unauthorized', 'The request you have '
                             'made requires authentication.')
            user = self.users[body['user']['name']]
        else:
            raise _Error(401, 'Unauthorized', 'Unsupported methods.')
        scope = auth.get('scope')
        project = None
        if scope:
            if not isinstance(scope, dict) or 'project' not in scope:
                raise _Error(400, 'Bad Request', 'Only project scope.')
            project = self._find_project(scope['project'])
        return self._issue(user, project, methods)

    def _dispatch(self, handler):
        path, _, query = handler.path.partition('?')
        params = parse.parse_qs(query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        self.requests.append((handler.command, path.rstrip('/') or '/',
                              headers))
        length = int(headers.get('content-length') or 0)
        raw = handler.rfile.read(length) if length else b''
        status, out_headers, body = 404, {}, None
        try:
            status, out_headers, body = self._route(
                handler.command, path.rstrip('/') or '/', params, headers,
                raw)
        except _Error as exc:
            status = exc.code
            body = {'error': {'code': exc.code, 'title': exc.title,
                              'message': exc.message}}
        data = b'' if body is None else json.dumps(body).encode('utf-8')
        handler.send_response(status)
        handler.send_header('Content-Type', 'application/json')
        handler.send_header('Content-Length', str(len(data)))
        handler.send_header('Vary', 'X-Auth-Token')
        for name, value in out_headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if handler.command != 'HEAD':
            handler.wfile.write(data)

    def _route(self, method, path, params, headers, raw):
        if path == '/' and method in ('GET', 'HEAD'):
            return 300, {}, {'versions': {'values': [self._version()]}}
        if path == '/v3' and method in ('GET', 'HEAD'):
            return 200, {}, {'version': self._version()}
        if path != '/v3/auth/tokens':
            raise _Error(404, 'Not Found', 'The resource could not be '
                         'found.')
        if method == 'POST':
            try:
                request = json.loads(raw.decode('utf-8'))
            except ValueError:
                raise _Error(400, 'Bad Request', 'Malformed JSON body.')
            token_id = self._authenticate(request)
            body = dict(self.tokens[token_id])
            if 'nocatalog' in params:
                body.pop('catalog', None)
            return 201, {'X-Subject-Token': token_id}, {'token': body}
        if self._valid(headers.get('x-auth-token')) is None:
            raise _Error(401, 'Unauthorized', 'The request you have made '
                         'requires authentication.')
        subject = headers.get('x-subject-token')
        if method in ('GET', 'HEAD'):
            allow_expired = params.get('allow_expired', ['0'])[-1] in (
                '1', 'true', 'True')
            body = self._valid(subject, allow_expired=allow_expired)
            if body is None:
                raise _Error(404, 'Not Found', 'Could not find token.')
            body = dict(body)
            if 'nocatalog' in params:
                body.pop('catalog', None)
            return 200, {'X-Subject-Token': subject}, {'token': body}
        if method == 'DELETE':
            if self._valid(subject) is None:
                raise _Error(404, 'Not Found', 'Could not find token.')
            self.revoke(subject)
            return 204, {}, None
        raise _Error(405, 'Method Not Allowed', 'Method not allowed.')
