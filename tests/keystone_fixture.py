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
"""A real Keystone for tests (doc/source/contributor/testing.rst).

``Keystone`` runs the PyPI ``keystone`` package (:data:`REQUIREMENT`, the
release of Heat's oslo generation) on 127.0.0.1 on a free port: SQLite and
fernet tokens in a temporary directory, the in-memory dogpile cache, cheap
password hashing, served by gunicorn (one worker, one thread: see
:meth:`Keystone.start`). Keystone's
dependencies clash with ours, so it lives in its own virtualenv,
:data:`VENV` (``.tox/keystone`` in the checkout, or ``$HURTLE_KEYSTONE_VENV``),
created with pip on first use and reused afterwards (:func:`ensure_venv`).

Set-up is ``keystone-manage fernet_setup``, ``credential_setup`` and
``db_sync``, made once per virtualenv (:func:`initial_state`: the migrated
database and the key repositories, copied into each new Keystone's
directory: every test Keystone has the same fernet keys), then
``keystone-manage bootstrap`` (admin user and project, roles ``admin``,
``member``, ``reader``, identity endpoints on the public and internal
interfaces); then, through the API with python-keystoneclient, the accounts
devstack makes: the ``service`` project, the ``service`` role, Hurtle's
service user (``hurtle``, roles ``admin`` and ``service`` in ``service``),
projects ``demo`` and ``alt_demo`` with a member and a reader each (users
``demo``, ``demo_reader``, ``alt_demo``, ``alt_demo_reader``), and the
catalog entries given as ``services``. Every password is
:data:`PASSWORD`.

``require()`` skips (or, in CI, fails) a test when the virtualenv cannot
be made. ``stop()`` and ``start()`` stop gunicorn (SIGTERM by its pid)
and start it again on the same port with the same database and keys
(tokens stay valid); cleanup stops it.
"""
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time

import fixtures
import requests

