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
"""``openstack hurtle ...`` (hurtle.osc) against the embedded default.

Every command runs as a real ``openstack`` process (python-openstackclient
with Hurtle's plugin) with ``--hurtle-url`` and no ``OS_*`` variable,
against one ``hurtle-all`` per class. Outputs are read in ``-f json``;
errors must be one line on stderr, exit code 1, no traceback.
"""
import json
import os

import testtools

from hurtle.occi import errors
from tests.functional import cli_runner
from tests.functional import hurtle_fixture
from tests import net


class CLITestCase(hurtle_fixture.HurtleTestCase):
    """Helpers to run ``openstack`` against ``cls.hurtle``."""

    @classmethod
    def setUpClass(cls):
        cli_runner.require()
        super().setUpClass()

    def env(self):
        return cli_runner.clean_env(HURTLE_URL=self.hurtle.sm_url)

    def run_cli(self, *args, env=None):
        return cli_runner.run(args, env or self.env())

    def ok(self, *args, env=None):
        """Run a command that must succeed; its stdout (parsed if
        ``-f json``) and stderr."""
        result = self.run_cli(*args, env=env)
        self.assertEqual(0, result.code, result.err + result.out)
        self.assertNotIn('Traceback', result.err)
        out = json.loads(result.out) if 'json' in args else result.out
        return out, result.err

    def fails(self, *args, env=None):
        """Run a command that must fail: exit 1, one line on stderr,
        nothing on stdout; returns that line."""
        result = self.run_cli(*args, env=env)
        self.assertEqual(1, result.code, result.err + result.out)
        lines = cli_runner.error_lines(result.err)
        self.assertEqual(1, len(lines), result.err)
        self.assertEqual('', result.out)
        return lines[0]

    def create(self, *attributes, service='sample'):
        """Create an instance (--wait); its record."""
        args = ['hurtle', 'instance', 'create', service, '--wait',
                '--timeout', '240', '-f', 'json']
        for attribute in attributes:
            args += ['--attribute', attribute]
        record, _err = self.ok(*args)
        self.addCleanup(self.delete_if_left, record['location'])
        return record

    def delete_if_left(self, location, wait=False):
        """Cleanup through the SM's API (not another ``openstack`` run of
        seconds): delete the instance at ``location`` unless it is gone
        already; with ``wait``, until the SM answers 404."""
        client = self.sm_client()
        try:
            if wait:
                self.delete_and_wait(client, location)
            else:
                client.delete(location)
        except errors.NotFound:
            pass


class ServiceCommandsTest(CLITestCase):

    def test_service_list_shows_the_kinds_and_their_attributes(self):
        services, _err = self.ok('hurtle', 'service', 'list', '-f', 'json')
        by_name = {s['Name']: s for s in services}
        self.assertEqual({'sample', 'composed'}, set(by_name))
        self.assertIn('sample.greeting', by_name['sample']['Attributes'])
        self.assertIn('composed.label', by_name['composed']['Attributes'])
        self.assertEqual(self.hurtle.sm_url + 'sample/',
                         by_name['sample']['Location'])

    def test_service_show(self):
        service, _err = self.ok('hurtle', 'service', 'show', 'sample',
                                '-f', 'json')
        self.assertEqual('http://schemas.hurtle.it/occi/sm#sample',
                         service['kind'])
        self.assertEqual('mutable',
                         service['attributes']['sample.greeting'])
        self.assertEqual('immutable',
                         service['attributes']['sample.provisioned'])
        # The full kind id works too; -f value prints bare values.
        out, _err = self.ok('hurtle', 'service', 'show', service['kind'],
                            '-f', 'value', '-c', 'name')
        self.assertEqual('sample\n', out)

    def test_unknown_service(self):
        line = self.fails('hurtle', 'service', 'show', 'nosuch')
        self.assertEqual("unknown service type 'nosuch'; the SM offers: "
                         "composed, sample", line)

    def test_sm_down(self):
        env = cli_runner.clean_env(
            HURTLE_URL='http://127.0.0.1:%d/' % net.held_port(self))
        line = self.fails('hurtle', 'service', 'list', env=env)
        self.assertTrue(line.startswith('SM unreachable: '), line)

    def test_no_sm_and_no_credentials(self):
        # Neither --hurtle-url nor OS_* settings: osc asks for auth.
        result = self.run_cli('hurtle', 'service', 'list',
                              env=cli_runner.clean_env())
        self.assertEqual(1, result.code, result.err)
        self.assertNotIn('Traceback', result.err)
        self.assertIn('auth', result.err.lower())


