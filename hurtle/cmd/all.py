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
"""``hurtle-all``: the embedded default on one machine, in one command.

Starts, as child processes on 127.0.0.1: the embedded Heat
(``hurtle-heat``, [embedded_heat] port, 8004), the CC (``hurtle-cc``,
8887) and the SM (``hurtle-sm``, 8888), each with the same
``--config-file``s, all at once. The CC and the SM each bring the
database to the newest schema as they start (on SQLite and PostgreSQL
the second waits for the first); on any other database hurtle-all does
it once before starting them. None needs another to answer at start
(the SM resumes its work in progress once the CC answers,
``hurtle.cmd.sm``; SOs answer 503 while Heat cannot be reached). It
then waits until every one answers, and fails as soon as one exits.
Their logs go to
``<state_path>/log/<name>.log``.

* ``hurtle-all --config-file etc/hurtle/hurtle.conf`` serves until SIGTERM
  or Ctrl-C, then stops SM, CC (which stops its SOs) and Heat together
  (:func:`stop_all`): each stops cleanly on its own (the SM leaves the
  work in progress for its next start, ``hurtle.sm.scheduling``), so
  none waits for another. A stop requested during start-up ends the
  start-up at once (:class:`StopRequested`) and stops the children
  started so far the same way. The children run in a process group of
  their own, so a Ctrl-C at the terminal reaches hurtle-all only, which
  stops them all with SIGTERM (their clean stop, the CC stopping its
  SOs) whatever point of their start they are at.
* ``--demo`` runs the walk-through of ``hurtle.cmd.demo`` (create an
  instance of the first service, watch it become active, delete it) and
  exits with its status; with ``--serve`` too, it keeps serving after.

The children end with hurtle-all even when it cannot stop them (killed
with SIGKILL): each gets SIGTERM from the kernel when hurtle-all dies
(``hurtle.parent_death``), and stops as it would on a clean stop, the CC
stopping its SOs.

Exit status: 0 on success (also when stopped during start-up), 1 if a
service does not start (its log's tail is printed) or the demo fails.
"""
import logging
import os
import signal
import subprocess
import sys
import threading
import time

from oslo_config import cfg
import requests

from hurtle import parent_death
from hurtle import polling
from hurtle import service
from hurtle import signal_relay

LOG = logging.getLogger(__name__)

cli_opts = [
    cfg.BoolOpt('demo', default=False,
                help='Run the demo walk-through once everything serves.'),
    cfg.BoolOpt('serve', default=False,
                help='With --demo: keep serving after the demo.'),
]

START_TIMEOUT = 180.0
#: Seconds a child may take to stop after SIGTERM before it is killed.
STOP_GRACE = 30.0


class StopRequested(Exception):
    """SIGTERM or SIGINT came while hurtle-all was starting its
    children."""


