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
"""devstack/plugin.sh's phases for Hurtle itself, each run twice (as a
second stack.sh, unstack.sh or clean.sh would): hurtle.conf, the
Keystone catalog, the processes. heat.conf: test_heat."""
import ast
import os
import shutil
import stat

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

from hurtle import conf as hurtle_conf
from tests.unit.devstack import harness
from tests.unit.devstack.harness import CLEAN
from tests.unit.devstack.harness import read
from tests.unit.devstack.harness import read_ini
from tests.unit.devstack.harness import STACK
from tests.unit.devstack.harness import UNSTACK

SM_ENDPOINTS = [
    ('hurtle-sm', 'public', 'RegionTwo', 'http://192.0.2.10:8888/'),
    ('hurtle-sample', 'public', 'RegionTwo',
     'http://192.0.2.10:8888/sample/')]
CC_ENDPOINTS = [
    ('hurtle-cc', 'public', 'RegionTwo', 'http://192.0.2.10:8887/')]


class InstallTest(harness.PluginCase):

    def test_install_develops_hurtle_and_installs_uwsgi(self):
        self.run_phases('stack', 'install', 'stack', 'install')
        self.assertEqual([(os.path.join(self.dest, 'hurtle'),)] * 2,
                         self.calls('setup_develop'))
        self.assertEqual([('uwsgi',)] * 2, self.calls('pip_install'))
        self.assertFalse(os.path.exists(self.hurtle_conf))

    def test_uwsgi_already_there_is_not_installed_again(self):
        self.add_recorder('uwsgi')
        self.run_phases('stack', 'install', 'stack', 'install')
        self.assertEqual([], self.calls('pip_install'))


