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
"""The CC's ``stack`` kind over real HTTP, through the CC's real paste
pipeline (``so_auth`` before ``local_secret``), deploying on a real
embedded Heat (one per test class); SOs are represented by app rows
holding their secret, as the SM's create of an app leaves them."""
import concurrent.futures
import contextlib
import json
import os
import time

import fixtures
from heatclient import exc as heat_exc
import requests
import sqlalchemy
import testtools
from testtools import content  # noqa

from hurtle.cc import stack_store
from hurtle.cc import stacks
from hurtle.db import engine as db_engine
from hurtle.db import models
from hurtle import local_secret
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle import polling
from hurtle import sdk
from hurtle.sdk import deployer as deployer_api
from hurtle.so.deployers import cc as cc_deployer
from hurtle.so.deployers import heat as heat_deployer
from tests import cc_fixture
from tests import conf_fixture
from tests.functional import heat_fixture
from tests import http_gate
from tests import net

STACK = cc_deployer.STACK
TEMPLATE = '''heat_template_version: 2018-08-31
parameters:
  greeting:
    type: string
    default: hello
resources:
  nothing:
    type: OS::Heat::None
outputs:
  greeting:
    value: {get_param: greeting}
'''
BAD_VERSION = 'heat_template_version: 1999-01-01\nresources: {}\n'


