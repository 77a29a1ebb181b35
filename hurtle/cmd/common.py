"""Start-up code shared by Hurtle's console scripts."""
import logging
import os
import signal
import sys
import threading

from oslo_config import cfg
from oslo_log import log as oslo_log

from hurtle import conf as hurtle_conf
from hurtle.db import migration
from hurtle.db import types as db_types
from hurtle import state_dir
from hurtle import version

CONF = hurtle_conf.CONF
LOG = logging.getLogger(__name__)
_LOG_REGISTERED = []


def prepare(argv, description):
    """Parse ``argv`` (without the program name) into CONF, make
    ``state_path`` private (umask 077, mode 0700, see
    ``hurtle.state_dir``), set up logging and the encryption of secrets at
    rest (``hurtle.db.types``).

    Exits with status 2 and a message on bad configuration.
    """
    # Before any file (log, database, secret) is created.
    os.umask(state_dir.PRIVATE_MASK)
    if not _LOG_REGISTERED:
        hurtle_conf.register_all(CONF)
        oslo_log.register_options(CONF)
        oslo_log.set_defaults(default_log_levels=(
            oslo_log.get_default_log_levels() +
            ['alembic=WARN', 'stevedore=WARN']))
        _LOG_REGISTERED.append(True)
    try:
        CONF(argv, project='hurtle', description=description,
             version=version.version_string())
    except cfg.Error as exc:
        sys.exit('hurtle: configuration error: %s' % exc)
    hurtle_conf.resolve_state_path(CONF)
    try:
        state_dir.secure(CONF.state_path)
        db_types.configure(CONF.state_path)
    except (OSError, ValueError) as exc:
        sys.exit('hurtle: cannot prepare state_path %s: %s'
                 % (CONF.state_path, exc))
    oslo_log.setup(CONF, 'hurtle')
    return CONF


def upgrade_database():
    try:
        migration.upgrade(CONF.database.connection)
    except Exception as exc:
        sys.exit('hurtle: cannot prepare the database %s: %s'
                 % (CONF.database.connection, exc))


def serve(application, host, port, name, on_bound=None, on_stop=None):
    """Serve ``application`` on ``host:port`` until SIGTERM or SIGINT.

    :param on_bound: called with the bound port before serving.
    :param on_stop: called after the server stopped.
    Exits with status 1 and a message if the address is in use.
    """
    from hurtle.conf import wsgi as wsgi_conf
    from hurtle.occi import server as occi_server
    try:
        server = occi_server.make_server(application, host, port,
                                         **wsgi_conf.server_options(CONF))
    except OSError as exc:
        sys.exit('hurtle: %s cannot listen on %s:%s: %s'
                 % (name, host, port, exc.strerror or exc))
    stopping = threading.Event()

    def _stop(signum, frame):
        if not stopping.is_set():
            stopping.set()
            LOG.info('%s: signal %d, stopping', name, signum)
            threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    bound = server.server_port
    LOG.info('%s listening on http://%s:%d/', name, host, bound)
    if on_bound is not None:
        on_bound(bound)
    try:
        server.serve_forever()
    finally:
        server.server_close()
        if on_stop is not None:
            on_stop()
    LOG.info('%s stopped', name)