from tests import absent
from tests import net
from tests import processes

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: Keystone 30 is the 2026.2 release (Heat 27's).
REQUIREMENT = 'keystone==30.0.0'
#: Installed next to it: the WSGI server.
EXTRA_REQUIREMENTS = ('gunicorn',)
VENV = os.environ.get('HURTLE_KEYSTONE_VENV') or os.path.join(
    ROOT, '.tox', 'keystone')
#: Password of every user the fixture makes.
PASSWORD = 'Keystone-Pa55'
REGION = 'RegionOne'
#: ``(user, project, roles)`` made besides admin and the service user.
USERS = (('demo', 'demo', ('member',)),
         ('demo_reader', 'demo', ('reader',)),
         ('alt_demo', 'alt_demo', ('member',)),
         ('alt_demo_reader', 'alt_demo', ('reader',)))
SERVICE_USER = 'hurtle'
#: Heat's service user (the trustee of Heat's trusts), its stack domain
#: and that domain's admin (:meth:`Keystone.add_heat_accounts`).
HEAT_USER = 'heat'
HEAT_DOMAIN = 'heat'
HEAT_DOMAIN_ADMIN = 'heat_domain_admin'

CONF_TEMPLATE = """
[DEFAULT]
log_file = {dir}/keystone.log
debug = false

[database]
connection = sqlite:///{dir}/keystone.sqlite

[token]
provider = fernet
expiration = {expiration}

[fernet_tokens]
key_repository = {dir}/fernet-keys

[credential]
key_repository = {dir}/credential-keys

[cache]
enabled = true
backend = dogpile.cache.memory

[identity]
password_hash_rounds = 4
"""

# Keystone parses sys.argv when it reads its configuration: gunicorn's
# arguments are hidden from it. The configuration file comes from
# OS_KEYSTONE_CONFIG_FILES.
WSGI_SHIM = """
import sys

sys.argv = sys.argv[:1]

from keystone.server import wsgi  # noqa: E402

application = wsgi.initialize_public_application()
"""


def ensure_venv(venv=None, requirements=None):
    """Create the virtualenv ``venv`` (default :data:`VENV`) with
    ``requirements`` (default :data:`REQUIREMENT` and
    :data:`EXTRA_REQUIREMENTS`) unless it is there (a marker file names
    what was installed); safe when test workers call it at once (a lock
    file). Returns the venv's ``bin`` directory.

    :raises subprocess.CalledProcessError: venv or pip failed (e.g. no
        access to PyPI): the tests needing the service then fail, loudly.
    """
    venv = venv or VENV
    requirements = tuple(requirements or
                         (REQUIREMENT,) + EXTRA_REQUIREMENTS)
    wanted = ' '.join(requirements)
    marker = os.path.join(venv, 'hurtle-venv-ready')
    bindir = os.path.join(venv, 'bin')
    os.makedirs(os.path.dirname(venv), exist_ok=True)
    with open(venv + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        for name in (marker, os.path.join(venv, 'hurtle-keystone-ready')):
            try:
                with open(name) as handle:
                    if handle.read().strip() == wanted:
                        return bindir
            except OSError:
                pass
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([sys.executable, '-m', 'venv', venv], check=True)
        python = os.path.join(bindir, 'python')
        subprocess.run([python, '-m', 'pip', 'install', '-q', '--upgrade',
                        'pip'], check=True)
        subprocess.run([python, '-m', 'pip', 'install', '-q'] +
                       list(requirements), check=True)
        with open(marker, 'w') as handle:
            handle.write(wanted + '\n')
    return bindir


#: What :func:`initial_state` keeps: the database and key repositories.
INITIAL_FILES = ('keystone.sqlite', 'fernet-keys', 'credential-keys')


def _manage(bindir, conf_path, *args):
    """Run ``keystone-manage`` of ``bindir`` with ``conf_path``.

    :raises RuntimeError: it failed (its output in the message).
    """
    result = subprocess.run(
        [os.path.join(bindir, 'keystone-manage'), '--config-file',
         conf_path] + list(args),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if result.returncode:
        raise RuntimeError('keystone-manage %s failed (%d):\n%s' % (
            args[0], result.returncode,
            result.stdout.decode('utf-8', 'replace')))


def initial_state(bindir, venv=None):
    """The directory, inside ``venv`` (default :data:`VENV`), holding a
    new Keystone's :data:`INITIAL_FILES`: made once (``keystone-manage
    fernet_setup``, ``credential_setup``, ``db_sync``: three processes of
    several seconds each) and reused by every :class:`Keystone`, which
    copies them; safe when test workers call it at once (a lock file). It
    goes with the virtualenv, which is made again when the Keystone
    release changes.

    :raises RuntimeError: a ``keystone-manage`` command failed.
    """
    venv = venv or VENV
    initial = os.path.join(venv, 'hurtle-keystone-initial')
    with open(venv + '.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isdir(initial):
            return initial
        work = tempfile.mkdtemp(prefix='hurtle-keystone-initial.', dir=venv)
        try:
            conf_path = os.path.join(work, 'keystone.conf')
            with open(conf_path, 'w') as handle:
                handle.write(CONF_TEMPLATE.format(dir=work, expiration=3600))
            owner = []
            if os.geteuid() == 0:
                # keystone-manage wants the owner of the key repositories.
                owner = ['--keystone-user', 'root', '--keystone-group',
                         'root']
            _manage(bindir, conf_path, 'fernet_setup', *owner)
            _manage(bindir, conf_path, 'credential_setup', *owner)
            _manage(bindir, conf_path, 'db_sync')
            for name in os.listdir(work):
                if name not in INITIAL_FILES:
                    os.unlink(os.path.join(work, name))
            os.rename(work, initial)
        except BaseException:
            shutil.rmtree(work, ignore_errors=True)
            raise
    return initial


def require():
    """Make sure :data:`VENV` exists (:func:`ensure_venv`); if it cannot
    be made (no Python venv module, no access to PyPI), skip the test or
    class, or fail it in CI (``tests.absent``)."""
    try:
        ensure_venv()
    except (OSError, subprocess.CalledProcessError) as exc:
        absent.skip_or_fail(
            "Keystone's virtualenv (%s) could not be made: %s" % (VENV, exc),
            'give pip access to PyPI, or set HURTLE_KEYSTONE_VENV to a '
            'virtualenv holding %s' % ' '.join((REQUIREMENT,) +
                                               EXTRA_REQUIREMENTS))


class Keystone(fixtures.Fixture):
    """A running Keystone; ``.url`` (no ``/v3``), ``.dir``, ``.log_path``.

    :param services: ``{name: (type, url)}`` catalog services to create,
        each with a public and an internal endpoint at ``url`` (e.g. the
        SM, the CC, ``orchestration``); more with :meth:`add_service`.
    :param expiration: ``[token] expiration`` in seconds.
    :param internal_identity: also give the identity service an
        ``internal`` endpoint (devstack makes only ``public``).
    """

    def __init__(self, services=None, expiration=3600,
                 internal_identity=True, start_timeout=120):
        super().__init__()
        self.services = dict(services or {})
        self.expiration = expiration
        self.internal_identity = internal_identity
        self.start_timeout = start_timeout
        self.proc = None
        self._reserved = None

    def _setUp(self):
        self.bindir = ensure_venv()
        self.dir = self.useFixture(fixtures.TempDir()).path
        # Held until gunicorn listens (see tests.net.reserve_port): with
        # several test workers another server took a merely free port
        # between the catalog's bootstrap and gunicorn's bind.
        self._reserved = net.reserve_port()
        self.addCleanup(self._release_port)
        self.port = self._reserved.getsockname()[1]
        self.url = 'http://127.0.0.1:%d' % self.port
        self.conf_path = os.path.join(self.dir, 'keystone.conf')
        self.log_path = os.path.join(self.dir, 'keystone.log')
        with open(self.conf_path, 'w') as handle:
            handle.write(CONF_TEMPLATE.format(dir=self.dir,
                                              expiration=self.expiration))
        with open(os.path.join(self.dir, 'hurtle_keystone_wsgi.py'),
                  'w') as handle:
            handle.write(WSGI_SHIM)
        initial = initial_state(self.bindir)
        for name in INITIAL_FILES:
            source = os.path.join(initial, name)
            target = os.path.join(self.dir, name)
            if os.path.isdir(source):
                shutil.copytree(source, target)
            else:
                shutil.copy2(source, target)
        bootstrap = ['bootstrap', '--bootstrap-password', PASSWORD,
                     '--bootstrap-region-id', REGION,
                     '--bootstrap-public-url', self.url + '/v3']
        if self.internal_identity:
            bootstrap += ['--bootstrap-internal-url', self.url + '/v3']
        self.manage(*bootstrap)
        self.addCleanup(self.stop)
        self.start()
        self._make_accounts()

    def manage(self, *args):
        """Run ``keystone-manage`` with this Keystone's configuration."""
        _manage(self.bindir, self.conf_path, *args)

    # -- process -------------------------------------------------------------
    def start(self):
        """Start gunicorn on ``.port``; return once ``/v3`` answers."""
        env = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=self.conf_path)
        # One thread: every password authentication writes the user's
        # last_active_at (keystone.identity.core.authenticate) in a
        # transaction that reads first; two such transactions on SQLite
        # deadlock and one fails at once with "database is locked" (a 500:
        # 1 in 100 tokens with 4 threads under 8 parallel clients).
        # Keystone's requests are short, so serving them one at a time
        # costs the tests little; a production Keystone uses MySQL.
        self._out = open(os.path.join(self.dir, 'gunicorn.out'), 'ab')
        self.proc = subprocess.Popen(
            [os.path.join(self.bindir, 'gunicorn'), '--bind',
             '127.0.0.1:%d' % self.port, '--workers', '1', '--threads', '1',
             '--chdir', self.dir, '--timeout', '120',
             'hurtle_keystone_wsgi:application'],
            stdout=self._out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, cwd=self.dir, env=env)
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError('Keystone exited (%s):\n%s'
                                   % (self.proc.returncode, self.output()))
            try:
                if requests.get(self.url + '/v3', timeout=5).ok:
                    self._release_port()
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError('Keystone did not start:\n%s' % self.output())

    def _release_port(self):
        reserved, self._reserved = self._reserved, None
        if reserved is not None:
            reserved.close()

    def stop(self):
        """Stop gunicorn (SIGTERM, SIGKILL after 30 s) by its pid."""
        proc, self.proc = self.proc, None
        if proc is None:
            return
        processes.terminate(proc)
        self._out.close()

    def output(self):
        """gunicorn's output and Keystone's log (for failure messages)."""
        return processes.tails(self.dir, ('gunicorn.out', 'keystone.log'))

    # -- API ---------------------------------------------------------------
    def session(self, user='admin', project='admin', password=PASSWORD):
        """A keystoneauth1 session of ``user`` scoped to ``project``."""
        from keystoneauth1.identity import v3
        from keystoneauth1 import session
        return session.Session(auth=v3.Password(
            auth_url=self.url + '/v3', username=user, password=password,
            user_domain_id='default', project_name=project,
            project_domain_id='default'))

    def token(self, user, project, password=PASSWORD):
        """A new token of ``user`` scoped to ``project``."""
        return self.session(user, project, password).get_token()

    def admin(self):
        """python-keystoneclient v3 as the admin."""
        from keystoneclient.v3 import client
        return client.Client(session=self.session(), interface='public')

    def _role(self, name):
        keystone = self.admin()
        found = keystone.roles.list(name=name)
        return found[0] if found else keystone.roles.create(name)

    def project_id(self, name):
        return self.admin().projects.list(name=name)[0].id

    def user_id(self, name):
        return self.admin().users.list(name=name)[0].id

    def add_project(self, name):
        """Create project ``name`` (domain ``default``) unless it exists;
        returns its id."""
        keystone = self.admin()
        found = keystone.projects.list(name=name)
        if found:
            return found[0].id
        return keystone.projects.create(name, 'default').id

    def add_user(self, name, project, roles):
        """Create user ``name`` (password :data:`PASSWORD`) with ``roles``
        (names, created when missing) in ``project``; returns its id."""
        keystone = self.admin()
        project_id = self.add_project(project)
        found = keystone.users.list(name=name)
        user = found[0] if found else keystone.users.create(
            name, domain='default', password=PASSWORD,
            default_project=project_id)
        for role in roles:
            keystone.roles.grant(self._role(role), user=user,
                                 project=project_id)
        return user.id

    def add_service(self, name, service_type, url,
                    interfaces=('public', 'internal')):
        """A catalog service with an endpoint at ``url`` on each
        interface (region :data:`REGION`); returns the service id."""
        keystone = self.admin()
        service = keystone.services.create(name, service_type)
        for interface in interfaces:
            keystone.endpoints.create(service, url, interface=interface,
                                      region=REGION)
        return service.id

    def endpoints(self, service_type):
        """``[(interface, url)]`` of the services of ``service_type``."""
        keystone = self.admin()
        result = []
        for service in keystone.services.list(type=service_type):
            result += [(e.interface, e.url) for e in
                       keystone.endpoints.list(service=service)]
        return result

    def _make_accounts(self):
        self._role('service')
        self.add_user(SERVICE_USER, 'service', ('admin', 'service'))
        for user, project, roles in USERS:
            self.add_user(user, project, roles)
        for name, (service_type, url) in sorted(self.services.items()):
            self.add_service(name, service_type, url)

    def add_heat_accounts(self):
        """The accounts an OpenStack Heat with Keystone auth needs, as
        devstack's Heat set-up makes them: the service user
        :data:`HEAT_USER` (``admin`` in ``service``), the roles
        ``heat_stack_owner`` (given to the member users) and
        ``heat_stack_user``, the domain :data:`HEAT_DOMAIN` and its admin
        :data:`HEAT_DOMAIN_ADMIN` (``admin`` on the domain)."""
        keystone = self.admin()
        self.add_user(HEAT_USER, 'service', ('admin',))
        self._role('heat_stack_user')
        owner = self._role('heat_stack_owner')
        for user, project, roles in USERS:
            if 'member' in roles:
                keystone.roles.grant(owner, user=self.user_id(user),
                                     project=self.project_id(project))
        found = keystone.domains.list(name=HEAT_DOMAIN)
        domain = found[0] if found else keystone.domains.create(
            HEAT_DOMAIN, description='Owns users and projects created by '
                                     'heat')
        found = keystone.users.list(name=HEAT_DOMAIN_ADMIN, domain=domain)
        admin = found[0] if found else keystone.users.create(
            HEAT_DOMAIN_ADMIN, domain=domain, password=PASSWORD)
        keystone.roles.grant(self._role('admin'), user=admin, domain=domain)

    def revoke(self, token):
        """Revoke ``token`` (``DELETE /v3/auth/tokens``)."""
        response = self.session().delete(
            self.url + '/v3/auth/tokens', headers={'X-Subject-Token': token})
        assert response.status_code == 204, response.status_code