class _HeatTestCase(testtools.TestCase):
    """One embedded Heat per test class (``cls.heat``); ``heat_client``
    for each test."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.heat = heat_fixture.EmbeddedHeat()
        cls.heat.setUp()
        cls.addClassCleanup(cls.heat.cleanUp)

    def heat_names(self):
        return sorted(s.stack_name for s in self.heat_client.stacks.list())

    def assert_gone_from_heat(self, name):
        """Heat stops listing stack ``name`` (it reports DELETE_COMPLETE
        a moment before it marks the stack deleted in its database)."""
        polling.poll_until(lambda: name not in self.heat_names() or None,
                           10, 0.1, '%s gone from Heat\'s list' % name)

    def empty_heat(self):
        """Leave the shared Heat empty for the next test."""
        for stack in self.heat_client.stacks.list():
            try:
                self.heat_client.stacks.delete(stack.id)
            except heat_exc.HTTPNotFound:
                pass   # deleted meanwhile
        polling.poll_until(lambda: not self.heat_names() or None, 60, 0.2,
                           'stacks deleted')


class _CCTestCase(_HeatTestCase):
    """A CC (``self.url``) deploying to the class's Heat, serving the SOs
    of :attr:`APPS` (``{app id: secret}``)."""

    APPS = {'a1': 'secret-one', 'a2': 'secret-two'}

    def setUp(self):
        super().setUp()
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            state_path=self.heat.state_path,
            deployer__heat_url=self.heat.api_url + '/v1/%(project)s')).conf
        self.cc = self.useFixture(cc_fixture.CCServer(
            self.conf, dict(self.APPS)))
        self.url = self.cc.url
        self.heat_client = self.heat.client()

    def so(self, app_id='a1', secret='secret-one'):
        """An OCCI client acting as the SO of ``app_id``."""
        return occi_client.OCCIClient(
            self.url, headers={'X-Auth-Token': secret,
                               'X-Hurtle-App-Id': app_id},
            retries=0, content_type=occi_client.OCCI_JSON)

    def create(self, title='web', template=TEMPLATE, client=None, **more):
        """Create stack ``title`` as an SO (``client``: :meth:`so`'s)."""
        attrs = {'occi.core.title': title, 'hurtle.stack.template': template}
        attrs.update(more)
        return (client or self.so()).create('/stack/', STACK, attrs)


class StackAPITest(_CCTestCase):

    def deployer(self, app_id='a1', secret='secret-one'):
        return cc_deployer.CCDeployer(
            self.conf, so_identity=deployer_api.SOIdentity(
                self.url, app_id, secret), retries=0)

    def wait_state(self, location, state, client=None):
        def reached():
            info = (client or self.so()).get(location)
            got = info.attributes['hurtle.stack.state']
            if got.endswith('_FAILED'):
                self.fail('stack failed: %s' %
                          info.attributes['hurtle.stack.reason'])
            return info if got == state else None
        return polling.poll_until(reached, 60, 0.2, 'stack ' + state)

    def test_create_get_update_delete(self):
        location = self.create(
            **{'hurtle.stack.parameters': {'greeting': 'bonjour'}})
        info = self.wait_state(location, 'CREATE_COMPLETE')
        attrs = info.attributes
        heat_id = attrs['hurtle.stack.id']
        self.assertEqual('web', attrs['occi.core.title'])
        self.assertEqual({'greeting': 'bonjour'},
                         json.loads(attrs['hurtle.stack.outputs']))
        self.assertEqual('CREATE_COMPLETE',
                         self.heat_client.stacks.get(heat_id).stack_status)
        self.assertNotIn('hurtle.stack.template', attrs)
        # Found by Heat's id and by name too.
        self.assertEqual(info.id, self.so().get('/stack/' + heat_id).id)
        self.assertEqual(info.id, self.so().get('/stack/web').id)
        tag = stacks.APP_TAG % 'a1'
        self.assertEqual([tag], self.heat_client.stacks.get(heat_id).tags)
        self.so().update(location, STACK,
                         {'hurtle.stack.parameters': {'greeting': 'hi'}})
        info = self.wait_state(location, 'UPDATE_COMPLETE')
        self.assertEqual({'greeting': 'hi'},
                         json.loads(info.attributes['hurtle.stack.outputs']))
        # The tag that finds a lost create's stack survives updates: a
        # PATCH (the template kept, above) and a PUT (a new template),
        # which Heat would leave without tags.
        self.assertEqual([tag], self.heat_client.stacks.get(heat_id).tags)
        self.so().update(location, STACK, {
            'hurtle.stack.template': TEMPLATE.replace('hello', 'salut'),
            'hurtle.stack.parameters': {}})
        # (UPDATE_COMPLETE already: until the new outputs show.)
        polling.poll_until(
            lambda: {'greeting': 'salut'} == json.loads(
                self.wait_state(location, 'UPDATE_COMPLETE').attributes[
                    'hurtle.stack.outputs']) or None,
            60, 0.2, 'the second update complete')
        self.assertEqual([tag], self.heat_client.stacks.get(heat_id).tags)
        resp = requests.delete(location, headers=self.so().headers)
        self.assertEqual(202, resp.status_code)

        def gone():
            try:
                info = self.so().get(location)
            except errors.NotFound:
                return True
            self.addDetail('last', testtools.content.text_content(
                repr(info.attributes)))
            return None
        polling.poll_until(gone, 60, 0.2, 'stack deleted')
        self.assert_gone_from_heat('web')
        self.assertEqual([], self.so().list('/stack/'))

    def test_a_read_of_an_unchanged_stack_writes_nothing(self):
        # The CC serves in this process: count the statements its reads
        # send through the engine (the read of the row itself is a
        # prepared select on a pool connection's own cursor, not counted;
        # a write, or the ORM's look-up before one, would be).
        engine = db_engine.get_engine(self.conf.database.connection)
        sent = []

        def count(_conn, _cursor, statement, *_args):
            sent.append(statement)
        sqlalchemy.event.listen(engine, 'before_cursor_execute', count)
        self.addCleanup(sqlalchemy.event.remove, engine,
                        'before_cursor_execute', count)
        location = self.create(
            **{'hurtle.stack.parameters': {'greeting': 'bonjour'}})
        self.wait_state(location, 'CREATE_COMPLETE')
        # Past the CC's reuse of a read (at most 1 s): each GET asks Heat,
        # which has nothing new.
        for _read in range(3):
            time.sleep(1.1)
            del sent[:]
            self.so().get(location)
            self.assertEqual([], [q for q in sent if 'stacks' in q.lower()])
        # A read that finds a change records it.
        self.so().update(location, STACK,
                         {'hurtle.stack.parameters': {'greeting': 'hi'}})
        self.wait_state(location, 'UPDATE_COMPLETE')
        with db_engine.sessionmaker(
                self.conf.database.connection)() as session:
            row = session.query(models.Stack).one()
            self.assertEqual(('UPDATE_COMPLETE', {'greeting': 'hi'}),
                             (row.state, row.outputs))

    def test_a_stack_404_after_delete_frees_its_name_at_once(self):
        # Heat says DELETE_COMPLETE a moment before it frees the name; the
        # CC answers 404 only after both, so a stack of the same name can
        # be made at once (an SO making a failed stack again relies on it):
        # each create below comes right after the previous one's 404.
        for _ in range(4):
            location = self.create('again')
            self.wait_state(location, 'CREATE_COMPLETE')
            requests.delete(location, headers=self.so().headers,
                            timeout=30).raise_for_status()

            def gone():
                try:
                    self.so().get(location)
                except errors.NotFound:
                    return True
                return None
            polling.poll_until(gone, 60, 0.01, 'stack deleted')
            self.assertNotIn('again', self.heat_names())

    def test_the_cc_deployer_driver_runs_a_stack_through(self):
        deployer = self.deployer()
        heat_id = deployer.deploy('via-driver', TEMPLATE, {'greeting': 'x'},
                                  files={'unused.txt': 'text'},
                                  environment={'parameters':
                                               {'greeting': 'y'}})
        details = polling.poll_until(
            lambda: (lambda d: d if d.complete else None)(
                deployer.details(heat_id)), 60, 0.2, 'create')
        self.assertEqual(heat_id, details.id)
        self.assertEqual({'greeting': 'x'}, details.outputs)
        self.assertEqual(heat_id, deployer.details('via-driver').id)
        deployer.dispose_and_wait(heat_id, 60, 0.2)
        self.assertTrue(deployer.is_gone(heat_id))
        self.assert_gone_from_heat('via-driver')

    def test_a_region_goes_to_its_heat(self):
        # heat_url names no Heat; [deployer] heat_region_urls sends
        # RegionTwo to the embedded one.
        conf = self.useFixture(conf_fixture.HurtleConf(
            state_path=self.heat.state_path,
            deployer__heat_url='http://127.0.0.1:%d/v1/%%(project)s'
            % net.held_port(self),
            deployer__heat_region_urls={
                'RegionTwo': self.heat.api_url + '/v1/%(project)s'})).conf
        url = self.useFixture(cc_fixture.CCServer(
            conf, {'a1': 'secret-one'})).url
        identity = deployer_api.SOIdentity(url, 'a1', 'secret-one')
        deployer = cc_deployer.CCDeployer(conf, so_identity=identity,
                                          retries=0, region='RegionTwo')
        heat_id = deployer.deploy('regional', TEMPLATE, {'greeting': 'r2'})
        details = polling.poll_until(
            lambda: (lambda d: d if d.complete else None)(
                deployer.details(heat_id)), 60, 0.2, 'create')
        self.assertEqual({'greeting': 'r2'}, details.outputs)
        self.assertIn('regional', self.heat_names())
        info = occi_client.OCCIClient(
            url, headers={'X-Auth-Token': 'secret-one',
                          'X-Hurtle-App-Id': 'a1'}, retries=0,
            content_type=occi_client.OCCI_JSON).get('/stack/regional')
        self.assertEqual('RegionTwo', info.attributes['hurtle.stack.region'])
        deployer.dispose_and_wait(heat_id, 60, 0.2)
        self.assert_gone_from_heat('regional')
        # Any other region (or none) goes to heat_url: unreachable here.
        for region in (None, 'RegionOne'):
            elsewhere = cc_deployer.CCDeployer(conf, so_identity=identity,
                                               retries=0, region=region)
            self.assertRaises(deployer_api.DeployerUnavailable,
                              elsewhere.deploy, 'nowhere', TEMPLATE, {})

    def test_bad_template_is_400_with_heats_reason_and_keeps_nothing(self):
        err = self.assertRaises(errors.BadRequest, self.create,
                                template=BAD_VERSION)
        self.assertIn('1999-01-01', err.message)
        self.assertEqual([], self.so().list('/stack/'))
        self.assertNotIn('web', self.heat_names())
        # The title is free again.
        self.wait_state(self.create(), 'CREATE_COMPLETE')

    def test_bad_inputs_are_400_naming_what_is_wrong(self):
        cases = [
            ({'hurtle.stack.template': TEMPLATE}, 'occi.core.title'),
            ({'occi.core.title': '1bad', 'hurtle.stack.template': TEMPLATE},
             'occi.core.title'),
            ({'occi.core.title': 'web'}, 'hurtle.stack.template'),
            ({'occi.core.title': 'web', 'hurtle.stack.template': TEMPLATE,
              'hurtle.stack.parameters': '[1]'}, 'hurtle.stack.parameters'),
            ({'occi.core.title': 'web', 'hurtle.stack.template': TEMPLATE,
              'hurtle.stack.files': {'a': 1}}, 'hurtle.stack.files'),
            ({'occi.core.title': 'web', 'hurtle.stack.template': TEMPLATE,
              'hurtle.stack.environment': '- a list'},
             'hurtle.stack.environment'),
        ]
        for attrs, named in cases:
            err = self.assertRaises(errors.BadRequest, self.so().create,
                                    '/stack/', STACK, attrs)
            self.assertIn(named, err.message)
        self.assertEqual([], self.so().list('/stack/'))
        self.assertEqual([], self.heat_names())

    def test_another_apps_stack_is_404(self):
        location = self.create()
        other = self.so('a2', 'secret-two')
        self.assertRaises(errors.NotFound, other.get, location)
        self.assertRaises(errors.NotFound, other.update, location, STACK,
                          {'hurtle.stack.parameters': {'greeting': 'x'}})
        self.assertRaises(errors.NotFound, other.delete, location)
        self.assertEqual([], other.list('/stack/'))
        self.assertEqual(1, len(self.so().list('/stack/')))
        # The other app may use the same title for a stack of its own
        # only if Heat accepts the name: Heat refuses it (409).
        self.assertRaises(errors.Conflict, self.create, client=other)
        self.wait_state(location, 'CREATE_COMPLETE')

    def test_wrong_or_missing_secret_is_401_with_the_challenge(self):
        location = self.create()
        for headers in ({'X-Hurtle-App-Id': 'a1', 'X-Auth-Token': 'nope'},
                        {'X-Hurtle-App-Id': 'a1'},
                        {'X-Hurtle-App-Id': 'a1',
                         'X-Auth-Token': 'secret-two'},
                        {'X-Hurtle-App-Id': 'nobody',
                         'X-Auth-Token': 'secret-one'},
                        {'X-Auth-Token': 'secret-one'},
                        # The local secret (the SM's) opens no stack.
                        local_secret.headers(self.conf.state_path)):
            for url in (location, self.url + 'stack/'):
                resp = requests.get(url, headers=headers)
                self.assertEqual(401, resp.status_code, headers)
                self.assertEqual('Hurtle-SO',
                                 resp.headers['WWW-Authenticate'])
                self.assertNotIn('secret-one', resp.text)

    def test_an_so_reaches_no_app(self):
        resp = requests.get(self.url + 'app/', headers=self.so().headers)
        self.assertEqual(403, resp.status_code)
        resp = requests.get(self.url + '-/', headers=self.so().headers)
        self.assertEqual(200, resp.status_code)
        self.assertIn('stack', resp.text)

    def test_the_sm_still_reaches_apps_with_the_local_secret(self):
        headers = dict(local_secret.headers(self.conf.state_path),
                       **{'X-Project-Id': 'service'})
        resp = requests.get(self.url + 'app/a1', headers=headers)
        self.assertEqual(200, resp.status_code)
        self.assertNotIn('secret-one', resp.text)

    def test_deleting_an_app_deletes_its_stacks_first(self):
        location = self.create()
        self.wait_state(location, 'CREATE_COMPLETE')
        other = self.create(client=self.so('a2', 'secret-two'),
                            title='kept')
        headers = dict(local_secret.headers(self.conf.state_path),
                       **{'X-Project-Id': 'service'})
        resp = requests.delete(self.url + 'app/a1', headers=headers)
        self.assertEqual(200, resp.status_code, resp.text)
        self.assert_gone_from_heat('web')
        self.assertEqual(['kept'], self.heat_names())
        self.assertEqual(401, requests.get(
            location, headers=self.so().headers).status_code)
        self.assertEqual([other], self.so('a2', 'secret-two').list(
            '/stack/'))
        self.wait_state(other, 'CREATE_COMPLETE',
                        client=self.so('a2', 'secret-two'))

    def test_concurrent_creates_of_one_title_make_one_stack(self):
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            futures = [pool.submit(self.create) for _ in range(4)]
        created, refused = [], []
        for future in futures:
            try:
                created.append(future.result())
            except errors.Conflict as exc:
                refused.append(exc)
        self.assertEqual(1, len(created))
        self.assertEqual(3, len(refused))
        self.assertEqual(['web'], self.heat_names())
        self.assertEqual(created, self.so().list('/stack/'))
        self.wait_state(created[0], 'CREATE_COMPLETE')

    def tearDown(self):
        self.empty_heat()
        super().tearDown()


class HeatNameLookUpTest(_HeatTestCase):
    """``HeatDeployer.holds_name`` (the CC's check that a deleted stack
    freed its name) asks Heat's look-up by name only, on the real
    embedded Heat: the redirect to the stack is not followed."""

    def setUp(self):
        super().setUp()
        self.heat_client = self.heat.client()
        self.addCleanup(self.empty_heat)
        conf = self.useFixture(conf_fixture.HurtleConf(
            state_path=self.heat.state_path,
            deployer__heat_url=self.heat.api_url + '/v1/%(project)s')).conf
        self.deployer = heat_deployer.HeatDeployer(conf, 'p1')

    def test_a_name_is_held_by_its_live_stack_only(self):
        heat_id = self.deployer.deploy('named', TEMPLATE)
        polling.poll_until(
            lambda: self.deployer.details(heat_id).complete or None, 60,
            0.1, 'created')

        def no_read(*args, **kwargs):
            raise AssertionError('the stack was read')
        self.useFixture(fixtures.MockPatchObject(
            self.deployer.client.stacks, 'get', no_read))
        self.assertTrue(self.deployer.holds_name('named', heat_id))
        self.assertFalse(self.deployer.holds_name('named', 'another-id'))
        self.assertFalse(self.deployer.holds_name('unknown', heat_id))
        self.assertFalse(self.deployer.holds_name('a name/with?odd#chars',
                                                  heat_id))
        self.deployer.dispose(heat_id)
        polling.poll_until(
            lambda: (not self.deployer.holds_name('named', heat_id)) or None,
            60, 0.05, 'name freed')
        self.assertNotIn('named', self.heat_names())

    def test_heat_unreachable_is_unavailable(self):
        conf = self.useFixture(conf_fixture.HurtleConf(
            state_path=self.heat.state_path,
            deployer__heat_url='http://127.0.0.1:%d/v1/%%(project)s'
            % net.held_port(self))).conf
        deployer = heat_deployer.HeatDeployer(conf, 'p1')
        self.assertRaises(deployer_api.DeployerUnavailable,
                          deployer.holds_name, 'named', 'some-id')


class HeatUnreachableTest(testtools.TestCase):

    def test_create_is_503_and_keeps_nothing(self):
        conf = self.useFixture(conf_fixture.HurtleConf(
            deployer__heat_url='http://127.0.0.1:9/v1/%(project)s')).conf
        url = self.useFixture(cc_fixture.CCServer(conf, {'a1': 's'})).url
        client = occi_client.OCCIClient(
            url, headers={'X-Auth-Token': 's', 'X-Hurtle-App-Id': 'a1'},
            retries=0, content_type=occi_client.OCCI_JSON)
        err = self.assertRaises(
            errors.ServiceUnavailable, client.create, '/stack/', STACK,
            {'occi.core.title': 'web', 'hurtle.stack.template': TEMPLATE})
        self.assertNotIn('127.0.0.1:9', err.message)
        self.assertEqual([], client.list('/stack/'))
        with db_engine.sessionmaker(conf.database.connection)() as s:
            self.assertEqual(0, s.query(models.Stack).count())
        self.assertEqual('/stack/', stack_store.PREFIX)

    def test_a_create_of_an_earlier_cc_stays_pending_while_heat_is_away(
            self):
        # Claimed by an earlier CC process that stopped before Heat
        # answered; Heat cannot be asked whether it made the stack.
        conf = self.useFixture(conf_fixture.HurtleConf(
            deployer__heat_url='http://127.0.0.1:9/v1/%(project)s')).conf
        url = self.useFixture(cc_fixture.CCServer(conf, {'a1': 's'})).url
        stack_store.StackStore(conf.database.connection).claim(
            's1', 'a1', 'web', None)
        client = occi_client.OCCIClient(
            url, headers={'X-Auth-Token': 's', 'X-Hurtle-App-Id': 'a1'},
            retries=0, content_type=occi_client.OCCI_JSON)
        info = client.get('/stack/web')
        self.assertEqual((stack_store.PENDING, ''), (
            info.attributes['hurtle.stack.state'],
            info.attributes['hurtle.stack.id']))
        with db_engine.sessionmaker(conf.database.connection)() as s:
            self.assertEqual(['s1'], [r.id for r in s.query(models.Stack)])


class StackSO(sdk.StackOrchestrator):
    """The usual SO, its deployment template ``TEMPLATE``."""

    default_templates = {'deployment': 'stack.yaml'}


class LostCreateAnswerTest(_HeatTestCase):
    """A create whose answer from Heat is lost (Heat slow, a connection
    broken): the embedded Heat behind a :class:`tests.http_gate.Gate`
    that holds the create or its answer and closes the CC's connection
    without an answer, after or before Heat got it."""

    def setUp(self):
        super().setUp()
        self.heat_client = self.heat.client()
        # After the gate stopped: what it held has reached Heat then.
        self.addCleanup(self.empty_heat)
        self.gate = http_gate.Gate(self.heat.api_url)
        self.addCleanup(self.gate.stop)
        self.conf = self.useFixture(conf_fixture.HurtleConf(
            state_path=self.heat.state_path,
            deployer__heat_url=self.gate.url + '/v1/%(project)s')).conf
        self.url = self.useFixture(cc_fixture.CCServer(
            self.conf, {'a1': 'secret-one', 'a2': 'secret-two'})).url
        self.sessions = db_engine.sessionmaker(self.conf.database.connection)

    def deployer(self, timeout=30.0):
        return cc_deployer.CCDeployer(
            self.conf, so_identity=deployer_api.SOIdentity(
                self.url, 'a1', 'secret-one'), timeout=timeout, retries=0)

    def deploy_once(self, so):
        """``so.deploy({})`` until its state is ``CREATE_COMPLETE``;
        returns that state and Heat's only stack, ``hurtle-i1``."""
        so.deploy({})
        state = polling.poll_until(
            lambda: (lambda s: s if s.stack_state == 'CREATE_COMPLETE'
                     else None)(so.state()), 60, 0.2, 'stack complete')
        [stack] = list(self.heat_client.stacks.list())
        self.assertEqual('hurtle-i1', stack.stack_name)
        return state, stack

    @contextlib.contextmanager
    def held_create(self, when, until, what):
        """A create of stack ``web`` in a thread whose POST to Heat the gate
        holds (``when``: as for ``HTTPGate.lose_next``), once ``until()``
        holds; yields its future (``deploy``'s result)."""
        self.gate.lose_next('POST', '/stacks', when, held=True)
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            creating = pool.submit(self.deployer().deploy, 'web', TEMPLATE)
            polling.poll_until(until, 60, 0.1, what)
            yield creating

    def rows(self):
        """``[(title, heat id, state)]`` of the CC's stack rows."""
        with self.sessions() as session:
            return [(r.title, r.heat_id, r.state)
                    for r in session.query(models.Stack)]

    def settled(self):
        """Wait until no row waits for Heat's answer; the rows then."""
        return polling.poll_until(
            lambda: (lambda rows: rows if all(
                state != stack_store.PENDING for _t, _h, state in rows)
                else None)(self.rows()), 60, 0.1, 'create answered')

    def test_an_so_retrying_a_lost_create_holds_the_stack_heat_made(self):
        # The SO's create times out while Heat is slow to answer the CC
        # (held), and the SM asks the SO to deploy again meanwhile; Heat
        # then makes the stack, but its answer to the CC is lost.
        bundle = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(bundle, 'stack.yaml'), 'w') as handle:
            handle.write(TEMPLATE)
        so = StackSO(sdk.SOContext(instance_id='i1', bundle_dir=bundle,
                                   templates={},
                                   deployer=self.deployer(timeout=2)))
        self.gate.lose_next('POST', '/stacks', 'after', held=True)
        timed_out = self.assertRaises(deployer_api.DeployerUnavailable,
                                      so.deploy, {})
        # Deploy again while the CC waits for Heat.
        try:
            so.deploy({})
            again = None
        except deployer_api.DeployerUnavailable as exc:
            again = exc
        self.gate.release()
        self.assertTrue(self.gate.wait_lost())
        rows = self.settled()
        # The SM's next deploy and its polls of the SO's state: the SO
        # holds the stack Heat made, and reports it.
        state, stack = self.deploy_once(so)
        self.assertEqual((stack.id, stack.id), (so.stack_id, state.stack_id))
        self.assertEqual({'greeting': 'hello'}, state.outputs)
        # The CC kept the stack Heat made although the answer was lost.
        self.assertEqual([('hurtle-i1', stack.id)],
                         [(t, h) for t, h, _s in rows])
        # The second deploy adopted no stack the CC could still forget (the
        # CC's id of a stack waiting for Heat): it was told to try again.
        self.assertIsInstance(again, deployer_api.DeployerUnavailable)
        self.assertIn('still being created', str(again))
        # The SO's sentence for its timeout names the CC, not its URL.
        self.assertEqual('deployment service (CC) unavailable',
                         str(timed_out))
        self.assertIn('ReadTimeout', timed_out.detail)

    def claim_as_an_earlier_cc(self, title):
        """Leave the claim of a create that died with an earlier CC
        process before Heat made the stack (its CC killed)."""
        stack_store.StackStore(self.conf.database.connection).claim(
            'earlier', 'a1', title, None)

    def test_a_create_lost_with_an_earlier_cc_is_404_and_forgotten(self):
        self.claim_as_an_earlier_cc('web')
        self.assertEqual([('web', None, stack_store.PENDING)], self.rows())
        err = self.assertRaises(deployer_api.DeployerError,
                                self.deployer().details, 'web')
        self.assertEqual(404, err.status)
        self.assertIn('create the stack again', str(err))
        self.assertEqual([], self.rows())
        self.assertEqual([], self.heat_names())

    def test_an_so_deploys_again_after_a_create_lost_with_an_earlier_cc(
            self):
        # The SM's deploy was cut short with the CC: its next request of
        # deploy makes the SO's stack, once.
        bundle = self.useFixture(fixtures.TempDir()).path
        with open(os.path.join(bundle, 'stack.yaml'), 'w') as handle:
            handle.write(TEMPLATE)
        self.claim_as_an_earlier_cc('hurtle-i1')
        so = StackSO(sdk.SOContext(instance_id='i1', bundle_dir=bundle,
                                   templates={}, deployer=self.deployer()))
        self.assertEqual('NOT_DEPLOYED', so.state().stack_state)
        state, stack = self.deploy_once(so)
        self.assertEqual(stack.id, state.stack_id)
        self.assertEqual([('hurtle-i1', stack.id)],
                         [(t, h) for t, h, _s in self.rows()])

    def test_a_create_sent_again_after_an_earlier_cc_died_is_made(self):
        # The SO's create was cut by the CC's stop before Heat made the
        # stack; sent again to the new CC (no read first), it was 409
        # (the earlier claim) and the instance failed (a CI run).
        self.claim_as_an_earlier_cc('web')
        heat_id = self.deployer().deploy('web', TEMPLATE)
        [stack] = list(self.heat_client.stacks.list())
        self.assertEqual(stack.id, heat_id)
        self.assertEqual([('web', heat_id)],
                         [(t, h) for t, h, _s in self.rows()])

    def test_a_create_sent_again_takes_the_stack_heat_made_after_all(self):
        # The earlier CC's create reached Heat before that CC died: Heat
        # has the stack, by name and the app's tag.
        made = self.heat_client.stacks.create(
            stack_name='web', template=TEMPLATE,
            tags=stacks.APP_TAG % 'a1')['stack']
        self.claim_as_an_earlier_cc('web')
        heat_id = self.deployer().deploy('web', TEMPLATE)
        self.assertEqual(made['id'], heat_id)
        self.assertEqual([made['id']],
                         [s.id for s in self.heat_client.stacks.list()])
        self.assertEqual([('web', heat_id)],
                         [(t, h) for t, h, _s in self.rows()])

    def test_a_second_create_of_a_title_under_way_here_is_409(self):
        with self.held_create('after', lambda: self.rows() or None,
                              'the claim') as creating:
            err = self.assertRaises(deployer_api.DeployerError,
                                    self.deployer().deploy, 'web', TEMPLATE)
            self.assertEqual(409, err.status)
            self.gate.release()
            heat_id = creating.result(60)
        self.assertEqual([('web', heat_id)],
                         [(t, h) for t, h, _s in self.rows()])

    def test_a_create_under_way_here_stays_pending(self):
        # Heat has not got the create yet (held): the claim is this CC's
        # own create, not a lost one.
        with self.held_create('after', lambda: self.rows() or None,
                              'the claim') as creating:
            err = self.assertRaises(deployer_api.DeployerUnavailable,
                                    self.deployer().details, 'web')
            self.assertIn('still being created', str(err))
            self.assertEqual([('web', None, stack_store.PENDING)],
                             self.rows())
            self.gate.release()
            heat_id = creating.result(60)
        [stack] = list(self.heat_client.stacks.list())
        self.assertEqual(stack.id, heat_id)
        self.assertEqual([('web', heat_id)],
                         [(t, h) for t, h, _s in self.rows()])

    def test_a_stack_heat_made_is_seen_before_its_create_answers(self):
        # Heat made the stack; its answer to the CC is late, then lost.
        with self.held_create('late', lambda: self.heat_names() or None,
                              'the stack made by Heat') as creating:
            [stack] = list(self.heat_client.stacks.list())
            # Found in Heat by name and tag, with Heat's id.
            details = self.deployer().details('web')
            self.assertEqual(stack.id, details.id)
            self.assertTrue(details.status.startswith('CREATE_'),
                            details.status)
            self.assertEqual([('web', stack.id)],
                             [(t, h) for t, h, _s in self.rows()])
            self.gate.release()
            self.assertEqual(stack.id, creating.result(60))
        self.assertEqual([('web', stack.id)],
                         [(t, h) for t, h, _s in self.rows()])

    def test_a_stack_made_after_its_create_gave_up_is_taken_again(self):
        # The CC's connection is closed before Heat gets the create: the
        # CC answers 503 and keeps nothing, then Heat makes the stack.
        self.gate.lose_next('POST', '/stacks', 'before', held=True)
        deployer = self.deployer()
        self.assertRaises(deployer_api.DeployerUnavailable, deployer.deploy,
                          'web', TEMPLATE)
        self.assertEqual([], self.rows())
        self.gate.release()
        polling.poll_until(lambda: self.heat_names() or None, 60, 0.2,
                           'the stack made by Heat')
        # The SO's next create (Heat: 409, the name is in use) takes the
        # stack the CC made for its app.
        heat_id = deployer.deploy('web', TEMPLATE)
        [stack] = list(self.heat_client.stacks.list())
        self.assertEqual(stack.id, heat_id)
        self.assertEqual([('web', heat_id)],
                         [(t, h) for t, h, _s in self.rows()])
        self.assertEqual(heat_id, deployer.details('web').id)
        # Another app's create of that name is still refused (409): the
        # stack is not its own.
        other = cc_deployer.CCDeployer(
            self.conf, so_identity=deployer_api.SOIdentity(
                self.url, 'a2', 'secret-two'), retries=0)
        err = self.assertRaises(deployer_api.DeployerError, other.deploy,
                                'web', TEMPLATE)
        self.assertEqual(409, err.status)
        self.assertEqual(['web'], [t for t, _h, _s in self.rows()])
