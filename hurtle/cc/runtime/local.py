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
"""The ``local`` runtime driver: each SO is a process on this machine.

The SO runs ``python -m hurtle.cmd.so --bundle <image> --port 0
--port-file <file> --config-file <config>``; the SO binds a free port on
``[cc] so_host`` and writes it to the port file, so no port is ever
guessed, then sends it as its readiness notice (:mod:`hurtle.so_ready`:
the write end of a pipe, named by ``HURTLE_SO_READY_FD``), which ends
the CC's wait at once; an SO that sends none is found by its port file
(looked at every :data:`POLL_STEP` seconds) and a ``GET /-/``. An SO
that ends before either raises :class:`~hurtle.cc.runtime.base.SOExited`
(how it ended, e.g. ``killed by SIGKILL``, its log's path and last
lines with the values of secret-named variables masked), which the CC
retries (``[cc] start_retries``).

With ``[deployer] driver = cc`` (the default) ``<config>`` is
``<state_path>/so/so.conf`` (mode 0600, rewritten at each start), which
holds only what an SO reads (``state_path``, ``debug``,
``auth_strategy``, ``noauth_default_project``, ``[deployer] driver`` and
``insecure``, ``[wsgi]``, ``[dns]``): no Heat URL, database or
credentials; otherwise the SO gets the CC's own ``--config-file``
arguments (a ``heat`` SO talks to Heat itself). The CC's environment is
passed on without its ``OS_*`` variables (cloud credentials), plus the
app's environment and ``HURTLE_APP_ID``/``HURTLE_CC_URL``. Its output
goes to ``<state_path>/so/<app id>.log``. Each SO gets a session of its
own; ``stop`` sends SIGTERM to that process (by pid), then SIGKILL after
``[cc] so_stop_grace`` seconds (10); ``begin_stop`` (an app's DELETE)
sends the SIGTERM only, and the ``stop`` that follows (on a thread of
the CC) waits for the exit, the grace counted from that signal; at CC
shutdown every SO gets its SIGTERM at once and that one grace covers
them all (:meth:`LocalRuntime.stop_all`). ``kill`` (an SO that does not
answer, ``[cc] so_liveness_failures``) sends SIGKILL at once.

SOs outlive a CC that is killed (SIGKILL), and stop when it stops cleanly
(:meth:`LocalRuntime.stop_all`). Each SO process is recorded in
``<state_path>/so/<app id>.pid`` (:mod:`hurtle.cc.runtime.pid_files`) as
soon as it is started; at its next start the CC calls
:meth:`LocalRuntime.reconcile`, which adopts the SOs its app records name
and stops those no record names. A process is taken for the SO of app
``<app id>`` only if it was started when the pid file (and the app's
reference, ``start``) says (field 22 of ``/proc/<pid>/stat``) and its
environment holds ``HURTLE_APP_ID=<app id>`` (read from ``/proc``), so a
reused pid of another program is never signalled.

With ``[cc] so_fork_server`` (the default) a Python SO is not spawned
but forked by the runtime's SO fork server
(:mod:`hurtle.cc.runtime.fork_server`), which imported what
``hurtle-so`` needs once: the same command line and environment (as
``/proc`` shows them), session, output and files, in about a fifth of
the start time and with less than half the private memory. Whenever it
cannot be used the SO is spawned as described here.

A bundle with a ``bundle.json`` (:mod:`hurtle.bundle_command`) is an SO in
any language: its command runs instead, in the bundle directory, with the
same environment plus ``HURTLE_SO_HOST`` (``[cc] so_host``),
``HURTLE_SO_PORT=0``, ``HURTLE_SO_PORT_FILE`` (the port file),
``HURTLE_SO_READY_FD`` (the readiness notice's descriptor, optional to
use) and
``HURTLE_SO_STATE_FILE`` (``<state_path>/so/<app id>.json``, where the SO
keeps its state across restarts, as ``hurtle-so`` does; kept when the SO
stops); a bad ``bundle.json`` fails the start with the reason (the CC
answers 409).

At most ``[cc] parallel_starts`` SOs (default: 4 times the number of
CPUs) are
between their start and their first answer at once; a further start
waits for one of them (an SO's start is mostly CPU: starting many more
at once than CPUs makes each answer later, and many miss ``[cc]
so_start_timeout`` together; a few per CPU still overlap its waits for
the disk and takes a fair share of a CPU shared with other programs).

``python`` is :func:`python_executable`: the CC's own interpreter, also
when the CC runs embedded in a WSGI server (uwsgi), whose
``sys.executable`` is the server's binary.
"""
import configparser
import io
import logging
import os
import signal
import subprocess
import sys
import threading
import time

