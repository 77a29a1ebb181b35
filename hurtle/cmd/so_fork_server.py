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
"""The SO fork server of the CC's ``local`` runtime (``[cc]
so_fork_server``)::

    python -P -m hurtle.cmd.so_fork_server --fd N --room PADDING

started by :mod:`hurtle.cc.runtime.fork_server` with
``HURTLE_FORK_SERVER_ROOM=PADDING`` in its environment. It imports what
``hurtle-so`` (:mod:`hurtle.cmd.so`) needs once, then serves the
requests of :mod:`hurtle.so_fork_protocol` on file descriptor ``N`` (its
end of a socketpair) until the CC closes the other end: for each
``start`` it forks a child that becomes that SO exactly as ``python -P
-m hurtle.cmd.so ARGS`` would run, without paying the imports again.

The child, after the fork: starts a session of its own
(``setsid``), takes ``/dev/null`` as input and the SO's log as output,
closes every other file descriptor, goes to the requested directory and
umask, replaces its environment with exactly the requested one (nothing
of the server's, nor of earlier requests), and rewrites the memory
``/proc/<pid>/cmdline`` and ``/proc/<pid>/environ`` show (between
``arg_start``/``arg_end`` and ``env_start``/``env_end`` of
``/proc/self/stat``, written through ``/proc/self/mem``) so that ``ps``
and the CC's checks (``HURTLE_APP_ID`` in ``environ``,
``hurtle.cmd.so`` in ``cmdline``) see the SO's own. A process cannot
grow those areas, hence the padding the server is started with (its
argv and environment: the room; ``ps`` shows the server's argv with the
padding's length instead of the padding). What follows the SO's strings in them
are NUL bytes (empty strings to a reader splitting on NUL; ``ps`` drops
them, ``/proc/<pid>/cmdline`` and ``environ`` show them: shrinking the
areas takes ``prctl(PR_SET_MM)``, which needs ``CAP_SYS_RESOURCE``, see
doc/source/contributor/architecture.rst). A ``start`` with ``ready``
brings the write end of the SO's readiness pipe (:mod:`hurtle.so_ready`),
which the child keeps as descriptor 3 and the server closes. The child
ends as the interpreter's exit would, without the teardown of the
modules it shares with the server (:func:`leave`).

The server stays single-threaded (a fork copies only the forking
thread: a lock another thread held would stay locked in the child for
ever), so the modules :func:`preload` imports must not start threads at
import. It reaps its children (their exit status answers ``exit``) and
never signals them: killed, it leaves them running (their own sessions,
re-parented to init).

Why not ``multiprocessing``'s ``forkserver``: its server inherits the
environment of the process that starts it (the CC's ``OS_*`` cloud
credentials), which every child would then have; it listens on a socket
file (reachable by any process of the user, found through ``/tmp``);
its children end with ``os._exit``, skipping ``atexit`` handlers and
buffered output the SO relies on; and ``set_executable`` is global to
the process that calls it (the CC's interpreter for every
``multiprocessing`` user in it). A socketpair the CC creates and this
process inherits reaches no one else.
"""
import argparse
import atexit
import gc
import os
import selectors
import signal
import socket
import sys
import threading

from hurtle import so_fork_protocol as protocol
from hurtle import so_ready

#: Exit statuses kept for ``exit`` requests (the oldest go first).
MAX_EXITED = 4096


def preload():
    """Import what an SO process imports before it serves (the work a
    forked child then skips)."""
    from hurtle.cmd import so as so_cmd
    from hurtle import conf as hurtle_conf
    from hurtle.conf import deployer as deployer_conf
    from hurtle import drivers
    from hurtle.sdk import deployer
    from hurtle.sdk.dns import base as dns_base
    from hurtle import version
    # The option modules hurtle-so registers (imported, not registered:
    # the child registers them on its own configuration).
    list(hurtle_conf.option_modules(hurtle_conf.SERVER_ONLY))
    # Every SO loads a deployer and a DNS driver: the installed ones
    # read (half of an SO's CPU when each child read them), the default
    # ones imported.
    drivers.warm(deployer.NAMESPACE, deployer_conf.CC_DRIVER)
    drivers.warm(dns_base.NAMESPACE, 'none')
    # Hurtle's version (prepare_service's --version): pbr reads it from
    # the installed distribution's metadata once per process and keeps
    # it (a twentieth of a forked SO's CPU when each child read it).
    version.version_string()
    return so_cmd


def _say(text):
    sys.stderr.write('hurtle-so-fork-server[%d]: %s\n' % (os.getpid(), text))
    sys.stderr.flush()


def _stat_fields():
    with open('/proc/self/stat', 'rb') as handle:
        return handle.read().rsplit(b')', 1)[1].split()


