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
"""The CC's app API over real HTTP, starting real SO processes.

The SOs are the sample bundle's, started by the ``local`` runtime; they
only need to come up and serve (no Heat is involved here).
"""
import concurrent.futures
import json
import os
import shutil
import signal
import threading
import urllib.parse

import fixtures
import requests
import testtools

from hurtle.cc import api
from hurtle.cc import recovery
from hurtle.db import migration
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle.occi import middleware
from hurtle.occi import server
from hurtle import polling
from tests import conf_fixture

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
BUNDLE = os.path.join(ROOT, 'samples', 'sample', 'so')
APP = occi_client.CategoryRef('http://schemas.ogf.org/occi/platform#',
                              'app', 'kind')
STOP = occi_client.CategoryRef(
    'http://schemas.ogf.org/occi/platform/app/action#', 'stop', 'action')
START = occi_client.CategoryRef(
    'http://schemas.ogf.org/occi/platform/app/action#', 'start', 'action')


def serve_cc(test, server_options=None, **overrides):
    """Serve the CC's app API (noauth, project ``service``) on 127.0.0.1
    for ``test`` with the ``HurtleConf`` ``overrides``; sets ``test.conf``,
    ``test.backend``, ``test.url``, ``test.client`` and
    ``test.cc_application`` (the WSGI application served).

    :param server_options: more keywords of
        ``hurtle.occi.server.make_server`` (e.g. ``pool_size``).
    """
    test.conf = test.useFixture(conf_fixture.HurtleConf(**overrides)).conf
    migration.upgrade(test.conf.database.connection)
    application, test.backend = api.make_application(test.conf)
    test.addCleanup(test.backend.runtime.stop_all)
    test.cc_application = middleware.NoAuthMiddleware(
        application, default_project='service')
    srv, _thread = server.serve_in_thread(test.cc_application,
                                          **(server_options or {}))
    test.addCleanup(srv.server_close)
    test.addCleanup(srv.shutdown)
    test.url = 'http://127.0.0.1:%d/' % srv.server_port
    # The SOs reach this CC, not whatever listens on [cc] port's default
    # (a hurtle-all of the machine's user answered them with 401).
    test.conf.set_override('url', test.url, group='cc')
    test.client = occi_client.OCCIClient(
        test.url, headers={'X-Project-Id': 'service'}, retries=0)


def wait_removed(test, app_id, timeout=30):
    """Wait until the CC of ``test`` (``serve_cc``) removed app
    ``app_id`` whose DELETE was answered: its SO stopped (on a thread of
    the CC) and its row gone."""
    polling.poll_until(
        lambda: None if test.backend.store.exists(app_id) else True,
        timeout, 0.02, 'removal of app %s' % app_id)


