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
"""The embedded default with the CC and the SM under a WSGI server.

``WSGIHurtle(server, sm_workers=N)`` writes the configuration of
``hurtle_fixture.HurtleAll``, runs the embedded Heat as ``hurtle-heat``
(as ``HurtleParts`` does) and serves ``hurtle.wsgi.cc`` (one worker,
threads) and ``hurtle.wsgi.sm`` (``sm_workers`` worker processes, each
loading the application itself) with ``server``, ``'gunicorn'`` or
``'uwsgi'`` (the ones installed in this virtualenv), the configuration
given through ``HURTLE_CONFIG_FILES``.

:func:`server_command` is the command line of one server; the
benchmark (``benchmarks/wsgi_servers.py``) uses it too.
"""
import functools
import os
import subprocess
import sys
import types

from hurtle.cmd import all as all_cmd
from tests.functional import hurtle_fixture

SERVERS = ('gunicorn', 'uwsgi')


@functools.lru_cache()
def _gunicorn_options(binary):
    """``--no-control-socket`` if this gunicorn has a control socket (one
    path in $HOME by default, shared by every gunicorn running)."""
    usage = subprocess.run([binary, '--help'], capture_output=True,
                           text=True, timeout=60).stdout
    return ['--no-control-socket'] if '--no-control-socket' in usage else []


def server_command(server, app, port, workers=1, threads=1, lazy=True):
    """The command serving the WSGI ``app`` (``module:callable``) on
    ``127.0.0.1:port`` with ``workers`` processes of ``threads`` threads,
    each process loading ``app`` itself (``lazy=False``: the server loads
    it once, then forks the workers), stopping on SIGTERM.

    :raises ValueError: an unknown ``server``.
    """
    binary = os.path.join(os.path.dirname(sys.executable), server)
    address = '127.0.0.1:%d' % port
    if server == 'gunicorn':
        # --threads > 1 selects the gthread worker.
        return [binary, '--bind', address, '--workers', str(workers),
                '--threads', str(threads), '--timeout', '120',
                '--graceful-timeout', '30', app] + (
                    [] if lazy else ['--preload']) + _gunicorn_options(binary)
    if server == 'uwsgi':
        module, _, name = app.partition(':')
        return [binary, '--http11-socket', address, '--master',
                '--processes', str(workers), '--threads', str(threads),
                '--enable-threads', '--need-app',
                '--die-on-term', '--virtualenv', sys.prefix,
                '--module', module, '--callable', name or 'application',
                '--disable-logging'] + (['--lazy-apps'] if lazy else [])
    raise ValueError('unknown WSGI server %r' % server)


class ServedChild(all_cmd.Child):
    """A WSGI server process, started, probed, stopped and tailed as
    ``hurtle.cmd.all.Child``; ``HURTLE_CONFIG_FILES`` is
    ``config_files``; its output goes to ``<state>/log/<name>.log``."""

    def __init__(self, name, command, probe_url, state, config_files):
        super().__init__(name, None, probe_url, types.SimpleNamespace(
            state_path=state, config_file=[]))
        self.args = command
        self.cwd = state
        self.env = dict(os.environ,
                        HURTLE_CONFIG_FILES=':'.join(config_files))

    def start(self):
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        with open(self.log_path, 'ab') as log:
            self.proc = subprocess.Popen(
                self.args, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=self.env, cwd=self.cwd)

    def log(self):
        with open(self.log_path, 'rb') as handle:
            return handle.read().decode('utf-8', 'replace')


class WSGIHurtle(hurtle_fixture.HurtleParts):
    """See the module docstring; ``.children`` (Heat, CC, SM),
    ``.cc``/``.sm`` the served ones."""

    def __init__(self, server, sm_workers=2, cc_threads=8, **kwargs):
        kwargs.setdefault('manifests', (hurtle_fixture.SAMPLE_MANIFEST,))
        super().__init__(**kwargs)
        self.server = server
        self.sm_workers = sm_workers
        self.cc_threads = cc_threads

    def port(self, url):
        return int(url.rstrip('/').rsplit(':', 1)[1])

    def _setUp(self):
        self._write_conf()
        heat = all_cmd.Child('hurtle-heat', 'hurtle.cmd.heat',
                             self.heat_url + '/', types.SimpleNamespace(
                                 state_path=self.state,
                                 config_file=[self.conf_path]))
        self.cc = ServedChild(
            'cc-' + self.server, server_command(
                self.server, 'hurtle.wsgi.cc:application',
                self.port(self.cc_url), 1, self.cc_threads),
            self.cc_url + '-/', self.state, [self.conf_path])
        self.sm = ServedChild(
            'sm-' + self.server, server_command(
                self.server, 'hurtle.wsgi.sm:application',
                self.port(self.sm_url), self.sm_workers, 4),
            self.sm_url + '-/', self.state, [self.conf_path])
        self.children = [heat, self.cc, self.sm]
        self.sms = [self.sm]
        self.addCleanup(self._stop_children)
        for child in self.children:
            child.start()
            child.wait_ready(self.start_timeout)