class PostConfigTest(harness.PluginCase):

    def run_post_config(self, **env):
        return self.run_phases('stack', 'post-config', 'stack',
                               'post-config', **env)

    def test_hurtle_conf_in_keystone_mode(self):
        self.run_post_config()
        ini = read_ini(self.hurtle_conf)
        self.assertEqual('keystone', ini['DEFAULT']['auth_strategy'])
        self.assertEqual(self.state_dir, ini['DEFAULT']['state_path'])
        self.assertTrue(os.path.isdir(self.state_dir))
        self.assertEqual('True', ini['DEFAULT']['debug'])
        self.assertEqual(
            [(self.hurtle_conf, 'hurtle')] * 2,
            self.calls('configure_keystone_authtoken_middleware'))
        self.assertEqual('hurtle', ini['keystone_authtoken']['username'])
        self.assertEqual({'auth_type': 'password',
                          'auth_url': 'http://192.0.2.10/identity',
                          'username': 'hurtle',
                          'password': 'service-secret',
                          'user_domain_name': 'Default',
                          'project_name': 'service',
                          'project_domain_name': 'Default'},
                         dict(ini['service_credentials']))
        self.assertEqual(
            'mysql+pymysql://root:db-secret@127.0.0.1/hurtle?charset=utf8',
            ini['database']['connection'])
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
        self.assertNotIn('heat_url', ini['deployer'])
        # Built from the sample each time: its comments are still there,
        # and no option is written twice (configparser would refuse).
        self.assertIn('#noauth_default_project = demo',
                      read(self.hurtle_conf))
        with open(os.path.join(self.conf_dir, 'api-paste.ini')) as handle:
            self.assertIn('keystone = ', handle.read())
        self.assertEqual([(self.hurtle_conf,)] * 2,
                         self.calls('setup_logging'))
        # It holds passwords.
        self.assertEqual(0o600,
                         stat.S_IMODE(os.stat(self.hurtle_conf).st_mode))

    def test_database_recreated_then_synced(self):
        self.run_post_config()
        self.assertEqual([('hurtle',)] * 2, self.calls('recreate_database'))
        self.assertEqual([('--config-file', self.hurtle_conf, 'db_sync')] * 2,
                         self.calls('hurtle-manage'))
        names = [c[0] for c in self.calls()]
        self.assertLess(names.index('recreate_database'),
                        names.index('hurtle-manage'))

    def test_postgresql(self):
        self.run_post_config(ENABLED_SERVICES='key,postgresql',
                             DATABASE_TYPE='postgresql')
        self.assertEqual(
            'postgresql://root:db-secret@127.0.0.1/hurtle'
            '?client_encoding=utf8',
            read_ini(self.hurtle_conf)['database']['connection'])
        self.assertEqual([('hurtle',)] * 2, self.calls('recreate_database'))

    def test_policy_file_lists_the_defaults_and_is_kept(self):
        self.run_phases('stack', 'post-config')
        policy = os.path.join(self.conf_dir, 'policy.yaml')
        self.assertEqual(policy, read_ini(self.hurtle_conf)['oslo_policy'][
            'policy_file'])
        self.assertIn('#"hurtle:app:manage": "role:admin"', read(policy))
        with open(policy, 'w') as handle:
            handle.write('"hurtle:instance:get": "role:admin"\n')
        self.run_phases('stack', 'post-config')
        self.assertEqual('"hurtle:instance:get": "role:admin"\n',
                         read(policy))
        self.assertIn('#"hurtle:app:manage"', read(policy + '.sample'))

    def test_uwsgi_files_serve_the_wsgi_modules(self):
        self.run_post_config()
        sm = read_ini(os.path.join(self.conf_dir, 'sm-uwsgi.ini'))
        cc = read_ini(os.path.join(self.conf_dir, 'cc-uwsgi.ini'))
        self.assertEqual('hurtle.wsgi.sm:application', sm['uwsgi']['module'])
        self.assertEqual('hurtle.wsgi.cc:application', cc['uwsgi']['module'])
        self.assertEqual('0.0.0.0:8888', sm['uwsgi']['http'])
        self.assertEqual('0.0.0.0:8887', cc['uwsgi']['http'])
        env = 'HURTLE_CONFIG_FILES=%s' % self.hurtle_conf
        self.assertEqual(env, sm['uwsgi']['env'])
        self.assertEqual(env, cc['uwsgi']['env'])
        # SM workers are replicas (lazy-apps); the CC runs one process.
        self.assertEqual('2', sm['uwsgi']['processes'])
        self.assertEqual('true', sm['uwsgi']['lazy-apps'])
        self.assertEqual('1', cc['uwsgi']['processes'])
        # The modules exist and define the application uwsgi loads.
        for module in ('sm', 'cc'):
            path = os.path.join(harness.ROOT, 'hurtle', 'wsgi',
                                module + '.py')
            tree = ast.parse(read(path))
            names = {target.id for node in ast.walk(tree)
                     if isinstance(node, ast.Assign)
                     for target in ast.walk(node)
                     if isinstance(target, ast.Name)}
            self.assertIn('application', names, path)

    def test_hurtle_conf_loads_with_oslo_config_and_keystoneauth(self):
        self.run_post_config()
        conf = cfg.ConfigOpts()
        hurtle_conf.register_all(conf)
        conf(['--config-file', self.hurtle_conf], project='hurtle-test')
        self.addCleanup(conf.reset)
        self.assertEqual('keystone', conf.auth_strategy)
        self.assertEqual(8888, conf.sm.port)
        self.assertEqual('http://192.0.2.10:8887/', conf.sm.cc_url)
        auth = ks_loading.load_auth_from_conf_options(
            conf, 'service_credentials')
        self.assertEqual('http://192.0.2.10/identity', auth.auth_url)
        self.assertEqual('hurtle', auth._username)
        self.assertEqual('service', auth._project_name)

    def test_catalog_entries_once(self):
        self.run_post_config()
        self.assertEqual([('hurtle', 'admin')] * 2,
                         self.calls('create_service_user'))
        self.assertEqual(
            [('cloud-controller', 'hurtle-cc'),
             ('service-manager', 'hurtle-sm'),
             (harness.SAMPLE_TYPE, 'hurtle-sample')],
            [s[:2] for s in self.catalog('service')])
        self.assertEqual(CC_ENDPOINTS + SM_ENDPOINTS,
                         self.catalog('endpoint'))

    def test_own_manifests_are_served_and_registered(self):
        manifest_dir = os.path.join(self.tmp, 'svc')
        shutil.copytree(os.path.join(harness.ROOT, 'samples', 'sample'),
                        manifest_dir)
        path = os.path.join(manifest_dir, 'manifest.json')
        text = read(path).replace(harness.SAMPLE_TYPE,
                                  'http://example.org/occi/sm#dns')
        with open(path, 'w') as handle:
            handle.write(text)
        self.run_post_config(HURTLE_MANIFESTS=path)
        self.assertEqual(path, read_ini(self.hurtle_conf)['sm']['manifests'])
        self.assertIn(('hurtle-dns', 'public', 'RegionTwo',
                       'http://192.0.2.10:8888/dns/'),
                      self.catalog('endpoint'))

    def test_unreadable_manifest_stops_stack(self):
        proc = self.run_phases(
            'stack', 'post-config', expect_status=1,
            HURTLE_MANIFESTS=os.path.join(self.tmp, 'missing.json'))
        self.assertIn('cannot read the manifest', proc.stderr)
        self.assertIn('missing.json', proc.stderr)
        self.assertNotIn('Traceback', proc.stderr)
        self.assertEqual([], self.catalog('endpoint'))

    def test_without_keystone_noauth_and_no_catalog(self):
        self.run_post_config(ENABLED_SERVICES='h-eng')
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
        self.assertEqual([('--config-file', self.hurtle_conf, 'db_sync')] * 2,
                         self.calls('hurtle-manage'))


