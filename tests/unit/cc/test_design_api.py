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
"""The CC's design service (``service`` kind, hurtle.cc.design) over real
HTTP: through the CC's real paste pipeline (noauth with the local secret,
``so_auth``), and the bare application as keystonemiddleware would leave
a request (roles in ``X-Roles``) for the policy; the Keystone source on a
real keystoneauth1 session over a Keystone v3 token's catalog."""
import json
import os

from keystoneauth1 import access
from keystoneauth1 import fixture as ks_fixture
from keystoneauth1.identity import access as access_plugin
from keystoneauth1.identity import v3
from keystoneauth1 import session as ks_session
from oslo_policy import opts as policy_opts
import requests
import testtools

from hurtle.cc import api
from hurtle.cc import design
from hurtle.db import migration
from hurtle import local_secret
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle.occi import server
from hurtle.sm import catalogue as sm_catalogue
from tests import cc_fixture
from tests import conf_fixture
from tests import net

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
SAMPLE = os.path.join(ROOT, 'samples', 'sample', 'manifest.json')
COMPOSED = os.path.join(ROOT, 'samples', 'composed', 'manifest.json')
SM = 'http://schemas.hurtle.it/occi/sm#'
MCN = 'http://schemas.mobile-cloud-networking.eu/occi/sm#'
DNS = MCN + 'dns=http://dns.example:8890/dns'


def design_conf(test, **overrides):
    options = dict(sm__manifests=[SAMPLE, COMPOSED], sm__host='127.0.0.1',
                   sm__port=9999, design__services=[DNS])
    options.update(overrides)
    return test.useFixture(conf_fixture.HurtleConf(**options)).conf


