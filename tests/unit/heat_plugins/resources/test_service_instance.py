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
"""Tests of ``Hurtle::Service::Instance`` on Heat's own test harness.

The service manager (SM) is a test double at the edge: a real OCCI server
(``hurtle.occi.app.Application`` on 127.0.0.1, free port) whose kind
backend drives each instance through scripted states on successive GETs,
and records what it received.  The resource talks real OCCI over HTTP.
"""

import os
import sys
import threading
import time

from heat.common import exception
from heat.common import template_format
from heat.engine import environment
from heat.engine import resource
from heat.engine import rsrc_defn
from heat.engine import scheduler
from heat.engine import stack as heat_stack
from heat.engine import template
from heat.tests import common
from heat.tests import utils
from occi import backend as occi_backend
from occi import core_model
from oslo_config import cfg

from hurtle.heat_plugins.clients import hurtle_sm
from hurtle.heat_plugins.resources import service_instance
from hurtle.occi import app as occi_app
from hurtle.occi import categories
from hurtle.occi import errors as occi_errors
from hurtle.occi import server as occi_server
from tests import net
from tests.unit.heat_plugins.clients import registry

SERVICE_TYPE = 'http://schemas.hurtle.it/occi/sm#svc'
SUSPENDABLE_TYPE = 'http://schemas.hurtle.it/occi/sm#pausable'
SAMPLE_TYPE = 'http://schemas.hurtle.it/occi/sm#sample'
SAMPLE_TEMPLATE = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), '..', '..', '..', '..',
    'samples', 'templates', 'composed_services.yaml')
ACTION_SCHEME = 'http://schemas.hurtle.it/occi/sm/action#'
API = 'http://api.svc.example.test/'
ACTIVE_SCRIPT = ('initialise', 'activate', 'deploy', 'provision', 'active')

TEMPLATE = '''
heat_template_version: 2021-04-16
parameters:
  endpoint: {type: string}
resources:
  inst:
    type: Hurtle::Service::Instance
    properties:
      endpoint: {get_param: endpoint}
      attributes:
        svc.input: hello
        svc.count: 3
outputs:
  api:
    value: {get_attr: [inst, attributes, mcn.endpoint.api]}
  state:
    value: {get_attr: [inst, state]}
'''

COMPOSED = '''
heat_template_version: 2021-04-16
parameters:
  endpoint: {type: string}
resources:
  first:
    type: Hurtle::Service::Instance
    properties:
      endpoint: {get_param: endpoint}
      attributes: {svc.input: one}
  second:
    type: Hurtle::Service::Instance
    properties:
      endpoint: {get_param: endpoint}
      attributes:
        svc.input: {get_attr: [first, attributes, mcn.endpoint.api]}
outputs:
  second_input:
    value: {get_attr: [second, attributes, svc.input]}
'''