def areas():
    """``((arg_start, arg_end), (env_start, env_end))`` of this process
    (fields 48 to 51 of ``/proc/self/stat``: addresses of the strings
    ``/proc/<pid>/cmdline`` and ``environ`` show)."""
    fields = [int(f) for f in _stat_fields()[45:49]]
    return (fields[0], fields[1]), (fields[2], fields[3])


def _block(strings):
    """The NUL-terminated bytes of ``strings``, as in a process's argv or
    environment area."""
    return b''.join(os.fsencode(s) + b'\0' for s in strings)


def env_strings(env):
    """``NAME=value`` strings of ``env`` (dict), in its order."""
    return ['%s=%s' % item for item in env.items()]


def rewrite(area, strings):
    """Write ``strings`` NUL-terminated into the memory ``area``
    (``(start, end)``) of this process, NUL bytes after them.

    :raises ValueError: they do not fit.
    :raises OSError: ``/proc/self/mem`` cannot be written.
    """
    start, end = area
    block = _block(strings)
    if len(block) > end - start:
        raise ValueError('%d bytes do not fit in %d'
                         % (len(block), end - start))
    fd = os.open('/proc/self/mem', os.O_RDWR)
    try:
        os.pwrite(fd, block + b'\0' * (end - start - len(block)), start)
    finally:
        os.close(fd)


class Server(object):
    """The request loop; :meth:`serve` returns in a forked child."""

    def __init__(self, sock):
        self.sock = sock
        self.argv_area, self.env_area = areas()
        #: pid -> exit status (subprocess style) of reaped children.
        self.exited = {}
        self.children = set()
        #: True in a forked child (it keeps its readiness descriptor).
        self.forked = False

    def room(self):
        return {'argv': self.argv_area[1] - self.argv_area[0],
                'env': self.env_area[1] - self.env_area[0]}

    def reap(self):
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                self.children.clear()
                return
            if not pid:
                return
            self.children.discard(pid)
            self.exited[pid] = os.waitstatus_to_exitcode(status)
            while len(self.exited) > MAX_EXITED:
                del self.exited[next(iter(self.exited))]

    def serve(self):
        """Answer requests until the CC closes its end (returns None) or
        this is a forked child (returns its ``(argv, env, cwd, umask,
        log)``)."""
        wake_r, wake_w = os.pipe()
        for fd in (wake_r, wake_w):
            os.set_blocking(fd, False)
        signal.set_wakeup_fd(wake_w)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        selector = selectors.DefaultSelector()
        selector.register(self.sock, selectors.EVENT_READ)
        selector.register(wake_r, selectors.EVENT_READ)
        job = None
        try:
            while job is None:
                ready = [key.fileobj for key, _ in selector.select()]
                if wake_r in ready:
                    try:
                        os.read(wake_r, 4096)
                    except BlockingIOError:
                        pass
                self.reap()
                if self.sock not in ready:
                    continue
                try:
                    request = protocol.receive(self.sock)
                except protocol.ProtocolError as exc:
                    _say('bad request, stopping: %s' % exc)
                    return None
                if request is None:
                    return None
                try:
                    answer, job = self.handle(request)
                except protocol.ProtocolError as exc:
                    _say('bad request, stopping: %s' % exc)
                    return None
                if job is None:
                    protocol.send(self.sock, answer)
            # In the forked child: leave the server's files.
            self.sock.close()
            return job
        finally:
            signal.set_wakeup_fd(-1)
            selector.close()
            os.close(wake_r)
            os.close(wake_w)

    def handle(self, request):
        """``(answer, None)`` in the server, ``(None, job)`` in a forked
        child."""
        op = request.get('op')
        if op == 'ping':
            return {'ok': True, 'pid': os.getpid(), 'room': self.room()}, None
        if op == 'exit':
            pid = request.get('pid')
            if not isinstance(pid, int) or isinstance(pid, bool):
                return {'ok': False, 'error': 'pid must be an int'}, None
            self.reap()
            return {'ok': True, 'code': self.exited.get(pid)}, None
        if op != 'start':
            return {'ok': False, 'error': 'unknown op %r (known: %s)'
                    % (op, ', '.join(protocol.OPS))}, None
        # Taken before any check: the descriptor follows the request
        # whether it is accepted or not. A bad one breaks the framing
        # (ProtocolError: the server stops).
        ready_fd = (protocol.receive_fd(self.sock)
                    if request.get('ready') is True else None)
        try:
            return self._start(request, ready_fd)
        finally:
            if ready_fd is not None and self.forked is False:
                os.close(ready_fd)   # the child has it, or none will

    def _start(self, request, ready_fd):
        try:
            job = protocol.check_start(request) + (ready_fd,)
        except protocol.ProtocolError as exc:
            return {'ok': False, 'error': str(exc)}, None
        argv, env = job[0], job[1]
        room = self.room()
        for what, strings in (('argv', argv), ('env', env_strings(env))):
            if len(_block(strings)) > room[what]:
                return {'ok': False, 'error': '%s does not fit in the %d '
                        'bytes of room' % (what, room[what])}, None
        if argv[0] != sys.executable:
            return {'ok': False, 'error': 'argv[0] is not this server\'s '
                    'interpreter %s' % sys.executable}, None
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self.forked = True
            return None, job
        self.children.add(pid)
        try:
            with open('/proc/%d/stat' % pid, 'rb') as handle:
                start = int(handle.read().rsplit(b')', 1)[1].split()[19])
        except (OSError, IndexError, ValueError):
            start = None
        return {'ok': True, 'pid': pid, 'start': start}, None


