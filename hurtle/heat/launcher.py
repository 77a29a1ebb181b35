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
"""Run Heat's engine service and its v1 API in one process.

Heat 27 ships neither ``heat-all`` nor a standalone ``heat-api`` server,
and its ``fake://`` oslo.messaging transport only connects parties inside
one process. :class:`EmbeddedHeat` therefore starts, in the calling
process:

* ``heat.engine.service.EngineService`` (plus its listener and worker
  RPC servers), exactly as ``heat-engine`` does with one worker;
* Heat's own v1 API paste app (``heat-api`` composite of Heat's
  ``api-paste.ini``, pipeline ``noauth``, or ``default`` -- tokens
  checked by keystonemiddleware -- with Keystone auth) served on
  ``host:port`` by Hurtle's threaded WSGI server
  (:mod:`hurtle.occi.server`: bounded pool, read deadlines, HTTP/1.1
  keep-alive, head size limit; tuned by the ``[wsgi]`` options, as the
  SM and CC).

Both use Heat's global ``oslo_config.cfg.CONF``, loaded from the heat.conf
this module generates into the state directory (see
:mod:`hurtle.heat.heatconf`) followed by the operator's
optional ``heat_config`` file. Hurtle's own options must not live on that
object in this process (see :mod:`hurtle.cmd.heat`).

oslo.service's *threading* backend is selected before Heat is imported,
as ``heat-engine`` does; eventlet is neither needed nor monkey-patched.

Lifecycle: ``start()`` (raises :class:`LaunchError` with a message for a
taken port, an unwritable state directory, a missing api-paste.ini or a
failing schema sync), then ``stop()`` (idempotent; stops accepting
requests, stops the engine's RPC servers, lets running stack threads
finish, removes the engine's service record, closes the transport).
"""
import dataclasses
import errno
import os
import threading
import time

from oslo_log import log as logging

from hurtle.conf import wsgi as wsgi_conf
from hurtle.heat import heatconf
from hurtle.heat import interrupted
from hurtle.occi import server as occi_server
from hurtle import oslo_backend
from hurtle import process_lock
from hurtle import stack_event_format as wire

LOG = logging.getLogger(__name__)

#: Seconds between two looks for work (and for a stop) of an idle worker
#: of the engine's RPC servers while serving (futurist's default: 1 s),
#: and once stopping (:func:`_idle_workers_notice_stop`).
SERVING_IDLE_FOR = 0.25
STOPPING_IDLE_FOR = 0.05


class LaunchError(Exception):
    """The embedded Heat cannot start; ``str(exc)`` says why."""