class InstanceCommandsTest(CLITestCase):

    @classmethod
    def make_hurtle(cls):
        return hurtle_fixture.HurtleAll(manifests=(
            hurtle_fixture.SAMPLE_MANIFEST, hurtle_fixture.UNTYPED_MANIFEST))

    def test_create_list_show_set_delete(self):
        created, err = self.ok(
            'hurtle', 'instance', 'create', 'sample', '--attribute',
            'sample.greeting=hi', '--attribute', 'sample.name_length=6',
            '--wait', '--timeout', '240', '-f', 'json')
        ident = created['id']
        label = 'sample/%s' % ident
        self.assertEqual('active', created['mcn.service.state'])
        self.assertEqual('hi', created['sample.greeting'])
        self.assertIs(True, created['sample.provisioned'])
        self.assertEqual('sample', created['type'])
        self.assertEqual(self.hurtle.sm_url + label, created['location'])
        # --wait showed the states it saw as they changed, in lifecycle
        # order. It samples once a second, so a phase shorter than that
        # (provision often is, now that stack progress comes by events)
        # may not show.
        states = [line.split(': ', 1)[1] for line in
                  cli_runner.error_lines(err)]
        self.assertEqual('initialise', states[0])
        self.assertEqual('active', states[-1])
        order = ['initialise', 'deploy', 'provision', 'active']
        self.assertEqual(sorted(states, key=order.index), states)
        self.assertEqual(len(states), len(set(states)))

        listed, _err = self.ok('hurtle', 'instance', 'list', '-f', 'json')
        self.assertIn({'ID': ident, 'Type': 'sample', 'State': 'active',
                       'Location': created['location']}, listed)
        untyped, _err = self.ok('hurtle', 'instance', 'list', '--type',
                                'untyped', '-f', 'json')
        self.assertNotIn(ident, [row['ID'] for row in untyped])

        shown, _err = self.ok('hurtle', 'instance', 'show', ident,
                              '-f', 'json')
        self.assertEqual(created, shown)
        by_path, _err = self.ok('hurtle', 'instance', 'show', label,
                                '-f', 'json')
        self.assertEqual(ident, by_path['id'])

        out, err = self.ok('hurtle', 'instance', 'set', ident,
                           '--attribute', 'sample.greeting=bonjour',
                           '--wait', '--timeout', '240')
        self.assertEqual('', out)
        self.assertEqual('%s: active' % label,
                         cli_runner.error_lines(err)[-1])
        value, _err = self.ok('hurtle', 'instance', 'show', ident,
                              '-f', 'value', '-c', 'sample.greeting')
        self.assertEqual('bonjour\n', value)

        # Another project sees none of it.
        env = self.env()
        env['HURTLE_PROJECT'] = 'other'
        others, _err = self.ok('hurtle', 'instance', 'list', '-f', 'json',
                               env=env)
        self.assertEqual([], others)
        self.fails('hurtle', 'instance', 'show', ident, env=env)

        out, err = self.ok('hurtle', 'instance', 'delete', ident, '--wait',
                           '--timeout', '240')
        self.assertEqual('', out)
        self.assertEqual('%s: deleted' % label,
                         cli_runner.error_lines(err)[-1])
        line = self.fails('hurtle', 'instance', 'show', ident)
        self.assertEqual('404 Not Found: no instance %s in this project'
                         % ident, line)
        line = self.fails('hurtle', 'instance', 'show', label)
        self.assertTrue(line.startswith('404 Not Found: '), line)

    def test_create_unknown_type(self):
        line = self.fails('hurtle', 'instance', 'create', 'nosuch')
        self.assertEqual("unknown service type 'nosuch'; the SM offers: "
                         "sample, untyped", line)

    def test_create_with_a_value_the_sm_refuses(self):
        line = self.fails('hurtle', 'instance', 'create', 'sample',
                          '--attribute', 'sample.name_length=abc')
        self.assertTrue(line.startswith('400 Bad Request: '), line)
        self.assertIn('sample.name_length', line)
        line = self.fails('hurtle', 'instance', 'create', 'sample',
                          '--attribute', 'nosuch=1')
        self.assertIn('400 Bad Request: Attribute nosuch', line)
        listed, _err = self.ok('hurtle', 'instance', 'list', '-f', 'json')
        self.assertEqual([], [r for r in listed if r['Type'] == 'sample'
                              and r['State'] != 'active'])

    def test_malformed_attribute_option(self):
        line = self.fails('hurtle', 'instance', 'create', 'sample',
                          '--attribute', 'sample.greeting')
        self.assertEqual("--attribute 'sample.greeting' is not NAME=VALUE",
                         line)
        line = self.fails('hurtle', 'instance', 'create', 'sample',
                          '--attribute', 'a=1', '--attribute', 'a=2')
        self.assertEqual('--attribute a is given more than once', line)

    def test_unknown_id(self):
        for command in (('show', 'nosuch'),
                        ('set', 'nosuch', '--attribute', 'a=b'),
                        ('delete', 'nosuch')):
            line = self.fails('hurtle', 'instance', *command)
            self.assertEqual(
                '404 Not Found: no instance nosuch in this project', line)

    def test_set_refused(self):
        record = self.create()
        line = self.fails('hurtle', 'instance', 'set', record['id'],
                          '--attribute', 'mcn.service.state=failed')
        self.assertEqual('400 Bad Request: Attribute mcn.service.state is '
                         'set by the service; a client cannot give it.',
                         line)
        line = self.fails('hurtle', 'instance', 'set', record['id'],
                          '--attribute', 'sample.name_length=100')
        self.assertIn('sample.name_length', line)
        self.assertTrue(line.startswith('400 Bad Request: '), line)

    def test_wait_fails_with_the_reason(self):
        # The untyped (2016) manifest lets the value through; the SO
        # refuses it when asked to deploy: the instance fails.
        result = self.run_cli(
            'hurtle', 'instance', 'create', 'untyped', '--attribute',
            'sample.name_length=2', '--wait', '--timeout', '240',
            '-f', 'json')
        self.assertEqual(1, result.code, result.err)
        self.assertEqual('', result.out)
        lines = cli_runner.error_lines(result.err)
        self.assertNotIn('Traceback', result.err)
        label = lines[0].split(': ', 1)[0]
        self.addCleanup(self.delete_if_left, self.hurtle.sm_url + label)
        self.assertEqual('%s: failed' % label, lines[-2])
        self.assertTrue(lines[-1].startswith('%s failed: ' % label),
                        lines[-1])
        self.assertIn('sample.name_length must be a whole number',
                      lines[-1])

    def test_wait_timeout(self):
        result = self.run_cli('hurtle', 'instance', 'create', 'sample',
                              '--wait', '--timeout', '0.1', '-f', 'json')
        self.assertEqual(1, result.code, result.err)
        lines = cli_runner.error_lines(result.err)
        label = lines[0].split(': ', 1)[0]
        self.addCleanup(self.delete_if_left, self.hurtle.sm_url + label,
                        wait=True)
        self.assertRegex(lines[-1], r'^%s: still \w+ after 0.1 seconds '
                         r'\(--timeout\)$' % label)
        # An option error is argparse's: usage and exit code 2.
        result = self.run_cli('hurtle', 'instance', 'create', 'sample',
                              '--wait', '--timeout', '-1')
        self.assertEqual(2, result.code, result.err)
        self.assertIn("argument --timeout: expected a positive number of "
                      "seconds, not '-1'", result.err)


