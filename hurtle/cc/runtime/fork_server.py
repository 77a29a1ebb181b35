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
"""The ``local`` runtime's client of its SO fork server (``[cc]
so_fork_server``, :mod:`hurtle.cmd.so_fork_server`).

:meth:`ForkServer.start_so` asks the fork server to fork the SO that
``<python> -P -m hurtle.cmd.so ARGS`` with a given environment would be,
and returns a :class:`ForkedProcess` (what the runtime keeps of a
spawned SO's ``subprocess.Popen``), or None: the caller then spawns the
SO as before. None, with the reason at DEBUG level, when:

* the SO's environment has ``PYTHON*`` or ``LD_*`` variables other than
  the server's (they act when an interpreter starts: a forked child
  would not have them act);
* its command line or environment does not fit in the room the server
  reserved (:data:`ARGV_ROOM`, :data:`ENV_ROOM`);
* the server cannot be started, is dead, or does not answer within
  :data:`TIMEOUT` seconds: it is stopped and started again on a later
  start, at most once every :data:`RESTART_INTERVAL` seconds.

The server is started on the first start (``python -P -m
hurtle.cmd.so_fork_server``, in a session of its own, output to
``<state_path>/so/_fork-server.log``) with the CC's environment less its
``OS_*`` variables, and ends when the CC closes its end of their
socketpair (:meth:`ForkServer.close`, or the CC's exit).
"""
import logging
import os
import signal
import socket
import subprocess
import threading
import time

from hurtle.cc.runtime import pid_files
from hurtle import polling
from hurtle import so_fork_protocol as protocol

LOG = logging.getLogger(__name__)

#: Bytes of padding in the server's argv and environment: the room for
#: children's command lines and environments (beyond the server's own).
ARGV_ROOM = 8 * 1024
ENV_ROOM = 64 * 1024
#: Seconds a request may take (a fork takes milliseconds).
TIMEOUT = 10.0
#: Seconds the server may take to import and answer its first ping.
START_TIMEOUT = 60.0
#: Shortest interval between two starts of the server, in seconds.
RESTART_INTERVAL = 60.0
#: Name of the server's log in ``<state_path>/so``, beside the SOs' logs
#: ``<app id>.log``: an app id begins with a letter or digit
#: (``hurtle.cc.api.APP_ID``), so no app's log can be this file (an
#: instance named ``fork-server`` once wrote over ``fork-server.log``).
LOG_NAME = '_fork-server.log'
#: Variables that act when an interpreter starts.
START_PREFIXES = ('PYTHON', 'LD_')


class ForkServerError(Exception):
    """The fork server could not be reached or broke the protocol."""


def _umask():
    """This process's umask, read from ``/proc/self/status`` (setting it
    to read it would race with other threads), 0o022 if unknown."""
    try:
        with open('/proc/self/status') as handle:
            for line in handle:
                if line.startswith('Umask:'):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


def _start_vars(env):
    return {k: v for k, v in env.items() if k.startswith(START_PREFIXES)}