@dataclasses.dataclass
class Settings:
    """What :class:`EmbeddedHeat` needs, independent of oslo.config.

    :ivar host: API bind address.
    :ivar port: API TCP port (0 picks a free one; see ``EmbeddedHeat.port``).
    :ivar state_dir: directory for heat.conf, the SQLite file and the key.
    :ivar hurtle_plugins: load Hurtle's own resource plugins
        (``hurtle/heat_plugins/resources``) first.
    :ivar plugin_dirs: extra Heat plugin directories.
    :ivar heat_config: optional heat.conf merged last.
    :ivar service_catalogue: ``<service_type>=<URL>`` entries written to
        ``[hurtle_heat] service_catalogue`` (the services of this
        machine's SM), so templates may name a service by type alone.
    :ivar local_secret: when set, the API answers 401 unless a request
        carries it as ``X-Auth-Token`` (:mod:`hurtle.local_secret`; Heat
        then sees ``X-Auth-Token: notused``, as from a noauth client).
    """
    host: str = '127.0.0.1'
    port: int = 8004
    state_dir: str = '/var/lib/hurtle/heat'
    hurtle_plugins: bool = True
    plugin_dirs: tuple = ()
    heat_config: str = None
    debug: bool = False
    log_file: str = None
    log_dir: str = None
    fix_sqlite_id_reuse: bool = True
    service_catalogue: tuple = ()
    local_secret: str = None
    #: ``((group, ((option, value), ...)), ...)`` copied into heat.conf
    #: (``[sdc]``, ``[hurtle_heat]`` from Hurtle's own configuration).
    groups: tuple = ()
    #: Heat with Keystone auth: ``((group, ((option, value), ...)), ...)``
    #: of ``heatconf.keystone_groups`` (empty: noauth).
    keystone: tuple = ()
    #: ``((name, value), ...)``: keyword arguments of
    #: ``hurtle.occi.server.make_server`` (its defaults when left out).
    server_options: tuple = ()
    #: The CC's ``/stack-events`` URL, to which Heat's notifications go
    #: (``hurtle.heat.notifier``); None: no notifications.
    stack_events_url: str = None
    #: Hurtle's ``[DEFAULT] state_path`` (the local secret the stack
    #: events token is derived from).
    hurtle_state_path: str = None
    #: A message bus Heat notifies on instead (``messagingv2``), or None.
    notification_transport_url: str = None

    @classmethod
    def from_conf(cls, conf, service_catalogue=(), groups=None):
        """Build from a ConfigOpts holding ``[DEFAULT] state_path``,
        ``[embedded_heat]``, ``[wsgi]`` and the oslo.log options."""
        group = conf.embedded_heat
        state_dir = group.state_path or os.path.join(conf.state_path, 'heat')
        events_url = None
        if group.cc_url:
            events_url = group.cc_url.rstrip('/') + wire.PATH
        return cls(host=group.host, port=group.port,
                   state_dir=os.path.abspath(state_dir),
                   hurtle_plugins=group.hurtle_plugins,
                   plugin_dirs=tuple(group.plugin_dirs or ()),
                   heat_config=group.heat_config,
                   debug=conf.debug, log_file=conf.log_file,
                   log_dir=conf.log_dir,
                   fix_sqlite_id_reuse=group.fix_sqlite_id_reuse,
                   service_catalogue=tuple(service_catalogue),
                   groups=tuple((name, tuple(options.items()))
                                for name, options in (groups or {}).items()),
                   server_options=tuple(sorted(
                       wsgi_conf.server_options(conf).items())),
                   stack_events_url=events_url,
                   hurtle_state_path=os.path.abspath(conf.state_path),
                   notification_transport_url=(
                       group.notification_transport_url or None))


def _import_heat():
    """Import the Heat modules whose options heat.conf sets.

    Like ``heat-engine``, import before parsing the configuration so every
    option (``auth_encryption_key``, ``keystone_backend`` ...) is known.
    """
    from heat.common import config  # noqa
    from heat.common import messaging  # noqa
    from heat.engine.clients.os.keystone import heat_keystoneclient  # noqa
    from heat.engine import service  # noqa
    from heat.engine import template  # noqa
    from heat.rpc import api  # noqa