class AppCommandsTest(CLITestCase):

    @classmethod
    def make_hurtle(cls):
        return hurtle_fixture.HurtleAll(
            manifests=(hurtle_fixture.SAMPLE_MANIFEST,))

    def cc_env(self, **extra):
        env = self.env()
        env['HURTLE_CC_URL'] = self.hurtle.cc_url
        env['HURTLE_SECRET_FILE'] = os.path.join(self.hurtle.state,
                                                 'local_secret')
        env.update(extra)
        return env

    def test_app_list_shows_the_instances_so(self):
        record = self.create()
        apps, _err = self.ok('hurtle', 'app', 'list', '-f', 'json',
                             env=self.cc_env())
        mine = [a for a in apps if record['id'] in a['Name']]
        self.assertEqual(1, len(mine), apps)
        self.assertEqual('active', mine[0]['State'])
        self.assertEqual(record['occi.so.url'], mine[0]['URL'])
        self.assertEqual(0, mine[0]['Restarts'])
        # Apps are per project: the demo project has none.
        apps, _err = self.ok('hurtle', 'app', 'list', '-f', 'json',
                             env=self.cc_env(HURTLE_PROJECT='demo'))
        self.assertEqual([], apps)

    def test_app_list_needs_the_cc_and_its_secret(self):
        line = self.fails('hurtle', 'app', 'list')
        self.assertIn('--hurtle-cc-url', line)
        env = self.cc_env()
        del env['HURTLE_SECRET_FILE']
        line = self.fails('hurtle', 'app', 'list', env=env)
        self.assertTrue(line.startswith('401 Unauthorized: '), line)
        line = self.fails('hurtle', 'app', 'list', env=self.cc_env(
            HURTLE_SECRET_FILE=os.path.join(self.hurtle.state, 'nosuch')))
        self.assertIn('cannot read the local secret', line)


class AttributeParsingCLITest(testtools.TestCase):
    """Option errors need no SM: they fail before any request."""

    def test_set_needs_an_attribute(self):
        cli_runner.require()
        result = cli_runner.run(
            ['hurtle', 'instance', 'set', 'x'], cli_runner.clean_env(
                HURTLE_URL='http://127.0.0.1:%d/' % net.held_port(self)))
        self.assertEqual(2, result.code, result.err)
        self.assertIn('--attribute', result.err)
