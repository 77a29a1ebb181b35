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
"""A real embedded Heat (``hurtle-heat``) for functional tests.

``EmbeddedHeat`` starts ``python -m hurtle.cmd.heat`` as a subprocess on a
free loopback port, with a temporary state directory and config file,
waits until the Heat API answers ``GET /`` and stops the process with
SIGTERM (by its pid) on cleanup.

Per test::

    heat = self.useFixture(heat_fixture.EmbeddedHeat())
    hc = heat.client()          # python-heatclient, project "admin"
    hc.stacks.list()

One shared instance per test class (start-up takes about 2 s)::

    class MyTest(testtools.TestCase):
        @classmethod
        def setUpClass(cls):
            super().setUpClass()
            cls.heat = heat_fixture.for_class(cls)

Parameters: ``plugin_dirs`` (extra Heat plugin directories),
``extra_conf`` (extra heat.conf content, as text or as
``{section: {option: value}}``, written to the file named by
``[embedded_heat] heat_config``), ``hurtle_conf`` (more groups of
Hurtle's own config file, ``{section: {option: value}}``, e.g. ``[sdc]``),
``hurtle_plugins`` (load Hurtle's own
``hurtle/heat_plugins/resources``, default True), ``embedded_heat_opts`` (more
``[embedded_heat]`` options), ``state_dir`` (reuse a directory, e.g. to
test a restart; default: a fresh temporary one) and ``start_timeout``
(seconds).
"""
import os
import signal
import subprocess
import sys
import time

import fixtures
import requests
from testtools import content

from hurtle import local_secret
from hurtle.so.deployers import heat_noauth as heat_client_mod
from tests import net

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


class HeatStartError(Exception):
    """hurtle-heat exited or did not answer in time (log tail included)."""


def _ini_text(sections):
    """Render ``{section: {option: value}}`` as an oslo.config file."""
    lines = []
    for section, options in sections.items():
        lines.append('[%s]' % section)
        for key, value in options.items():
            if isinstance(value, (list, tuple)):
                value = ','.join(str(v) for v in value)
            elif isinstance(value, bool):
                value = str(value).lower()
            lines.append('%s = %s' % (key, value))
        lines.append('')
    return '\n'.join(lines)


def for_class(test_class, **kwargs):
    """Start an :class:`EmbeddedHeat` (``kwargs`` as for it) shared by the
    tests of ``test_class``; call it from ``setUpClass``. It is stopped
    after the class's last test.

    :returns: the running ``EmbeddedHeat``.
    """
    heat = EmbeddedHeat(**kwargs)
    heat.setUp()
    test_class.addClassCleanup(heat.cleanUp)
    return heat