class ForkServer(object):
    """One fork server of a ``local`` runtime, started with the CC
    (:meth:`prepare`) or on first need.

    :param python: the interpreter (``local.python_executable()``).
    :param workdir: ``<state_path>/so`` (the server's log goes there).
    """

    def __init__(self, python, workdir):
        self.python = python
        self.workdir = workdir
        self._lock = threading.Lock()
        self._proc = None
        self._sock = None
        self._env = None
        self._room = None
        self._started_at = None

    @property
    def pid(self):
        """The running server's pid, or None."""
        return self._proc.pid if self._proc is not None else None

    def prepare(self):
        """Start the server now if none runs (the CC's start-up), so the
        first SO does not wait for it (about 0.5 s on two cores).

        :returns: None, or why no server runs (a str; also logged): SOs
            are then spawned, and :meth:`start_so` tries again later.
        """
        with self._lock:
            reason = self._ensure()
        if reason is not None:
            LOG.warning('SO fork server not started: %s', reason)
        return reason

    def start_so(self, argv, env, log_path, ready_fd=None):
        """Fork the SO ``argv`` (``<python> -P -m hurtle.cmd.so ...``)
        with exactly ``env`` (dict of str), in this process's directory
        and umask, its output appended to ``log_path``.

        :param ready_fd: the write end of the SO's readiness pipe
            (:mod:`hurtle.so_ready`): the SO gets it as descriptor
            ``so_ready.FORKED_FD`` (``env`` should name that one); this
            process keeps its own copy.

        :returns: a :class:`ForkedProcess`, or None: spawn it instead
            (the reason is logged at DEBUG level).
        """
        if argv[0] != self.python or argv[1:4] != ['-P', '-m',
                                                   protocol.SO_MODULE]:
            LOG.debug('SO spawned, not forked: not a hurtle-so command')
            return None
        with self._lock:
            reason = self._ensure()
            if reason is None:
                reason = self._unfit(argv, env)
            if reason is not None:
                LOG.debug('SO spawned, not forked: %s', reason)
                return None
            request = {
                'op': 'start', 'argv': list(argv), 'env': dict(env),
                'cwd': os.getcwd(), 'umask': _umask(),
                'log': os.path.abspath(log_path)}
            if ready_fd is not None:
                request['ready'] = True
            try:
                reply = self._call(request, fd=ready_fd)
            except (ForkServerError, protocol.ProtocolError) as exc:
                LOG.warning('SO spawned, not forked: %s', exc)
                self._discard()
                return None
        if not reply.get('ok'):
            LOG.debug('SO spawned, not forked: the fork server refused: '
                      '%s', reply.get('error'))
            return None
        return ForkedProcess(reply['pid'], reply.get('start'), self)

    def _unfit(self, argv, env):
        if _start_vars(env) != _start_vars(self._env):
            return ('its environment has PYTHON*/LD_* variables other '
                    'than the fork server\'s')
        for what, size in (
                ('command line', sum(len(os.fsencode(a)) + 1
                                     for a in argv)),
                ('environment', sum(len(os.fsencode('%s=%s' % i)) + 1
                                    for i in env.items()))):
            room = self._room['argv' if what == 'command line' else 'env']
            if size > room:
                return ('its %s (%d bytes) does not fit in the fork '
                        'server\'s room (%d bytes)' % (what, size, room))
        return None

    def exit_code(self, pid):
        """The exit status of child ``pid`` if the server reaped it
        (``subprocess`` style), else None (it runs, or the server is
        gone)."""
        with self._lock:
            if self._sock is None:
                return None
            try:
                reply = self._call({'op': 'exit', 'pid': pid})
            except (ForkServerError, protocol.ProtocolError) as exc:
                LOG.debug('fork server: %s', exc)
                self._discard()
                return None
        return reply.get('code')

    def close(self):
        """Stop the server (its children, the SOs, run on)."""
        with self._lock:
            self._discard()
            self._started_at = None

    # -- under self._lock ----------------------------------------------
    def _ensure(self):
        """Start the server if none runs; None, or why there is none."""
        if self._proc is not None and self._proc.poll() is None:
            return None
        if self._proc is not None:
            # Once per death: the server is replaced at most once per
            # RESTART_INTERVAL, SOs are spawned meanwhile.
            LOG.warning('SO fork server %d exited with code %s; SOs are '
                        'spawned until a new one starts', self._proc.pid,
                        self._proc.returncode)
            self._discard()
        now = time.monotonic()
        if (self._started_at is not None and
                now - self._started_at < RESTART_INTERVAL):
            return ('the fork server failed less than %d s ago'
                    % RESTART_INTERVAL)
        self._started_at = now
        try:
            self._spawn()
        except (OSError, ForkServerError, protocol.ProtocolError) as exc:
            self._discard()
            return 'the fork server did not start: %s' % exc
        return None

    def _spawn(self):
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('OS_')}
        env[protocol.ROOM_ENV] = 'x' * ENV_ROOM
        argv = [self.python, '-P', '-m', 'hurtle.cmd.so_fork_server',
                '--fd', str(theirs.fileno()),
                protocol.ROOM_ARG, 'x' * ARGV_ROOM]
        os.makedirs(self.workdir, exist_ok=True)
        try:
            with open(os.path.join(self.workdir, LOG_NAME), 'ab') as log:
                self._proc = subprocess.Popen(
                    argv, env=env, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, pass_fds=(theirs.fileno(),),
                    start_new_session=True)
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        self._sock = ours
        self._env = env
        reply = self._call({'op': 'ping'}, START_TIMEOUT)
        self._room = reply['room']
        LOG.debug('fork server %d started (room: %s)', self._proc.pid,
                  self._room)

    def _call(self, message, timeout=TIMEOUT, fd=None):
        if self._sock is None:
            raise ForkServerError('the fork server is not running')
        self._sock.settimeout(timeout)
        try:
            protocol.send(self._sock, message)
            if fd is not None:
                protocol.send_fd(self._sock, fd)
            reply = protocol.receive(self._sock)
        except OSError as exc:
            raise ForkServerError('the fork server did not answer: %s'
                                  % (exc.strerror or exc))
        if reply is None:
            raise ForkServerError('the fork server closed the connection')
        return reply

    def _discard(self):
        """Close the connection; stop the server (SIGKILL after 5 s)."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        proc, self._proc = self._proc, None
        if proc is not None:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


class ForkedProcess(object):
    """An SO forked by the fork server, as much of ``subprocess.Popen``
    as the runtime uses: ``pid``, ``returncode``, :meth:`poll`,
    :meth:`wait`, :meth:`terminate`, :meth:`kill`.

    It is not this process's child: it is alive while
    ``/proc/<pid>/stat`` shows a running process started at ``start``
    (:func:`pid_files.alive`), so a reused pid is never signalled.
    ``returncode`` is its exit status as the fork server reaped it, or
    the string ``'unknown'`` when the server is gone.
    """

    def __init__(self, pid, start, server):
        self.pid = pid
        self.start = start
        self.returncode = None
        self._server = server

    def poll(self):
        if self.returncode is None and not pid_files.alive(self.pid,
                                                           self.start):
            code = self._server.exit_code(self.pid)
            self.returncode = 'unknown' if code is None else code
        return self.returncode

    def wait(self, timeout=None):
        """Wait for the process to exit; its :attr:`returncode`.

        :raises subprocess.TimeoutExpired: still running after
            ``timeout`` seconds.
        """
        try:
            return polling.poll_until(self.poll, timeout or 1e9, 0.02,
                                      'exit of SO %d' % self.pid)
        except polling.Timeout:
            raise subprocess.TimeoutExpired(['SO %d' % self.pid], timeout)

    def _signal(self, signum):
        if pid_files.alive(self.pid, self.start):
            try:
                os.kill(self.pid, signum)
            except OSError:
                pass

    def terminate(self):
        self._signal(signal.SIGTERM)

    def kill(self):
        self._signal(signal.SIGKILL)
