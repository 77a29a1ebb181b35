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
"""``hurtle.wsgi.urlmap``: prefix dispatch as Paste's ``urlmap`` does it,
loaded from api-paste.ini; an api-paste.ini naming Paste's still
loads."""
import os

import fixtures
from paste import urlmap as paste_urlmap
import testtools
import webob

from hurtle.wsgi import app as wsgi_app
from hurtle.wsgi import urlmap
from tests import conf_fixture


def _recorder(name):
    """An application answering ``name SCRIPT_NAME PATH_INFO``."""
    def app(environ, start_response):
        start_response('200 OK', [('Content-Type', 'text/plain')])
        return [('%s %s %s' % (name, environ['SCRIPT_NAME'],
                               environ['PATH_INFO'])).encode()]
    return app


def _call(app, path, script_name=''):
    req = webob.Request.blank(path)
    req.environ['SCRIPT_NAME'] = script_name
    req.environ['PATH_INFO'] = path
    resp = req.get_response(app)
    return resp.status_int, resp.body.decode()


MOUNTS = {'/': 'root', '/healthcheck': 'health', '/monitoring/': 'mon',
          '/monitoring/deep': 'deep'}


class URLMapTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.ours = urlmap.URLMap({prefix: _recorder(name)
                                   for prefix, name in MOUNTS.items()})

    def test_longest_prefix_wins_and_moves_to_script_name(self):
        self.assertEqual((200, 'health /healthcheck '),
                         _call(self.ours, '/healthcheck'))
        self.assertEqual((200, 'health /healthcheck /'),
                         _call(self.ours, '/healthcheck/'))
        self.assertEqual((200, 'deep /monitoring/deep /x'),
                         _call(self.ours, '/monitoring/deep/x'))
        self.assertEqual((200, 'mon /monitoring /deeper'),
                         _call(self.ours, '/monitoring/deeper'))
        self.assertEqual((200, 'root  /sample/i1'),
                         _call(self.ours, '/sample/i1'))
        # A prefix matches whole segments only.
        self.assertEqual((200, 'root  /healthchecks'),
                         _call(self.ours, '/healthchecks'))

    def test_script_name_of_a_mount_point_is_kept_before_the_prefix(self):
        self.assertEqual((200, 'health /api/healthcheck /detail'),
                         _call(self.ours, '/healthcheck/detail',
                               script_name='/api'))

    def test_repeated_slashes_are_collapsed(self):
        self.assertEqual((200, 'health /healthcheck /a/b'),
                         _call(self.ours, '//healthcheck//a///b'))

    def test_an_absolute_form_target_is_dispatched_by_its_path(self):
        self.assertEqual((200, 'health /healthcheck /x'),
                         _call(self.ours, 'http://example.org/healthcheck/x'))

    def test_a_path_not_starting_with_a_slash_is_404_not_500(self):
        # (Paste's asserts, a 500.)
        self.assertEqual(404, _call(self.ours, '*')[0])
        self.assertEqual(404, _call(self.ours, 'sample/i1')[0])

    def test_a_path_under_no_prefix_is_404(self):
        bare = urlmap.URLMap({'/healthcheck': _recorder('health')})
        status, body = _call(bare, '/sample/')
        self.assertEqual(404, status)
        self.assertIn('no application', body)
        resp = webob.Request.blank('/nothing').get_response(bare)
        self.assertEqual('text/plain; charset=utf-8',
                         resp.headers['Content-Type'])
        self.assertEqual(len(resp.body), int(resp.headers['Content-Length']))

    def test_a_not_found_application_answers_paths_under_no_prefix(self):
        bare = urlmap.URLMap({'/healthcheck': _recorder('health')},
                             not_found=_recorder('lost'))
        self.assertEqual((200, 'lost  /x'), _call(bare, '/x'))

    def test_same_split_as_paste(self):
        paste = paste_urlmap.URLMap()
        for prefix, name in MOUNTS.items():
            paste[prefix] = _recorder(name)
        for path in ('/', '', '/healthcheck', '/healthcheck/', '/healthch',
                     '/monitoring', '/monitoring/deep', '/monitoring/deep/',
                     '//monitoring//x', '/sample/i1?x', '/-/',
                     '/%2Fhealthcheck', 'http://example.org/healthcheck/x',
                     'https://example.org', 'http://example.org/',
                     'http://h//monitoring'):
            for script_name in ('', '/api'):
                self.assertEqual(_call(paste, path, script_name),
                                 _call(self.ours, path, script_name),
                                 (path, script_name))

    def test_domain_keys_are_refused(self):
        self.assertRaises(ValueError, urlmap.URLMap,
                          {'domain example.org /': _recorder('x')})
        self.assertRaises(ValueError, urlmap.URLMap,
                          {'healthcheck': _recorder('x')})


PASTE = '''
[composite:probe]
use = %s
/: probe_app
/healthcheck: probe_health

[app:probe_app]
paste.app_factory = tests.unit.test_wsgi_urlmap:app_factory
name = app

[app:probe_health]
paste.app_factory = tests.unit.test_wsgi_urlmap:app_factory
name = health
'''


def app_factory(global_conf, **local_conf):
    built = global_conf.get(wsgi_app.BUILT_KEY)
    if built is not None:
        built(local_conf['name'])
    return _recorder(local_conf['name'])


class PasteLoadingTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        conf_path = os.path.join(self.dir, 'hurtle.conf')
        with open(conf_path, 'w') as handle:
            handle.write('[DEFAULT]\n')
        self.conf = self.useFixture(conf_fixture.HurtleConf()).conf
        self.conf(['--config-file', conf_path], project='hurtle-tests',
                  default_config_files=[])

    def _load(self, use):
        with open(os.path.join(self.dir, 'api-paste.ini'), 'w') as handle:
            handle.write(PASTE % use)
        return wsgi_app.load_app(self.conf, 'probe')[0]

    def test_ours_from_api_paste_ini(self):
        application = self._load('call:hurtle.wsgi.urlmap:urlmap_factory')
        self.assertIsInstance(application, urlmap.URLMap)
        self.assertEqual((200, 'health /healthcheck '),
                         _call(application, '/healthcheck'))
        self.assertEqual((200, 'app  /sample/'),
                         _call(application, '/sample/'))

    def test_an_old_api_paste_ini_with_pastes_urlmap_still_loads(self):
        application = self._load('egg:Paste#urlmap')
        self.assertIsInstance(application, paste_urlmap.URLMap)
        self.assertEqual((200, 'health /healthcheck '),
                         _call(application, '/healthcheck'))
        self.assertEqual((200, 'app  /sample/'),
                         _call(application, '/sample/'))

    def test_the_packaged_composites_use_ours(self):
        with open(wsgi_app.PACKAGED_PASTE) as handle:
            text = handle.read()
        self.assertEqual(2, text.count(
            'use = call:hurtle.wsgi.urlmap:urlmap_factory'))
        self.assertNotIn('use = egg:Paste#urlmap', text)
