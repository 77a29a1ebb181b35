"""Shared set-up of the WSGI entry points (uwsgi, gunicorn, mod_wsgi).

The configuration files come from ``HURTLE_CONFIG_FILES`` (colon
separated), else ``/etc/hurtle/hurtle.conf``.
"""
import os

from hurtle import service
from hurtle.wsgi import app as wsgi_app

DEFAULT_CONFIG = '/etc/hurtle/hurtle.conf'


def config_args():
    files = os.environ.get('HURTLE_CONFIG_FILES', DEFAULT_CONFIG)
    args = []
    for path in files.split(':'):
        if path:
            args += ['--config-file', path]
    return args


def load(name, description):
    """Parse the configuration, migrate the database, load paste ``name``.

    :returns: ``(conf, application, built)`` (see
        :func:`hurtle.wsgi.app.load_app`).
    """
    conf = service.prepare_service(config_args(), description)
    service.upgrade_database(conf)
    application, built = wsgi_app.load_app(conf, name)
    return conf, application, built
