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
"""``[sdc]`` and ``[hurtle_heat]`` from Hurtle's config files go into the
embedded Heat's generated heat.conf."""
import configparser
import os

import fixtures
from oslo_config import cfg
import testtools

from hurtle.cmd import heat
from hurtle.heat import heatconf


class PluginGroupsTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path

    def conf_file(self, text):
        path = os.path.join(self.dir, 'hurtle.conf')
        with open(path, 'w') as handle:
            handle.write(text)
        return path

    def test_set_options_are_copied_with_paths_resolved(self):
        path = self.conf_file(
            '[sdc]\nurl = https://cloudapi.example.org\naccount = acme\n'
            'key_file = keys/id_rsa\nretries = 5\n'
            '[hurtle_heat]\nservice_catalogue = a#b=http://h/b/\n'
            'service_catalogue = a#c=http://h/c/\ninsecure = true\n')
        groups = heat.plugin_groups(['--config-file', path])
        self.assertEqual({
            'sdc': {'url': 'https://cloudapi.example.org',
                    'account': 'acme', 'retries': 5,
                    'key_file': os.path.join(self.dir, 'keys', 'id_rsa')},
            'hurtle_heat': {'service_catalogue': ['a#b=http://h/b/',
                                                  'a#c=http://h/c/'],
                            'insecure': True}}, groups)

    def test_nothing_set_nothing_copied(self):
        path = self.conf_file('[DEFAULT]\ndebug = true\n')
        self.assertEqual({}, heat.plugin_groups(['--config-file', path]))

    def test_invalid_value_is_named(self):
        path = self.conf_file('[sdc]\nretries = many\n')
        err = self.assertRaises(cfg.Error, heat.plugin_groups,
                                ['--config-file', path])
        self.assertIn('retries', str(err))

    def test_render_writes_the_groups_after_the_local_catalogue(self):
        text = heatconf.render(
            self.dir, ['/plugins'], 'k' * 32,
            api_paste_config=os.path.join(self.dir, 'api-paste.ini'),
            service_catalogue=['a#local=http://l/'],
            groups={'sdc': {'url': 'http://sdc', 'insecure': False},
                    'hurtle_heat': {'service_catalogue': ['a#op=http://o/'],
                                    'request_timeout': 3.5}})
        parser = configparser.ConfigParser(strict=False,
                                           interpolation=None)
        parser.read_string(text.replace('service_catalogue = ',
                                        'service_catalogue_x = ', 1))
        self.assertEqual('http://sdc', parser['sdc']['url'])
        self.assertEqual('false', parser['sdc']['insecure'])
        self.assertEqual('3.5', parser['hurtle_heat']['request_timeout'])
        catalogue = text[text.index('[hurtle_heat]'):]
        self.assertLess(catalogue.index('a#local=http://l/'),
                        catalogue.index('a#op=http://o/'))

    def test_line_breaks_are_refused(self):
        self.assertRaises(heatconf.ConfigError, heatconf.render,
                          self.dir, [], 'k' * 32,
                          api_paste_config=os.path.join(self.dir, 'x.ini'),
                          groups={'sdc': {'account': 'a\n[DEFAULT]\nx=1'}})
