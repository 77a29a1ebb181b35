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
"""Schema migrations with Alembic (scripts in ``hurtle/db/migrations``)."""
import os

from alembic import command
from alembic import config as alembic_config

from hurtle.db import engine as db_engine

_SCRIPTS = os.path.join(os.path.dirname(__file__), 'migrations')


def _config(url):
    cfg = alembic_config.Config()
    cfg.set_main_option('script_location', _SCRIPTS)
    cfg.set_main_option('sqlalchemy.url', url.replace('%', '%%'))
    return cfg


def upgrade(url, revision='head'):
    """Bring the schema at ``url`` up to ``revision`` (idempotent)."""
    cfg = _config(url)
    with db_engine.get_engine(url).begin() as connection:
        cfg.attributes['connection'] = connection
        command.upgrade(cfg, revision)


def current(url):
    """Return the schema revision at ``url``, or None if unversioned."""
    from alembic.runtime import migration
    with db_engine.get_engine(url).connect() as connection:
        return migration.MigrationContext.configure(
            connection).get_current_revision()
