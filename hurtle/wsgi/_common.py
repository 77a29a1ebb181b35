"""Shared set-up of the WSGI entry points (uwsgi, gunicorn, mod_wsgi).

The configuration files come from ``HURTLE_CONFIG_FILES`` (colon
separated), else ``/etc/hurtle/hurtle.conf``.
"""
import os

from hurtle.api import paste as hurtle_paste
from hurtle.cmd import common

DEFAULT_CONFIG = '/etc/hurtle/hurtle.conf'


def config_args():
    files = os.environ.get('HURTLE_CONFIG_FILES', DEFAULT_CONFIG)
    args = []
    for path in files.split(':'):
        if path:
            args += ['--config-file', path]
    return args


def load(name, description):
    """Parse the configuration, migrate the database, load paste ``name``."""
    common.prepare(config_args(), description)
    common.upgrade_database()
    return hurtle_paste.load_app(name)
