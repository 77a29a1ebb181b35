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
"""devstack/plugin.sh and heat.conf: the plugin order, plugin_dirs (appended,
never overwritten), [sdc], heat-engine's restart."""
import os

from oslo_config import cfg

from hurtle.conf import sdc
from tests.unit.devstack import harness
from tests.unit.devstack.harness import read
from tests.unit.devstack.harness import read_ini
from tests.unit.devstack.harness import STACK

HEAT_DEFAULTS = ['/usr/lib64/heat', '/usr/lib/heat', '/usr/local/lib/heat',
                 '/usr/local/lib64/heat']
RESTART = ('restart', 'devstack@h-eng.service')


class OrderTest(harness.PluginCase):

    def test_heat_first_keeps_plugin_dirs_through_heats_rewrite(self):
        # Heat's post-config removes heat.conf and writes it anew; Hurtle
        # edits it in extra, after every plugin's post-config.
        self.run_phases(*STACK * 2)
        ini = read_ini(self.heat_conf)
        self.assertEqual(HEAT_DEFAULTS + [self.plugins_dir],
                         ini['DEFAULT']['plugin_dirs'].split(','))
        self.assertTrue(os.path.isdir(self.plugins_dir))
        self.assertEqual('True', ini['DEFAULT']['debug'])
        self.assertEqual('mysql+pymysql://heat',
                         ini['database']['connection'])
        # heat-engine ran (Heat's extra) before the change: restarted.
        self.assertEqual([RESTART] * 2,
                         [c for c in self.calls('systemctl')
                          if c[0] == 'restart'])
        self.assertIn('devstack@h-eng.service', self.running())

    def test_heat_after_hurtle_stops_with_the_order(self):
        proc = self.run_phases(*STACK, expect_status=1,
                               DEVSTACK_PLUGINS='hurtle,heat')
        self.assertIn("must be enabled after Heat's", proc.stderr)
        self.assertIn("'enable_plugin heat ...' before 'enable_plugin "
                      "hurtle ...'", proc.stderr)
        self.assertIn('hurtle,heat', proc.stderr)
        self.assertNotIn('sed:', proc.stderr)
        # Stopped at the first phase, before doing anything.
        self.assertEqual([('plugin_requires', 'hurtle', 'heat')],
                         self.calls())

    def test_without_heats_configuration_stops_with_the_order(self):
        # Heat enabled (h-eng) but its post-config has not written
        # heat.conf: not a bare "sed: can't read".
        proc = self.run_phases(*STACK, expect_status=1,
                               DEVSTACK_PLUGINS='hurtle')
        self.assertIn('%s does not exist' % self.heat_conf, proc.stderr)
        self.assertIn("enable Heat's plugin before Hurtle's", proc.stderr)
        self.assertNotIn('sed:', proc.stderr)
        self.assertFalse(os.path.exists(self.heat_conf))
        self.assertEqual([], self.hurtle_calls('run_process'))

    def test_heat_left_alone_without_heat_engine(self):
        self.write_heat_conf('[DEFAULT]\ndebug = True\n')
        self.run_phases(*STACK * 2, ENABLED_SERVICES='key,mysql')
        self.assertEqual('[DEFAULT]\ndebug = True\n', read(self.heat_conf))
        self.assertEqual([], self.calls('systemctl'))

    def test_heat_engine_not_running_is_not_started(self):
        # Heat's extra has not run yet (e.g. only post-config and extra of
        # Hurtle, heat-engine stopped): nothing to restart.
        self.write_heat_conf('[DEFAULT]\ndebug = True\n')
        self.run_phases('stack', 'extra', DEVSTACK_PLUGINS='hurtle')
        self.assertEqual([('is-active', '--quiet', 'devstack@h-eng.service')],
                         self.calls('systemctl'))
        self.assertNotIn('devstack@h-eng.service', self.running())


class PluginDirsTest(harness.PluginCase):
    """heat.conf [DEFAULT] plugin_dirs, written by someone else first."""

    def run_extra_twice(self, existing):
        self.write_heat_conf('[DEFAULT]\n%s\n[database]\n'
                             'connection = mysql+pymysql://heat\n'
                             % existing)
        self.run_phases('stack', 'extra', DEVSTACK_PLUGINS='hurtle')
        first = read(self.heat_conf)
        self.run_phases('stack', 'extra', DEVSTACK_PLUGINS='hurtle')
        self.assertEqual(first, read(self.heat_conf))
        return read_ini(self.heat_conf)['DEFAULT']['plugin_dirs']

    def test_appended_once_to_an_existing_value(self):
        self.assertEqual('/opt/a,/opt/b,' + self.plugins_dir,
                         self.run_extra_twice('plugin_dirs = /opt/a,/opt/b'))

    def test_blanks_after_commas_are_kept_and_understood(self):
        self.assertEqual(
            '/opt/a, /opt/b,' + self.plugins_dir,
            self.run_extra_twice('plugin_dirs = /opt/a, /opt/b'))

    def test_already_there_with_blanks_and_slash_adds_nothing(self):
        existing = 'plugin_dirs = /opt/a, %s/ , /opt/b' % self.plugins_dir
        self.write_heat_conf('[DEFAULT]\n%s\n' % existing)
        self.run_phases('stack', 'extra', DEVSTACK_PLUGINS='hurtle')
        self.assertEqual('[DEFAULT]\n%s\n' % existing, read(self.heat_conf))

    def test_unset_gets_heats_defaults_and_hurtle(self):
        self.assertEqual(HEAT_DEFAULTS + [self.plugins_dir],
                         self.run_extra_twice('debug = True').split(','))

    def test_a_commented_value_is_not_the_value(self):
        dirs = self.run_extra_twice('#plugin_dirs = /opt/old')
        self.assertEqual(HEAT_DEFAULTS + [self.plugins_dir], dirs.split(','))
        self.assertIn('#plugin_dirs = /opt/old', read(self.heat_conf))

    def test_the_old_plugin_dir_of_hurtle_is_replaced(self):
        old = os.path.join(self.dest, 'hurtle', 'hurtle', 'heat_plugins')
        self.assertEqual(
            '/opt/a,/opt/b,' + self.plugins_dir,
            self.run_extra_twice('plugin_dirs = /opt/a, %s,/opt/b' % old))

    def test_oslo_config_reads_the_list(self):
        self.run_extra_twice('plugin_dirs = /opt/a, /opt/b')
        conf = cfg.ConfigOpts()
        conf.register_opt(cfg.ListOpt('plugin_dirs'))
        conf(['--config-file', self.heat_conf], project='heat-test')
        self.addCleanup(conf.reset)
        self.assertEqual(['/opt/a', '/opt/b', self.plugins_dir],
                         conf.plugin_dirs)


