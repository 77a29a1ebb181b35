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
"""``hurtle-status upgrade check``: is this deployment ready to run the
installed Hurtle? (oslo.upgradecheck, as ``nova-status`` and
``heat-status``.)

::

    hurtle-status [--config-file F] upgrade check [--json]

Run it after installing a new Hurtle and before restarting its services.
Checks:

* **Database schema**: ``[database] connection`` answers and holds
  the newest Alembic revision (else: run ``hurtle-manage db_sync``).
* **Service manifests**: every file of ``[sm] manifests`` loads (an SM
  refuses to start otherwise); none listed is a warning (fine on a host
  that runs only the CC).
* **Policy File JSON to YAML Migration**: oslo.upgradecheck's own.

Exit status (oslo.upgradecheck's): 0 all passed, 1 a warning, 2 a
failure, 255 a check crashed; 2 also on bad configuration.
"""
import os
import sys

from oslo_upgradecheck import common_checks
from oslo_upgradecheck import upgradecheck

from hurtle.db import migration
from hurtle import manifest as manifest_mod
from hurtle import service

NAME = 'hurtle-status'
Code = upgradecheck.Code
Result = upgradecheck.Result


class Checks(upgradecheck.UpgradeCommands):
    """The checks of ``hurtle-status upgrade check`` on ``conf``."""

    def __init__(self, conf):
        super().__init__()
        self.conf = conf

    def _check_database(self):
        url = self.conf.database.connection
        where = migration.safe_url(url)
        path = migration.sqlite_file(url)
        if path is not None and not os.path.exists(path):
            return Result(Code.FAILURE, 'database %s does not exist yet: '
                          'run "hurtle-manage db_sync"' % where)
        try:
            revision = migration.current(url)
        except Exception as exc:
            return Result(Code.FAILURE, 'cannot read the database %s: %s'
                          % (where, migration.describe_error(exc)))
        newest = migration.head()
        if revision == newest:
            return Result(Code.SUCCESS, 'database %s is at revision %s'
                          % (where, revision))
        return Result(Code.FAILURE,
                      'database %s is at revision %s, this Hurtle needs %s: '
                      'run "hurtle-manage db_sync"'
                      % (where, revision or '(no Hurtle schema)', newest))

    def _check_manifests(self):
        from hurtle.sm import service as sm_service
        if not self.conf.sm.manifests:
            return Result(Code.WARNING, '[sm] manifests lists none: an SM '
                          'would not start here (fine where only the CC '
                          'runs)')
        try:
            manifests = sm_service.load_manifests(self.conf)
        except (manifest_mod.ManifestError, OSError, ValueError) as exc:
            return Result(Code.FAILURE, 'a service manifest does not load: '
                          '%s' % exc)
        return Result(Code.SUCCESS, '%d service manifest(s) load'
                      % len(manifests))

    def _check_policy_json(self):
        return common_checks.check_policy_json(self, self.conf)

    _upgrade_checks = (
        ('Database schema', _check_database),
        ('Service manifests', _check_manifests),
        ('Policy File JSON to YAML Migration', _check_policy_json),
    )


def main(argv=None):
    conf = service.CONF
    checks = Checks(conf)
    upgradecheck.register_cli_options(conf, checks)
    service.prepare_service(sys.argv[1:] if argv is None else argv,
                            'Hurtle upgrade checks', conf=conf, state=False)
    upgradecheck.CONF = conf  # where UpgradeCommands.check reads --json
    return upgradecheck.run(conf)


if __name__ == '__main__':
    sys.exit(main())