class AppAPITest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        serve_cc(self, cc__so_start_timeout=60, cc__allowed_images=[BUNDLE])

    def create(self, **attributes):
        attrs = {'occi.app.name': 'so-1', 'occi.app.image': BUNDLE,
                 'occi.app.env': json.dumps({'HURTLE_SO_SECRET': 'x',
                                             'HURTLE_INSTANCE_ID': 'i1'})}
        attrs.update(attributes)
        attrs = {k: v for k, v in attrs.items() if v is not None}
        return self.client.create('/app/', APP, attrs)

    def test_create_starts_a_serving_so_and_delete_stops_it(self):
        location = self.create()
        app = self.client.get(location)
        self.assertEqual('active', app.attributes['occi.app.state'])
        so_url = app.attributes['occi.app.url']
        # The SO answers (and wants its secret).
        resp = requests.get(so_url + 'orchestrator/default', timeout=5)
        self.assertEqual(401, resp.status_code)
        resp = requests.get(so_url + '-/', timeout=5,
                            headers={'X-Auth-Token': 'x'})
        self.assertEqual(200, resp.status_code)
        # The environment holds secrets: it is never rendered.
        self.assertNotIn('occi.app.env', app.attributes)
        self.assertEqual([location], self.client.list('/app/'))

        workdir = os.path.join(self.conf.state_path, 'so')
        app_id = location.rstrip('/').rsplit('/', 1)[-1]
        self.assertTrue(os.path.exists(
            os.path.join(workdir, app_id + '.port')))
        self.client.delete(location)
        self.assertRaises(errors.NotFound, self.client.get, location)
        wait_removed(self, app_id)
        self.assertRaises(requests.ConnectionError, requests.get,
                          so_url + '-/', timeout=5)
        # The port file goes with the SO (its log stays, for the operator).
        self.assertEqual([app_id + '.log'],
                         [name for name in os.listdir(workdir)
                          if name.startswith(app_id)])
        # Nor does the CC keep the app's lock (nothing per deleted app).
        self.assertEqual({}, self.backend._locks)

    def test_an_app_lock_serialises_and_is_dropped_by_its_last_user(self):
        inside = threading.Event()
        leave = threading.Event()
        second_in = threading.Event()

        def first():
            with self.backend.lock('a1'):
                inside.set()
                leave.wait(30)

        def second():
            with self.backend.lock('a1'):
                second_in.set()
        threads = [threading.Thread(target=first),
                   threading.Thread(target=second)]
        threads[0].start()
        self.assertTrue(inside.wait(30))
        threads[1].start()
        with self.backend.lock('a2'):   # another app is not held up
            self.assertEqual({'a1', 'a2'}, set(self.backend._locks))
        self.assertFalse(second_in.wait(0.3))
        leave.set()
        for thread in threads:
            thread.join(30)
        self.assertTrue(second_in.is_set())
        self.assertEqual({}, self.backend._locks)

    def test_delete_removes_the_state_file_a_killed_so_left(self):
        location = self.create()
        app_id = location.rstrip('/').rsplit('/', 1)[-1]
        state_file = os.path.join(self.conf.state_path, 'so',
                                  app_id + '.json')
        # What an SO killed in the middle of its dispose leaves behind.
        with open(state_file, 'w') as handle:
            handle.write('{"so": {"stack_id": "gone"}}')
        # Stopping keeps it: the SO restarts from it.
        self.client.action(location, STOP)
        self.assertTrue(os.path.exists(state_file))
        self.client.delete(location)
        self.assertFalse(os.path.exists(state_file))

    def test_stop_and_start_actions(self):
        location = self.create()
        self.client.action(location, STOP)
        app = self.client.get(location)
        self.assertEqual('inactive', app.attributes['occi.app.state'])
        err = self.assertRaises(errors.OCCIError, self.client.action,
                                location, STOP)
        self.assertEqual(409, err.code)
        self.client.action(location, START)
        app = self.client.get(location)
        self.assertEqual('active', app.attributes['occi.app.state'])
        self.assertTrue(app.attributes['occi.app.url'].startswith('http'))

    def test_image_that_is_no_bundle_is_409_and_keeps_nothing(self):
        # Registered, but no SO bundle (any more).
        self.backend.images.add('/nonexistent')
        err = self.assertRaises(errors.Conflict, self.create,
                                **{'occi.app.image': '/nonexistent'})
        self.assertIn('not an SO bundle', err.message)
        self.assertEqual([], self.client.list('/app/'))

    def test_so_that_cannot_start_is_409_with_its_reason(self):
        # No HURTLE_SO_SECRET: the SO refuses to serve and exits.
        err = self.assertRaises(errors.Conflict, self.create,
                                **{'occi.app.env': '{}'})
        self.assertIn('HURTLE_SO_SECRET', err.message)
        self.assertEqual([], self.client.list('/app/'))

    def test_bad_env_is_400(self):
        for env in ('not json', '[1, 2]', '{"a": {"nested": 1}}',
                    '{"HURTLE_PROJECT": 5}', '{"HURTLE_SO_SECRET": true}'):
            err = self.assertRaises(errors.BadRequest, self.create,
                                    **{'occi.app.env': env})
            self.assertIn('occi.app.env', err.message)
        self.assertEqual([], self.client.list('/app/'))

    def test_missing_required_attribute_is_400(self):
        self.assertRaises(errors.BadRequest, self.create,
                          **{'occi.app.image': None})
        self.assertEqual([], self.client.list('/app/'))

    def test_other_project_sees_nothing(self):
        location = self.create()
        other = occi_client.OCCIClient(
            self.url, headers={'X-Project-Id': 'intruder'}, retries=0)
        self.assertRaises(errors.NotFound, other.get, location)
        self.assertRaises(errors.NotFound, other.delete, location)
        self.assertEqual('active', self.client.get(location).attributes[
            'occi.app.state'])

    def test_put_on_another_projects_app_is_409_and_changes_nothing(self):
        location = self.create()
        before = self.client.get(location).attributes
        intruder = occi_client.OCCIClient(
            self.url, headers={'X-Project-Id': 'intruder'}, retries=0)
        err = self.assertRaises(errors.Conflict, intruder.put, location,
                                APP, {'occi.app.name': 'x',
                                      'occi.app.image': BUNDLE})
        self.assertIn('already in use', err.message)
        self.assertEqual(before, self.client.get(location).attributes)
        self.assertEqual(1, len(self.backend.runtime._children))

    def test_concurrent_puts_of_one_id_start_one_so(self):
        # The SM repeats a PUT whose answer it did not get in time: the
        # repeat arrives while the first still starts the SO.
        attrs = {'occi.app.name': 'so-1', 'occi.app.image': BUNDLE,
                 'occi.app.env': json.dumps({'HURTLE_SO_SECRET': 'x',
                                             'HURTLE_INSTANCE_ID': 'i1'})}

        def put():
            try:
                self.client.put('/app/twice', APP, attrs)
                return 201
            except errors.OCCIError as exc:
                self.assertIn('already in use', exc.message)
                return exc.code
        with concurrent.futures.ThreadPoolExecutor(4) as pool:
            codes = sorted(pool.map(lambda _: put(), range(4)))
        self.assertEqual([201, 409, 409, 409], codes)
        self.assertEqual(1, len(self.backend.runtime._children))
        app = self.client.get('/app/twice')
        self.assertEqual(200, requests.get(
            app.attributes['occi.app.url'] + '-/', timeout=5,
            headers={'X-Auth-Token': 'x'}).status_code)
        # Deleted (its SO gone), the id can be used again.
        self.client.delete('/app/twice')
        wait_removed(self, 'twice')
        self.assertEqual(201, put())

    def test_app_ids_with_path_characters_are_400(self):
        # (``/app/..`` is sent as ``/``, where a PUT is 405.)
        for path, codes in (('/app/a%20b', (400, 404)), ('/app/..', (405,)),
                            ('/app/-x', (400, 404))):
            err = self.assertRaises(errors.OCCIError, self.client.put, path,
                                    APP, {'occi.app.name': 'x',
                                          'occi.app.image': BUNDLE})
            self.assertIn(err.code, codes, path)
        self.assertEqual([], self.client.list('/app/'))
        self.assertEqual({}, self.backend.runtime._children)

    def test_dead_so_shows_error_and_recovery_restarts_it(self):
        location = self.create()
        app = self.client.get(location)
        row = self.backend.runtime._children
        pid = next(iter(row))
        os.kill(pid, signal.SIGKILL)
        row[pid].wait()
        self.assertEqual('error', self.client.get(location).attributes[
            'occi.app.state'])
        # A restarted CC brings back apps recorded as active.
        self.assertEqual(1, self.backend.recover())
        restarted = self.client.get(location).attributes
        self.assertEqual('active', restarted['occi.app.state'])
        self.assertNotEqual(app.attributes['occi.app.url'],
                            restarted['occi.app.url'])

    def test_recovery_asked_to_stop_restarts_no_further_so(self):
        location = self.create()
        children = self.backend.runtime._children
        pid = next(iter(children))
        os.kill(pid, signal.SIGKILL)
        children[pid].wait()
        stop = threading.Event()
        stop.set()
        # A CC stopped during its start-up: the app stays recorded as
        # active for the next start, its SO is not started now.
        self.assertEqual(0, self.backend.recover(stop=stop))
        self.assertEqual([], [p for p, proc in children.items()
                              if proc.poll() is None])
        self.assertEqual(1, self.backend.recover())
        self.assertEqual('active', self.client.get(location).attributes[
            'occi.app.state'])


