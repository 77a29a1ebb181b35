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
"""A throw-away PostgreSQL cluster for tests (doc/source/
contributor/testing.rst).

``PostgreSQL`` copies a data directory made once per test process by
``initdb`` (:func:`_initial_data`: some seconds each time under load) and
runs ``pg_ctl`` (Debian's ``postgresql``
package: ``/usr/lib/postgresql/*/bin``) on a temporary directory, listening
only on a Unix socket there, and gives ``.url``, a SQLAlchemy URL of an
empty database. As root (PostgreSQL refuses to run as root) the server
runs as the ``postgres`` user. ``unavailable()`` says why it cannot run
here, or None; ``require()`` skips the test then, or fails it in
CI (``tests.absent``). ``PostgreSQL.create_database()`` adds another empty
database to a running cluster.
"""
import atexit
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import threading

import fixtures

from tests import absent

HINT = ('install PostgreSQL (Debian: apt-get install postgresql) and '
        'psycopg2 (test-requirements.txt) to run it')


def _bindir():
    found = shutil.which('pg_ctl')
    if found and shutil.which('initdb'):
        return os.path.dirname(os.path.realpath(found))
    for path in sorted(glob.glob('/usr/lib/postgresql/*/bin'), reverse=True):
        if os.path.exists(os.path.join(path, 'pg_ctl')):
            return path
    return None


def unavailable():
    """Why no cluster can be started here (a sentence), or None."""
    if _bindir() is None:
        return 'PostgreSQL (initdb, pg_ctl) is not installed'
    try:
        import psycopg2  # noqa: F401
    except ImportError:
        return 'psycopg2 is not installed'
    if os.geteuid() == 0:
        try:
            pwd.getpwnam('postgres')
        except KeyError:
            return 'running as root and there is no postgres user'
    return None


def require():
    """Skip the test or class calling it (or fail it, in CI) if no
    cluster can run here (``tests.absent``)."""
    why = unavailable()
    if why:
        absent.skip_or_fail(why, HINT)


_initial = {}
_initial_lock = threading.Lock()


def _as_postgres():
    """The command prefix that runs a PostgreSQL program as ``postgres``
    when we are root (PostgreSQL refuses to run as root), else ``[]``."""
    return ['runuser', '-u', 'postgres', '--'] if os.geteuid() == 0 else []


def _temp_dir():
    """A new temporary directory, owned by ``postgres`` when we are
    root."""
    path = tempfile.mkdtemp(prefix='hurtle-pg-')
    if os.geteuid() == 0:
        user = pwd.getpwnam('postgres')
        os.chown(path, user.pw_uid, user.pw_gid)
    return path


def _initial_data(bindir):
    """The path of a data directory ``initdb`` made for this process
    (once; removed when the process exits): each cluster starts from a
    copy of it."""
    with _initial_lock:
        if bindir not in _initial:
            parent = _temp_dir()
            atexit.register(shutil.rmtree, parent, True)
            data = os.path.join(parent, 'data')
            subprocess.run(_as_postgres() + [
                os.path.join(bindir, 'initdb'), '-D', data, '-A', 'trust',
                '-U', 'hurtle', '--no-sync'],
                check=True, stdout=subprocess.DEVNULL,
                stderr=subprocess.STDOUT)
            _initial[bindir] = data
        return _initial[bindir]


class PostgreSQL(fixtures.Fixture):
    """A PostgreSQL server on a Unix socket; ``.url`` of database
    ``hurtle``."""

    def _setUp(self):
        bindir = _bindir()
        self.dir = _temp_dir()
        self.addCleanup(shutil.rmtree, self.dir, True)
        prefix = _as_postgres()
        data = os.path.join(self.dir, 'data')
        subprocess.run(prefix + ['cp', '-a', _initial_data(bindir), data],
                       check=True)
        pg_ctl = os.path.join(bindir, 'pg_ctl')
        subprocess.run(prefix + [pg_ctl, '-D', data, '-w', '-l',
                                 os.path.join(self.dir, 'log'), '-o',
                                 "-k %s -c listen_addresses='' -F"
                                 % self.dir, 'start'],
                       check=True, stdout=subprocess.DEVNULL)
        self.addCleanup(subprocess.run,
                        prefix + [pg_ctl, '-D', data, '-m', 'immediate',
                                  'stop'],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL)
        self.url = self.create_database('hurtle')

    def create_database(self, name):
        """Create the empty database ``name`` (letters, digits and ``_``)
        on this cluster; return its SQLAlchemy URL."""
        if not name.replace('_', '').isalnum():
            raise ValueError('bad database name %r' % name)
        import psycopg2
        connection = psycopg2.connect(dbname='postgres', user='hurtle',
                                      host=self.dir)
        try:
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute('CREATE DATABASE %s' % name)
        finally:
            connection.close()
        return 'postgresql+psycopg2://hurtle@/%s?host=%s' % (name, self.dir)
