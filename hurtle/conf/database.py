"""``[database]`` options: oslo.db's own, with Hurtle's default URL.

Reusing oslo.db's option objects keeps Hurtle's ``[database]`` group
identical to every other OpenStack service's (and lets Hurtle modules be
imported into heat-engine without option clashes).
"""
from oslo_db import options as db_options

DEFAULT_CONNECTION = 'sqlite:///$state_path/hurtle.sqlite'


def register_opts(conf):
    db_options.set_defaults(conf, connection=DEFAULT_CONNECTION)


def list_opts():
    return {'database': db_options.database_opts}