class RegisteredImagesTest(testtools.TestCase):
    """Only registered SO bundles start; only documented env keys pass."""

    def setUp(self):
        super().setUp()
        self.tmp = self.useFixture(fixtures.TempDir()).path
        self.marker = os.path.join(self.tmp, 'ran')
        self.evil = os.path.join(self.tmp, 'evil')
        os.mkdir(self.evil)
        with open(os.path.join(self.evil, 'so.py'), 'w') as handle:
            handle.write('open(%r, "w").write("ran")\n' % self.marker)
        # A symbolic link to the registered bundle is the same bundle.
        self.link = os.path.join(self.tmp, 'link')
        os.symlink(BUNDLE, self.link)
        serve_cc(self, sm__manifests=[os.path.join(ROOT, 'samples', 'sample',
                                                   'manifest.json')],
                 cc__extra_env_keys=['HURTLE_EXTRA'])

    def create(self, image, env=None):
        env = {'HURTLE_SO_SECRET': 'x'} if env is None else env
        return self.client.create('/app/', APP, {
            'occi.app.name': 'so', 'occi.app.image': image,
            'occi.app.env': json.dumps(env)})

    def test_unregistered_bundle_is_403_and_never_runs(self):
        for image in (self.evil, self.evil + '/', BUNDLE + '/../../../x',
                      'samples/sample/so', 'some-image:latest'):
            err = self.assertRaises(errors.OCCIError, self.create, image)
            self.assertEqual(403, err.code, image)
            self.assertIn('not a registered SO bundle', err.message)
        self.assertFalse(os.path.exists(self.marker))
        self.assertEqual([], self.client.list('/app/'))
        self.assertEqual({}, self.backend.runtime._children)

    def test_manifest_bundle_is_registered_by_real_path(self):
        location = self.create(self.link)
        self.assertEqual('active', self.client.get(location).attributes[
            'occi.app.state'])

    def test_env_keys_outside_the_documented_set_are_400(self):
        for key in ('PYTHONPATH', 'LD_PRELOAD', 'PATH', 'hurtle_so_secret'):
            err = self.assertRaises(errors.BadRequest, self.create, BUNDLE,
                                    {'HURTLE_SO_SECRET': 'x', key: 'v'})
            self.assertIn(key, err.message)
        self.assertEqual([], self.client.list('/app/'))
        self.assertEqual({}, self.backend.runtime._children)
        # Documented keys and [cc] extra_env_keys pass.
        env = dict.fromkeys(sorted(api.ENV_KEYS) + ['HURTLE_EXTRA'], 'x')
        env['HURTLE_SO_TEMPLATES'] = env['HURTLE_SO_REGIONS'] = '{}'
        self.create(BUNDLE, env)

    def test_env_update_with_refused_key_is_400(self):
        location = self.create(BUNDLE)
        err = self.assertRaises(errors.BadRequest, self.client.update,
                                location, APP,
                                {'occi.app.env': '{"LD_PRELOAD": "x"}'})
        self.assertIn('LD_PRELOAD', err.message)

    def test_name_and_image_cannot_be_changed(self):
        location = self.create(BUNDLE)
        before = self.client.get(location).attributes
        for name, value in (('occi.app.image', '/tmp/other-bundle'),
                            ('occi.app.name', 'renamed')):
            err = self.assertRaises(errors.BadRequest, self.client.update,
                                    location, APP, {name: value})
            self.assertIn('%s of app' % name, err.message)
            self.assertIn('cannot be changed', err.message)
        self.assertEqual(before, self.client.get(location).attributes)
        # The same values again are no change.
        self.client.update(location, APP, {
            'occi.app.image': before['occi.app.image'],
            'occi.app.name': before['occi.app.name']})

    def test_another_spelling_of_the_same_image_is_no_change(self):
        location = self.create(BUNDLE)
        before = self.client.get(location).attributes
        parent, name = os.path.split(BUNDLE)
        for spelling in (os.path.join(parent, '.', name), BUNDLE + '/',
                         os.path.join(parent, '..', os.path.basename(parent),
                                      name), self.link):
            self.client.update(location, APP, {'occi.app.image': spelling})
        # The image stays as created.
        self.assertEqual(before, self.client.get(location).attributes)
        # Another real bundle is still a change, also through a link.
        other = os.path.join(self.tmp, 'other-link')
        os.symlink(self.evil, other)
        for image in (self.evil, other, os.path.join(self.evil, '.')):
            err = self.assertRaises(errors.BadRequest, self.client.update,
                                    location, APP, {'occi.app.image': image})
            self.assertIn('occi.app.image of app', err.message)
            self.assertIn('cannot be changed', err.message)
        self.assertEqual(before, self.client.get(location).attributes)