class ScriptedSM(occi_backend.KindBackend, occi_backend.ActionBackend):
    """Kind and action backend of the SM double.

    Every GET of an instance moves it to the next state of its script;
    ``active`` sets ``mcn.endpoint.api``, ``failed`` sets the reason.
    ``DELETE`` answers 202 and the instance disappears after
    ``delete_polls`` GETs (or fails when ``fail_teardown`` is set).
    """

    def __init__(self, registry):
        self.registry = registry
        self.script = list(ACTIVE_SCRIPT)
        self.reason = None
        self.delete_polls = 2
        self.fail_teardown = None
        self.unavailable_once = False
        self.unavailable = False
        self.calls = []
        self.pending = {}
        self.lock = threading.Lock()

    def _record(self, op, entity, attrs, extras):
        env = extras.get('environ') or {}
        self.calls.append({
            'op': op, 'key': entity.identifier, 'attributes': dict(attrs),
            'project': extras.get('project'),
            'token': env.get('HTTP_X_AUTH_TOKEN'),
            'auth_project': env.get('HTTP_X_AUTH_PROJECT')})

    def ops(self, op):
        return [c for c in self.calls if c['op'] == op]

    def _set(self, entity, state, extras):
        entity.attributes['mcn.service.state'] = state
        if state == 'active':
            entity.attributes['mcn.endpoint.api'] = API
            if entity.kind.term == 'sample':
                entity.attributes['mcn.endpoint.sample'] = (
                    'http://h.sample.invalid/?greeting=%s'
                    % entity.attributes.get('sample.greeting'))
        if state == 'failed' and self.reason:
            entity.attributes['mcn.service.state.reason'] = self.reason

    def create(self, entity, extras):
        with self.lock:
            self._record('create', entity, entity.attributes, extras)
            self._set(entity, self.script[0], extras)
            self.pending[entity.identifier] = list(self.script[1:])

    def retrieve(self, entity, extras):
        with self.lock:
            self._record('get', entity, {}, extras)
            if self.unavailable_once or self.unavailable:
                self.unavailable_once = False
                raise occi_errors.ServiceUnavailable('SM busy, try again')
            queue = self.pending.get(entity.identifier)
            if queue == ['gone']:
                self.registry.delete_resource(entity.identifier, extras)
                del self.pending[entity.identifier]
                raise occi_errors.NotFound('No entity at %s.'
                                           % entity.identifier)
            if queue:
                self._set(entity, queue.pop(0), extras)

    def update(self, old, new, extras):
        with self.lock:
            self._record('update', old, new.attributes, extras)
            old.attributes.update(new.attributes)
            self._set(old, 'update', extras)
            self.pending[old.identifier] = ['update', 'active']

    def delete(self, entity, extras):
        with self.lock:
            self._record('delete', entity, {}, extras)
            self._set(entity, 'destroy', extras)
            if self.fail_teardown:
                self.reason = self.fail_teardown
                self.pending[entity.identifier] = ['failed']
            else:
                self.pending[entity.identifier] = (
                    ['destroy'] * (self.delete_polls - 1) + ['gone'])
            return 202

    def action(self, entity, action, attributes, extras):
        with self.lock:
            self._record(action.term, entity, attributes, extras)
            if action.term == 'suspend':
                self._set(entity, 'suspending', extras)
                self.pending[entity.identifier] = ['suspended']
            else:
                self._set(entity, 'resuming', extras)
                self.pending[entity.identifier] = ['active']


