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
"""The local secret: created once, private, checked in constant time."""
import concurrent.futures
import io
import multiprocessing
import os
import stat
import wsgiref.util

import fixtures
import testtools

from hurtle import local_secret
from hurtle import state_dir


def _load(state_path):
    return local_secret.load_or_create(state_path)


class LoadOrCreateTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.state = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                  'state')

    def test_created_private_and_stable(self):
        secret = local_secret.load_or_create(self.state)
        self.assertGreaterEqual(len(secret), 40)
        # Hexadecimal: never starts with "-", so ``--os-token <secret>``
        # is not mistaken for an option.
        self.assertRegex(secret, r'^[0-9a-f]+$')
        self.assertEqual(secret, local_secret.load_or_create(self.state))
        path = local_secret.path(self.state)
        self.assertEqual(0o600, stat.S_IMODE(os.stat(path).st_mode))
        self.assertEqual(0o700, stat.S_IMODE(os.stat(self.state).st_mode))
        self.assertEqual([local_secret.FILENAME], os.listdir(self.state))

    def test_processes_starting_together_share_one_secret(self):
        ctx = multiprocessing.get_context('spawn')
        with concurrent.futures.ProcessPoolExecutor(
                8, mp_context=ctx) as pool:
            secrets = set(pool.map(_load, [self.state] * 32))
        self.assertEqual(1, len(secrets))
        self.assertEqual(secrets, {local_secret.load_or_create(self.state)})
        self.assertEqual([local_secret.FILENAME], os.listdir(self.state))

    def test_empty_file_is_an_error_not_an_empty_secret(self):
        os.makedirs(self.state)
        open(local_secret.path(self.state), 'w').close()
        err = self.assertRaises(local_secret.LocalSecretError,
                                local_secret.load_or_create, self.state)
        self.assertIn('empty', str(err))


class MiddlewareTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.seen = []

        def app(environ, start_response):
            self.seen.append(environ.get('HTTP_X_AUTH_TOKEN'))
            start_response('200 OK', [('Content-Type', 'text/plain')])
            return [b'ok']
        self.app = app

    def call(self, middleware, token):
        environ = {}
        wsgiref.util.setup_testing_defaults(environ)
        environ['wsgi.input'] = io.BytesIO(b'')
        if token is not None:
            environ['HTTP_X_AUTH_TOKEN'] = token
        status = []
        body = b''.join(middleware(
            environ, lambda s, h: status.append((s, dict(h)))))
        return status[0][0], status[0][1], body

    def test_401_without_the_secret(self):
        middleware = local_secret.LocalSecretMiddleware(
            self.app, 's3cret', realm='hurtle-cc')
        for token in (None, '', 's3cre', 's3cret ', 'S3CRET', 'é'):
            status, headers, body = self.call(middleware, token)
            self.assertEqual('401 Unauthorized', status, token)
            self.assertEqual('X-Auth-Token realm="hurtle-cc"',
                             headers['WWW-Authenticate'])
            self.assertNotIn(b's3cret', body)
        self.assertEqual([], self.seen)

    def test_the_secret_passes_and_is_not_handed_on(self):
        removed = local_secret.LocalSecretMiddleware(self.app, 's3cret')
        replaced = local_secret.LocalSecretMiddleware(
            self.app, 's3cret', replacement='notused')
        self.assertEqual('200 OK', self.call(removed, 's3cret')[0])
        self.assertEqual('200 OK', self.call(replaced, 's3cret')[0])
        self.assertEqual([None, 'notused'], self.seen)


class SecureStateDirTest(testtools.TestCase):

    def test_an_existing_loose_tree_is_tightened(self):
        old = os.umask(0o022)
        self.addCleanup(os.umask, old)
        state = self.useFixture(fixtures.TempDir()).path
        os.chmod(state, 0o755)
        os.makedirs(os.path.join(state, 'log'))
        for name in ('hurtle.sqlite', 'hurtle.sqlite-wal',
                     os.path.join('log', 'hurtle-sm.log')):
            with open(os.path.join(state, name), 'w') as handle:
                handle.write('x')
        os.chmod(os.path.join(state, 'hurtle.sqlite'), 0o644)
        state_dir.secure(state)
        self.assertEqual(0o077, os.umask(0o077))
        modes = {os.path.relpath(os.path.join(root, n), state):
                 stat.S_IMODE(os.stat(os.path.join(root, n)).st_mode)
                 for root, dirs, files in os.walk(state)
                 for n in dirs + files}
        self.assertEqual({'log': 0o700, 'hurtle.sqlite': 0o600,
                          'hurtle.sqlite-wal': 0o600,
                          'log/hurtle-sm.log': 0o600}, modes)
        self.assertEqual(0o700, stat.S_IMODE(os.stat(state).st_mode))
