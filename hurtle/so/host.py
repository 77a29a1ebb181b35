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
"""The shared SO host: many SOs of one bundle in one process
(``hurtle-so-host``, started by the CC's ``shared`` runtime).

The bundle's SO class is imported once; each SO the CC starts
(:meth:`Host.start`) gets what a ``hurtle-so`` process has
(:func:`hurtle.so.instance.build`): its own OCCI server on its own port
of ``--host`` (its own threads: one serving loop, one per connection),
its own secret check, its own state file
``<state_path>/so/<instance id>.json`` (the format of ``hurtle-so``, so
an SO moves between the runtimes and restores), and log lines tagged
``[instance <instance id>]`` (:class:`InstanceTag`). An exception of one
SO's code (in a request, its restore, its start) is answered or logged
for that SO alone; the others go on serving. What no thread can contain
(``os._exit``, a crash of the interpreter, all memory taken) ends the
host and every SO in it: the CC then restarts them all from their state
files.

Commands come over a Unix socket only the host's user can use
(:mod:`hurtle.so_host_protocol`; :class:`CommandServer`).
"""
import contextlib
import logging
import os
import socket
import socketserver
import struct
import threading

from hurtle.conf import wsgi as wsgi_conf
from hurtle.occi import server as occi_server
from hurtle.so import instance as so_instance
from hurtle import so_host_protocol as protocol

LOG = logging.getLogger(__name__)

#: Seconds a command connection may take to send its command.
COMMAND_TIMEOUT = 30.0

_current = threading.local()


@contextlib.contextmanager
def tagged(tag):
    """Tag the log records of this thread with ``tag`` while inside."""
    previous = getattr(_current, 'tag', None)
    _current.tag = tag
    try:
        yield
    finally:
        _current.tag = previous


class InstanceTag(logging.Filter):
    """Prefixes each record logged in a tagged thread (:func:`tagged`)
    with ``[instance <id>] ``; once per record, whatever the number of
    handlers."""

    def filter(self, record):
        tag = getattr(_current, 'tag', None)
        if tag and not getattr(record, 'hurtle_instance', None):
            record.hurtle_instance = tag
            # '%' doubled: the message is still %-formatted with its args.
            record.msg = '[instance %s] %s' % (tag.replace('%', '%%'),
                                               record.msg)
        return True


def install_log_tags():
    """Add :class:`InstanceTag` to every handler of the root logger (call
    after logging is set up)."""
    for handler in logging.getLogger().handlers:
        handler.addFilter(InstanceTag())


class _Tagged(object):
    """WSGI middleware: the request's log lines carry the SO's tag."""

    def __init__(self, app, tag):
        self.app = app
        self.tag = tag

    def __call__(self, environ, start_response):
        with tagged(self.tag):
            return self.app(environ, start_response)


class CommandRefused(Exception):
    """A command the host does not carry out; ``str()`` says why."""


#: Seconds between two looks of each SO's accept loop for a stop
#: request; :meth:`_Hosted.stop` does not wait for it.
POLL_INTERVAL = 0.5


class _Hosted(object):
    """One SO of the host: its server and the thread serving it."""

    def __init__(self, app_id, instance, server):
        self.app_id = app_id
        self.instance = instance
        self.server = server
        self.thread = threading.Thread(target=self._serve,
                                       name='so-%s' % app_id, daemon=True)

    def _serve(self):
        with tagged(self.instance):
            try:
                self.server.serve_forever(poll_interval=POLL_INTERVAL)
            except Exception:
                LOG.exception('the OCCI server of app %s stopped',
                              self.app_id)

    def stop(self):
        """Stop serving within milliseconds (not the accept loop's poll
        interval: :func:`hurtle.occi.server.wake_accept_loop`)."""
        if self.thread.is_alive():
            stopper = threading.Thread(target=self.server.shutdown,
                                       daemon=True)
            stopper.start()
            occi_server.wake_accept_loop(self.server)
            stopper.join()
        self.server.server_close()