class Child(object):
    """One Hurtle service run as a child process."""

    def __init__(self, name, module, probe_url, conf, env=None):
        self.name = name
        #: Environment variables set for the child, beside this
        #: process's.
        self.env = dict(env or {})
        self.module = module
        self.probe_url = probe_url
        self.log_path = os.path.join(conf.state_path, 'log',
                                     '%s.log' % name)
        # -P: the working directory is not put on sys.path, so a
        # directory named ``hurtle`` there cannot shadow the installed
        # package (Python 3.11+).
        self.args = [sys.executable, '-P', '-m', module]
        for path in conf.config_file or []:
            self.args += ['--config-file', os.path.abspath(path)]
        self.proc = None

    def start(self):
        """Start the child in a process group of its own (a Ctrl-C at the
        terminal signals hurtle-all only: it stops the children itself,
        :func:`stop_all`); it gets SIGTERM when this process (the thread
        calling this) dies (``hurtle.parent_death``)."""
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        with open(self.log_path, 'ab') as log:
            self.proc = subprocess.Popen(
                self.args, env=dict(os.environ, **self.env), stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                process_group=0, preexec_fn=parent_death.preexec())

    def answers(self):
        """True once the child answers HTTP on ``probe_url`` (any
        status: the CC and the embedded Heat answer 401 without the
        local secret), False while it does not yet.

        :raises RuntimeError: the child exited (with its log's tail).
        """
        if self.proc.poll() is not None:
            raise RuntimeError('%s exited with status %s:\n%s' % (
                self.name, self.proc.returncode, self.tail()))
        try:
            requests.get(self.probe_url, timeout=2)
        except requests.RequestException:
            return False
        # Only the child can listen on its port while hurtle-all holds
        # it (_reserve_ports); it must still be alive too.
        return self.proc.poll() is None

    def wait_ready(self, timeout=START_TIMEOUT):
        """Wait until :meth:`answers`.

        :raises RuntimeError: the child exited, or did not answer within
            ``timeout`` seconds (with its log's tail).
        """
        wait_all([self], timeout)

    def terminate(self):
        """Send SIGTERM (nothing if it is not running)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)

    def wait_stopped(self, grace):
        """Wait up to ``grace`` seconds for the child to exit; SIGKILL it
        then."""
        if self.proc is None:
            return
        try:
            self.proc.wait(max(grace, 0))
        except subprocess.TimeoutExpired:
            LOG.warning('%s ignored SIGTERM; killing it', self.name)
            self.proc.kill()
            self.proc.wait()

    def stop(self, grace=STOP_GRACE):
        """SIGTERM, then SIGKILL after ``grace`` seconds."""
        stop_all([self], grace)

    def tail(self, lines=15):
        try:
            with open(self.log_path, 'rb') as handle:
                text = handle.read()[-8000:].decode('utf-8', 'replace')
        except OSError:
            return '(no log)'
        return '\n'.join(text.splitlines()[-lines:])


def wait_all(waiting, timeout=START_TIMEOUT, on_ready=None, stop=None):
    """Wait until every started child of ``waiting`` answers, checking
    each in turn every 0.1 s; ``on_ready(child)`` is called once for each
    as soon as it answers.

    :param stop: a ``threading.Event``: once set, the wait ends at its
        next check (within 0.1 s, or a probe's 2 s at most).
    :raises StopRequested: ``stop`` was set.
    :raises RuntimeError: a child exited (at once, whatever the others
        do), or did not answer within ``timeout`` seconds (with its log's
        tail).
    """
    left = list(waiting)

    def all_answer():
        for child in list(left):
            if stop is not None and stop.is_set():
                raise StopRequested()
            if child.answers():
                left.remove(child)
                if on_ready is not None:
                    on_ready(child)
        return not left or None
    try:
        polling.poll_until(all_answer, timeout, 0.1,
                           ', '.join(c.name for c in left) + ' answering',
                           stop=stop)
    except polling.Timeout:
        raise RuntimeError('%s did not answer on %s within %.0f s:\n%s'
                           % (left[0].name, left[0].probe_url, timeout,
                              left[0].tail()))


def stop_all(stopping, grace=STOP_GRACE):
    """Send SIGTERM to every child of ``stopping`` at once, then wait for
    each; those still running ``grace`` seconds after the signal are
    killed (SIGKILL)."""
    for child in stopping:
        child.terminate()
    deadline = time.monotonic() + grace
    for child in stopping:
        child.wait_stopped(deadline - time.monotonic())


def _url(host, port, path):
    return 'http://%s:%d%s' % (host, port, path)


def _local_url(host, port, path):
    """``_url`` with a wildcard ``host`` replaced by the loopback address
    of its family."""
    host = {'0.0.0.0': '127.0.0.1', '::': '::1', '': '127.0.0.1'}.get(
        host, host)
    return _url('[%s]' % host if ':' in host else host, port, path)


def children(conf):
    """The child services of the embedded default: Heat, CC, SM (the
    order they are started in; they are stopped in reverse).

    The embedded Heat is told the URL of the CC started beside it
    (``[embedded_heat] cc_url``, through the environment, unless the
    configuration sets it), to which it sends its stack events
    (``hurtle.heat.notifier``)."""
    heat = conf.embedded_heat
    heat_env = {}
    if not heat.cc_url:
        heat_env['OS_EMBEDDED_HEAT__CC_URL'] = _local_url(
            conf.cc.host, conf.cc.port, '/')
    return [
        Child('hurtle-heat', 'hurtle.cmd.heat',
              _url(heat.host, heat.port, '/'), conf, env=heat_env),
        Child('hurtle-cc', 'hurtle.cmd.cc',
              _url(conf.cc.host, conf.cc.port, '/-/'), conf),
        Child('hurtle-sm', 'hurtle.cmd.sm',
              _url(conf.sm.host, conf.sm.port, '/-/'), conf),
    ]


def _reserve_ports(conf):
    """Bind (with SO_REUSEADDR, without listening) the port of each child
    service, so that no other program is given it until the child
    listens: between a mere "is it free" check and a child's own bind,
    which comes seconds later (the embedded Heat starts first), any
    process binding port 0, an SO for instance, may get it, and its
    answers would then be taken for the child's. The child's server
    (``hurtle.occi.server``, SO_REUSEADDR too) can still bind and
    listen.

    :returns: {child name: socket}; close each once its child answers.
    :raises RuntimeError: a port is in use (another Hurtle runs?).
    """
    import socket
    held = {}
    for name, label, host, port in (
            ('hurtle-heat', 'embedded Heat', conf.embedded_heat.host,
             conf.embedded_heat.port),
            ('hurtle-cc', 'CC', conf.cc.host, conf.cc.port),
            ('hurtle-sm', 'SM', conf.sm.host, conf.sm.port)):
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            sock.close()
            for other in held.values():
                other.close()
            raise RuntimeError('port %d for the %s on %s is not free '
                               '(%s); is Hurtle already running?'
                               % (port, label, host, exc.strerror))
        held[name] = sock
    return held


def _migrations_serialised(url):
    """Whether two processes migrating the database ``url`` at once are
    serialised (SQLite, PostgreSQL: ``hurtle.db.migration``); read from
    the URL's scheme, without importing SQLAlchemy."""
    scheme = url.split(':', 1)[0].split('+', 1)[0].lower()
    return scheme in ('sqlite', 'postgresql')


def _start(child, started, stop):
    """Start ``child`` and add it to ``started``.

    :raises StopRequested: ``stop`` is set (before the child starts)."""
    if stop.is_set():
        raise StopRequested()
    print('starting %s (log: %s)' % (child.name, child.log_path), flush=True)
    child.start()
    started.append(child)


def main(argv=None):
    service.CONF.register_cli_opts(cli_opts)
    # No SQLAlchemy yet (database=False): the embedded Heat, which does
    # not use Hurtle's database, starts first; the CC and the SM create
    # the encryption key of secrets at rest themselves (race-safe).
    conf = service.prepare_service(
        sys.argv[1:] if argv is None else argv,
        'Hurtle: embedded Heat, CC and SM on one machine', database=False)
    stop = threading.Event()
    # Not stop.set() in the signal handler: it would wait forever for
    # the lock of ``stop`` when the main thread holds it in stop.wait()
    # (hurtle.signal_relay).
    signal_relay.handle(signal_relay.STOP_SIGNALS,
                        lambda signum: stop.set())
    started = []
    held = {}
    status = 0
    try:
        held = _reserve_ports(conf)
        heat, *others = children(conf)
        _start(heat, started, stop)
        if not _migrations_serialised(conf.database.connection):
            # Once, before the CC and the SM: two processes migrating
            # at once would race here.
            service.upgrade_database(conf)
        # Else the CC and the SM each bring the schema up to date as they
        # start, the second waiting for the first: they start at once,
        # beside Heat.
        for child in others:
            _start(child, started, stop)
        # Each port is held until its child answers (_reserve_ports).
        wait_all(started,
                 on_ready=lambda child: held.pop(child.name).close(),
                 stop=stop)
        sm_url = _url(conf.sm.host, conf.sm.port, '/')
        print('Hurtle serves: SM %s, CC %s, Heat %s'
              % (sm_url, _url(conf.cc.host, conf.cc.port, '/'),
                 started[0].probe_url), flush=True)
        if conf.demo:
            from hurtle.cmd import demo
            status = demo.run(sm_url, conf)
            if not conf.serve:
                return status
            print('still serving on %s (Ctrl-C stops everything)' % sm_url,
                  flush=True)
        while not stop.wait(1.0):
            dead = [c for c in started if c.proc.poll() is not None]
            if dead:
                print('%s exited (status %s):\n%s' % (
                    dead[0].name, dead[0].proc.returncode, dead[0].tail()),
                    file=sys.stderr)
                status = 1
                break
        return status
    except StopRequested:
        print('hurtle-all: stop requested during start-up', flush=True)
        return 0
    except RuntimeError as exc:
        print('hurtle-all: %s' % exc, file=sys.stderr)
        return 1
    finally:
        for sock in held.values():
            sock.close()
        stop_all(list(reversed(started)))
        print('stopped', flush=True)


if __name__ == '__main__':
    sys.exit(main())
