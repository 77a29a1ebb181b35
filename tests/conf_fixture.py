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
"""A private oslo.config object with every Hurtle option, for tests."""
import os

import fixtures
from oslo_config import cfg

from hurtle import conf as hurtle_conf
from hurtle.db import types as db_types


class HurtleConf(fixtures.Fixture):
    """``.conf``: a parsed ``ConfigOpts`` with a temporary state_path and
    SQLite database; keyword arguments ``group__option=value`` override."""

    def __init__(self, **overrides):
        super().__init__()
        self.overrides = overrides

    def _setUp(self):
        self.state = self.useFixture(fixtures.TempDir()).path
        conf = cfg.ConfigOpts()
        hurtle_conf.register_all(conf)
        conf([], project='hurtle-tests')
        conf.set_override('state_path', self.state)
        conf.set_override('connection', 'sqlite:///' + os.path.join(
            self.state, 'hurtle.sqlite'), group='database')
        for key, value in self.overrides.items():
            group, _, name = key.rpartition('__')
            conf.set_override(name, value, group=group or None)
        self.conf = conf
        self.addCleanup(conf.reset)
        # Secret columns are encrypted with a key under state_path, as
        # hurtle.service.prepare_service sets up in every Hurtle process.
        db_types.configure(self.state)