class Host(object):
    """The SOs of one bundle in this process."""

    def __init__(self, conf, bundle_dir, so_class, bind_host):
        """:param conf: oslo.config object (``state_path``, ``[wsgi]``,
            ``[deployer]``, ``[dns]``).
        :param bundle_dir: absolute path of the bundle.
        :param so_class: its SO class (``hurtle.so.bundle.load_class``).
        :param bind_host: the address each SO's server binds
            (``[cc] so_host``).
        """
        self.conf = conf
        self.bundle_dir = bundle_dir
        self.so_class = so_class
        self.bind_host = bind_host
        self._lock = threading.Lock()
        #: app id -> _Hosted, or None while it starts.
        self._sos = {}
        #: instance id -> app id (one state file per instance).
        self._instances = {}

    def start(self, app_id, env):
        """Start the SO of app ``app_id`` with environment ``env`` (dict
        of str); returns its port once its server listens (its state
        file, if any, restored).

        :raises CommandRefused: the app or its instance runs here
            already, or its environment cannot make an SO (says why).
        """
        instance = so_instance.instance_id(env)
        with self._lock:
            if app_id in self._sos:
                raise CommandRefused('app %s runs in this host already'
                                     % app_id)
            if instance in self._instances:
                raise CommandRefused(
                    'instance %s runs in this host already (app %s)'
                    % (instance, self._instances[instance]))
            self._sos[app_id] = None
            self._instances[instance] = app_id
        try:
            hosted = self._make(app_id, instance, env)
        except BaseException:
            with self._lock:
                del self._sos[app_id]
                del self._instances[instance]
            raise
        hosted.thread.start()
        with self._lock:
            self._sos[app_id] = hosted
        LOG.info('app %s (instance %s) serves on port %d', app_id, instance,
                 hosted.server.server_port)
        return hosted.server.server_port

    def _make(self, app_id, instance, env):
        with tagged(instance):
            try:
                application = so_instance.build(
                    self.conf, self.bundle_dir, self.so_class, env)
            except so_instance.InstanceError as exc:
                raise CommandRefused('cannot start app %s: %s'
                                     % (app_id, exc))
            except Exception as exc:   # the SO author's code (restore)
                LOG.exception('starting app %s failed', app_id)
                raise CommandRefused('cannot start app %s: %s'
                                     % (app_id, type(exc).__name__))
            try:
                server = occi_server.make_server(
                    _Tagged(application, instance), self.bind_host, 0,
                    **wsgi_conf.server_options(self.conf))
            except OSError as exc:
                raise CommandRefused('cannot start app %s: cannot listen '
                                     'on %s: %s' % (app_id, self.bind_host,
                                                    exc.strerror or exc))
        return _Hosted(app_id, instance, server)

    def stop(self, app_id):
        """Stop the SO of app ``app_id`` (its state file stays).

        :returns: False if it did not run here.
        :raises CommandRefused: it is still starting.
        """
        with self._lock:
            if app_id not in self._sos:
                return False
            hosted = self._sos[app_id]
            if hosted is None:
                raise CommandRefused('app %s is starting; try again'
                                     % app_id)
            del self._sos[app_id]
            del self._instances[hosted.instance]
        hosted.stop()
        LOG.info('app %s (instance %s) stopped', app_id, hosted.instance)
        return True

    def listing(self):
        """``{app_id: {'port', 'instance', 'serving'}}`` of the SOs
        started (not those still starting)."""
        with self._lock:
            hosted = [h for h in self._sos.values() if h is not None]
        return {h.app_id: {'port': h.server.server_port,
                           'instance': h.instance,
                           'serving': h.thread.is_alive()}
                for h in hosted}

    def stop_all(self):
        """Stop every SO (host shutdown), all at once."""
        with self._lock:
            apps = [a for a, h in self._sos.items() if h is not None]
        stoppers = [threading.Thread(target=self._stop_quietly, args=(a,))
                    for a in apps]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()

    def _stop_quietly(self, app_id):
        try:
            self.stop(app_id)
        except CommandRefused:
            pass

    def handle(self, message):
        """Carry out one command (see :mod:`hurtle.so_host_protocol`);
        returns the answer dict. Never raises: a bad command or a
        failure is an ``ok: false`` answer."""
        try:
            return self._handle(message)
        except CommandRefused as exc:
            return {'ok': False, 'error': str(exc)}
        except Exception as exc:
            LOG.exception('command %s failed', str(message.get('op'))[:32])
            return {'ok': False, 'error': 'command failed: %s'
                    % type(exc).__name__}

    def _handle(self, message):
        op = message.get('op')
        if op == 'list':
            return {'ok': True, 'pid': os.getpid(), 'sos': self.listing()}
        if op not in ('start', 'stop'):
            raise CommandRefused('unknown op %.32r: one of list, start, '
                                 'stop' % (op,))
        app_id = message.get('app')
        if not isinstance(app_id, str) or not protocol.APP_ID.match(app_id):
            raise CommandRefused('"app" must be an app id (1 to 36 letters, '
                                 'digits, ".", "_" or "-")')
        if op == 'stop':
            return {'ok': True, 'stopped': self.stop(app_id)}
        env = message.get('env')
        if not isinstance(env, dict) or not all(
                isinstance(k, str) and isinstance(v, str)
                for k, v in env.items()):
            raise CommandRefused('"env" must be a JSON object of strings')
        return {'ok': True, 'port': self.start(app_id, env)}


def _peer_uid(sock):
    """The user id of the process at the other end of Unix socket
    ``sock`` (``SO_PEERCRED``)."""
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                            struct.calcsize('3i'))
    return struct.unpack('3i', creds)[1]


class _CommandHandler(socketserver.StreamRequestHandler):
    timeout = COMMAND_TIMEOUT

    def handle(self):
        if _peer_uid(self.request) != os.getuid():
            reply = {'ok': False,
                     'error': 'only the host\'s own user may command it'}
        else:
            line = self.rfile.readline(protocol.MAX_MESSAGE + 1)
            try:
                reply = self.server.host.handle(protocol.decode(line))
            except ValueError as exc:
                reply = {'ok': False, 'error': 'bad command: %s' % exc}
        try:
            self.wfile.write(protocol.encode(reply))
        except OSError:
            pass   # the caller is gone


class CommandServer(socketserver.ThreadingUnixStreamServer):
    """Serves the commands of :mod:`hurtle.so_host_protocol` on the Unix
    socket ``path`` (made 0600 in a 0700 directory; a stale socket file
    of a dead host is replaced) to ``host`` (a :class:`Host`)."""

    daemon_threads = True

    def __init__(self, path, host):
        self.host = host
        self.path = path
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        os.chmod(os.path.dirname(path), 0o700)
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
        super().__init__(path, _CommandHandler)
        os.chmod(path, 0o600)

    def handle_error(self, request, client_address):
        LOG.exception('error serving a command')

    def server_close(self):
        super().server_close()
        try:
            os.unlink(self.path)
        except OSError:
            pass