class DisabledServiceTest(harness.PluginCase):
    """``disable_service hurtle-sm`` (or hurtle-cc) in local.conf: it comes
    before the plugin's settings enable both."""

    def hurtle_processes(self):
        return [c[0] for c in self.hurtle_calls('run_process')]

    def test_without_the_sm(self):
        self.run_phases(*STACK * 2 + UNSTACK * 2,
                        DISABLED_SERVICES='hurtle-sm')
        self.assertEqual([('cloud-controller', 'hurtle-cc')],
                         [s[:2] for s in self.catalog('service')])
        self.assertEqual(CC_ENDPOINTS, self.catalog('endpoint'))
        self.assertNotIn('hurtle-sm',
                         [c[0] for c in self.calls('get_or_create_service')])
        self.assertEqual(['hurtle-cc'] * 2, self.hurtle_processes())
        self.assertEqual([('hurtle-cc',)] * 2,
                         self.hurtle_calls('stop_process'))
        self.assertFalse(os.path.exists(
            os.path.join(self.conf_dir, 'sm-uwsgi.ini')))

    def test_without_the_cc(self):
        self.run_phases(*STACK * 2 + UNSTACK * 2,
                        DISABLED_SERVICES='hurtle-cc')
        self.assertEqual(SM_ENDPOINTS, self.catalog('endpoint'))
        self.assertEqual(['hurtle-sm'] * 2, self.hurtle_processes())
        self.assertEqual([('hurtle-sm',)] * 2,
                         self.hurtle_calls('stop_process'))
        self.assertFalse(os.path.exists(
            os.path.join(self.conf_dir, 'cc-uwsgi.ini')))
        self.assertEqual(('0.0.0.0', '8888'), tuple(
            read_ini(self.hurtle_conf)['sm'][k] for k in ('host', 'port')))

    def test_without_both_nothing_happens(self):
        self.run_phases(*STACK + UNSTACK + CLEAN,
                        DISABLED_SERVICES='hurtle-sm,hurtle-cc',
                        DEVSTACK_PLUGINS='hurtle')
        self.assertEqual([('plugin_requires', 'hurtle', 'heat')],
                         self.calls())
        self.assertFalse(os.path.exists(self.conf_dir))