class EmbeddedHeat(object):
    """Heat engine + v1 API in this process (see module docstring)."""

    def __init__(self, settings):
        self.settings = settings
        self.conf_file = None
        self._server = None
        self._serve_thread = None
        self._engine = None
        self._messaging = None
        self._stopped = False
        self._lock = threading.Lock()
        self._state_lock = None

    # -- information ------------------------------------------------------
    @property
    def port(self):
        """The bound API port (useful with ``port=0``)."""
        return self._server.server_address[1] if self._server else None

    @property
    def url(self):
        """Root URL of the API, e.g. ``http://127.0.0.1:8004``."""
        host = self.settings.host
        if ':' in host:
            host = '[%s]' % host
        return 'http://%s:%d' % (host, self.port)

    def plugin_dirs(self):
        """Absolute plugin directories: Hurtle's first, then the extras."""
        dirs = []
        if self.settings.hurtle_plugins:
            dirs.append(heatconf.hurtle_plugin_dir())
        for path in self.settings.plugin_dirs:
            path = os.path.abspath(path)
            if not os.path.isdir(path):
                raise LaunchError('Heat plugin directory %s does not exist'
                                  % path)
            if path not in dirs:
                dirs.append(path)
        return dirs

    # -- start ------------------------------------------------------------
    def _bind(self):
        """Bind (not yet listen) so a taken port fails fast and clearly."""
        host, port = self.settings.host, self.settings.port
        try:
            return occi_server.make_server(
                None, host, port, listen=False,
                **dict(self.settings.server_options))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise LaunchError('port %d on %s is already in use; stop '
                                  'the other server or set [embedded_heat] '
                                  'port' % (port, host))
            raise LaunchError('cannot bind %s:%d: %s'
                              % (host, port, exc.strerror or exc))

    def _stack_events(self):
        s = self.settings
        if not s.stack_events_url:
            return None
        if not s.hurtle_state_path:
            raise heatconf.ConfigError('stack events need Hurtle\'s '
                                       'state_path (the local secret)')
        return {'url': s.stack_events_url, 'state_path': s.hurtle_state_path}

    def _prepare_files(self):
        s = self.settings
        try:
            heatconf.ensure_state_dir(s.state_dir)
            self._state_lock = process_lock.hold(
                os.path.join(s.state_dir, interrupted.LOCK_FILE))
            key = heatconf.encryption_key(s.state_dir)
            text = heatconf.render(
                s.state_dir, self.plugin_dirs(), key, debug=s.debug,
                log_file=s.log_file, log_dir=s.log_dir,
                service_catalogue=s.service_catalogue,
                groups={name: dict(options) for name, options in s.groups},
                keystone={name: dict(options)
                          for name, options in s.keystone},
                stack_events=self._stack_events(),
                notification_bus=s.notification_transport_url)
            self.conf_file = heatconf.write(s.state_dir, text)
        except heatconf.ConfigError as exc:
            raise LaunchError(str(exc))
        except process_lock.Held:
            raise LaunchError('another process runs an embedded Heat on %s'
                              % s.state_dir)
        except OSError as exc:
            raise LaunchError('cannot write the embedded Heat configuration '
                              'in %s: %s' % (s.state_dir, exc))
        files = [self.conf_file]
        if s.heat_config:
            if not os.path.isfile(s.heat_config):
                raise LaunchError('[embedded_heat] heat_config file %s does '
                                  'not exist' % s.heat_config)
            files.append(os.path.abspath(s.heat_config))
        return files

    def _load_heat_config(self, files):
        from oslo_config import cfg
        from oslo_log import log as oslo_logging

        from heat.common import config as heat_config
        from heat import version as heat_version

        _import_heat()
        conf = cfg.CONF
        oslo_logging.register_options(conf)
        try:
            conf([], project='heat', prog='heat',
                 version=heat_version.version_info.version_string(),
                 default_config_files=files, default_config_dirs=[])
        except cfg.Error as exc:
            raise LaunchError('invalid Heat configuration (%s): %s'
                              % (', '.join(files), exc))
        oslo_logging.setup(conf, 'heat')
        heat_config.set_config_defaults()
        try:
            heat_config.startup_sanity_check()
        except Exception as exc:
            raise LaunchError('Heat configuration rejected: %s' % exc)
        return conf

    def _sync_db(self):
        from heat.db import api as db_api
        from oslo_config import cfg

        from hurtle.heat import db

        try:
            db.use_deferred_readers(db_api.context_manager,
                                    cfg.CONF.database.connection)
            engine = db_api.get_engine()
            db.sync(engine)
            db.tune_sqlite(engine)
            reader = db_api.context_manager.reader.get_engine()
            if reader is not engine:
                db.tune_sqlite(reader, immediate=False)
                LOG.info('Heat database on SQLite: read transactions '
                         'begin deferred on a reader engine')
            if self.settings.fix_sqlite_id_reuse:
                db.fix_sqlite_id_reuse(engine)
            else:
                LOG.warning('SQLite id reuse fix disabled: stack updates '
                            'may hang in UPDATE_IN_PROGRESS')
        except Exception as exc:
            raise LaunchError('cannot prepare the Heat database: %s' % exc)

    def start(self):
        """Start engine and API; return when the API accepts requests.

        :raises LaunchError: with a message naming the problem.
        """
        t0 = time.monotonic()
        self._server = self._bind()
        try:
            files = self._prepare_files()
            oslo_backend.select_threading()
            conf = self._load_heat_config(files)
            self._sync_db()

            from heat.common import messaging
            from heat.engine import service as engine_service
            from heat.engine import template
            from heat.rpc import api as rpc_api

            self._messaging = messaging
            messaging.setup()
            if not template._get_template_extension_manager().names():
                raise LaunchError('no Heat template format plugins are '
                                  'registered (broken openstack-heat '
                                  'install?)')
            try:
                # Loads the resource plugins of every plugin_dirs entry.
                self._engine = engine_service.EngineService(
                    conf.host, rpc_api.ENGINE_TOPIC)
            except Exception as exc:
                LOG.exception('Heat resource plugins failed to load')
                raise LaunchError('cannot load the Heat resource plugins '
                                  'from %s: %s: %s'
                                  % (', '.join(self.plugin_dirs()),
                                     type(exc).__name__, exc))
            _idle_workers_notice_stop(SERVING_IDLE_FOR)
            if self.settings.stack_events_url and \
                    not self.settings.notification_transport_url:
                # The hurtle_cc driver is loaded (not the bus's).
                # Imports oslo.messaging: after the backend is selected.
                from hurtle.heat import freed_names
                freed_names.install()
            self._engine.start()
            interrupted.fail_interrupted_stacks()

            from heat.common import config as heat_config
            try:
                app = heat_config.load_paste_app('heat-api')
            except RuntimeError as exc:
                raise LaunchError(str(exc))
            if self.settings.local_secret:
                from hurtle import local_secret
                app = local_secret.LocalSecretMiddleware(
                    app, self.settings.local_secret, realm='hurtle-heat',
                    replacement='notused')
            self._server.set_app(app)
            try:
                self._server.server_activate()
            except OSError as exc:
                raise LaunchError('cannot listen on %s:%d: %s'
                                  % (self.settings.host,
                                     self.settings.port,
                                     exc.strerror or exc))
            self._serve_thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={'poll_interval': 0.2},
                name='heat-api', daemon=True)
            self._serve_thread.start()
        except BaseException:
            self.stop()
            raise
        LOG.info('Embedded Heat %s serving Heat API v1 at %s (state %s, '
                 'plugins %s), started in %.2f s',
                 _heat_version(), self.url, self.settings.state_dir,
                 ','.join(self.plugin_dirs()), time.monotonic() - t0)

    def api_alive(self):
        """Whether the API thread is still serving."""
        return bool(self._serve_thread and self._serve_thread.is_alive())

    # -- stop -------------------------------------------------------------
    def stop(self):
        """Stop API then engine (idempotent, safe after a failed start)."""
        with self._lock:
            if self._stopped:
                return
            self._stopped = True
        t0 = time.monotonic()
        if self._server is not None:
            if self._serve_thread is not None:
                self._server.shutdown()
                self._serve_thread.join(10)
            self._server.server_close()
        t_api = time.monotonic()
        if self._engine is not None:
            _idle_workers_notice_stop(STOPPING_IDLE_FOR)
            try:
                self._engine.stop()
            except Exception:
                LOG.exception('Error while stopping the Heat engine')
        if self._messaging is not None:
            self._messaging.cleanup()
        if self._state_lock is not None:
            self._state_lock.close()
        LOG.info('Embedded Heat stopped in %.2f s (API %.2f s)',
                 time.monotonic() - t0, t_api - t0)


def _idle_workers_notice_stop(seconds):
    """Make the idle workers of the engine's RPC servers notice a stop
    within ``seconds`` instead of 1 s.

    Each RPC server Heat's engine stops (its own, the worker service's,
    the listener's) waits for its futurist thread pool, whose idle
    workers look for work, and for a stop, every
    ``futurist.ThreadWorker.MAX_IDLE_FOR`` seconds (1 by default): up to
    one second per server, one after the other, for a stop with nothing
    left to do. Only ever lowered.
    """
    try:
        from futurist import _thread as futurist_thread
        worker = futurist_thread.ThreadWorker
    except (ImportError, AttributeError):  # another futurist: keep it
        return
    if getattr(worker, 'MAX_IDLE_FOR', 0) > seconds:
        worker.MAX_IDLE_FOR = seconds


def _heat_version():
    try:
        from heat import version
        return version.version_info.version_string()
    except Exception:
        return '?'