import requests

from hurtle import bundle_command
from hurtle.cc.runtime import base
from hurtle.cc.runtime import fork_server
from hurtle.cc.runtime import pid_files
from hurtle.cc.runtime import so_logs
from hurtle.conf import deployer as deployer_conf
from hurtle import polling
from hurtle import so_ready
from hurtle import state_dir

LOG = logging.getLogger(__name__)
#: Seconds between two looks at the port file of an SO that sends no
#: readiness notice (and at its process).
POLL_STEP = 0.1
#: Seconds an SO may take to close its notice pipe after the notice.
CLOSE_GRACE = 1.0
#: Seconds an SO whose notice pipe closed may take to show as exited.
EXIT_GRACE = 1.0
#: Lines of an SO's log an error message quotes (at most TAIL_BYTES).
TAIL_LINES = 5
TAIL_BYTES = 600
#: Words of environment names whose values never reach a message.
SECRET_WORDS = ('SECRET', 'TOKEN', 'PASSWORD', 'TRUST', 'KEY',
                'CREDENTIAL')
#: The configuration file of SOs deploying through the CC.
SO_CONF = 'so.conf'


def python_executable():
    """Path of a Python interpreter of this installation: ``sys.executable``
    if it is one (its name starts with ``python``), else ``python3`` or
    ``python`` in ``sys.prefix/bin`` (the virtualenv uwsgi was given), else
    ``sys.executable``."""
    if os.path.basename(sys.executable).startswith('python'):
        return sys.executable
    for name in ('python3', 'python'):
        candidate = os.path.join(sys.prefix, 'bin', name)
        if os.access(candidate, os.X_OK):
            return candidate
    return sys.executable