class FakeSM(object):
    """An OCCI server on 127.0.0.1 serving two kinds of service."""

    def __init__(self):
        self.app = occi_app.Application()
        self.backend = ScriptedSM(self.app.registry)
        attrs = {'svc.input': '', 'svc.count': '',
                 'mcn.endpoint.api': 'immutable'}
        self.kind = categories.service_kind(SERVICE_TYPE, 'A service',
                                            attrs)
        suspend = core_model.Action(ACTION_SCHEME, 'suspend')
        resume = core_model.Action(ACTION_SCHEME, 'resume')
        self.pausable = categories.service_kind(
            SUSPENDABLE_TYPE, 'A suspendable service', attrs,
            actions=[suspend, resume])
        self.sample = categories.service_kind(
            SAMPLE_TYPE, 'Like the sample service',
            {'sample.greeting': '', 'mcn.endpoint.sample': 'immutable'})
        for category in (self.kind, self.pausable, self.sample, suspend,
                         resume):
            self.app.register_backend(category, self.backend)
        self.server, self.thread = occi_server.serve_in_thread(self.app)
        self.root = 'http://127.0.0.1:%d' % self.server.server_port

    def url(self, path='/svc/'):
        return self.root + path

    def forget(self, location):
        """Remove an instance behind the resource's back."""
        key = location[len(self.root):]
        self.app.registry.delete_resource(key, {'project': 'test_tenant_id'})
        self.backend.pending.pop(key, None)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class ServiceInstanceTest(common.HeatTestCase):

    def setUp(self):
        # Heat's harness looks for etc/heat next to site-packages; the
        # installed one is under sys.prefix
        # (doc/source/contributor/testing.rst).
        etc = os.path.join(sys.prefix, 'etc', 'heat')
        cfg.CONF.set_override('environment_dir',
                              os.path.join(etc, 'environment.d'))
        cfg.CONF.set_override('template_dir', os.path.join(etc, 'templates'))
        super(ServiceInstanceTest, self).setUp()
        resource._register_class(service_instance.RESOURCE_TYPE,
                                 service_instance.ServiceInstance)
        registry.use_client_plugin(self, hurtle_sm.CLIENT_NAME,
                                   hurtle_sm.HurtleSMClientPlugin)
        cfg.CONF.set_override('auth_strategy', 'noauth',
                              group=hurtle_sm.OPT_GROUP)
        cfg.CONF.set_override('action_retry_limit', 0)
        self.sm = FakeSM()
        self.addCleanup(self.sm.stop)
        self.stacks = []

    # helpers ---
    def stack(self, tmpl=TEMPLATE, endpoint=None, ctx=None, **props):
        t = template_format.parse(tmpl)
        if props:
            t['resources']['inst']['properties'].update(props)
        params = {'endpoint': endpoint or self.sm.url()}
        if ctx is None:
            stk = utils.parse_stack(t, params=params)
        else:
            templ = template.Template(t, env=environment.Environment(params))
            templ.store(ctx)
            stk = heat_stack.Stack(ctx, utils.random_name(), templ)
            stk.store()
        # resources only hold a weak reference to their stack
        self.stacks.append(stk)
        return stk

    def fresh(self, **kwargs):
        """The (stored, not yet created) resource, for direct handler
        calls."""
        rsrc = self.stack(**kwargs)['inst']
        rsrc.store()
        return rsrc

    def create(self, **kwargs):
        stk = self.stack(**kwargs)
        rsrc = stk['inst']
        scheduler.TaskRunner(rsrc.create)()
        return stk, rsrc

    def updated(self, rsrc, **changes):
        props = {'endpoint': self.sm.url(),
                 'attributes': dict(rsrc.properties['attributes'])}
        if rsrc.properties['timeout']:
            props['timeout'] = rsrc.properties['timeout']
        props.update(changes)
        return rsrc_defn.ResourceDefinition(rsrc.name, rsrc.type(), props)

    # create ---
    def test_create_posts_kind_and_attributes_and_waits_for_active(self):
        stk, rsrc = self.create()
        self.assertEqual((rsrc.CREATE, rsrc.COMPLETE), rsrc.state)
        [create] = self.sm.backend.ops('create')
        self.assertEqual({'svc.input': 'hello', 'svc.count': 3},
                         create['attributes'])
        self.assertTrue(rsrc.resource_id.startswith(self.sm.url()))
        self.assertEqual(create['key'],
                         rsrc.resource_id[len(self.sm.root):])
        self.assertEqual(SERVICE_TYPE, rsrc.data()['kind'])
        # one GET per engine step until active
        self.assertEqual(len(ACTIVE_SCRIPT) - 1,
                         len(self.sm.backend.ops('get')))

    def test_check_create_complete_follows_states(self):
        rsrc = self.fresh()
        cookie = rsrc.handle_create()
        seen = []
        for _state in ACTIVE_SCRIPT[1:]:
            seen.append(rsrc.check_create_complete(cookie))
        self.assertEqual([False, False, False, True], seen)
        self.assertEqual('active', cookie['last_state'])

    def test_noauth_sends_stack_project(self):
        self.create()
        for call in self.sm.backend.calls:
            self.assertEqual('test_tenant_id', call['project'])
            self.assertEqual('test_tenant_id', call['auth_project'])
            self.assertIsNone(call['token'])

    def test_keystone_forwards_context_token(self):
        cfg.CONF.set_override('auth_strategy', 'keystone',
                              group=hurtle_sm.OPT_GROUP)
        self.create()
        tokens = {c['token'] for c in self.sm.backend.calls}
        self.assertEqual({'abcd1234'}, tokens)

    def test_auto_strategy_follows_heat_paste_flavor(self):
        cfg.CONF.set_override('auth_strategy', 'auto',
                              group=hurtle_sm.OPT_GROUP)
        rsrc = self.stack()['inst']
        cfg.CONF.set_override('flavor', 'noauth', group='paste_deploy')
        self.assertEqual('noauth', rsrc.client_plugin().auth_strategy())
        cfg.CONF.set_override('flavor', 'keystone', group='paste_deploy')
        self.assertEqual('keystone', rsrc.client_plugin().auth_strategy())

    def test_create_failed_carries_sm_reason(self):
        self.sm.backend.script = ['initialise', 'deploy', 'failed']
        self.sm.backend.reason = 'deploy: stack CREATE_FAILED: no quota'
        rsrc = self.stack()['inst']
        ex = self.assertRaises(exception.ResourceFailure,
                               scheduler.TaskRunner(rsrc.create))
        self.assertIsInstance(ex.exc, exception.ResourceInError)
        self.assertIn('deploy: stack CREATE_FAILED: no quota', str(ex))
        self.assertEqual((rsrc.CREATE, rsrc.FAILED), rsrc.state)
        self.assertIn('no quota', rsrc.status_reason)

    def test_create_failed_without_reason(self):
        self.sm.backend.script = ['initialise', 'failed']
        rsrc = self.fresh()
        cookie = rsrc.handle_create()
        ex = self.assertRaises(exception.ResourceInError,
                               rsrc.check_create_complete, cookie)
        self.assertIn('gave no reason', str(ex))

    def test_create_times_out(self):
        self.sm.backend.script = ['initialise'] * 50
        rsrc = self.fresh(timeout=1)
        cookie = rsrc.handle_create()
        self.assertFalse(rsrc.check_create_complete(cookie))
        time.sleep(1.05)
        ex = self.assertRaises(exception.Error,
                               rsrc.check_create_complete, cookie)
        self.assertIn('did not reach state active within 1 s', str(ex))
        self.assertIn('last state: initialise', str(ex))

    def test_transient_503_while_polling_is_not_fatal(self):
        rsrc = self.fresh()
        cookie = rsrc.handle_create()
        self.sm.backend.unavailable_once = True
        self.assertFalse(rsrc.check_create_complete(cookie))
        done = False
        for _i in range(10):
            done = rsrc.check_create_complete(cookie)
            if done:
                break
        self.assertTrue(done)

    def test_sm_unavailable_for_too_long_fails(self):
        rsrc = self.fresh()
        cookie = rsrc.handle_create()
        self.sm.backend.unavailable = True
        for _i in range(service_instance.MAX_TRANSIENT_ERRORS - 1):
            self.assertFalse(rsrc.check_create_complete(cookie))
        ex = self.assertRaises(exception.Error,
                               rsrc.check_create_complete, cookie)
        self.assertIn('SM busy, try again', str(ex))
        self.assertIn('%d times in a row'
                      % service_instance.MAX_TRANSIENT_ERRORS, str(ex))

    def test_instance_vanishing_during_create_fails(self):
        rsrc = self.fresh()
        cookie = rsrc.handle_create()
        self.sm.forget(rsrc.resource_id)
        ex = self.assertRaises(exception.ResourceInError,
                               rsrc.check_create_complete, cookie)
        self.assertIn('no longer knows', str(ex))

    def test_sm_rejecting_create_gives_its_message(self):
        rsrc = self.fresh()
        rsrc.properties.data['attributes'] = {'svc.undeclared': 'x'}
        ex = self.assertRaises(exception.Error, rsrc.handle_create)
        self.assertIn('svc.undeclared is not defined', str(ex))
        self.assertIn('failed to create an instance of %s' % SERVICE_TYPE,
                      str(ex))

    def test_unreachable_sm(self):
        url = 'http://127.0.0.1:%d/svc/' % net.held_port(self)
        rsrc = self.fresh(endpoint=url)
        ex = self.assertRaises(exception.Error, rsrc.handle_create)
        self.assertIn('failed to answer its query interface', str(ex))
        self.assertIn('Cannot reach', str(ex))

    def test_no_kind_at_endpoint_path(self):
        rsrc = self.fresh(endpoint=self.sm.url('/nothing/'))
        ex = self.assertRaises(exception.Error, rsrc.handle_create)
        self.assertIn('does not offer a kind at location /nothing/',
                      str(ex))

    def test_endpoint_with_service_type_selects_kind(self):
        stk, rsrc = self.create(service_type=SUSPENDABLE_TYPE)
        self.assertEqual(SUSPENDABLE_TYPE, rsrc.data()['kind'])
        self.assertTrue(rsrc.resource_id.startswith(
            self.sm.url('/pausable/')))

    # catalogue ---
    def test_service_type_from_configured_catalogue(self):
        cfg.CONF.set_override(
            'service_catalogue', ['%s=%s' % (SERVICE_TYPE, self.sm.url())],
            group=hurtle_sm.OPT_GROUP)
        t = template_format.parse(TEMPLATE)
        props = t['resources']['inst']['properties']
        del props['endpoint']
        props['service_type'] = SERVICE_TYPE
        stk = utils.parse_stack(t, params={'endpoint': 'unused'})
        rsrc = stk['inst']
        scheduler.TaskRunner(rsrc.create)()
        self.assertEqual((rsrc.CREATE, rsrc.COMPLETE), rsrc.state)
        self.assertTrue(rsrc.resource_id.startswith(self.sm.url()))

    def test_service_type_missing_from_catalogue(self):
        t = template_format.parse(TEMPLATE)
        props = t['resources']['inst']['properties']
        del props['endpoint']
        props['service_type'] = SERVICE_TYPE
        stk = utils.parse_stack(t, params={'endpoint': 'x'})
        ex = self.assertRaises(exception.Error, stk['inst'].handle_create)
        self.assertIn('is not in the catalogue', str(ex))

    def test_service_type_from_keystone_catalog(self):
        cfg.CONF.set_override('auth_strategy', 'keystone',
                              group=hurtle_sm.OPT_GROUP)
        ctx = utils.dummy_context()
        ctx.auth_token_info = {'token': {
            'methods': ['token'],
            'expires_at': '2999-01-01T00:00:00.000000Z',
            'project': {'id': 'test_tenant_id', 'name': 'test_tenant',
                        'domain': {'id': 'default', 'name': 'Default'}},
            'user': {'id': 'u1', 'name': 'test_username',
                     'domain': {'id': 'default', 'name': 'Default'}},
            'roles': [{'id': 'r1', 'name': 'member'}],
            'catalog': [{
                'type': SERVICE_TYPE, 'name': 'svc', 'id': 's1',
                'endpoints': [{'id': 'e1', 'interface': 'public',
                               'region': 'RegionOne',
                               'region_id': 'RegionOne',
                               'url': self.sm.url()}]}]}}
        t = template_format.parse(TEMPLATE)
        props = t['resources']['inst']['properties']
        del props['endpoint']
        props['service_type'] = SERVICE_TYPE
        stk = self.stack(tmpl=template_format.yaml.safe_dump(t), ctx=ctx)
        rsrc = stk['inst']
        scheduler.TaskRunner(rsrc.create)()
        self.assertEqual((rsrc.CREATE, rsrc.COMPLETE), rsrc.state)
        self.assertTrue(rsrc.resource_id.startswith(self.sm.url()))
        self.assertEqual({'abcd1234'},
                         {c['token'] for c in self.sm.backend.calls})

    def test_bad_catalogue_entry_is_ignored(self):
        cfg.CONF.set_override('service_catalogue', ['no-equals-sign'],
                              group=hurtle_sm.OPT_GROUP)
        self.assertEqual({}, hurtle_sm.catalogue())

    # validation ---
    def test_validate_needs_endpoint_or_service_type(self):
        t = template_format.parse(TEMPLATE)
        del t['resources']['inst']['properties']['endpoint']
        stk = utils.parse_stack(t, params={'endpoint': 'x'})
        ex = self.assertRaises(exception.StackValidationFailed,
                               stk['inst'].validate)
        self.assertIn('Either "endpoint" or "service_type"', str(ex))

    def test_validate_rejects_nested_attribute_values(self):
        stk = self.stack(attributes={'svc.input': {'a': 1}})
        ex = self.assertRaises(exception.StackValidationFailed,
                               stk['inst'].validate)
        self.assertIn('svc.input', str(ex))

    def test_validate_rejects_non_url_endpoint(self):
        stk = self.stack(endpoint='ftp://host/svc/')
        self.assertRaises(exception.StackValidationFailed,
                          stk['inst'].validate)

    # attributes ---
    def test_attributes_and_path_access(self):
        stk, rsrc = self.create()
        self.assertEqual(API, rsrc.FnGetAtt('attributes',
                                            'mcn.endpoint.api'))
        self.assertEqual('active', rsrc.FnGetAtt('state'))
        self.assertEqual(rsrc.resource_id, rsrc.FnGetAtt('url'))
        whole = rsrc.FnGetAtt('attributes')
        self.assertEqual('hello', whole['svc.input'])
        self.assertEqual(3, whole['svc.count'])
        self.assertIsNone(rsrc.FnGetAtt('attributes', 'no.such.attr'))
        self.assertEqual(rsrc.resource_id, rsrc.FnGetRefId())

    def test_stack_outputs_and_composition(self):
        stk = self.stack(tmpl=COMPOSED)
        stk.create()
        self.assertEqual((stk.CREATE, stk.COMPLETE), stk.state,
                         stk.status_reason)
        stk._update_all_resource_data(False, True)
        self.assertEqual(API, stk.outputs['second_input'].get_value())
        first, second = self.sm.backend.ops('create')
        self.assertEqual({'svc.input': 'one'}, first['attributes'])
        self.assertEqual({'svc.input': API}, second['attributes'])

    def test_sample_composed_services_template(self):
        with open(SAMPLE_TEMPLATE) as f:
            t = template_format.parse(f.read())
        url = self.sm.url('/sample/')
        stk = utils.parse_stack(t, params={'backend_endpoint': url,
                                           'frontend_endpoint': url,
                                           'greeting': 'hi'})
        self.stacks.append(stk)
        stk.validate()
        stk.create()
        self.assertEqual((stk.CREATE, stk.COMPLETE), stk.state,
                         stk.status_reason)
        stk._update_all_resource_data(False, True)
        endpoint = 'http://h.sample.invalid/?greeting=hi'
        self.assertEqual(endpoint,
                         stk.outputs['backend_endpoint'].get_value())
        self.assertEqual(endpoint, stk.outputs['frontend_input'].get_value())
        self.assertEqual('active', stk.outputs['frontend_state'].get_value())
        backend, frontend = self.sm.backend.ops('create')
        self.assertEqual({'sample.greeting': 'hi'}, backend['attributes'])
        self.assertEqual({'sample.greeting': endpoint},
                         frontend['attributes'])
        stk.delete()
        self.assertEqual((stk.DELETE, stk.COMPLETE), stk.state,
                         stk.status_reason)
        self.assertEqual(2, len(self.sm.backend.ops('delete')))

    def test_attributes_of_gone_instance_are_none(self):
        stk, rsrc = self.create()
        self.sm.forget(rsrc.resource_id)
        self.assertIsNone(rsrc.FnGetAtt('state'))

    # update ---
    def test_update_sends_only_changed_attributes(self):
        stk, rsrc = self.create()
        new = self.updated(rsrc, attributes={'svc.input': 'bye',
                                             'svc.count': 3})
        scheduler.TaskRunner(rsrc.update, new)()
        self.assertEqual((rsrc.UPDATE, rsrc.COMPLETE), rsrc.state)
        [update] = self.sm.backend.ops('update')
        self.assertEqual({'svc.input': 'bye'}, update['attributes'])
        self.assertEqual('bye', rsrc.FnGetAtt('attributes', 'svc.input'))
        self.assertEqual('active', rsrc.FnGetAtt('state'))

    def test_update_waits_for_active(self):
        stk, rsrc = self.create()
        new = self.updated(rsrc, attributes={'svc.input': 'hello',
                                             'svc.count': 4})
        cookie = rsrc.handle_update(new, {}, {'attributes': {
            'svc.input': 'hello', 'svc.count': 4}})
        self.assertEqual([False, True],
                         [rsrc.check_update_complete(cookie)
                          for _i in range(2)])
        [update] = self.sm.backend.ops('update')
        self.assertEqual({'svc.count': 4}, update['attributes'])

    def test_update_of_timeout_only_calls_nothing(self):
        stk, rsrc = self.create()
        scheduler.TaskRunner(rsrc.update, self.updated(rsrc, timeout=60))()
        self.assertEqual((rsrc.UPDATE, rsrc.COMPLETE), rsrc.state)
        self.assertEqual([], self.sm.backend.ops('update'))

    def test_update_rejected_by_sm(self):
        stk, rsrc = self.create()
        new = self.updated(rsrc, attributes={'mcn.endpoint.api': 'x'})
        ex = self.assertRaises(exception.ResourceFailure,
                               scheduler.TaskRunner(rsrc.update, new))
        self.assertIn('mcn.endpoint.api is set by the service', str(ex))
        self.assertEqual((rsrc.UPDATE, rsrc.FAILED), rsrc.state)

    def test_update_to_failed_carries_reason(self):
        stk, rsrc = self.create()
        new = self.updated(rsrc, attributes={'svc.input': 'x'})
        cookie = rsrc.handle_update(new, {}, {'attributes': {
            'svc.input': 'x'}})
        self.sm.backend.reason = 'update: SO refused'
        self.sm.backend.pending[rsrc.resource_id[len(self.sm.root):]] = [
            'failed']
        ex = self.assertRaises(exception.ResourceInError,
                               rsrc.check_update_complete, cookie)
        self.assertIn('update: SO refused', str(ex))

    def test_endpoint_change_replaces(self):
        stk, rsrc = self.create()
        new = self.updated(rsrc, endpoint=self.sm.url('/pausable/'))
        self.assertRaises(resource.UpdateReplace,
                          scheduler.TaskRunner(rsrc.update, new))

    # delete ---
    def test_delete_waits_until_404(self):
        stk, rsrc = self.create()
        gets_before = len(self.sm.backend.ops('get'))
        scheduler.TaskRunner(rsrc.delete)()
        self.assertEqual((rsrc.DELETE, rsrc.COMPLETE), rsrc.state)
        self.assertEqual(1, len(self.sm.backend.ops('delete')))
        # one GET before DELETE, then one per engine step until 404
        self.assertEqual(1 + self.sm.backend.delete_polls,
                         len(self.sm.backend.ops('get')) - gets_before)

    def test_check_delete_complete_transitions(self):
        stk, rsrc = self.create()
        cookie = rsrc.handle_delete()
        self.assertEqual([False, True],
                         [rsrc.check_delete_complete(cookie)
                          for _i in range(2)])

    def test_delete_already_gone(self):
        stk, rsrc = self.create()
        self.sm.forget(rsrc.resource_id)
        scheduler.TaskRunner(rsrc.delete)()
        self.assertEqual((rsrc.DELETE, rsrc.COMPLETE), rsrc.state)
        self.assertEqual([], self.sm.backend.ops('delete'))

    def test_delete_never_created(self):
        rsrc = self.stack()['inst']
        self.assertIsNone(rsrc.handle_delete())
        self.assertTrue(rsrc.check_delete_complete(None))

    def test_delete_of_failed_instance(self):
        self.sm.backend.script = ['initialise', 'failed']
        self.sm.backend.reason = 'deploy failed'
        rsrc = self.fresh()
        cookie = rsrc.handle_create()
        self.assertRaises(exception.ResourceInError,
                          rsrc.check_create_complete, cookie)
        cookie = rsrc.handle_delete()
        # the SM may show the old failure until the teardown starts
        key = rsrc.resource_id[len(self.sm.root):]
        self.sm.backend.pending[key] = ['failed', 'destroy', 'gone']
        self.assertEqual([False, False, True],
                         [rsrc.check_delete_complete(cookie)
                          for _i in range(3)])

    def test_failed_teardown_carries_reason(self):
        stk, rsrc = self.create()
        self.sm.backend.fail_teardown = 'destroy: stack DELETE_FAILED'
        ex = self.assertRaises(exception.ResourceFailure,
                               scheduler.TaskRunner(rsrc.delete))
        self.assertIn('destroy: stack DELETE_FAILED', str(ex))
        self.assertEqual((rsrc.DELETE, rsrc.FAILED), rsrc.state)

    def test_delete_times_out(self):
        stk, rsrc = self.create(timeout=1)
        self.sm.backend.delete_polls = 1000
        cookie = rsrc.handle_delete()
        self.assertFalse(rsrc.check_delete_complete(cookie))
        time.sleep(1.05)
        ex = self.assertRaises(exception.Error,
                               rsrc.check_delete_complete, cookie)
        self.assertIn('within 1 s of DELETE', str(ex))

    # suspend / resume ---
    def test_suspend_not_supported(self):
        stk, rsrc = self.create()
        ex = self.assertRaises(exception.ResourceFailure,
                               scheduler.TaskRunner(rsrc.suspend))
        self.assertIn('suspend is not supported by service type %s'
                      % SERVICE_TYPE, str(ex))
        self.assertEqual((rsrc.SUSPEND, rsrc.FAILED), rsrc.state)

    def test_suspend_and_resume_through_occi_actions(self):
        stk, rsrc = self.create(endpoint=self.sm.url('/pausable/'))
        scheduler.TaskRunner(rsrc.suspend)()
        self.assertEqual((rsrc.SUSPEND, rsrc.COMPLETE), rsrc.state)
        self.assertEqual('suspended', rsrc.FnGetAtt('state'))
        scheduler.TaskRunner(rsrc.resume)()
        self.assertEqual((rsrc.RESUME, rsrc.COMPLETE), rsrc.state)
        self.assertEqual('active', rsrc.FnGetAtt('state'))
        self.assertEqual(1, len(self.sm.backend.ops('suspend')))
        self.assertEqual(1, len(self.sm.backend.ops('resume')))

    # check ---
    def test_check_active_and_not_active(self):
        stk, rsrc = self.create()
        self.assertIsNone(rsrc.handle_check())
        self.sm.backend.pending[rsrc.resource_id[len(self.sm.root):]] = [
            'update']
        ex = self.assertRaises(exception.Error, rsrc.handle_check)
        self.assertIn('is update, not active', str(ex))

    def test_resource_type_is_documented(self):
        cls = service_instance.ServiceInstance
        self.assertEqual({'endpoint', 'service_type', 'attributes',
                          'timeout'}, set(cls.properties_schema))
        for schema in list(cls.properties_schema.values()) + list(
                cls.attributes_schema.values()):
            self.assertTrue(schema.description)
        self.assertIsNotNone(cls.support_status.version)
        self.assertEqual({'Hurtle::Service::Instance': cls},
                         service_instance.resource_mapping())