class DesignPipelineTest(testtools.TestCase):
    """Through the CC's paste pipeline (embedded default)."""

    def setUp(self):
        super().setUp()
        self.conf = design_conf(self)
        self.url = self.useFixture(cc_fixture.CCServer(
            self.conf, {'a1': 'secret-one'})).url
        self.sm_headers = dict(local_secret.headers(self.conf.state_path),
                               **{'X-Project-Id': 'service'})
        self.sm = occi_client.OCCIClient(
            self.url, headers=self.sm_headers, retries=0,
            content_type=occi_client.OCCI_JSON)

    def so_headers(self, secret='secret-one'):
        return {'X-Hurtle-App-Id': 'a1', 'X-Auth-Token': secret}

    def test_list_and_show(self):
        self.assertEqual(
            sorted(self.url + 'service/' + t
                   for t in ('dns', 'sample', 'composed')),
            sorted(self.sm.list('/service/')))
        attrs = self.sm.get('/service/sample').attributes
        self.assertEqual(SM + 'sample', attrs['hurtle.service.type'])
        self.assertEqual('http://127.0.0.1:9999/sample/',
                         attrs['hurtle.service.endpoint'])
        self.assertEqual('sm', attrs['hurtle.service.source'])
        attrs = self.sm.get('/service/dns').attributes
        self.assertEqual('http://dns.example:8890/dns/',
                         attrs['hurtle.service.endpoint'])
        self.assertEqual('config', attrs['hurtle.service.source'])
        self.assertEqual(MCN + 'dns', attrs['hurtle.service.type'])
        # The query interface lists the kind.
        resp = requests.get(self.url + '-/', headers=self.sm_headers)
        self.assertIn('service; scheme="http://schemas.hurtle.it/occi/cc#"',
                      resp.text)

    def test_json_collection(self):
        resp = requests.get(self.url + 'service/', headers=dict(
            self.sm_headers, Accept='application/occi+json'))
        self.assertEqual(200, resp.status_code, resp.text)
        types = sorted(e['attributes']['hurtle.service.type']
                       for e in json.loads(resp.text)['resources'])
        self.assertEqual(sorted([MCN + 'dns', SM + 'sample',
                                 SM + 'composed']), types)

    def test_unknown_term_is_404_with_a_message(self):
        resp = requests.get(self.url + 'service/nothing',
                            headers=self.sm_headers)
        self.assertEqual(404, resp.status_code)
        self.assertIn('knows no service type with term nothing', resp.text)
        self.assertIn('[design] services', resp.text)

    def test_every_write_is_405_with_allow(self):
        for method, path in (('POST', 'service/'), ('PUT', 'service/x'),
                             ('PUT', 'service/sample'),
                             ('POST', 'service/sample'),
                             ('DELETE', 'service/sample'),
                             ('DELETE', 'service/'),
                             ('POST', 'service/sample?action=stop')):
            resp = requests.request(method, self.url + path,
                                    headers=self.sm_headers)
            self.assertEqual(405, resp.status_code, (method, path))
            self.assertEqual('GET, HEAD, OPTIONS', resp.headers['Allow'])
            self.assertIn('read-only', resp.text)
        # Nothing changed.
        self.assertEqual(3, len(self.sm.list('/service/')))

    def test_options_names_the_read_only_methods(self):
        for path in ('service/', 'service/sample'):
            resp = requests.options(self.url + path,
                                    headers=self.sm_headers)
            self.assertEqual(200, resp.status_code, path)
            self.assertEqual('GET, HEAD, OPTIONS', resp.headers['Allow'])
            self.assertEqual(b'', resp.content)
        resp = requests.options(self.url + 'service/nothing',
                                headers=self.sm_headers)
        self.assertEqual(404, resp.status_code)
        # Without the local secret: 401, as for GET.
        resp = requests.options(self.url + 'service/')
        self.assertEqual(401, resp.status_code)

    def test_callers_without_the_local_secret_are_401(self):
        for headers in ({}, {'X-Project-Id': 'service'},
                        {'X-Auth-Token': 'nope',
                         'X-Project-Id': 'service'}):
            resp = requests.get(self.url + 'service/', headers=headers)
            self.assertEqual(401, resp.status_code, headers)

    def test_an_so_reads_it_with_its_secret(self):
        resp = requests.get(self.url + 'service/sample',
                            headers=self.so_headers())
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertIn('http://127.0.0.1:9999/sample/', resp.text)
        resp = requests.get(self.url + 'service/sample',
                            headers=self.so_headers('wrong'))
        self.assertEqual(401, resp.status_code)
        self.assertEqual('Hurtle-SO', resp.headers['WWW-Authenticate'])
        resp = requests.delete(self.url + 'service/sample',
                               headers=self.so_headers())
        self.assertEqual(405, resp.status_code)

    def test_a_policy_file_can_refuse_it(self):
        path = os.path.join(self.conf.state_path, 'policy.yaml')
        with open(path, 'w') as handle:
            handle.write('"hurtle:service:get": "role:nobody"\n')
        policy_opts.set_defaults(self.conf, policy_file=path)
        url = self.useFixture(cc_fixture.CCServer(self.conf, {})).url
        for headers in (self.sm_headers, self.so_headers()):
            for path in ('service/', 'service/sample', 'service/nothing'):
                resp = requests.get(url + path, headers=headers)
                self.assertEqual(403, resp.status_code, (headers, path))
                self.assertIn('hurtle:service:get', resp.text)

    def test_the_sm_resolves_through_it(self):
        # One configuration per test (oslo.config keeps overrides in the
        # shared option groups): the SM's options on the CC's.
        conf = self.conf
        conf.set_override('design', 'cc', group='sm')
        conf.set_override('cc_url', self.url, group='sm')
        cat = sm_catalogue.Catalogue(conf, [], None, lambda: self.sm)
        self.assertEqual('http://127.0.0.1:9999/composed/',
                         cat.resolve(SM + 'composed'))
        self.assertEqual('http://dns.example:8890/dns/',
                         cat.resolve(MCN + 'dns'))
        # Another scheme with a known term is not that service.
        for unknown in (MCN + 'sample', SM + 'maas'):
            exc = self.assertRaises(LookupError, cat.resolve, unknown)
            self.assertIn("the CC's design service knows no SM for "
                          "service type " + unknown, str(exc))


class DesignPolicyTest(testtools.TestCase):
    """The bare CC application over HTTP, as keystonemiddleware leaves a
    request: only admins (the SM's service user) read it."""

    def setUp(self):
        super().setUp()
        conf = design_conf(self)
        migration.upgrade(conf.database.connection)
        application, backend = api.make_application(conf)
        self.addCleanup(backend.runtime.stop_all)
        srv, _thread = server.serve_in_thread(application)
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        self.url = 'http://127.0.0.1:%d/' % srv.server_port

    def get(self, path, roles):
        return requests.get(self.url + path, headers={
            'X-Project-Id': 'p1', 'X-Roles': roles})

    def test_only_admins(self):
        for roles in ('member', 'reader', ''):
            for path in ('service/', 'service/sample', 'service/nothing'):
                resp = self.get(path, roles)
                self.assertEqual(403, resp.status_code, (roles, path))
                self.assertIn('hurtle:service:get', resp.text)
        self.assertEqual(200, self.get('service/sample', 'admin')
                         .status_code)
        self.assertEqual(404, self.get('service/nothing', 'admin')
                         .status_code)


