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
