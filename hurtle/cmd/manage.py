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
"""``hurtle-manage``: administration of Hurtle's database.

::

    hurtle-manage [--config-file F] db_sync     # Alembic upgrade to head
    hurtle-manage [--config-file F] db_version  # print the revision

Both act on ``[database] connection``. ``db_sync`` is idempotent and
prints the revision reached. ``db_version`` prints the current revision
(e.g. ``0004``) on stdout, and a note on stderr if it is not the
newest. Exit status: 0 on success, 1 with a one-line
message on stderr if the database cannot be reached or migrated or (for
``db_version``) holds no Hurtle schema yet, 2 on bad configuration or
usage. Neither touches ``state_path`` beyond creating the directory of a
SQLite file ``db_sync`` creates.
"""
import os
import sys

from oslo_config import cfg

from hurtle.db import migration
from hurtle import service

NAME = 'hurtle-manage'


def db_sync(conf):
    """Upgrade the schema to the newest revision; print it."""
    url = conf.database.connection
    try:
        migration.upgrade(url)
        revision = migration.current(url)
    except Exception as exc:
        return _fail('cannot migrate the database %s: %s'
                     % (migration.safe_url(url),
                        migration.describe_error(exc)))
    print('database %s is at revision %s (newest)'
          % (migration.safe_url(url), revision))
    return 0


def db_version(conf):
    """Print the schema revision, or fail if there is none."""
    url = conf.database.connection
    never = ('database %s holds no Hurtle schema: run "%s db_sync"'
             % (migration.safe_url(url), NAME))
    sqlite_file = migration.sqlite_file(url)
    if sqlite_file is not None and not os.path.exists(sqlite_file):
        return _fail(never)  # and do not create an empty file
    try:
        revision = migration.current(url)
    except Exception as exc:
        return _fail('cannot read the database %s: %s'
                     % (migration.safe_url(url),
                        migration.describe_error(exc)))
    if revision is None:
        return _fail(never)
    print(revision)
    newest = migration.head()
    if revision != newest:
        print('%s: the newest revision is %s: run "%s db_sync"'
              % (NAME, newest, NAME), file=sys.stderr)
    return 0


def _fail(message):
    print('%s: %s' % (NAME, message), file=sys.stderr)
    return 1


def _add_commands(subparsers):
    parser = subparsers.add_parser(
        'db_sync', help='Upgrade the database schema to the newest '
                        'revision (idempotent).')
    parser.set_defaults(action=db_sync)
    parser = subparsers.add_parser(
        'db_version', help='Print the revision of the database schema.')
    parser.set_defaults(action=db_version)


COMMAND_OPT = cfg.SubCommandOpt('command', title='Commands',
                                help='Available commands',
                                handler=_add_commands)


def main(argv=None):
    conf = service.CONF
    conf.register_cli_opt(COMMAND_OPT)
    conf = service.prepare_service(sys.argv[1:] if argv is None else argv,
                                   'Hurtle database management', conf=conf,
                                   state=False)
    return conf.command.action(conf)


if __name__ == '__main__':
    sys.exit(main())
