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
"""A relative path in a config file is relative to that file's directory
(README "Configuration"), whichever ``--config-file`` it is in: a trial
layered a second file (``my.conf``, beside the checkout) over
``etc/hurtle/hurtle.conf`` and found its ``state_path = mystate`` under
``etc/hurtle/``."""
import os

import fixtures
from oslo_config import cfg
import testtools

from hurtle import conf as hurtle_conf


class RelativePathTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.root = self.useFixture(fixtures.TempDir()).path
        self.first = self.write('etc/hurtle/hurtle.conf',
                                '[DEFAULT]\nstate_path = state\n'
                                '[sm]\nmanifests = sample.json\n')

    def write(self, name, text):
        path = os.path.join(self.root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as handle:
            handle.write(text)
        return path

    def load(self, *files):
        conf = cfg.ConfigOpts()
        hurtle_conf.register_all(conf)
        args = []
        for path in files:
            args += ['--config-file', path]
        conf(args, project='hurtle', default_config_files=[])
        hurtle_conf.resolve_state_path(conf)
        return conf

    def test_a_value_of_the_second_file_is_relative_to_it(self):
        # (Its [sm] section sets another option: the first file's
        # manifests stay the first file's.)
        mine = self.write('my.conf', '[DEFAULT]\nstate_path = mystate\n'
                          '[sm]\nport = 18888\n')
        conf = self.load(self.first, mine)
        self.assertEqual(os.path.join(self.root, 'mystate'), conf.state_path)
        # What the first file alone sets stays relative to the first.
        self.assertEqual(
            os.path.join(self.root, 'etc', 'hurtle', 'sample.json'),
            hurtle_conf.resolve_path(conf, conf.sm.manifests[0],
                                     'manifests', 'sm'))

    def test_a_value_of_the_first_file_is_relative_to_it(self):
        conf = self.load(self.first)
        self.assertEqual(os.path.join(self.root, 'etc', 'hurtle', 'state'),
                         conf.state_path)

    def test_a_default_is_relative_to_the_first_file(self):
        conf = self.load(self.write('bare.conf', '[DEFAULT]\n'))
        self.assertEqual(
            os.path.join(self.root, 'x'),
            hurtle_conf.resolve_path(conf, 'x', 'state_path'))
        # An option no file knows (none given): the first file's too.
        self.assertEqual(os.path.join(self.root, 'y'),
                         hurtle_conf.resolve_path(conf, 'y', 'nosuch'))

    def test_absolute_paths_are_kept(self):
        conf = self.load(self.first)
        self.assertEqual('/abs', hurtle_conf.resolve_path(
            conf, '/abs', 'state_path'))