class EmbeddedHeat(fixtures.Fixture):
    """``hurtle-heat`` in a subprocess (see module docstring).

    Attributes after setUp: ``api_url`` (``http://127.0.0.1:<port>``),
    ``url`` (v1 endpoint of project ``admin``), ``port``, ``pid``,
    ``state_dir``, ``config_file``, ``log_file``, ``startup_seconds``;
    after cleanUp: ``returncode``.
    """

    def __init__(self, plugin_dirs=(), extra_conf=None, hurtle_plugins=True,
                 embedded_heat_opts=None, state_dir=None,
                 start_timeout=60.0, debug=False, port=None,
                 hurtle_conf=None, state_path=None):
        super().__init__()
        #: Hurtle's ``[DEFAULT] state_path`` (where the local secret
        #: lives); default: a ``state`` directory of the fixture's own.
        self.requested_state_path = state_path
        self.hurtle_conf = dict(hurtle_conf or {})
        self.requested_port = port
        self.plugin_dirs = tuple(plugin_dirs)
        self.extra_conf = extra_conf
        self.hurtle_plugins = hurtle_plugins
        self.embedded_heat_opts = dict(embedded_heat_opts or {})
        self.requested_state_dir = state_dir
        self.start_timeout = start_timeout
        self.debug = debug
        self.process = None
        self.returncode = None
        self._log_cache = None

    # -- helpers used by tests --------------------------------------------
    def client(self, project='admin', user='admin'):
        """python-heatclient v1 client for ``project`` (noauth headers
        and the local secret)."""
        return heat_client_mod.heat_client(
            heat_client_mod.endpoint_for(self.api_url, project),
            project=project, user=user, token=self.local_secret())

    def local_secret(self):
        """The local secret hurtle-heat created under its state_path."""
        return local_secret.load_or_create(self.state_path)

    def auth_headers(self, project='admin', user='admin'):
        """Headers of a plain HTTP call (curl style) to this Heat."""
        return {'X-Auth-User': user, 'X-Auth-Project': project,
                'X-Auth-Token': self.local_secret()}

    def log_text(self):
        """The process's combined stdout/stderr so far."""
        if self._log_cache is not None:
            return self._log_cache
        try:
            with open(self.log_file, encoding='utf-8',
                      errors='replace') as f:
                return f.read()
        except (OSError, AttributeError):
            return ''

    def log_tail(self, lines=60):
        return '\n'.join(self.log_text().splitlines()[-lines:])

    # -- fixture ----------------------------------------------------------
    def _prepare(self, tmp):
        self.tmp = tmp
        # A port of our own is held while the fixture lives
        # (tests.net.reserve_port), so a restart finds it free.
        self._ports = net.Ports()
        self.port = self.requested_port or self._ports.take()
        self.state_path = (self.requested_state_path or
                           os.path.join(self.tmp, 'state'))
        self.state_dir = (self.requested_state_dir or
                          os.path.join(self.tmp, 'state', 'heat'))
        self.log_file = os.path.join(self.tmp, 'hurtle-heat.log')
        self.config_file = self._write_config()
        self.api_url = 'http://127.0.0.1:%d' % self.port
        self.url = heat_client_mod.endpoint_for(self.api_url, 'admin')

    def _env(self):
        env = dict(os.environ)
        env['PYTHONPATH'] = os.pathsep.join(
            p for p in (REPO_ROOT, env.get('PYTHONPATH')) if p)
        return env

    def run_to_exit(self, tmp_dir, timeout=60):
        """Run hurtle-heat in the foreground (for start-up failures).

        Not a fixture use: writes the config into ``tmp_dir`` and waits
        for the process to end.

        :returns: ``(exit status, stdout, stderr)``.
        :raises subprocess.TimeoutExpired: if it runs longer than
            ``timeout`` seconds (it is killed first).
        """
        self._prepare(tmp_dir)
        try:
            proc = subprocess.run(self.command(), cwd=REPO_ROOT,
                                  env=self._env(), stdin=subprocess.DEVNULL,
                                  capture_output=True, text=True,
                                  timeout=timeout)
        finally:
            self._ports.release()
        return proc.returncode, proc.stdout, proc.stderr

    def _setUp(self):
        self._prepare(self.useFixture(fixtures.TempDir()).path)
        self.addDetail('hurtle-heat-log', content.Content(
            content.UTF8_TEXT,
            lambda: [self.log_tail(400).encode('utf-8')]))
        self.addCleanup(self.stop)
        self._start()

    def _write_config(self):
        opts = {'host': '127.0.0.1', 'port': self.port,
                'state_path': self.state_dir,
                'hurtle_plugins': self.hurtle_plugins}
        if self.plugin_dirs:
            opts['plugin_dirs'] = list(self.plugin_dirs)
        if self.extra_conf:
            heat_conf = os.path.join(self.tmp, 'heat-extra.conf')
            text = (self.extra_conf if isinstance(self.extra_conf, str)
                    else _ini_text(self.extra_conf))
            with open(heat_conf, 'w') as f:
                f.write(text)
            opts['heat_config'] = heat_conf
        opts.update(self.embedded_heat_opts)
        path = os.path.join(self.tmp, 'hurtle.conf')
        with open(path, 'w') as f:
            f.write(_ini_text(dict({
                'DEFAULT': {'state_path': self.state_path,
                            'debug': self.debug},
                'embedded_heat': opts}, **self.hurtle_conf)))
        return path

    def command(self):
        return [sys.executable, '-P', '-m', 'hurtle.cmd.heat',
                '--config-file', self.config_file]

    def _start(self):
        t0 = time.monotonic()
        with open(self.log_file, 'ab') as log:
            self.process = subprocess.Popen(
                self.command(), cwd=REPO_ROOT, env=self._env(),
                stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT)
        self.pid = self.process.pid
        self.addCleanup(self._ports.release)
        deadline = t0 + self.start_timeout
        while True:
            code = self.process.poll()
            if code is not None:
                raise HeatStartError('hurtle-heat exited with %s before '
                                     'answering; log:\n%s'
                                     % (code, self.log_tail()))
            try:
                requests.get(self.api_url + '/', timeout=2)
                break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise HeatStartError('hurtle-heat did not answer on %s '
                                     'within %.0f s; log:\n%s'
                                     % (self.api_url, self.start_timeout,
                                        self.log_tail()))
            time.sleep(0.05)
        self.startup_seconds = time.monotonic() - t0

    def stop(self, sig=signal.SIGTERM, timeout=30.0):
        """Send ``sig`` to the process (by pid) and wait for it to exit.

        Kills it (SIGKILL) if it outlives ``timeout`` seconds.

        :returns: the exit status (negative: killed by that signal).
        """
        if self.process is None:
            return None
        if self.process.poll() is None:
            try:
                os.kill(self.process.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.returncode = self.process.returncode
        self._log_cache = self.log_text()
        return self.returncode
