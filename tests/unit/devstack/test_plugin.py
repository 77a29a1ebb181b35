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
"""devstack/plugin.sh, sourced by bash with devstack's helpers stubbed.

Each test runs the phases devstack would run (``stack install``, ``stack
post-config``, ``stack extra``, ``stack test-config``, ``unstack``,
``clean``) in one bash, as stack.sh does: ``stubs.sh``, then
``devstack/settings``, then ``devstack/plugin.sh <mode> <phase>`` per
phase. ``iniset`` writes real files, so the assertions read the
hurtle.conf and heat.conf the plugin wrote (with configparser, and with
oslo.config/keystoneauth1 as hurtle-sm and hurtle-cc will); the Keystone,
database and process helpers record their calls.
"""
import configparser
import os
import shutil
import subprocess
import sys

import fixtures
from keystoneauth1 import loading as ks_loading
from oslo_config import cfg
import testtools

from hurtle import conf as hurtle_conf

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
DEVSTACK = os.path.join(ROOT, 'devstack')
STUBS = os.path.join(HERE, 'stubs.sh')
SAMPLE_TYPE = 'http://schemas.hurtle.it/occi/sm#sample'
BIN = '/opt/stack/data/venv/bin'

DRIVER = '''
set -o errexit
set -o pipefail
source "$HURTLE_TEST_STUBS"
source "$HURTLE_TEST_DEVSTACK/settings"
while [[ $# -gt 0 ]]; do
    mode=$1
    phase=$2
    shift 2
    if [[ "$phase" == "-" ]]; then
        source "$HURTLE_TEST_DEVSTACK/plugin.sh" "$mode"
    else
        source "$HURTLE_TEST_DEVSTACK/plugin.sh" "$mode" "$phase"
    fi
done
'''

STACK = ['stack', 'install', 'stack', 'post-config', 'stack', 'extra',
         'stack', 'test-config']


def read_ini(path):
    # No default section: [DEFAULT] is read as a section like the others.
    parser = configparser.ConfigParser(interpolation=None,
                                       default_section='\x00')
    with open(path) as handle:
        parser.read_file(handle)
    return parser


class PluginTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.dest = os.path.join(self.tmp, 'stack')
        os.makedirs(self.dest)
        # devstack clones the plugin's repository to $DEST/hurtle.
        os.symlink(ROOT, os.path.join(self.dest, 'hurtle'))
        self.conf_dir = os.path.join(self.tmp, 'etc', 'hurtle')
        self.data_dir = os.path.join(self.tmp, 'data')
        self.heat_conf = os.path.join(self.tmp, 'heat.conf')
        with open(self.heat_conf, 'w') as handle:
            handle.write('[DEFAULT]\ndebug = True\n\n[database]\n'
                         'connection = mysql+pymysql://heat\n')
        self.tempest_conf = os.path.join(self.tmp, 'tempest.conf')
        self.calls_path = os.path.join(self.tmp, 'calls')
        self.env = {
            'PATH': os.environ['PATH'],
            'HOME': self.tmp,
            'HURTLE_TEST_STUBS': STUBS,
            'HURTLE_TEST_DEVSTACK': DEVSTACK,
            'HURTLE_TEST_CALLS': self.calls_path,
            'HURTLE_TEST_BIN': BIN,
            # What stack.sh defines before plugins run.
            'ENABLED_SERVICES': 'key,mysql,h-eng,h-api,tempest',
            'DEST': self.dest,
            'DATA_DIR': self.data_dir,
            'STACK_USER': self._user(),
            'SERVICE_HOST': '192.0.2.10',
            'SERVICE_PROTOCOL': 'http',
            'SERVICE_TIMEOUT': '60',
            'ENABLE_DEBUG_LOG_LEVEL': 'True',
            'REGION_NAME': 'RegionTwo',
            'SERVICE_PROJECT_NAME': 'service',
            'SERVICE_DOMAIN_NAME': 'Default',
            'SERVICE_PASSWORD': 'service-secret',
            'DATABASE_PASSWORD': 'db-secret',
            'KEYSTONE_SERVICE_URI': 'http://192.0.2.10/identity',
            'PYTHON': sys.executable,
            'HURTLE_TEST_PYTHON': sys.executable,
            'HEAT_CONF': self.heat_conf,
            'TEMPEST_CONFIG': self.tempest_conf,
            'HURTLE_CONF_DIR': self.conf_dir,
        }
        self.hurtle_conf = os.path.join(self.conf_dir, 'hurtle.conf')

    @staticmethod
    def _user():
        import pwd
        return pwd.getpwuid(os.getuid()).pw_name

    def run_phases(self, *phases, expect_status=0, **env):
        environ = dict(self.env)
        environ.update(env)
        proc = subprocess.run(
            ['bash', '-c', DRIVER, 'driver'] + list(phases),
            env=environ, capture_output=True, text=True, timeout=120)
        self.addDetail('bash-%d' % len(self.getDetails()),
                       testtools.content.text_content(
                           proc.stdout + proc.stderr))
        self.assertEqual(expect_status, proc.returncode, proc.stderr)
        return proc

    def calls(self, name=None):
        if not os.path.exists(self.calls_path):
            return []
        with open(self.calls_path) as handle:
            calls = [tuple(line.rstrip('\n').split('\x1f'))
                     for line in handle if line.strip()]
        if name is not None:
            calls = [c[1:] for c in calls if c[0] == name]
        return calls

    def oslo_conf(self):
        """hurtle.conf parsed as hurtle-sm/hurtle-cc parse it."""
        conf = cfg.ConfigOpts()
        hurtle_conf.register_all(conf)
        conf(['--config-file', self.hurtle_conf], project='hurtle-test')
        self.addCleanup(conf.reset)
        return conf

    # -- stack ---------------------------------------------------------

    def test_install_develops_hurtle_from_dest(self):
        self.run_phases('stack', 'install')
        self.assertEqual([(os.path.join(self.dest, 'hurtle'),)],
                         self.calls('setup_develop'))
        self.assertFalse(os.path.exists(self.hurtle_conf))

    def test_post_config_writes_keystone_mode_hurtle_conf(self):
        self.run_phases(*STACK[:4])
        ini = read_ini(self.hurtle_conf)
        self.assertEqual('keystone', ini['DEFAULT']['auth_strategy'])
        self.assertEqual(os.path.join(self.data_dir, 'hurtle'),
                         ini['DEFAULT']['state_path'])
        self.assertTrue(os.path.isdir(ini['DEFAULT']['state_path']))
        self.assertEqual('True', ini['DEFAULT']['debug'])
        # [keystone_authtoken] through devstack's own helper.
        self.assertEqual([(self.hurtle_conf, 'hurtle')],
                         self.calls('configure_keystone_authtoken_middleware'))
        self.assertEqual('hurtle', ini['keystone_authtoken']['username'])
        # [service_credentials]: the hurtle user in the service project.
        creds = ini['service_credentials']
        self.assertEqual({'auth_type': 'password',
                          'auth_url': 'http://192.0.2.10/identity',
                          'username': 'hurtle',
                          'password': 'service-secret',
                          'user_domain_name': 'Default',
                          'project_name': 'service',
                          'project_domain_name': 'Default'}, dict(creds))
        self.assertEqual(
            'mysql+pymysql://root:db-secret@127.0.0.1/hurtle?charset=utf8',
            ini['database']['connection'])
        self.assertEqual([('hurtle',)], self.calls('recreate_database'))
        sm_manifest = os.path.join(self.dest, 'hurtle', 'samples', 'sample',
                                   'manifest.json')
        self.assertEqual(sm_manifest, ini['sm']['manifests'])
        self.assertEqual('http://192.0.2.10:8887/', ini['sm']['cc_url'])
        self.assertEqual('RegionTwo', ini['sm']['region'])
        self.assertEqual(('0.0.0.0', '8888'),
                         (ini['sm']['host'], ini['sm']['port']))
        self.assertEqual(('0.0.0.0', '8887'),
                         (ini['cc']['host'], ini['cc']['port']))
        # Heat is found in the catalog: no heat_url.
        self.assertNotIn('heat_url', ini['cc'])
        self.assertNotIn('heat_url', ini['deployer'])
        # Built from the sample: its comments are still there.
        with open(self.hurtle_conf) as handle:
            self.assertIn('#noauth_default_project = demo', handle.read())
        # The paste pipelines next to hurtle.conf (hurtle.wsgi.app looks
        # there first).
        with open(os.path.join(self.conf_dir, 'api-paste.ini')) as handle:
            self.assertIn('keystone = ', handle.read())
        self.assertEqual([(self.hurtle_conf,)], self.calls('setup_logging'))

    def test_hurtle_conf_loads_with_oslo_config_and_keystoneauth(self):
        self.run_phases(*STACK[:4])
        conf = self.oslo_conf()
        self.assertEqual('keystone', conf.auth_strategy)
        self.assertEqual(8888, conf.sm.port)
        self.assertEqual(['http://192.0.2.10:8887/'],
                         [conf.sm.cc_url])
        # Default: the catalog.
        self.assertIn('%(project)s', conf.deployer.heat_url)
        auth = ks_loading.load_auth_from_conf_options(
            conf, 'service_credentials')
        self.assertEqual('http://192.0.2.10/identity', auth.auth_url)
        self.assertEqual('hurtle', auth._username)
        self.assertEqual('service', auth._project_name)

    def test_catalog_entries_and_service_user(self):
        self.run_phases(*STACK[:4])
        self.assertEqual([('hurtle', 'admin')],
                         self.calls('create_service_user'))
        services = self.calls('get_or_create_service')
        self.assertEqual(
            [('hurtle-cc', 'cloud-controller'),
             ('hurtle-sm', 'service-manager'),
             ('hurtle-sample', SAMPLE_TYPE)],
            [s[:2] for s in services])
        self.assertEqual(
            [('hurtle-cc', 'RegionTwo', 'http://192.0.2.10:8887/'),
             ('hurtle-sm', 'RegionTwo', 'http://192.0.2.10:8888/'),
             ('hurtle-sample', 'RegionTwo',
              'http://192.0.2.10:8888/sample/')],
            self.calls('get_or_create_endpoint'))

    def test_heat_plugin_dirs_get_heat_defaults_plus_hurtle(self):
        self.run_phases(*STACK[:4])
        ini = read_ini(self.heat_conf)
        plugins = os.path.join(self.dest, 'hurtle', 'hurtle', 'heat_plugins',
                               'resources')
        self.assertEqual(
            ['/usr/lib64/heat', '/usr/lib/heat', '/usr/local/lib/heat',
             '/usr/local/lib64/heat', plugins],
            ini['DEFAULT']['plugin_dirs'].split(','))
        self.assertTrue(os.path.isdir(plugins))
        # Heat's own settings are untouched; no [sdc] without SDC_URL.
        self.assertEqual('True', ini['DEFAULT']['debug'])
        self.assertEqual('mysql+pymysql://heat',
                         ini['database']['connection'])
        self.assertFalse(ini.has_section('sdc'))

    def test_heat_plugin_dirs_appended_once_to_existing_ones(self):
        with open(self.heat_conf, 'w') as handle:
            handle.write('[DEFAULT]\nplugin_dirs = /opt/a,/opt/b\n')
        self.run_phases('stack', 'post-config', 'stack', 'post-config')
        plugins = os.path.join(self.dest, 'hurtle', 'hurtle', 'heat_plugins',
                               'resources')
        self.assertEqual('/opt/a,/opt/b,' + plugins,
                         read_ini(self.heat_conf)['DEFAULT']['plugin_dirs'])

    def test_the_old_plugin_dir_of_hurtle_is_replaced(self):
        old = os.path.join(self.dest, 'hurtle', 'hurtle', 'heat_plugins')
        with open(self.heat_conf, 'w') as handle:
            handle.write('[DEFAULT]\nplugin_dirs = /opt/a,%s,/opt/b\n' % old)
        self.run_phases('stack', 'post-config', 'stack', 'post-config')
        self.assertEqual('/opt/a,/opt/b,' + os.path.join(old, 'resources'),
                         read_ini(self.heat_conf)['DEFAULT']['plugin_dirs'])

    def test_sdc_section_when_configured(self):
        key = os.path.join(self.tmp, 'id_rsa')
        self.run_phases(*STACK[:4], SDC_URL='https://sdc.example.org',
                        SDC_ACCOUNT='acme', SDC_KEY_FILE=key,
                        SDC_KEY_ID='deploy')
        ini = read_ini(self.heat_conf)
        self.assertEqual({'url': 'https://sdc.example.org',
                          'account': 'acme', 'key_file': key,
                          'key_id': 'deploy'}, dict(ini['sdc']))
        # The names are those of hurtle.conf.sdc (what heat-engine reads).
        conf = cfg.ConfigOpts()
        from hurtle.conf import sdc
        sdc.register_opts(conf)
        conf(['--config-file', self.heat_conf], project='heat-test')
        self.addCleanup(conf.reset)
        self.assertEqual('acme', conf.sdc.account)
        self.assertEqual(key, conf.sdc.key_file)
        self.assertEqual('~9||~8', conf.sdc.api_version)

    def test_heat_left_alone_without_heat(self):
        self.run_phases(*STACK[:4], ENABLED_SERVICES='key,mysql')
        self.assertNotIn('plugin_dirs', read_ini(self.heat_conf)['DEFAULT'])

    def test_extra_runs_cc_then_sm_with_the_config_file(self):
        self.run_phases(*STACK)
        self.assertEqual(
            [('hurtle-cc',
              '%s/hurtle-cc --config-file %s' % (BIN, self.hurtle_conf)),
             ('hurtle-sm',
              '%s/hurtle-sm --config-file %s' % (BIN, self.hurtle_conf))],
            self.calls('run_process'))
        self.assertEqual([('60', 'http://192.0.2.10:8887/-/'),
                          ('60', 'http://192.0.2.10:8888/-/')],
                         self.calls('wait_for_service'))
        self.assertEqual([], self.calls('stop_process'))
        # Processes start only in extra, after everything is configured.
        names = [c[0] for c in self.calls()]
        self.assertGreater(names.index('run_process'),
                           names.index('get_or_create_endpoint'))

    def test_test_config_tells_tempest(self):
        self.run_phases(*STACK)
        self.assertEqual(
            'True', read_ini(self.tempest_conf)['service_available']['hurtle'])

    def test_unstack_stops_sm_then_cc(self):
        self.run_phases(*STACK + ['unstack', '-'])
        self.assertEqual([('hurtle-sm',), ('hurtle-cc',)],
                         self.calls('stop_process'))

    def test_unstack_alone_only_stops(self):
        self.run_phases('unstack', '-')
        self.assertEqual([('stop_process', 'hurtle-sm'),
                          ('stop_process', 'hurtle-cc')], self.calls())

    def test_clean_removes_config_and_state(self):
        self.run_phases(*STACK + ['unstack', '-', 'clean', '-'])
        self.assertFalse(os.path.exists(self.conf_dir))
        self.assertFalse(os.path.exists(os.path.join(self.data_dir,
                                                     'hurtle')))
        # Heat's configuration is Heat's to clean.
        self.assertTrue(os.path.exists(self.heat_conf))

    def test_without_keystone_noauth_and_no_catalog(self):
        self.run_phases(*STACK[:4], ENABLED_SERVICES='h-eng')
        ini = read_ini(self.hurtle_conf)
        self.assertEqual('noauth', ini['DEFAULT']['auth_strategy'])
        self.assertFalse(ini.has_section('keystone_authtoken'))
        # (the sample has the [service_credentials] header, no option)
        self.assertEqual({}, dict(ini['service_credentials']))
        # No database service: the SQLite default under state_path.
        self.assertNotIn('connection', ini['database'])
        self.assertEqual([], self.calls('create_service_user'))
        self.assertEqual([], self.calls('get_or_create_service'))
        self.assertEqual([], self.calls('recreate_database'))

    def test_own_manifests_are_served_and_registered(self):
        manifest_dir = os.path.join(self.tmp, 'svc')
        shutil.copytree(os.path.join(ROOT, 'samples', 'sample'),
                        manifest_dir)
        path = os.path.join(manifest_dir, 'manifest.json')
        with open(path) as handle:
            text = handle.read().replace(SAMPLE_TYPE,
                                         'http://example.org/occi/sm#dns')
        with open(path, 'w') as handle:
            handle.write(text)
        self.run_phases('stack', 'post-config', HURTLE_MANIFESTS=path)
        self.assertEqual(path, read_ini(self.hurtle_conf)['sm']['manifests'])
        self.assertIn(('hurtle-dns', 'RegionTwo',
                       'http://192.0.2.10:8888/dns/'),
                      self.calls('get_or_create_endpoint'))

    def test_unreadable_manifest_stops_stack(self):
        proc = self.run_phases(
            'stack', 'post-config', expect_status=1,
            HURTLE_MANIFESTS=os.path.join(self.tmp, 'missing.json'))
        self.assertIn('cannot read the manifest', proc.stderr)
        self.assertIn('missing.json', proc.stderr)
        self.assertNotIn('Traceback', proc.stderr)
        self.assertEqual([], self.calls('get_or_create_endpoint'))


class BashateTest(testtools.TestCase):

    def test_bashate_passes(self):
        try:
            import bashate  # noqa: F401
        except ImportError:
            self.skipTest('bashate is not installed (tox -e pep8 runs it)')
        proc = subprocess.run(
            [sys.executable, '-m', 'bashate.bashate', '-v',
             os.path.join(DEVSTACK, 'plugin.sh'),
             os.path.join(DEVSTACK, 'settings'), STUBS],
            capture_output=True, text=True, timeout=60)
        self.assertEqual(0, proc.returncode, proc.stdout + proc.stderr)