def become_so(so_cmd, argv, env, cwd, umask, log, ready_fd=None):
    """In a forked child: become the SO process ``argv`` would start
    (see the module's docstring) and run it; returns what
    ``hurtle.cmd.so.main`` returns (it exits through ``SystemExit``).

    :param ready_fd: the write end of its readiness pipe
        (:mod:`hurtle.so_ready`), kept as descriptor
        ``so_ready.FORKED_FD``; None: no descriptor is kept."""
    os.setsid()
    for signum in (signal.SIGCHLD, signal.SIGTERM):
        signal.signal(signum, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    os.chdir(cwd)
    # The log is opened as the CC opens a spawned SO's, with the CC's
    # umask (the SO sets its own, 077, as it starts).
    os.umask(umask)
    out = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    first = 3
    if ready_fd is not None:
        if ready_fd != so_ready.FORKED_FD:
            os.dup2(ready_fd, so_ready.FORKED_FD, inheritable=False)
        first = so_ready.FORKED_FD + 1
    os.closerange(first, os.sysconf('SC_OPEN_MAX'))
    os.environ.clear()
    os.environ.update(env)
    argv_area, env_area = areas()
    # After os.environ: the C library's environment no longer points
    # into the area rewritten.
    rewrite(argv_area, argv)
    rewrite(env_area, env_strings(env))
    sys.argv = [so_cmd.__file__] + argv[4:]
    sys.orig_argv = list(argv)
    return so_cmd.main(argv[4:])


def main(argv=None):
    parser = argparse.ArgumentParser(prog='hurtle-so-fork-server')
    parser.add_argument('--fd', type=int, required=True)
    parser.add_argument(protocol.ROOM_ARG, default='')
    args = parser.parse_args(argv)
    sock = socket.socket(fileno=args.fd)
    so_cmd = preload()
    if threading.active_count() != 1:
        _say('a module started a thread at import: children may inherit '
             'locks held by it')
    # What the imports made lives as long as every child: out of the
    # collector's reach, so no collection in a child writes to (and
    # copies) the pages it shares with the server.
    gc.collect()
    gc.freeze()
    server = Server(sock)
    try:
        # Check once that this kernel lets the areas be rewritten (an
        # error here, not in a child), and show the room's size, not its
        # padding, in ps.
        shown = list(sys.orig_argv)
        if protocol.ROOM_ARG in shown[:-1]:
            at = shown.index(protocol.ROOM_ARG) + 1
            shown[at] = str(len(shown[at]))
        rewrite(server.argv_area, shown)
    except (OSError, ValueError) as exc:
        _say('cannot rewrite /proc/self/cmdline (%s): no room for '
             'children' % exc)
        server.argv_area = server.env_area = (0, 0)
    job = server.serve()
    if job is None:
        return 0
    return leave(lambda: become_so(so_cmd, *job))


def leave(run):
    """In a forked child: ``run()`` (the SO), then end the process as
    the interpreter's exit would, without its teardown.

    What a normal exit does for the SO is done, in its order: the
    threads that are not daemons are waited for, the ``atexit`` handlers
    run (the logging module's flush among them), the standard streams
    are flushed, and the exit status is ``run()``'s (or its
    ``SystemExit``'s: None is 0, a message is written to stderr and is
    1). What is skipped is the teardown of the modules and the last
    collection: in a child of the fork server they touch every object
    it shares with the server, so each page is copied only to be freed
    (28 ms of CPU per SO, against 3 without). Any other exception goes
    the usual way (the interpreter prints it and exits).
    """
    try:
        code = run()
    except SystemExit as exc:
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        sys.stderr.write('%s\n' % (code,))
        code = 1
    current = threading.current_thread()
    for thread in threading.enumerate():
        if thread is not current and not thread.daemon:
            thread.join()
    # atexit has no public call for this; the interpreter's exit makes
    # the same one.
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    os._exit(code)


if __name__ == '__main__':
    sys.exit(main())