def catalog_session():
    """A keystoneauth1 session whose token's catalog holds two Hurtle
    services (one in two regions) and an OpenStack one."""
    token = ks_fixture.V3Token()
    token.set_project_scope()
    svc = token.add_service(SM + 'dns', name='dns')
    svc.add_standard_endpoints(public='http://ks-dns/dns',
                               internal='http://int-dns/dns/',
                               region='RegionOne')
    svc.add_standard_endpoints(public='http://two-dns/dns',
                               region='RegionTwo')
    token.add_service(SM + 'sample', name='sample').add_standard_endpoints(
        public='http://ks-sample/sample/', region='RegionOne')
    token.add_service('orchestration', name='heat').add_standard_endpoints(
        public='http://heat/v1', region='RegionOne')
    auth_ref = access.create(body=token, auth_token='t')
    return ks_session.Session(auth=access_plugin.AccessInfoPlugin(auth_ref))


class KeystoneSourceTest(testtools.TestCase):
    """Keystone mode: the catalog's Hurtle types, after the others."""

    def services(self, **overrides):
        conf = design_conf(self, auth_strategy='keystone', **overrides)
        found = design.DesignCatalogue(conf, catalog_session).services()
        return {term: (s.service_type, s.endpoint, s.region, s.interface,
                       s.source) for term, s in found.items()}

    def test_catalog_types_after_the_sm_manifests(self):
        found = self.services(design__services=[])
        self.assertEqual((SM + 'dns', 'http://ks-dns/dns/', 'RegionOne',
                          'public', 'keystone'), found['dns'])
        # [sm] manifests come first: sample is the SM's.
        self.assertEqual('sm', found['sample'][4])
        self.assertEqual(['sample', 'composed', 'dns'], list(found))

    def test_catalog_region(self):
        found = self.services(design__services=[],
                              design__region='RegionTwo')
        self.assertEqual('http://two-dns/dns/', found['dns'][1])
        self.assertEqual(['sample', 'composed', 'dns'], list(found))

    def test_catalog_interface(self):
        found = self.services(design__services=[], design__sm_manifests=False,
                              design__catalog_interface='internal')
        self.assertEqual({'dns': (SM + 'dns', 'http://int-dns/dns/',
                                  'RegionOne', 'internal', 'keystone')},
                         found)

    def test_a_term_taken_by_an_earlier_source_is_not_listed_twice(self):
        found = self.services()
        self.assertEqual((MCN + 'dns', 'http://dns.example:8890/dns/', '',
                          '', 'config'), found['dns'])

    def never_reads_keystone(self, **overrides):
        def no_session():
            raise AssertionError('Keystone read')
        conf = design_conf(self, **overrides)
        found = design.DesignCatalogue(conf, no_session).services()
        self.assertEqual(['dns', 'sample', 'composed'], list(found))

    def test_noauth_never_reads_keystone(self):
        self.never_reads_keystone()

    def test_keystone_catalog_off_is_not_read(self):
        self.never_reads_keystone(auth_strategy='keystone',
                                  design__keystone_catalog=False)

    def test_keystone_unreachable_is_503(self):
        conf = design_conf(self, auth_strategy='keystone')

        def session():
            return ks_session.Session(auth=v3.Password(
                auth_url='http://127.0.0.1:%d/v3' % net.held_port(self),
                username='u', password='p', project_name='p',
                user_domain_id='default', project_domain_id='default'))
        store = design.ServiceStore(conf,
                                    design.DesignCatalogue(conf, session))
        extras = {'project': 'service', 'roles': ['admin']}
        exc = self.assertRaises(errors.ServiceUnavailable, store.values,
                                extras)
        self.assertIn('cannot read the Keystone catalog', exc.message)

    def test_bad_configured_entry_stops_the_start(self):
        conf = design_conf(self, design__services=['no-equals-sign'])
        self.assertRaises(ValueError, design.DesignCatalogue, conf)