class SdcTest(harness.PluginCase):

    def setUp(self):
        super().setUp()
        self.key = os.path.join(self.tmp, 'id_rsa')

    def test_sdc_section_when_configured(self):
        self.run_phases(*STACK * 2, SDC_URL='https://sdc.example.org',
                        SDC_ACCOUNT='acme', SDC_KEY_FILE=self.key,
                        SDC_KEY_ID='deploy')
        ini = read_ini(self.heat_conf)
        self.assertEqual({'url': 'https://sdc.example.org',
                          'account': 'acme', 'key_file': self.key,
                          'key_id': 'deploy'}, dict(ini['sdc']))
        # The names are those of hurtle.conf.sdc (what heat-engine reads).
        conf = cfg.ConfigOpts()
        sdc.register_opts(conf)
        conf(['--config-file', self.heat_conf], project='heat-test')
        self.addCleanup(conf.reset)
        self.assertEqual('acme', conf.sdc.account)
        self.assertEqual(self.key, conf.sdc.key_file)

    def test_no_sdc_section_without_sdc_settings(self):
        self.run_phases(*STACK)
        self.assertFalse(read_ini(self.heat_conf).has_section('sdc'))

    def test_url_without_account_and_key_stops_stack(self):
        proc = self.run_phases(*STACK, expect_status=1,
                               SDC_URL='https://sdc.example.org')
        self.assertIn('Joyent SDC settings are incomplete: missing '
                      'SDC_ACCOUNT SDC_KEY_FILE', proc.stderr)
        self.assertEqual([('plugin_requires', 'hurtle', 'heat')],
                         self.calls())

    def test_account_without_url_stops_stack(self):
        proc = self.run_phases(*STACK, expect_status=1, SDC_ACCOUNT='acme',
                               SDC_KEY_FILE=self.key)
        self.assertIn('missing SDC_URL', proc.stderr)


class NotificationsTest(harness.PluginCase):
    """With rabbit: Heat notifies on devstack's RabbitMQ, the CC listens."""

    RABBIT = dict(ENABLED_SERVICES='key,mysql,rabbit,h-eng,h-api,tempest',
                  RABBIT_HOST='192.0.2.10', RABBIT_USERID='stackrabbit',
                  RABBIT_PASSWORD='rabbit-secret')
    URL = 'rabbit://stackrabbit:rabbit-secret@192.0.2.10:5672/'

    def test_heat_notifies_and_the_cc_listens(self):
        self.run_phases(*STACK * 2, **self.RABBIT)
        heat = read_ini(self.heat_conf)
        self.assertEqual('messagingv2',
                         heat['oslo_messaging_notifications']['driver'])
        hurtle = read_ini(self.hurtle_conf)
        self.assertEqual(self.URL,
                         hurtle['heat_notifications']['transport_url'])
        # What the CC reads from it.
        from hurtle.conf import heat_notifications
        conf = cfg.ConfigOpts()
        heat_notifications.register_opts(conf)
        conf(['--config-file', self.hurtle_conf], project='hurtle-test')
        self.addCleanup(conf.reset)
        self.assertEqual(self.URL, conf.heat_notifications.transport_url)
        self.assertEqual('heat', conf.heat_notifications.exchange)

    def test_a_driver_of_heat_conf_is_kept(self):
        # Heat's extra phase runs before Hurtle's: a driver set there (a
        # local.conf post-config, Ceilometer) stays.
        proc = self.run_phases(*STACK, HURTLE_TEST_HEAT_NOTIFY='log',
                               **self.RABBIT)
        self.assertEqual('log', read_ini(self.heat_conf)
                         ['oslo_messaging_notifications']['driver'])
        self.assertFalse(read_ini(self.hurtle_conf).has_option(
            'heat_notifications', 'transport_url'))
        self.assertIn('heat.conf notifies with log: the CC polls Heat',
                      proc.stdout)

    def test_left_alone_without_rabbit_or_when_turned_off(self):
        for env in ({}, dict(self.RABBIT, HURTLE_HEAT_NOTIFICATIONS='False'),
                    dict(self.RABBIT, ENABLED_SERVICES=self.RABBIT[
                        'ENABLED_SERVICES'] + ',hurtle-sm',
                        DISABLED_SERVICES='hurtle-cc')):
            self.run_phases(*STACK, **env)
            self.assertFalse(read_ini(self.heat_conf).has_section(
                'oslo_messaging_notifications'), env)
            if os.path.exists(self.hurtle_conf):
                self.assertFalse(read_ini(self.hurtle_conf).has_option(
                    'heat_notifications', 'transport_url'), env)
