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
"""``hurtle.wsgi.app``: where api-paste.ini comes from, and what
``load_app`` hands the paste factories and returns."""
import os

import fixtures
import testtools
import webob

from hurtle.wsgi import app as wsgi_app
from tests import conf_fixture

PROBE_PASTE = '''
[composite:probe]
use = call:hurtle.wsgi.app:pipeline_factory
noauth = probe_filter probe_app
keystone = probe_app

[app:probe_app]
paste.app_factory = tests.unit.test_wsgi_app:probe_app_factory

[filter:probe_filter]
paste.filter_factory = tests.unit.test_wsgi_app:probe_filter_factory
'''


class Built(object):
    """What ``probe_app_factory`` builds: the conf it was given."""

    def __init__(self, conf):
        self.conf = conf


def probe_app_factory(global_conf, **local_conf):
    built = Built(global_conf[wsgi_app.CONF_KEY])
    global_conf[wsgi_app.BUILT_KEY](built)
    return webob.Response(text='app')


def probe_filter_factory(global_conf, **local_conf):
    assert wsgi_app.BUILT_KEY not in global_conf
    project = global_conf[wsgi_app.CONF_KEY].noauth_default_project

    def _filter(app):
        def _call(environ, start_response):
            start_response('200 OK', [('X-Probe', project)])
            return [b'filtered']
        return _call
    return _filter


class PasteConfigTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.dir = self.useFixture(fixtures.TempDir()).path
        self.conf_path = os.path.join(self.dir, 'hurtle.conf')
        with open(self.conf_path, 'w') as handle:
            handle.write('[DEFAULT]\nnoauth_default_project = probed\n')
        self.conf = self.useFixture(conf_fixture.HurtleConf()).conf
        self.conf(['--config-file', self.conf_path], project='hurtle-tests',
                  default_config_files=[])

    def test_the_packaged_pipelines_by_default(self):
        path = wsgi_app.find_paste_config(self.conf)
        self.assertEqual(wsgi_app.PACKAGED_PASTE, path)
        self.assertEqual(os.path.join(os.path.dirname(wsgi_app.__file__),
                                      'api-paste.ini'), path)
        with open(path) as handle:
            text = handle.read()
        self.assertIn('[composite:hurtle-sm]', text)
        self.assertIn('[composite:hurtle-cc]', text)

    def test_a_copy_next_to_the_config_file_wins(self):
        copy = os.path.join(self.dir, 'api-paste.ini')
        with open(copy, 'w') as handle:
            handle.write(PROBE_PASTE)
        self.assertEqual(copy, wsgi_app.find_paste_config(self.conf))

    def test_a_copy_for_an_older_hurtle_is_skipped_with_a_warning(self):
        # devstack used to copy api-paste.ini beside hurtle.conf; its
        # factories were then in hurtle.api.paste, which no longer exists.
        old = os.path.join(self.dir, 'api-paste.ini')
        with open(old, 'w') as handle:
            handle.write(PROBE_PASTE.replace('hurtle.wsgi.app',
                                             'hurtle.api.paste'))
        log = self.useFixture(fixtures.FakeLogger(name='hurtle.wsgi.app'))
        self.assertEqual(wsgi_app.PACKAGED_PASTE,
                         wsgi_app.find_paste_config(self.conf))
        self.assertIn('Ignoring %s' % old, log.output)
        self.assertIn('replace hurtle.api.paste with hurtle.wsgi.app',
                      log.output)
        # The packaged pipelines load: the service starts as before.
        self.assertRaises(LookupError, wsgi_app.load_app, self.conf,
                          'probe')

    def test_load_app_passes_conf_and_returns_what_was_built(self):
        with open(os.path.join(self.dir, 'api-paste.ini'), 'w') as handle:
            handle.write(PROBE_PASTE)
        application, built = wsgi_app.load_app(self.conf, 'probe')
        self.assertIsInstance(built, Built)
        self.assertIs(self.conf, built.conf)
        resp = webob.Request.blank('/').get_response(application)
        self.assertEqual('probed', resp.headers['X-Probe'])
        # A second load builds anew: nothing is kept between loads.
        _application, again = wsgi_app.load_app(self.conf, 'probe')
        self.assertIsNot(built, again)

    def test_unknown_name_is_a_lookup_error(self):
        self.assertRaises(LookupError, wsgi_app.load_app, self.conf,
                          'hurtle-nothing')