class LocalRuntime(base.Runtime):
    """SOs as child processes on ``[cc] so_host``."""

    def __init__(self, conf):
        self.conf = conf
        self.workdir = os.path.join(conf.state_path, 'so')
        #: pid -> Popen (or fork_server.ForkedProcess) of the SOs this
        #: process started.
        self._children = {}
        #: Forks Python SOs ([cc] so_fork_server), None to spawn each.
        self.fork_server = (
            fork_server.ForkServer(python_executable(), self.workdir)
            if conf.cc.so_fork_server else None)
        #: pid -> ref of the SOs to stop at CC shutdown: started by this
        #: process, or adopted from an earlier one (:meth:`reconcile`).
        self._refs = {}
        #: pid -> monotonic seconds of the SIGTERM :meth:`begin_stop`
        #: sent it, until its :meth:`stop` ended.
        self._stopping = {}
        #: Held from an SO's start until it answers (``[cc]
        #: parallel_starts``).
        self._starting = threading.BoundedSemaphore(
            conf.cc.parallel_starts or 4 * (os.cpu_count() or 1))

    def _command(self, image, port_file):
        return [python_executable(), '-P', '-m', 'hurtle.cmd.so', '--bundle',
                image,
                '--host', self.conf.cc.so_host, '--port', '0',
                '--port-file', port_file] + self.config_args()

    def config_args(self):
        """The ``--config-file`` arguments of an SO process: ``so.conf``
        (written now, :meth:`write_so_conf`) when SOs deploy through the
        CC, else the CC's own configuration files."""
        if deployer_conf.through_cc(self.conf):
            return ['--config-file', self.write_so_conf()]
        args = []
        for path in self.conf.config_file or []:
            args += ['--config-file', os.path.abspath(path)]
        return args

    def write_so_conf(self):
        """Write ``<state_path>/so/so.conf`` (0600, atomically) from the
        CC's configuration; returns its path."""
        parser = configparser.ConfigParser(interpolation=None)
        debug = getattr(self.conf, 'debug', False)   # oslo.log's option
        # auth_strategy and noauth_default_project: how the SDK's
        # service clients (DNS) authenticate, as the CC's own do.
        parser['DEFAULT'] = {
            'state_path': self.conf.state_path, 'debug': str(debug),
            'auth_strategy': self.conf.auth_strategy,
            'noauth_default_project': self.conf.noauth_default_project}
        parser['deployer'] = {
            'driver': deployer_conf.CC_DRIVER,
            'insecure': str(self.conf.deployer.insecure)}
        for group in ('wsgi', 'dns'):   # no credentials in either
            parser[group] = {name: str(value)
                             for name, value in self.conf[group].items()
                             if value is not None}
        os.makedirs(self.workdir, exist_ok=True)
        path = os.path.join(self.workdir, SO_CONF)
        text = io.StringIO()
        parser.write(text)
        state_dir.write_private(path, text.getvalue())
        return path

    def bundle_argv(self, image):
        """The argv of ``image``'s ``bundle.json``, or None for a Python
        bundle (``so.py``).

        :raises RuntimeError_: not a bundle directory, or a bad
            ``bundle.json`` (says why).
        """
        if not os.path.isdir(image):
            raise base.RuntimeError_(
                'occi.app.image %s is not an SO bundle directory' % image)
        try:
            argv = bundle_command.load(image)
        except bundle_command.BundleCommandError as exc:
            raise base.RuntimeError_(str(exc))
        if argv is None and not os.path.isfile(os.path.join(image,
                                                            'so.py')):
            raise base.RuntimeError_(
                'occi.app.image %s is not an SO bundle directory (it has '
                'neither %s nor so.py)' % (image, bundle_command.FILE))
        return argv

    def start(self, app_id, image, env):
        argv = self.bundle_argv(image)
        # At most [cc] parallel_starts SOs start at once: an SO's start
        # is mostly CPU, so many more would only all answer later (and
        # miss so_start_timeout together).
        with self._starting:
            return self._start(app_id, image, env, argv)

    def _start(self, app_id, image, env, argv):
        os.makedirs(self.workdir, exist_ok=True)
        port_file = os.path.join(self.workdir, '%s.port' % app_id)
        log_path = so_logs.log_path(self.workdir, app_id)
        if os.path.exists(port_file):
            os.unlink(port_file)
        child_env = {k: v for k, v in os.environ.items()
                     if not k.startswith('OS_')}
        child_env.update(base.so_environment(self.conf, app_id, env))
        with so_ready.Notice() as notice:
            proc = None
            if argv is None:
                argv, cwd = self._command(image, port_file), None
                if self.fork_server is not None:
                    proc = self.fork_server.start_so(
                        argv, dict(child_env, **{
                            so_ready.ENV: str(so_ready.FORKED_FD)}),
                        log_path, ready_fd=notice.write_fd)
            else:
                LOG.debug('SO of app %s spawned: it runs its bundle.json',
                          app_id)
                cwd = image
                child_env.update(bundle_command.environment(
                    self.conf.cc.so_host, 0, port_file,
                    os.path.join(self.workdir, '%s.json' % app_id)))
            if proc is None:
                child_env[so_ready.ENV] = str(notice.write_fd)
                proc = spawn(argv, child_env, log_path, cwd,
                             pass_fds=(notice.write_fd,))
                start = pid_files.start_time(proc.pid)
            else:
                start = proc.start
            # The SO holds the write end: its exit is an end of file.
            notice.sent()
            self._children[proc.pid] = proc
            # 'app' and 'start' guard against pid reuse (see _is_so).
            ref = {'pid': proc.pid, 'log': log_path, 'app': str(app_id),
                   'start': start}
            self._refs[proc.pid] = ref
            try:
                pid_files.write(self.workdir, app_id, proc.pid, start)
            except OSError as exc:
                self.stop(ref)
                raise base.RuntimeError_('cannot record the SO process in '
                                         '%s: %s'
                                         % (self.workdir, exc.strerror))
            try:
                url = self._wait_ready(proc, port_file, log_path, notice,
                                       env)
            except base.RuntimeError_:
                self.stop(ref)
                raise
        ref['url'] = url
        return url, ref

    def _url(self, port):
        return 'http://%s:%s/' % (self.conf.cc.so_host, port)

    def _wait_ready(self, proc, port_file, log_path, notice, env):
        """The SO's URL once it sent its readiness notice
        (:mod:`hurtle.so_ready`), or, for an SO that sends none, once
        its port file names a port that answers ``GET /-/`` (looked at
        every :data:`POLL_STEP` seconds).

        :raises SOExited: the SO ended first.
        :raises RuntimeError_: no answer within ``[cc]
            so_start_timeout`` seconds.
        """
        timeout = self.conf.cc.so_start_timeout
        deadline = time.monotonic() + timeout
        listening = True   # the notice may still come
        port = None
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise base.RuntimeError_('SO did not answer within %d s'
                                         % timeout)
            if listening:
                got = notice.wait(min(left, POLL_STEP))
                if got not in (notice.NOTHING, notice.CLOSED):
                    # It closes its end right after writing: wait for
                    # that, so that it holds no file of ours when this
                    # returns.
                    notice.wait_closed(CLOSE_GRACE)
                    return self._url(got)
                if got == notice.CLOSED:
                    # Mostly the SO's exit: give it time to show.
                    listening = False
                    _wait_exit(proc, EXIT_GRACE)
            else:
                time.sleep(min(left, POLL_STEP))
            # An SO that sends no notice: its port file, as it always was.
            if proc.poll() is not None:
                raise base.SOExited(exit_message(proc, log_path, env))
            if port is None and os.path.exists(port_file):
                with open(port_file) as handle:
                    text = handle.read().strip()
                port = int(text) if text.isdigit() else None
            if port is not None:
                try:
                    requests.get(self._url(port) + '-/', timeout=2)
                    return self._url(port)
                except requests.RequestException:
                    pass

    def begin_stop(self, ref):
        """Send the SO of ``ref`` SIGTERM and return True while it may
        still run: :meth:`stop` then waits for its exit (SIGKILL ``[cc]
        so_stop_grace`` seconds after this signal) and removes its files,
        sending no second SIGTERM. An SO gone already is stopped at once
        (its files removed): False."""
        pid = (ref or {}).get('pid')
        if pid and self.is_running(ref):
            self._stopping[pid] = time.monotonic()
            proc = self._child(pid, ref)
            if proc is not None:
                proc.terminate()
            else:
                _signal(pid, signal.SIGTERM)
            return True
        self.stop(ref)
        return False

    def stop(self, ref):
        """Stop the SO of ``ref`` (SIGTERM, SIGKILL after ``[cc]
        so_stop_grace`` seconds; after :meth:`begin_stop`, no second
        SIGTERM and the grace counted from its signal) and remove its
        port file and its pid file (if it still names this process); its
        log stays."""
        self._end([ref], self.conf.cc.so_stop_grace)

    def kill(self, ref):
        """End the SO of ``ref`` at once (SIGKILL: it does not answer)
        and remove its port and pid files as :meth:`stop` does."""
        self._end([ref], None)

    def _end(self, refs, grace):
        """End the SOs of ``refs`` together: SIGTERM to each at once, up
        to ``grace`` seconds for all of them to exit, then SIGKILL to
        those still running (``grace`` None: SIGKILL at once); then
        remove their port and pid files. A pid that is another app's SO
        now (pids are reused) is never signalled."""
        ending = []   # (pid, ref, Popen or ForkedProcess or None)
        for ref in refs:
            pid = (ref or {}).get('pid')
            if not pid:
                continue
            proc = self._child(pid, ref)
            if proc is not None:
                self._children.pop(pid, None)
                ending.append((pid, ref, proc))
            elif pid in self._children:
                continue    # another app's SO has this pid now: not ours
            else:
                # Started by an earlier CC process: not our child, but
                # recorded as ours; signalled only while it still runs.
                ending.append((pid, ref, None))
        try:
            self._signal_all(ending, grace)
        finally:
            for pid, ref, _proc in ending:
                self._forget_files(pid, ref)

    def _signal_all(self, ending, grace):
        def runs(item):
            pid, ref, proc = item
            if proc is not None:
                return proc.poll() is None
            return self.is_running(ref)

        def signal_each(signum, items):
            for item in items:
                if not runs(item):
                    continue
                if item[2] is not None:
                    (item[2].terminate if signum == signal.SIGTERM
                     else item[2].kill)()
                else:
                    _signal(item[0], signum)
        left = [item for item in ending if runs(item)]
        if grace is not None and left:
            # An SO begin_stop signalled already gets no second SIGTERM;
            # its grace counts from that signal.
            now = time.monotonic()
            began = [self._stopping.get(item[0]) for item in left]
            signal_each(signal.SIGTERM, [
                item for item, when in zip(left, began) if when is None])
            wait = max(grace - (now - when) if when is not None else grace
                       for when in began)
            try:
                polling.poll_until(
                    lambda: not any(runs(item) for item in left) or None,
                    max(wait, 0.01), 0.05, 'exit of %d SO(s)' % len(left))
            except polling.Timeout:
                pass
        left = [item for item in left if runs(item)]
        signal_each(signal.SIGKILL, left)
        for pid, _ref, proc in ending:
            if proc is not None:
                proc.wait()     # reaped (a SIGKILL ends it at once)

    def _forget_files(self, pid, ref):
        """Drop this process's record of ``ref``'s SO; remove its port
        file and its pid file (if it still names ``pid``)."""
        self._stopping.pop(pid, None)
        if self._same_so(pid, ref):
            self._refs.pop(pid, None)
        log_path = (ref or {}).get('log')
        if log_path:
            stem = os.path.splitext(log_path)[0]
            _unlink(stem + '.port')
            pid_files.remove(os.path.dirname(stem), os.path.basename(stem),
                             pid)

    def _same_so(self, pid, ref):
        """True unless this process's own record of ``pid`` is another
        app's SO than ``ref`` names (another app, or another start: pids
        are reused, and an SO this CC started may have the pid an earlier
        CC process recorded for another app)."""
        mine = self._refs.get(pid)
        if mine is None or ref is None:
            return True
        for key in ('app', 'start'):
            if ref.get(key) is not None and mine.get(key) is not None \
                    and str(ref[key]) != str(mine[key]):
                return False
        return True

    def _child(self, pid, ref):
        """The ``subprocess.Popen`` (or forked SO) of ``pid`` if this
        process started it as the SO ``ref`` names; else None."""
        proc = self._children.get(pid)
        if proc is None or not self._same_so(pid, ref):
            return None
        return proc

    def is_running(self, ref):
        pid = (ref or {}).get('pid')
        if not pid:
            return False
        if pid in self._children:
            proc = self._child(pid, ref)
            return proc is not None and proc.poll() is None
        if not pid_files.alive(pid, ref.get('start')):
            return False
        return _is_so(pid, ref.get('app'))

    def forget(self, app_id):
        """Remove the state file of app ``app_id``'s SO
        (``<state_path>/so/<app id>.json``, also its ``.tmp``): the SO
        removes it itself after a dispose, but not if it was killed in
        the middle of one; and its log when ``[cc] so_log_keep_days`` is
        0 (:mod:`hurtle.cc.runtime.so_logs`)."""
        stem = os.path.join(self.workdir, '%s.json' % app_id)
        _unlink(stem)
        _unlink(stem + '.tmp')
        so_logs.remove(self.workdir, app_id, self.conf.cc.so_log_keep_days)

    def prune(self, known):
        """Remove the SO logs of deleted apps older than ``[cc]
        so_log_keep_days`` (:func:`hurtle.cc.runtime.so_logs.prune`)."""
        so_logs.prune(self.workdir, known, self.conf.cc.so_log_keep_days)

    def prepare(self):
        """Start the SO fork server ([cc] so_fork_server) now, not with
        the first SO."""
        if self.fork_server is not None:
            self.fork_server.prepare()

    def stop_all(self):
        """Stop every SO this process started or adopted (CC shutdown),
        removing their port and pid files: SIGTERM to all at once, then
        SIGKILL to those still running ``[cc] so_stop_grace`` seconds
        later."""
        refs = dict(self._refs)
        for pid in list(self._children):
            refs.setdefault(pid, {'pid': pid})
        # All at once: one grace for every SO, not one after the other.
        self._end(list(refs.values()), self.conf.cc.so_stop_grace)
        if self.fork_server is not None:
            self.fork_server.close()

    def reconcile(self, refs):
        """Adopt the SOs an earlier CC process left running that ``refs``
        names, and stop those it does not (CC start-up).

        An SO whose pid file (:mod:`hurtle.cc.runtime.pid_files`) names an
        app without a record, or a process other than its record's, is an
        orphan: it is stopped (SIGTERM, SIGKILL after ``[cc]
        so_stop_grace`` seconds), one INFO line logged for each. A process
        that is not that app's SO (its environment lacks
        ``HURTLE_APP_ID=<app id>``: a reused pid) is never signalled. The
        pid files of orphans, of dead processes and unreadable ones are
        removed. A recorded SO that runs is adopted: :meth:`stop_all`
        stops it too, and its pid file is written again.

        :param refs: ``{app_id: ref}`` of every app record (``ref`` as
            :meth:`start` returned it, or None).
        """
        adopted = {}
        for app_id, ref in refs.items():
            pid = (ref or {}).get('pid')
            if (pid and pid not in self._children and
                    self.is_running(dict(ref, app=app_id))):
                adopted[app_id] = dict(ref, app=app_id)
        self._stop_orphans(adopted)
        for app_id, ref in adopted.items():
            self._adopt(app_id, ref)

    def _stop_orphans(self, adopted):
        """Stop the SOs of the pid files that name no process of
        ``adopted`` (``{app_id: ref}``) nor of this one; remove their
        files."""
        for app_id, pid, start in pid_files.records(self.workdir):
            if pid in self._children:
                continue   # started by this process: never an orphan
            ref = adopted.get(app_id)
            if ref is not None and ref['pid'] == pid:
                continue
            if (pid is not None and pid_files.alive(pid, start) and
                    _is_so(pid, app_id)):
                LOG.info('stopping orphan SO of app %s (pid %d): no app '
                         'record names it', app_id, pid)
                self._end([{'pid': pid, 'app': app_id, 'start': start}],
                          self.conf.cc.so_stop_grace)
                if ref is None:
                    _unlink(os.path.join(self.workdir, '%s.port' % app_id))
            pid_files.remove(self.workdir, app_id)

    def _adopt(self, app_id, ref):
        """Stop the SO of ``ref`` at CC shutdown too; record its pid."""
        self._refs[ref['pid']] = ref
        if ref.get('start') is None:   # a reference of an older Hurtle
            ref['start'] = pid_files.start_time(ref['pid'])
        if pid_files.read_record(pid_files.path(
                self.workdir, app_id)) == (ref['pid'], ref['start']):
            return
        try:   # started by an older Hurtle, or its file was lost
            os.makedirs(self.workdir, exist_ok=True)
            pid_files.write(self.workdir, app_id, ref['pid'], ref['start'])
        except OSError as exc:
            LOG.warning('cannot record the SO of app %s in %s: %s',
                        app_id, self.workdir, exc.strerror)