class ExtraTest(harness.PluginCase):

    def test_runs_cc_then_sm_under_uwsgi(self):
        self.run_phases(*STACK * 2)
        uwsgi = os.path.join(self.bin, 'uwsgi')
        command = '%s --procname-prefix hurtle-%s --ini %s/%s-uwsgi.ini'
        self.assertEqual(
            [('hurtle-cc', command % (uwsgi, 'cc', self.conf_dir, 'cc')),
             ('hurtle-sm', command % (uwsgi, 'sm', self.conf_dir, 'sm'))] * 2,
            self.hurtle_calls('run_process'))
        self.assertEqual([('60', 'http://192.0.2.10:8887/-/'),
                          ('60', 'http://192.0.2.10:8888/-/')] * 2,
                         self.calls('wait_for_service'))
        self.assertEqual([], self.hurtle_calls('stop_process'))
        self.assertIn('devstack@hurtle-sm.service', self.running())
        names = [c[0] for c in self.calls()]
        self.assertGreater(names.index('run_process'),
                           names.index('get_or_create_endpoint'))

    def test_test_config_tells_tempest(self):
        self.run_phases(*STACK * 2)
        self.assertEqual(
            'True', read_ini(self.tempest_conf)['service_available']['hurtle'])


class UnstackCleanTest(harness.PluginCase):

    def test_unstack_stops_sm_then_cc(self):
        self.run_phases(*STACK + UNSTACK + UNSTACK)
        self.assertEqual([('hurtle-sm',), ('hurtle-cc',)] * 2,
                         self.hurtle_calls('stop_process'))
        self.assertEqual([], self.running())

    def test_clean_drops_the_database_and_removes_config_and_state(self):
        self.run_phases(*STACK + UNSTACK)
        so_log = os.path.join(self.state_dir, 'so', 'app.log')
        os.makedirs(os.path.dirname(so_log))
        with open(so_log, 'w') as handle:
            handle.write('an SO log\n')
        self.run_phases(*CLEAN * 2)
        self.assertEqual(2, len(self.calls('mysql')))
        self.assertEqual(('-uroot', '-pdb-secret', '-h127.0.0.1', '-e',
                          'DROP DATABASE IF EXISTS hurtle;'),
                         self.calls('mysql')[0])
        self.assertFalse(os.path.exists(self.conf_dir))
        self.assertFalse(os.path.exists(self.state_dir))
        # Heat's configuration is Heat's to clean.
        self.assertTrue(os.path.exists(self.heat_conf))

    def test_clean_with_postgresql(self):
        self.run_phases(*CLEAN, ENABLED_SERVICES='key,postgresql',
                        DATABASE_TYPE='postgresql')
        self.assertEqual([('-h127.0.0.1', '-Uroot', '-dtemplate1', '-c',
                           'DROP DATABASE IF EXISTS hurtle')],
                         self.calls('psql'))

    def test_clean_after_the_database_server_stopped(self):
        # clean.sh runs unstack.sh --all first, which stops the server.
        self.run_phases(*STACK + UNSTACK)
        proc = self.run_phases(*CLEAN, HURTLE_TEST_DB_DOWN='1')
        self.assertIn('The hurtle database was not dropped', proc.stderr)
        self.assertFalse(os.path.exists(self.conf_dir))

    def test_clean_without_a_database_service(self):
        self.run_phases(*STACK + CLEAN, ENABLED_SERVICES='key,h-eng')
        self.assertEqual([], self.calls('mysql'))
        self.assertFalse(os.path.exists(self.state_dir))


class TraceTest(harness.PluginCase):
    """The plugin's commands show in stack.sh's trace, secrets do not."""

    def test_commands_traced_and_xtrace_restored(self):
        proc = self.run_phases(*STACK + UNSTACK + CLEAN,
                               HURTLE_TEST_XTRACE='1')
        trace = proc.stderr
        self.assertIn('setup_develop %s' % os.path.join(self.dest, 'hurtle'),
                      trace)
        self.assertIn('iniset %s sm port 8888' % self.hurtle_conf, trace)
        self.assertIn('hurtle-manage --config-file', trace)
        self.assertIn('run_process hurtle-sm', trace)
        self.assertIn('sudo rm -rf', trace)
        self.assertIn('at the end: set -o xtrace', proc.stdout)
        # Not the manifest reader's Python, nor secrets.
        self.assertNotIn('import json', trace)
        self.assertNotIn('service-secret', trace)
        self.assertNotIn('db-secret', trace)

    def test_xtrace_stays_off_when_it_was_off(self):
        proc = self.run_phases(*STACK + UNSTACK + CLEAN)
        self.assertIn('at the end: set +o xtrace', proc.stdout)
        self.assertNotIn('+ iniset', proc.stderr)
