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
"""Start-up shared by Hurtle's console scripts and WSGI modules.

:func:`prepare_service` is what every Hurtle process (``hurtle-sm``,
``hurtle-cc``, ``hurtle-so``, ``hurtle-all`` and the WSGI modules of
``hurtle.wsgi``) does first, as aodh's ``prepare_service``;
:func:`upgrade_database` then brings ``[database] connection`` to the
newest schema. ``hurtle-heat`` keeps Hurtle's options off Heat's global
CONF and has its own start-up (``hurtle.cmd.heat``).
"""
import os
import sys

from oslo_config import cfg
from oslo_log import log as oslo_log

from hurtle import conf as hurtle_conf
from hurtle.conf import deployer as deployer_conf
from hurtle import state_dir
from hurtle import version

CONF = hurtle_conf.CONF


def _register(conf, skip=()):
    """Register Hurtle's (but the modules named in ``skip``, see
    ``hurtle.conf.register_all``) and oslo.log's options on ``conf``
    (idempotent)."""
    hurtle_conf.register_all(conf, skip)
    oslo_log.register_options(conf)
    oslo_log.set_defaults(default_log_levels=(
        oslo_log.get_default_log_levels() +
        ['alembic=WARN', 'stevedore=WARN']))


def prepare_service(argv, description, conf=CONF, state=True,
                    database=True, server=True):
    """Parse ``argv`` (without the program name) into ``conf``, make
    ``state_path`` private (umask 077, mode 0700, see
    ``hurtle.state_dir``), set up logging and the encryption of secrets at
    rest (``hurtle.db.types``).

    :param state: False to leave ``state_path`` and the encryption key
        alone (``hurtle-manage``: the schema needs neither).
    :param database: False for a process that never opens the database
        (``hurtle-so``): no encryption key, and SQLAlchemy is not imported
        (about half of an SO's start-up time, see benchmarks/so_start.py).
    :param server: False for an SO process (``hurtle-so``,
        ``hurtle-so-host``): the option groups only the API servers read
        (``hurtle.conf.SERVER_ONLY``) are not registered, and the
        libraries behind them not imported (see benchmarks/so_memory.py).
    :returns: ``conf``.
    Exits with status 2 and a message on bad configuration.
    """
    # Before any file (log, database, secret) is created.
    os.umask(state_dir.PRIVATE_MASK)
    _register(conf, () if server else hurtle_conf.SERVER_ONLY)
    try:
        conf(argv, project='hurtle', description=description,
             version=version.version_string())
        hurtle_conf.check_values(conf)
    except cfg.Error as exc:
        sys.exit('hurtle: configuration error: %s' % exc)
    hurtle_conf.resolve_state_path(conf)
    if not state:
        oslo_log.setup(conf, 'hurtle')
        return conf
    try:
        state_dir.secure(conf.state_path)
        if database:
            # Imported here, not at the top: see ``database`` above.
            from hurtle.db import types as db_types
            db_types.configure(conf.state_path)
    except (OSError, ValueError) as exc:
        sys.exit('hurtle: cannot prepare state_path %s: %s'
                 % (conf.state_path, exc))
    oslo_log.setup(conf, 'hurtle')
    deployer_conf.report_deprecated(conf)
    return conf


def upgrade_database(conf=CONF):
    """Migrate ``[database] connection`` to the newest schema (nothing to
    do, and Alembic not imported, when it is at
    ``hurtle.db.schema_version.HEAD`` already).

    Exits with status 1 and a message (the URL without its password) if
    the database cannot be reached or migrated.
    """
    url = conf.database.connection
    # Imported here: SQLAlchemy is only needed by the processes that open
    # the database, Alembic only when the schema is not at its newest.
    from hurtle.db import schema_version
    if schema_version.at_head(url):
        return
    from hurtle.db import migration
    try:
        migration.upgrade(url)
    except Exception as exc:
        sys.exit('hurtle: cannot prepare the database %s: %s'
                 % (migration.safe_url(url), migration.describe_error(exc)))