def spawn(argv, env, log_path, cwd=None, pass_fds=()):
    """Start ``argv`` in a session of its own with environment ``env``,
    no stdin, its output appended to ``log_path``, inheriting no file
    but ``pass_fds``.

    :returns: the ``subprocess.Popen``.
    :raises RuntimeError_: it cannot be run (says why).
    """
    try:
        with open(log_path, 'ab') as log:
            return subprocess.Popen(argv, cwd=cwd, env=env, stdout=log,
                                    stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL,
                                    pass_fds=pass_fds,
                                    start_new_session=True)
    except OSError as exc:
        raise base.RuntimeError_('cannot run %s: %s'
                                 % (argv[0], exc.strerror))


def _unlink(path):
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


def _signal(pid, signum):
    try:
        os.kill(pid, signum)
    except OSError:
        pass


def _is_so(pid, app_id=None):
    """True if ``pid`` has ``HURTLE_APP_ID=<app_id>`` in its environment
    or, without ``app_id`` (references of an older Hurtle), runs
    hurtle.cmd.so (guards against pid reuse)."""
    if app_id is not None:
        return pid_files.has_env(pid, 'HURTLE_APP_ID', app_id)
    try:
        with open('/proc/%d/cmdline' % pid, 'rb') as handle:
            # An argument of its own: not hurtle.cmd.so_fork_server.
            return b'hurtle.cmd.so' in handle.read().split(b'\0')
    except OSError:
        return False