class WatcherTest(testtools.TestCase):
    """The CC notices dead SOs and restarts them a bounded number of
    times (real SO processes; the watcher's rounds are run by the test)."""

    def setUp(self):
        super().setUp()
        tmp = self.useFixture(fixtures.TempDir()).path
        self.bundle = os.path.join(tmp, 'so')
        shutil.copytree(BUNDLE, self.bundle)
        with open(os.path.join(self.bundle, 'so.py')) as handle:
            code = handle.read()
        with open(os.path.join(self.bundle, 'so.py'), 'w') as handle:
            handle.write('import os\nif os.path.exists(os.path.join('
                         'os.path.dirname(__file__), "broken")):\n'
                         '    raise SystemExit("broken on purpose")\n'
                         + code)
        serve_cc(self, cc__allowed_images=[self.bundle],
                 cc__restart_attempts=2, cc__restart_backoff=0.0)
        self.watcher = recovery.Watcher(self.conf, self.backend)
        self.location = self.client.create('/app/', APP, {
            'occi.app.name': 'so', 'occi.app.image': self.bundle,
            'occi.app.env': json.dumps({'HURTLE_SO_SECRET': 'x'})})

    def kill_so(self):
        pid = next(iter(self.backend.runtime._children))
        os.kill(pid, signal.SIGKILL)
        self.backend.runtime._children[pid].wait()

    def attrs(self):
        return self.client.get(self.location).attributes

    def test_dead_so_is_noticed_and_restarted(self):
        url = self.attrs()['occi.app.url']
        self.assertEqual(0, self.attrs()[api.RESTARTS])
        self.assertEqual({}, self.watcher.check_all())
        self.kill_so()
        self.assertEqual(['died'], list(self.watcher.check_all().values()))
        self.assertEqual('error', self.attrs()['occi.app.state'])
        self.assertEqual(['restarted'],
                         list(self.watcher.check_all().values()))
        attrs = self.attrs()
        self.assertEqual('active', attrs['occi.app.state'])
        self.assertEqual(1, attrs[api.RESTARTS])
        self.assertNotEqual(url, attrs['occi.app.url'])
        self.assertEqual(200, requests.get(
            attrs['occi.app.url'] + '-/', headers={'X-Auth-Token': 'x'},
            timeout=5).status_code)

    def test_attempts_are_bounded_then_the_app_stays_error(self):
        open(os.path.join(self.bundle, 'broken'), 'w').close()
        self.kill_so()
        outcomes = [list(self.watcher.check_all().values())
                    for _ in range(5)]
        self.assertEqual([['died'], ['failed'], ['failed'], ['exhausted'],
                          ['exhausted']], outcomes)
        attrs = self.attrs()
        self.assertEqual('error', attrs['occi.app.state'])
        self.assertEqual(2, attrs[api.RESTARTS])
        self.assertEqual({}, self.backend.runtime._children)
        # A start action gives it a new budget.
        os.unlink(os.path.join(self.bundle, 'broken'))
        self.client.action(self.location, START)
        self.assertEqual('active', self.attrs()['occi.app.state'])
        self.assertEqual(0, self.attrs()[api.RESTARTS])

    def test_delete_of_an_app_whose_so_died(self):
        self.kill_so()
        self.client.delete(self.location)
        self.assertRaises(errors.NotFound, self.client.get, self.location)
        self.assertEqual({}, self.watcher.check_all())
        self.assertEqual({}, self.backend.runtime._children)

    def test_delete_stops_the_so_the_watcher_restarted_meanwhile(self):
        # The OCCI layer reads the app, then calls delete; the watcher may
        # restart the dead SO in between (the order a trial hit).
        extras = {'project': 'service', 'user': None, 'roles': ['admin']}
        read_before = self.backend.store.get(
            urllib.parse.urlsplit(self.location).path, extras)
        self.assertIsNotNone(read_before)
        self.kill_so()
        self.assertEqual(['died'], list(self.watcher.check_all().values()))
        self.assertEqual(['restarted'],
                         list(self.watcher.check_all().values()))
        restarted = self.attrs()['occi.app.url']
        self.assertEqual(1, len(self.backend.runtime._children))
        self.backend.delete(read_before, extras)
        self.assertEqual({}, self.backend.runtime._children)
        self.assertRaises(requests.ConnectionError, requests.get,
                          restarted + '-/', timeout=5)
        self.assertRaises(errors.NotFound, self.client.get, self.location)

    def test_schedule_doubles_up_to_the_maximum(self):
        schedule = recovery.Schedule(1.0, 5.0)
        self.assertEqual([1.0, 2.0, 4.0, 5.0, 5.0],
                         [schedule.delay(n) for n in range(5)])
