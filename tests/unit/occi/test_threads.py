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
"""The layer under a multi-threaded server: each request renders its own
Host and scheme although PySSF's registry hostname was global state."""

import threading

import requests

from tests.unit.occi import base

THREADS = 8
ROUNDS = 15


class TestThreadSafety(base.ServedAppTestCase):

    def _worker(self, index, barrier, failures):
        host = 'host%d.example:%d' % (index, 1000 + index)
        mine = 'http://%s/' % host
        session = requests.Session()
        try:
            barrier.wait(10)
            for _round in range(ROUNDS):
                resp = session.post(self.base + '/app/', headers={
                    'Host': host, 'X-Project-Id': 'p%d' % index,
                    'Content-Type': 'text/occi', 'Category': base.APP_CAT,
                    'X-OCCI-Attribute': 'occi.app.name="t%d", '
                                        'occi.app.image="i"' % index})
                if resp.status_code != 201 or \
                        not resp.headers['Location'].startswith(mine):
                    failures.append((index, resp.status_code,
                                     resp.headers.get('Location')))
                    continue
                path = resp.headers['Location'][len(mine) - 1:]
                for accept in ('text/plain', 'text/occi',
                               'application/occi+json', 'text/uri-list'):
                    url = self.base + (path if accept != 'text/uri-list'
                                       else '/app/')
                    got = session.get(url, headers={
                        'Host': host, 'X-Project-Id': 'p%d' % index,
                        'Accept': accept})
                    text = got.text + ' '.join(got.headers.values())
                    if got.status_code != 200 or 'http://host' in \
                            text.replace(mine, ''):
                        failures.append((index, accept, got.status_code,
                                         text[:200]))
        except Exception as exc:  # reported by the test, not lost
            failures.append((index, repr(exc)))
        finally:
            session.close()

    def test_concurrent_hosts_and_projects(self):
        barrier = threading.Barrier(THREADS)
        failures = []
        threads = [threading.Thread(target=self._worker,
                                    args=(i, barrier, failures))
                   for i in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        self.assertEqual([], failures)
        for index in range(THREADS):
            listing = self.req('GET', '/app/', {'Accept': 'text/uri-list'},
                               project='p%d' % index)
            self.assertEqual(ROUNDS, len(listing.text.split()))

    def test_https_scheme_from_environ(self):
        environ = {'REQUEST_METHOD': 'GET', 'PATH_INFO': '/-/',
                   'wsgi.url_scheme': 'https', 'HTTP_HOST': 'secure.example',
                   'SERVER_NAME': 'x', 'SERVER_PORT': '443',
                   'HTTP_X_PROJECT_ID': 'p'}
        out = {}

        def start_response(status, headers):
            out['status'] = status
        body = b''.join(self.app(environ, start_response)).decode()
        self.assertEqual('200 OK', out['status'])
        self.assertIn('location="https://secure.example/app/"', body)