def tail(path, limit=800):
    """The last ``limit`` bytes of the log at ``path`` (text), or ``(no
    log)``."""
    try:
        with open(path, 'rb') as handle:
            handle.seek(0, os.SEEK_END)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            return handle.read().decode('utf-8', 'replace').strip()
    except OSError:
        return '(no log)'


def _wait_exit(proc, timeout):
    """Wait up to ``timeout`` seconds for ``proc`` to exit."""
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        pass


def how_it_ended(code):
    """``code`` (a ``subprocess`` exit status, or ``'unknown'``) in
    words: ``killed by SIGKILL``, ``exited with code 1``."""
    if isinstance(code, int) and code < 0:
        try:
            return 'killed by %s' % signal.Signals(-code).name
        except ValueError:
            return 'killed by signal %d' % -code
    if isinstance(code, int):
        return 'exited with code %d' % code
    return 'exited (its status is unknown)'


def sanitised_tail(path, env):
    """The last :data:`TAIL_LINES` lines of the log at ``path`` (at most
    :data:`TAIL_BYTES`), each value of ``env`` whose name has a
    :data:`SECRET_WORDS` word replaced by ``***``."""
    text = tail(path, TAIL_BYTES * 4)
    for name, value in (env or {}).items():
        if (value and len(value) >= 4 and
                any(word in name.upper() for word in SECRET_WORDS)):
            text = text.replace(value, '***')
    lines = text.splitlines()[-TAIL_LINES:]
    return ' | '.join(line.strip() for line in lines)[-TAIL_BYTES:]


def exit_message(proc, log_path, env):
    """Why an SO start failed: the process ended before it answered."""
    return ('SO process %d %s before it answered (log %s: %s)'
            % (proc.pid, how_it_ended(proc.returncode), log_path,
               sanitised_tail(log_path, env) or 'empty'))
