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
"""The walking skeleton, end to end, with real processes on 127.0.0.1.

``hurtle-all`` runs the embedded Heat, the CC and the SM as processes; the
CC starts each SO as a process; these tests talk to the SM as curl would
(raw HTTP with OCCI headers) and check each step of an instance's life,
down to its Heat stack and its SO process.

The same tests run in noauth mode (``X-Project-Id``) and, with
``auth = 'keystone'`` (``HURTLE_TEST_AUTH=keystone``, or
``tests.functional.test_keystone_suite``), with the tokens of a real
Keystone's users, stacks in the user's project (``HurtleTestCase``).
"""
import json
import time
import urllib.parse

import requests

from hurtle.occi import client as occi_client
from hurtle.occi import errors
from tests.functional import hurtle_fixture
from tests import proc_sockets

SCHEME = 'http://schemas.hurtle.it/occi/sm#'
KIND = 'sample; scheme="%s"; class="kind"' % SCHEME
KIND_ID = SCHEME + 'sample'
TIMEOUT = 120


class EndToEndTest(hurtle_fixture.HurtleTestCase):

    @classmethod
    def make_hurtle(cls):
        return hurtle_fixture.HurtleAll(manifests=(
            hurtle_fixture.SAMPLE_MANIFEST, hurtle_fixture.COMPOSED_MANIFEST,
            hurtle_fixture.UNTYPED_MANIFEST))

    def setUp(self):
        super().setUp()
        self.sm = self.hurtle.sm_url
        self.client = self.sm_client('demo')
        self.heat = self.stack_client('demo')

    # helpers ----------------------------------------------------------------
    def post_instance(self, attributes=(), project='demo', term='sample'):
        headers = dict(self.headers(project),
                       **{'Category': KIND.replace('sample', term, 1),
                          'Content-Type': 'text/occi'})
        if attributes:
            headers['X-OCCI-Attribute'] = ', '.join(attributes)
        return requests.post(self.sm + term + '/', headers=headers,
                             timeout=30)

    def create(self, *attributes, term='sample'):
        resp = self.post_instance(attributes, term=term)
        self.assertEqual(201, resp.status_code, resp.text)
        return resp.headers['Location']

    def wait_state(self, location, wanted, seen=None):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            entity = self.client.get(location)
            state = entity.attributes['mcn.service.state']
            if seen is not None and (not seen or seen[-1] != state):
                seen.append(state)
            if state in wanted:
                return entity
            time.sleep(0.2)
        self.fail('%s never reached %s (last %s)'
                  % (location, wanted, state))

    def wait_gone(self, location):
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                self.client.get(location)
            except errors.NotFound:
                return
            time.sleep(0.2)
        self.fail('%s still exists' % location)

    def stack_ids(self):
        return {stack.id for stack in self.heat.stacks.list()}

    # tests ------------------------------------------------------------------
    def test_query_interface_lists_the_sample_kind(self):
        resp = requests.get(self.sm + '-/', headers=dict(
            self.headers(), Accept='text/occi'), timeout=10)
        self.assertEqual(200, resp.status_code)
        categories = [occi_client.CategoryRef.from_header(c)
                      for c in resp.headers['Category'].split(',')
                      if 'class="kind"' in c or 'class=kind' in c]
        self.assertIn(occi_client.CategoryRef(SCHEME, 'sample', 'kind'),
                      categories)

    def test_instance_lifecycle(self):
        location = self.create()
        self.assertTrue(location.startswith(self.sm + 'sample/'), location)

        seen = []
        entity = self.wait_state(location, {'active', 'failed'}, seen)
        self.assertEqual('active', entity.attributes['mcn.service.state'],
                         entity.attributes.get('mcn.service.state.reason'))
        self.assertEqual('active', seen[-1])
        attrs = entity.attributes
        self.assertTrue(attrs['mcn.endpoint.sample'].startswith('http://'))
        self.assertIn('greeting=hello', attrs['mcn.endpoint.sample'])
        self.assertIs(True, attrs['sample.provisioned'])
        stack_id = attrs['occi.mcn.stack.id']
        self.assertIn(stack_id, self.stack_ids())
        self.assertEqual('UPDATE_COMPLETE',
                         self.heat.stacks.get(stack_id).stack_status)

        so_url = attrs['occi.so.url']
        resp = requests.get(so_url + 'orchestrator/default', timeout=10)
        self.assertEqual(401, resp.status_code, 'the SO must want its secret')

        # partial update of a mutable attribute updates the stack
        resp = requests.post(location, headers=dict(self.headers(), **{
            'Category': KIND, 'Content-Type': 'text/occi',
            'X-OCCI-Attribute': 'sample.greeting="bonjour"'}), timeout=30)
        self.assertIn(resp.status_code, (200, 202), resp.text)
        entity = self.wait_state(location, {'active', 'failed'})
        self.assertEqual('active', entity.attributes['mcn.service.state'])
        self.assertIn('greeting=bonjour',
                      entity.attributes['mcn.endpoint.sample'])
        self.assertEqual('bonjour', entity.attributes['sample.greeting'])

        # a line break travels to the stack and back in JSON (the header
        # renderings cannot carry it); in the endpoint URL the greeting
        # is percent-encoded, spaces, "&", "#" and non-ASCII letters too
        greeting = 'line one\nline two & #3 \u00e9t\u00e9 \u4f60\u597d'
        resp = requests.post(location, headers=dict(
            self.headers(), **{'Content-Type': 'application/occi+json'}),
            data=json.dumps({'kind': KIND_ID, 'attributes': {
                'sample.greeting': greeting}}), timeout=30)
        self.assertIn(resp.status_code, (200, 202), resp.text)
        self.wait_state(location, {'active', 'failed'})
        attrs = requests.get(location, headers=dict(
            self.headers(), Accept='application/occi+json'),
            timeout=30).json()['attributes']
        self.assertEqual(greeting, attrs['sample.greeting'])
        endpoint = attrs['mcn.endpoint.sample']
        self.assertTrue(endpoint.endswith(
            '.sample.invalid/?greeting=line%20one%0Aline%20two%20%26%20%233'
            '%20%C3%A9t%C3%A9%20%E4%BD%A0%E5%A5%BD'), endpoint)
        query = urllib.parse.urlsplit(endpoint).query
        self.assertEqual({'greeting': [greeting]},
                         urllib.parse.parse_qs(query))

        # the instance disappears, with its stack and its SO process
        resp = requests.delete(location, headers=self.headers(), timeout=30)
        self.assertIn(resp.status_code, (200, 202, 204), resp.text)
        self.wait_gone(location)
        self.wait_stacks_gone([stack_id])
        # (The CC answered the SM once it sent the SO SIGTERM, which
        # closes the SO's listening socket; it waits for the exit after.)
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(so_url + '-/', timeout=5)
            except requests.ConnectionError:
                break
            self.assertLess(time.monotonic(), deadline, 'the SO listens')
            time.sleep(0.05)
        # and the SM keeps no connection to it (each of its threads that
        # called the SO held one, closed by the SO: CLOSE_WAIT)
        so_port = urllib.parse.urlsplit(so_url).port
        self.assertEqual([], proc_sockets.open_connections(
            self.hurtle.sm_pid(), so_port))

    def test_failed_instance_reports_reason_and_can_be_deleted(self):
        # The sample manifest's types refuse the value at once ...
        resp = self.post_instance(['sample.name_length=2'])
        self.assertEqual(400, resp.status_code, resp.text)
        self.assertIn('sample.name_length', resp.text)
        # ... without them (2016 manifest), the SO refuses it (range
        # 4..32) when asked to deploy.
        location = self.create('sample.name_length=2', term='untyped')
        entity = self.wait_state(location, {'active', 'failed'})
        self.assertEqual('failed', entity.attributes['mcn.service.state'])
        reason = entity.attributes['mcn.service.state.reason']
        self.assertIn('sample.name_length must be a whole number', reason)
        requests.delete(location, headers=self.headers(), timeout=30)
        self.wait_gone(location)

    def test_heat_refusal_reaches_the_instance_reason(self):
        # Heat refuses the template parameter (at most 64 characters);
        # the sample manifest's types refuse it at once.
        resp = self.post_instance(['sample.greeting="%s"' % ('x' * 100)])
        self.assertEqual(400, resp.status_code, resp.text)
        self.assertIn('maxLength 64', resp.text)
        location = self.create('sample.greeting="%s"' % ('x' * 100),
                               term='untyped')
        entity = self.wait_state(location, {'active', 'failed'})
        self.assertEqual('failed', entity.attributes['mcn.service.state'])
        reason = entity.attributes['mcn.service.state.reason']
        self.assertIn('greeting', reason)
        self.assertIn('64', reason)
        self.client.delete(location)
        self.wait_gone(location)

    def test_put_is_a_full_update_down_to_the_stack(self):
        location = self.create('sample.greeting="hi"')
        attrs = self.wait_state(location, {'active'}).attributes
        stack_id = attrs['occi.mcn.stack.id']
        headers = dict(self.headers(), **{'Category': KIND,
                                          'Content-Type': 'text/occi'})
        resp = requests.put(location, headers=dict(
            headers, **{'X-OCCI-Attribute': 'sample.greeting="put"'}),
            timeout=30)
        self.assertEqual(200, resp.status_code, resp.text)
        attrs = self.wait_state(location, {'active', 'failed'}).attributes
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        self.assertEqual('put', attrs['sample.greeting'])
        self.assertIn('greeting=put', attrs['mcn.endpoint.sample'])
        self.assertEqual(stack_id, attrs['occi.mcn.stack.id'])
        # Same checks as POST: a bad type is 400, nothing changes.
        resp = requests.put(location, headers=dict(
            headers, **{'X-OCCI-Attribute':
                        'sample.greeting="put", sample.name_length="abc"'}),
            timeout=30)
        self.assertEqual(400, resp.status_code, resp.text)
        self.assertIn('sample.name_length', resp.text)
        self.assertEqual('active', self.client.get(location).attributes[
            'mcn.service.state'])
        self.client.delete(location)
        self.wait_gone(location)

    def test_if_match_guards_updates_and_deletes(self):
        location = self.create('sample.greeting="hi"')
        self.wait_state(location, {'active'})
        headers = dict(self.headers(), **{
            'Category': KIND, 'Content-Type': 'text/occi',
            'Accept': 'application/occi+json'})
        tag = requests.get(location, headers=headers,
                           timeout=30).headers['ETag']
        resp = requests.post(location, headers=dict(headers, **{
            'If-Match': tag, 'X-OCCI-Attribute': 'sample.greeting="one"'}),
            timeout=30)
        self.assertEqual(200, resp.status_code, resp.text)
        self.wait_state(location, {'active'})
        # The tag read before that update is stale now: nothing is done.
        resp = requests.post(location, headers=dict(headers, **{
            'If-Match': tag, 'X-OCCI-Attribute': 'sample.greeting="two"'}),
            timeout=30)
        self.assertEqual(412, resp.status_code, resp.text)
        attrs = self.client.get(location).attributes
        self.assertEqual(('active', 'one'), (attrs['mcn.service.state'],
                                             attrs['sample.greeting']))
        resp = requests.delete(location, headers=dict(headers, **{
            'If-Match': tag}), timeout=30)
        self.assertEqual(412, resp.status_code, resp.text)
        resp = requests.delete(location, headers=dict(headers, **{
            'If-Match': '*'}), timeout=30)
        self.assertEqual(202, resp.status_code, resp.text)
        self.wait_gone(location)

    def test_refused_update_keeps_the_instance_active(self):
        location = self.create(term='untyped')
        before = self.wait_state(location, {'active'}).attributes
        self.client.update(location, occi_client.CategoryRef(
            SCHEME, 'untyped', 'kind'), {'sample.name_length': 'abc'})
        after = self.wait_state(location, {'active', 'failed'}).attributes
        self.assertEqual('active', after['mcn.service.state'])
        self.assertIn('update rejected', after['mcn.service.state.reason'])
        self.assertEqual(before['mcn.endpoint.sample'],
                         after['mcn.endpoint.sample'])
        self.assertNotIn('sample.name_length', after)
        self.client.delete(location)
        self.wait_gone(location)

    def test_so_moved_by_the_cc_is_found_again(self):
        """The CC restarts SOs on new ports (CC restart, stop/start)."""
        location = self.create()
        attrs = self.wait_state(location, {'active'}).attributes
        cc = self.hurtle.cc_client()
        instance_id = attrs['occi.core.id']
        app = [a for a in map(cc.get, cc.list('/app/'))
               if a.attributes['occi.app.name'].endswith(instance_id)][0]
        action = 'http://schemas.ogf.org/occi/platform/app/action#'
        cc.action(app.location, occi_client.CategoryRef(action, 'stop',
                                                        'action'))
        cc.action(app.location, occi_client.CategoryRef(action, 'start',
                                                        'action'))
        moved = cc.get(app.location).attributes['occi.app.url']
        self.assertNotEqual(attrs['occi.so.url'], moved)
        # The restarted SO remembers its stack; the SM finds it.
        self.client.update(location, occi_client.CategoryRef(
            SCHEME, 'sample', 'kind'), {'sample.greeting': 'moved'})
        after = self.wait_state(location, {'active', 'failed'}).attributes
        self.assertEqual('active', after['mcn.service.state'],
                         after.get('mcn.service.state.reason'))
        self.assertEqual(moved, after['occi.so.url'])
        self.assertIn('greeting=moved', after['mcn.endpoint.sample'])
        self.assertEqual(attrs['occi.mcn.stack.id'],
                         after['occi.mcn.stack.id'])
        self.client.delete(location)
        self.wait_gone(location)
        self.wait_stacks_gone([attrs['occi.mcn.stack.id']])

    def test_other_projects_instances_are_not_found(self):
        location = self.create()
        other = self.sm_client('alt_demo')
        self.assertRaises(errors.NotFound, other.get, location)
        self.assertRaises(errors.NotFound, other.delete, location)
        self.assertNotIn(location, other.list('/sample/'))
        self.assertIn(location, self.client.list('/sample/'))
        self.wait_state(location, {'active', 'failed'})
        self.client.delete(location)
        self.wait_gone(location)

    def test_update_while_busy_or_of_immutable_attribute(self):
        location = self.create()
        resp = requests.post(location, headers=dict(self.headers(), **{
            'Category': KIND, 'Content-Type': 'text/occi',
            'X-OCCI-Attribute': 'sample.greeting="early"'}), timeout=30)
        busy = self.client.get(location).attributes['mcn.service.state']
        if busy != 'active':
            self.assertEqual(409, resp.status_code, resp.text)
        self.wait_state(location, {'active'})
        resp = requests.post(location, headers=dict(self.headers(), **{
            'Category': KIND, 'Content-Type': 'text/occi',
            'X-OCCI-Attribute': 'mcn.endpoint.sample="http://x/"'}),
            timeout=30)
        self.assertEqual(400, resp.status_code)
        self.assertIn('mcn.endpoint.sample', resp.text)
        self.client.delete(location)
        self.wait_gone(location)

    def test_composed_service_creates_and_disposes_its_dependency(self):
        composed = occi_client.CategoryRef(SCHEME, 'composed', 'kind')
        before = set(self.client.list('/sample/'))
        location = self.client.create('/composed/', composed,
                                      {'composed.label': 'edge'})
        entity = self.wait_state(location, {'active', 'failed'})
        attrs = entity.attributes
        self.assertEqual('active', attrs['mcn.service.state'],
                         attrs.get('mcn.service.state.reason'))
        new = set(self.client.list('/sample/')) - before
        self.assertEqual(1, len(new), 'one sample instance created first')
        dependency_location = new.pop()
        dependency = self.client.get(dependency_location).attributes
        self.assertEqual('active', dependency['mcn.service.state'])
        # The dependency's declared attribute is inherited, and fed the
        # composed instance's own stack.
        self.assertEqual(dependency['mcn.endpoint.sample'],
                         attrs['mcn.endpoint.sample'])
        # The dependency's URL as the front end's query value,
        # percent-encoded (it has a query of its own).
        self.assertEqual('http://edge.composed.invalid/?' +
                         urllib.parse.urlencode(
                             {'backend': attrs['mcn.endpoint.sample']},
                             quote_via=urllib.parse.quote),
                         attrs['mcn.endpoint.composed'])
        stacks = {attrs['occi.mcn.stack.id'],
                  dependency['occi.mcn.stack.id']}
        self.assertTrue(stacks <= self.stack_ids())
        # The dependency belongs to the composed instance.
        err = self.assertRaises(errors.Conflict, self.client.delete,
                                dependency_location)
        self.assertIn(attrs['occi.core.id'], err.message)
        err = self.assertRaises(errors.Conflict, self.client.update,
                                dependency_location, occi_client.CategoryRef(
                                    SCHEME, 'sample', 'kind'),
                                {'sample.greeting': 'changed'})
        self.assertIn(attrs['occi.core.id'], err.message)

        self.client.delete(location)
        self.wait_gone(location)
        self.assertEqual(before, set(self.client.list('/sample/')))
        self.wait_stacks_gone(stacks)

    def test_heat_template_names_a_local_service_by_type(self):
        """hurtle-heat hands the SM's services to Hurtle::Service::Instance
        ([hurtle_heat] service_catalogue): service_type alone suffices."""
        template = {
            'heat_template_version': '2021-04-16',
            'resources': {'inst': {
                'type': 'Hurtle::Service::Instance',
                'properties': {'service_type': SCHEME + 'sample',
                               'attributes': {
                                   'sample.greeting': 'from-heat'}}}},
            'outputs': {'endpoint': {'value': {'get_attr': [
                'inst', 'attributes', 'mcn.endpoint.sample']}}}}
        # As admin (its own project in noauth mode, the admin's in
        # Keystone mode): the instance is made in that project.
        heat = self.stack_client('admin')
        stack_id = heat.stacks.create(
            stack_name='uses-sample', template=template)['stack']['id']
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            stack = heat.stacks.get(stack_id)
            if not stack.stack_status.endswith('IN_PROGRESS'):
                break
            time.sleep(0.5)
        self.assertEqual('CREATE_COMPLETE', stack.stack_status,
                         stack.stack_status_reason)
        outputs = {o['output_key']: o['output_value']
                   for o in stack.outputs}
        self.assertIn('greeting=from-heat', outputs['endpoint'])
        admin = self.sm_client('admin')
        self.assertEqual(1, len(admin.list('/sample/')))
        heat.stacks.delete(stack_id)
        self.wait_stacks_gone([stack_id], 'admin', timeout=TIMEOUT)
        self.assertEqual([], admin.list('/sample/'))

    def test_bad_creates_are_refused_and_store_nothing(self):
        before = self.client.list('/sample/')
        for attributes, needle in (
                (['no.such.attribute="x"'], 'no.such.attribute'),
                (['mcn.service.state="active"'], 'mcn.service.state')):
            resp = self.post_instance(attributes)
            self.assertEqual(400, resp.status_code, resp.text)
            self.assertIn(needle, resp.text)
        resp = requests.post(self.sm + 'sample/', headers=dict(
            self.headers(), **{
                'Category': 'sample; scheme="http://wrong#"; class="kind"',
                'Content-Type': 'text/occi'}), timeout=10)
        self.assertEqual(400, resp.status_code)
        self.assertEqual(before, self.client.list('/sample/'))
