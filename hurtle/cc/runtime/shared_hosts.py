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
"""The shared SO host processes of the ``shared`` runtime
(:mod:`hurtle.cc.runtime.shared`): starting one, finding one an earlier
CC left, stopping one.

A host runs ``python -m hurtle.cmd.so_host --bundle <image> --host
<[cc] so_host> --socket <state_path>/so/hosts/<key>.sock`` with the
configuration arguments of a ``local`` SO (``so.conf`` with the ``cc``
deployer), in a session of its own, with the CC's environment less its
``OS_*`` variables plus ``HURTLE_SO_HOST_KEY=<key>``; its output goes to
``<state_path>/so/hosts/<key>.log``. Its pid is recorded in
``<state_path>/so/hosts/<key>.pid`` (:mod:`hurtle.cc.runtime.pid_files`)
as soon as it is started; a process is taken for the host of ``<key>``
only if its environment holds ``HURTLE_SO_HOST_KEY=<key>``, so a reused
pid is never signalled.
"""
import os
import signal

from hurtle.cc.runtime import base
from hurtle.cc.runtime import local
from hurtle.cc.runtime import pid_files
from hurtle import polling
from hurtle import so_host_protocol as protocol

#: Seconds a command other than ``start`` may take to be answered.
CALL_TIMEOUT = 10.0
#: Seconds a killed host that is not this process's child may take to
#: be gone.
KILL_WAIT = 5.0


class HostProcess(object):
    """One ``hurtle-so-host`` process of this CC's ``state_path``:
    ``key``, ``pid``, ``socket``, ``log_path``; ``proc``, its ``Popen``
    when this CC process started it."""

    def __init__(self, conf, key, pid, proc=None):
        self.conf = conf
        self.key = key
        self.pid = pid
        self.proc = proc
        self.workdir = protocol.hosts_dir(conf.state_path)
        self.socket = protocol.socket_path(conf.state_path, key)
        self.log_path = os.path.join(self.workdir, key + '.log')

    def alive(self):
        """True while the host process runs (never a reused pid)."""
        if self.proc is not None:
            return self.proc.poll() is None
        try:
            os.kill(self.pid, 0)
        except OSError:
            return False
        return pid_files.has_env(self.pid, protocol.KEY_ENV, self.key)

    def call(self, message, timeout=CALL_TIMEOUT):
        """Send ``message``; see :func:`hurtle.so_host_protocol.call`."""
        return protocol.call(self.socket, message, timeout)

    def terminate(self):
        """Send SIGTERM if it runs (it then stops its SOs)."""
        if self.alive():
            _signal(self.pid, signal.SIGTERM)

    def stop(self, grace=None):
        """SIGTERM the host (it stops its SOs; their state files stay),
        SIGKILL after ``grace`` seconds (default ``[cc]
        so_stop_grace``); remove its pid file."""
        if grace is None:
            grace = self.conf.cc.so_stop_grace
        try:
            if self.alive():
                _signal(self.pid, signal.SIGTERM)
                try:
                    polling.poll_until(
                        lambda: None if self.alive() else True,
                        grace, 0.05, 'exit of SO host %s' % self.pid)
                except polling.Timeout:
                    if self.alive():
                        _signal(self.pid, signal.SIGKILL)
            if self.proc is not None:
                self.proc.wait()
        finally:
            pid_files.remove(self.workdir, self.key, self.pid)

    def kill(self):
        """SIGKILL the host at once (it does not answer: its SOs end with
        it, their state files stay); remove its pid file."""
        try:
            if self.alive():
                _signal(self.pid, signal.SIGKILL)
            if self.proc is not None:
                self.proc.wait()
            else:   # not our child: wait until it is gone
                try:
                    polling.poll_until(
                        lambda: None if self.alive() else True,
                        KILL_WAIT, 0.05, 'end of SO host %s' % self.pid)
                except polling.Timeout:
                    pass
        finally:
            pid_files.remove(self.workdir, self.key, self.pid)


def start(conf, image, key, config_args):
    """Start the host of bundle ``image`` (its key ``key``) and wait until
    it takes commands (``[cc] so_start_timeout``).

    :param config_args: the ``--config-file`` arguments
        (``LocalRuntime.config_args``).
    :returns: the :class:`HostProcess`.
    :raises RuntimeError_: it could not be started, exited, or did not
        answer in time (says why, with the end of its log).
    """
    workdir = protocol.hosts_dir(conf.state_path)
    try:
        path = protocol.socket_path(conf.state_path, key)
    except protocol.HostError as exc:
        raise base.RuntimeError_(str(exc))
    os.makedirs(workdir, mode=0o700, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env[protocol.KEY_ENV] = key
    argv = [local.python_executable(), '-P', '-m', 'hurtle.cmd.so_host',
            '--bundle', image, '--host', conf.cc.so_host,
            '--socket', path] + list(config_args)
    log_path = os.path.join(workdir, key + '.log')
    proc = local.spawn(argv, env, log_path)
    host = HostProcess(conf, key, proc.pid, proc)
    try:
        pid_files.write(workdir, key, proc.pid)
        _wait_ready(host, conf.cc.so_start_timeout)
    except OSError as exc:
        host.stop()
        raise base.RuntimeError_('cannot record the SO host in %s: %s'
                                 % (workdir, exc.strerror))
    except base.RuntimeError_:
        host.stop()
        raise
    return host


def _wait_ready(host, timeout):
    def answers():
        if not host.alive():
            raise base.RuntimeError_(
                'shared SO host exited with code %s: %s'
                % (host.proc.returncode, local.tail(host.log_path)))
        try:
            return host.call({'op': 'list'}, timeout=2)
        except protocol.HostError:
            return None
    try:
        polling.poll_until(answers, timeout, 0.1, 'SO host answering')
    except polling.Timeout:
        raise base.RuntimeError_('shared SO host did not answer within '
                                 '%d s' % timeout)


def adopt(conf, key):
    """The running host of ``key`` an earlier CC process left, from its
    pid file; None if there is none (no file, or its process is gone or
    is not that host)."""
    workdir = protocol.hosts_dir(conf.state_path)
    pid = pid_files.read(pid_files.path(workdir, key))
    if pid is None:
        return None
    host = HostProcess(conf, key, pid)
    return host if host.alive() else None


def _signal(pid, signum):
    try:
        os.kill(pid, signum)
    except OSError:
        pass
