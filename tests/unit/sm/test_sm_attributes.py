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
"""Attribute types and rules, PUT as a full update, atomic collection
DELETE: the SM's API served on 127.0.0.1 and driven over real HTTP.

As in ``test_sm_api``, no CC runs: instances fail in ``initialise``.
Where a test needs an instance in another state (``active``, a busy one)
it moves the record there through the store, as the lifecycle would.
"""
import json
import time

import requests
import sqlalchemy as sa
import testtools

from hurtle.db import models
from hurtle.occi import errors
from hurtle.sm import api
from hurtle.sm import states
from tests.unit.sm import sm_server

SCHEME = 'http://example.org/occi/sm#'
KIND = 'svc; scheme="%s"; class="kind"' % SCHEME
JSON = 'application/occi+json'

ATTRIBUTES = {
    'svc.name': {'schema': {'type': 'string', 'minLength': 1,
                            'maxLength': 8}},
    'svc.count': {'mutability': 'mutable',
                  'schema': {'type': 'integer', 'minimum': 3,
                             'maximum': 64}},
    'svc.ratio': {'schema': {'type': 'number', 'maximum': 1}},
    'svc.mode': {'schema': {'enum': ['fast', 'safe']}},
    'svc.flag': {'schema': {'type': 'boolean'}},
    'svc.opts': {'schema': {'type': 'object',
                            'properties': {'a': {'type': 'array'}}}},
    'svc.list': {'schema': {'type': 'array', 'items': {'type': 'integer'},
                            'maxItems': 3}},
    'svc.fixed': {'mutability': 'required',
                  'schema': {'type': 'string'}},
    'svc.free': '',
}


class AttributeApiTest(testtools.TestCase):

    def setUp(self):
        super().setUp()
        self.sm = self.useFixture(sm_server.SMServer(
            ATTRIBUTES, service_type=SCHEME + 'svc',
            description='typed test service'))
        self.conf = self.sm.conf
        self.lifecycle, self.store = self.sm.lifecycle, self.sm.store
        self.url = self.sm.url.rstrip('/')

    # helpers ----------------------------------------------------------------
    def text(self, method, path, *attributes):
        if path == '/svc/':  # creates: the required attribute too
            attributes = ('svc.fixed="x"',) + attributes
        headers = {'Content-Type': 'text/occi', 'Category': KIND}
        if attributes:
            headers['X-OCCI-Attribute'] = ', '.join(attributes)
        return requests.request(method, self.url + path, headers=headers,
                                timeout=30)

    def json(self, method, path, attributes, ident=None):
        if path == '/svc/':
            attributes = dict({'svc.fixed': 'x'}, **attributes)
        doc = {'kind': SCHEME + 'svc', 'attributes': attributes}
        if ident:
            doc['id'] = ident
        return requests.request(method, self.url + path, data=json.dumps(doc),
                                headers={'Content-Type': JSON,
                                         'Accept': JSON}, timeout=30)

    def read(self, location):
        resp = requests.get(location, headers={'Accept': JSON}, timeout=30)
        self.assertEqual(200, resp.status_code, resp.text)
        return resp.json()['attributes']

    def created(self, resp):
        self.assertEqual(201, resp.status_code, resp.text)
        return resp.headers['Location']

    def refused(self, resp, *words):
        self.assertEqual(400, resp.status_code, resp.text)
        for word in words:
            self.assertIn(word, resp.text)

    def row(self, location):
        return self.store.load(location.rsplit('/', 1)[-1])

    def wait_state(self, location, wanted):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            row = self.row(location)
            if row is not None and row.state in wanted:
                return row
            time.sleep(0.05)
        self.fail('never reached %s' % wanted)

    def active(self, *attributes):
        """An instance moved to ``active`` (as after a create)."""
        location = self.created(self.text('POST', '/svc/', *attributes))
        self.wait_state(location, {states.FAILED})
        self.store.transition(location.rsplit('/', 1)[-1], states.ACTIVE)
        return location

    def assertNothingCreated(self):
        self.assertEqual([], self.store.in_states(states.BUSY |
                                                  {states.ACTIVE,
                                                   states.FAILED}))

    # types on create --------------------------------------------------------
    def test_text_values_are_coerced_and_stored_typed(self):
        location = self.created(self.text(
            'POST', '/svc/', 'svc.count="5"', 'svc.ratio="0.25"',
            'svc.flag="true"', 'svc.opts="{\\"a\\": [1, 2]}"',
            'svc.name=7', 'svc.mode="safe"'))
        expected = {'svc.count': 5, 'svc.ratio': 0.25, 'svc.flag': True,
                    'svc.fixed': 'x',
                    'svc.opts': {'a': [1, 2]}, 'svc.name': '7',
                    'svc.mode': 'safe'}
        self.assertEqual(expected, self.row(location).attributes)
        rendered = self.read(location)
        for name, value in expected.items():
            self.assertEqual(value, rendered[name])
            self.assertIs(type(value), type(rendered[name]))

    def test_text_arrays_become_lists(self):
        location = self.created(self.text('POST', '/svc/',
                                          'svc.list="[1, 2]"'))
        self.assertEqual([1, 2], self.row(location).attributes['svc.list'])
        self.assertEqual([1, 2], self.read(location)['svc.list'])
        self.refused(self.text('POST', '/svc/', 'svc.list="[1, 2, 3, 4]"'),
                     'svc.list', 'maxItems 3')
        self.refused(self.text('POST', '/svc/', 'svc.list="[1, \\"a\\"]"'),
                     'svc.list[1]', 'type', 'integer')

    def test_bare_text_values_keep_their_type(self):
        location = self.created(self.text(
            'POST', '/svc/', 'svc.count=5', 'svc.flag=false'))
        self.assertEqual({'svc.count': 5, 'svc.flag': False, 'svc.fixed': 'x'},
                         self.row(location).attributes)

    def test_wrong_type_is_400_naming_attribute_and_rule(self):
        self.refused(self.text('POST', '/svc/', 'svc.count="abc"'),
                     'svc.count', 'type', 'integer')
        self.refused(self.text('POST', '/svc/', 'svc.flag="yes"'),
                     'svc.flag', 'type', 'boolean')
        self.refused(self.text('POST', '/svc/', 'svc.opts="[1, 2]"'),
                     'svc.opts', 'type', 'object')
        self.refused(self.text('POST', '/svc/', 'svc.opts="{\\"a\\": 1}"'),
                     'svc.opts["a"]', 'type', 'array')
        self.assertNothingCreated()

    def test_limits_are_400_naming_attribute_and_rule(self):
        self.refused(self.text('POST', '/svc/', 'svc.count=2'),
                     'svc.count', 'minimum 3')
        self.refused(self.text('POST', '/svc/', 'svc.count=65'),
                     'svc.count', 'maximum 64')
        self.refused(self.text('POST', '/svc/', 'svc.ratio=1.5'),
                     'svc.ratio', 'maximum 1')
        self.refused(self.text('POST', '/svc/', 'svc.name="abcdefghi"'),
                     'svc.name', 'maxLength 8')
        self.refused(self.text('POST', '/svc/', 'svc.name=""'),
                     'svc.name', 'minLength 1')
        self.refused(self.text('POST', '/svc/', 'svc.mode="slow"'),
                     'svc.mode', 'enum')
        self.assertNothingCreated()

    def test_json_values_are_typed_and_never_coerced(self):
        self.refused(self.json('POST', '/svc/', {'svc.count': '5'}),
                     'svc.count', 'type', 'integer')
        self.refused(self.json('POST', '/svc/', {'svc.flag': 'true'}),
                     'svc.flag', 'type', 'boolean')
        location = self.created(self.json('POST', '/svc/', {
            'svc.count': 7, 'svc.flag': True, 'svc.opts': {'a': [1]},
            'svc.free': [1, 2]}))
        self.assertEqual({'svc.count': 7, 'svc.flag': True,
                          'svc.opts': {'a': [1]}, 'svc.free': [1, 2],
                          'svc.fixed': 'x'},
                         self.row(location).attributes)
        rendered = self.read(location)
        self.assertIs(True, rendered['svc.flag'])
        self.assertEqual([1, 2], rendered['svc.free'])

    def test_whole_floats_of_integer_attributes_are_stored_as_int(self):
        # JSON Schema calls 8.0 an integer; the SO must get 8, not "8.0".
        for response in (self.text('POST', '/svc/', 'svc.count=8.0'),
                         self.json('POST', '/svc/', {'svc.count': 8.0})):
            count = self.row(self.created(response)).attributes['svc.count']
            self.assertEqual(8, count)
            self.assertIs(int, type(count))
        self.refused(self.json('POST', '/svc/', {'svc.count': 8.5}),
                     'svc.count', 'type', 'integer')

    def test_json_null_is_400_never_a_default(self):
        self.refused(self.json('POST', '/svc/', {'svc.count': None}),
                     'svc.count', 'null')
        self.refused(self.json('POST', '/svc/', {'svc.free': None}),
                     'svc.free', 'null')
        self.assertNothingCreated()

    def test_attributes_without_schema_keep_the_2016_behaviour(self):
        location = self.created(self.text('POST', '/svc/',
                                          'svc.free="[1, 2]"'))
        self.assertEqual({'svc.free': '[1, 2]', 'svc.fixed': 'x'},
                         self.row(location).attributes)
        location = self.created(self.text('POST', '/svc/', 'svc.free=true'))
        self.assertEqual({'svc.free': True, 'svc.fixed': 'x'},
                         self.row(location).attributes)

    def test_numbers_beyond_range_are_400_in_words_for_a_client(self):
        huge = '9' * 5000
        for resp in (self.text('POST', '/svc/', 'svc.count=' + huge),
                     self.text('POST', '/svc/', 'svc.count="%s"' % huge),
                     self.text('POST', '/svc/', 'svc.ratio="%s"' % huge),
                     self.text('POST', '/svc/', 'svc.ratio="1e999"'),
                     self.text('POST', '/svc/', 'svc.ratio=1e999'),
                     self._raw_json('{"kind": "%ssvc", "attributes": '
                                    '{"svc.fixed": "x", "svc.count": %s}}'
                                    % (SCHEME, huge)),
                     self._raw_json('{"kind": "%ssvc", "attributes": '
                                    '{"svc.fixed": "x", "svc.ratio": 1e999}}'
                                    % SCHEME)):
            self.refused(resp, 'Number out of range')
            # Python's advice to its programmer stays out of the answer.
            self.assertNotIn('sys.set_int_max_str_digits', resp.text)
        self.assertNothingCreated()

    def test_nan_and_infinity_are_no_json(self):
        for constant in ('NaN', 'Infinity', '-Infinity'):
            self.refused(self._raw_json(
                '{"kind": "%ssvc", "attributes": {"svc.fixed": "x", '
                '"svc.ratio": %s}}' % (SCHEME, constant)),
                constant, 'no JSON value')
        self.assertNothingCreated()

    def test_an_unknown_json_document_names_what_was_expected(self):
        resp = self._raw_json('{"category": "svc"}')
        self.refused(resp)
        message = resp.json()['message']
        self.assertIn('Unrecognised OCCI JSON document', message)
        self.assertIn('("kind")', message)
        self.assertIn('"category"', message)
        self.assertNothingCreated()

    def test_an_unknown_json_member_is_named(self):
        # Trial finding: a misspelt member was dropped, the rest created.
        resp = self._raw_json(json.dumps({
            'kind': SCHEME + 'svc', 'attributes': {'svc.fixed': 'x'},
            'atributes': {'svc.count': 9}}))
        self.refused(resp)
        self.assertIn('Unknown member(s) of an entity in the JSON '
                      'rendering (GFD.226): "atributes"',
                      resp.json()['message'])
        self.assertNothingCreated()

    def _raw_json(self, body, path='/svc/'):
        return requests.post(self.url + path, data=body,
                             headers={'Content-Type': JSON, 'Accept': JSON},
                             timeout=30)

    # updates ----------------------------------------------------------------
    def test_update_values_are_checked_and_coerced(self):
        location = self.active('svc.count=5')
        path = location[len(self.url):]
        self.refused(self.text('POST', path, 'svc.count="abc"'),
                     'svc.count', 'type')
        self.refused(self.text('POST', path, 'svc.count=1'),
                     'svc.count', 'minimum')
        self.refused(self.json('POST', path, {'svc.count': None}),
                     'svc.count', 'null')
        row = self.row(location)
        self.assertEqual((states.ACTIVE, {'svc.count': 5, 'svc.fixed': 'x'}),
                         (row.state, row.attributes))
        # The same value as text is no change at all.
        resp = self.text('POST', path, 'svc.count="5"')
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual(states.ACTIVE, self.row(location).state)
        resp = self.text('POST', path, 'svc.count="6"')
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertIn('svc.count=6', resp.text)

    def test_json_attributes_alone_are_a_partial_update(self):
        location = self.active('svc.count=5', 'svc.name="a"')
        path = location[len(self.url):]
        resp = self._raw_json('{"attributes": {"svc.count": 6}}', path)
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual(6, resp.json()['attributes']['svc.count'])
        self.assertEqual('a', resp.json()['attributes']['svc.name'])
        # Checked as any update is (once the first is done).
        self.store.transition(location.rsplit('/', 1)[-1], states.ACTIVE)
        self.refused(self._raw_json('{"attributes": {"svc.count": 1}}',
                                    path), 'svc.count', 'minimum')

    def test_json_partial_update_naming_another_id_is_400(self):
        location = self.active('svc.count=5')
        path = location[len(self.url):]
        for other in ('zzz', location.rsplit('/', 1)[-1] + 'x'):
            resp = self._raw_json('{"id": "%s", "attributes": '
                                  '{"svc.count": 6}}' % other, path)
            self.refused(resp, 'occi.core.id')
        self.assertEqual({'svc.count': 5, 'svc.fixed': 'x'},
                         self.row(location).attributes)

    def test_a_core_member_and_its_attribute_must_agree(self):
        resp = self._raw_json(
            '{"kind": "%ssvc", "title": "x", "attributes": {"svc.fixed": '
            '"x", "occi.core.title": "y"}}' % SCHEME)
        self.refused(resp)
        self.assertIn('occi.core.title given twice', resp.json()['message'])
        self.assertNothingCreated()
        # The same value twice is one value.
        location = self.created(self._raw_json(
            '{"kind": "%ssvc", "title": "x", "attributes": {"svc.fixed": '
            '"x", "occi.core.title": "x"}}' % SCHEME))
        self.assertEqual('x', requests.get(
            location, headers={'Accept': JSON}, timeout=30).json()['title'])

    # PUT on an existing instance: full update --------------------------------
    def test_put_is_a_full_update(self):
        location = self.active('svc.count=5', 'svc.name="a"')
        path = location[len(self.url):]
        resp = self.text('PUT', path, 'svc.count="7"', 'svc.name="b"',
                         'svc.fixed="x"')
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertIn('svc.count=7', resp.text)
        self.assertIn('svc.name="b"', resp.text)
        self.assertIn('mcn.service.state="update"', resp.text)
        # The update went to the lifecycle (no CC here: the instance ends
        # degraded, "update not applied").
        self.assertIn(self.row(location).state,
                      {states.UPDATE, states.DEGRADED})

    def test_put_has_the_checks_of_post(self):
        location = self.active('svc.count=5')
        path = location[len(self.url):]
        before = self.row(location)
        self.refused(self.text('PUT', path, 'svc.count="abc"',
                               'svc.fixed="x"'), 'svc.count', 'type')
        self.refused(self.json('PUT', path, {'svc.count': None,
                                             'svc.fixed': 'x'}),
                     'svc.count', 'null')
        self.refused(self.text('PUT', path, 'svc.count=6',
                               'svc.fixed="y"'),
                     'cannot be changed', 'svc.fixed')
        self.refused(self.text('PUT', path, 'svc.count=6',
                               'svc.unknown="y"'), 'svc.unknown')
        self.refused(self.text('PUT', path, 'svc.count=6',
                               'mcn.service.state="failed"'),
                     'mcn.service.state')
        # svc.fixed is required: a full update must give it.
        self.refused(self.text('PUT', path, 'svc.count=6'), 'svc.fixed')
        # svc.count has a value: a full update must give it.
        self.refused(self.text('PUT', path, 'svc.name="n"',
                               'svc.fixed="x"'), 'missing', 'svc.count')
        after = self.row(location)
        self.assertEqual((states.ACTIVE, before.attributes,
                          before.updated_at),
                         (after.state, after.attributes, after.updated_at))

    def test_put_on_a_busy_instance_is_409(self):
        location = self.active('svc.count=5')
        instance_id = location.rsplit('/', 1)[-1]
        self.store.transition(instance_id, states.UPDATE)
        resp = self.text('PUT', location[len(self.url):], 'svc.count=6',
                         'svc.fixed="x"')
        self.assertEqual(409, resp.status_code, resp.text)
        self.assertEqual({'svc.count': 5, 'svc.fixed': 'x'},
                         self.row(location).attributes)

    def test_put_repeating_the_rendered_entity_changes_nothing(self):
        location = self.active('svc.count=5')
        rendered = self.read(location)
        resp = self.json('PUT', location[len(self.url):], rendered,
                         ident=location.rsplit('/', 1)[-1])
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual(states.ACTIVE, self.row(location).state)

    def test_put_changing_nothing_follows_the_state_rule(self):
        location = self.active('svc.count=5')
        instance_id = location.rsplit('/', 1)[-1]
        path = location[len(self.url):]
        rendered = self.read(location)
        rendered.pop('mcn.service.state')
        for state in (states.ACTIVE, states.DEGRADED, states.FAILED):
            self.store.transition(instance_id, state)
            resp = self.json('PUT', path, rendered, ident=instance_id)
            self.assertEqual(200, resp.status_code, resp.text)
            self.assertEqual(state, self.row(location).state)
        for state in (states.UPDATE, states.PROVISION):
            self.store.transition(instance_id, state)
            before = self.row(location)
            for resp in (self.json('PUT', path, rendered, ident=instance_id),
                         self.text('PUT', path, 'svc.count=5',
                                   'svc.fixed="x"')):
                self.assertEqual(409, resp.status_code, resp.text)
                self.assertIn('instance is in state %s; only an instance in '
                              'state active or degraded can be updated (one '
                              'in state failed only in its title, summary '
                              'and mixins)' % state, resp.text)
            after = self.row(location)
            self.assertEqual((state, before.attributes, before.updated_at),
                             (after.state, after.attributes,
                              after.updated_at))
        # Being deleted: refused too, the delete goes on.
        self.store.transition(instance_id, states.ACTIVE)
        self.assertIsNotNone(self.store.begin(instance_id, states.DESTROY,
                                              states.DELETABLE))
        resp = self.json('PUT', path, rendered, ident=instance_id)
        self.assertEqual(409, resp.status_code, resp.text)
        self.assertIn('instance is in state destroy', resp.json()['message'])
        self.assertEqual(states.DESTROY, self.row(location).state)

    def test_put_on_a_failed_instance_as_post(self):
        # Accepted when it changes no service attribute (title, summary,
        # mixins), as a POST is; refused with the same words otherwise.
        location = self.active('svc.count=5')
        instance_id = location.rsplit('/', 1)[-1]
        path = location[len(self.url):]
        self.store.transition(instance_id, states.FAILED)
        rendered = self.read(location)
        rendered.pop('mcn.service.state')
        resp = self.json('PUT', path, dict(rendered, **{
            'occi.core.title': 'broken', 'occi.core.summary': 'see why'}),
            ident=instance_id)
        self.assertEqual(200, resp.status_code, resp.text)
        row = self.row(location)
        self.assertEqual((states.FAILED, 'broken', 'see why', 5),
                         (row.state, row.title, row.summary,
                          row.attributes['svc.count']))
        for method in ('PUT', 'POST'):
            resp = self.json(method, path, dict(rendered, **{
                'svc.count': 6}), ident=instance_id)
            self.assertEqual(409, resp.status_code, resp.text)
            self.assertEqual(
                'instance is in state failed; only an instance in state '
                'active or degraded can be updated (one in state failed '
                'only in its title, summary and mixins)',
                resp.json()['message'])
        row = self.row(location)
        self.assertEqual((states.FAILED, 'broken', 5),
                         (row.state, row.title, row.attributes['svc.count']))

    def read_then_deleted(self):
        """An active instance read by a request (the OCCI layer's ``old``
        and ``new`` entities), then a delete begun before the request is
        decided: ``(location, backend, key, extras, old, new)``."""
        location = self.active('svc.count=5')
        instance_id = location.rsplit('/', 1)[-1]
        key = '/svc/' + instance_id
        extras = {'project': 'p1', 'user': 'u1', 'roles': ['member']}
        back = api.ServiceBackend(self.sm.manifest, self.store,
                                  self.lifecycle)
        old, new = (self.store.get(key, extras) for _ in range(2))
        self.assertIsNotNone(self.store.begin(instance_id, states.DESTROY,
                                              states.DELETABLE))
        return location, back, key, extras, old, new

    def refused_then_active(self, method):
        """:meth:`read_then_deleted`, the backend's ``method`` ('update':
        POST, 'replace': PUT) refused with the delete's state, then the
        instance active again: ``(location, instance id, backend, key,
        extras)``."""
        location, back, key, extras, old, new = self.read_then_deleted()
        instance_id = location.rsplit('/', 1)[-1]
        err = self.assertRaises(errors.Conflict, getattr(back, method), old,
                                new, extras)
        self.assertIn('instance is in state destroy', err.message)
        self.store.transition(instance_id, states.ACTIVE)
        return location, instance_id, back, key, extras

    def test_put_changing_nothing_sees_an_operation_begun_meanwhile(self):
        # The instance as the request read it (active), then a delete
        # begins before the update is decided: the decision is the fresh
        # record's, not the request's earlier read.
        location, instance_id, back, key, extras = \
            self.refused_then_active('replace')
        # An update that ended meanwhile: the same values are a change
        # again, and start an update of their own.
        old, new = (self.store.get(key, extras) for _ in range(2))
        self.store.transition(instance_id, states.ACTIVE,
                              attributes={'svc.count': 9})
        operation = self.row(location).operation
        back.replace(old, new, extras)
        self.assertEqual((states.UPDATE, 5),
                         (old.attributes['mcn.service.state'],
                          old.attributes['svc.count']))
        self.assertEqual(operation + 1, self.row(location).operation)

    # POST to an instance: the states --------------------------------------
    def test_post_while_busy_is_409_whatever_it_changes(self):
        location = self.active('svc.count=5')
        instance_id = location.rsplit('/', 1)[-1]
        path = location[len(self.url):]
        for state in sorted(states.BUSY - {states.DESTROY}):
            self.store.transition(instance_id, state)
            self.assert_post_refused(location, state)
        # Being deleted (the tester's case): refused too, the delete goes
        # on.
        self.store.transition(instance_id, states.ACTIVE)
        self.assertIsNotNone(self.store.begin(instance_id, states.DESTROY,
                                              states.DELETABLE))
        self.assert_post_refused(location, states.DESTROY)
        self.assertEqual(states.DESTROY, self.row(location).state)
        # Active, degraded and failed: the title and summary change.
        for state in (states.ACTIVE, states.DEGRADED, states.FAILED):
            self.store.transition(instance_id, state)
            resp = self.text('POST', path,
                             'occi.core.summary="in %s"' % state)
            self.assertEqual(200, resp.status_code, resp.text)
            row = self.row(location)
            self.assertEqual((state, 'in %s' % state),
                             (row.state, row.summary))

    def assert_post_refused(self, location, state):
        path = location[len(self.url):]
        before = self.row(location)
        for resp in (self.text('POST', path,
                               'occi.core.summary="still here?"'),
                     self.text('POST', path),
                     self.text('POST', path, 'svc.count=5'),
                     self.text('POST', path, 'svc.count=6')):
            self.assertEqual(409, resp.status_code, resp.text)
            self.assertIn('instance is in state %s; only an instance in '
                          'state active or degraded can be updated'
                          % state, resp.text)
        after = self.row(location)
        self.assertEqual(
            (state, before.attributes, before.summary, before.updated_at),
            (after.state, after.attributes, after.summary,
             after.updated_at))

    def test_post_sees_an_operation_begun_meanwhile(self):
        # Decided on the record as it is when the request is handled, and
        # the title/summary write lands only if no operation began since.
        location, instance_id, back, key, extras = \
            self.refused_then_active('update')
        # Accepted, then a delete begins before the summary is written.
        old, new = (self.store.get(key, extras) for _ in range(2))
        back.update(old, new, extras)
        self.assertIsNotNone(self.store.begin(instance_id, states.DESTROY,
                                              states.DELETABLE))
        old.summary = 'still here?'
        err = self.assertRaises(errors.Conflict, self.store.update, key,
                                old, extras)
        self.assertIn('instance is in state destroy', err.message)
        self.assertEqual((states.DESTROY, ''),
                         (self.row(location).state,
                          self.row(location).summary or ''))
        # An update accepted by the same request still writes its title.
        self.store.transition(instance_id, states.ACTIVE)
        old, new = (self.store.get(key, extras) for _ in range(2))
        new.attributes['svc.count'] = 6
        back.update(old, new, extras)
        old.summary = 'with the update'
        self.store.update(key, old, extras)
        self.assertEqual('with the update', self.row(location).summary)

    # A rendering read before the state moved on, sent back ---------------
    def test_rendering_sent_back_after_the_state_moved_on_is_409(self):
        location = self.active('svc.count=5')
        instance_id = location.rsplit('/', 1)[-1]
        path = location[len(self.url):]
        rendered = self.read(location)
        self.assertEqual(states.ACTIVE, rendered['mcn.service.state'])
        for state in (states.UPDATE, states.DESTROY):
            self.assertTrue(sm_server.move(self.store, instance_id, state))
            for method in ('PUT', 'POST'):
                resp = self.json(method, path, rendered, ident=instance_id)
                self.assertEqual(409, resp.status_code, resp.text)
                self.assertIn('instance is in state %s' % state,
                              resp.json()['message'])
        # On an updatable instance, giving the state another value is
        # still refused, in the words used on create.
        self.store.transition(instance_id, states.ACTIVE)
        for method in ('PUT', 'POST'):
            resp = self.json(method, path, dict(
                rendered, **{'mcn.service.state': states.FAILED}),
                ident=instance_id)
            self.refused(resp, 'Attribute mcn.service.state is set by the '
                         'service; a client cannot give it.')
        self.assertEqual(states.ACTIVE, self.row(location).state)

    # DELETE on a collection: all or nothing ----------------------------------
    def test_collection_delete_changes_nothing_if_one_is_refused(self):
        done = self.created(self.text('POST', '/svc/', 'svc.count=5'))
        blocked = self.created(self.text('POST', '/svc/', 'svc.count=6'))
        parent = self.created(self.text('POST', '/svc/', 'svc.count=7'))
        for location in (done, blocked, parent):
            self.wait_state(location, {states.FAILED})
        blocked_id = blocked.rsplit('/', 1)[-1]
        parent_id = parent.rsplit('/', 1)[-1]
        # ``blocked`` is part of a composed instance that this project's
        # collection does not hold (it belongs to another project).
        self.store.transition(parent_id, states.FAILED,
                              dependencies=[{'location': blocked}])
        with self.store._sessions.begin() as session:
            session.execute(sa.update(models.ServiceInstance).where(
                models.ServiceInstance.id == parent_id).values(
                    project='other'))
        for path in ('/svc/', '/'):
            resp = requests.delete(self.url + path, timeout=30)
            self.assertEqual(409, resp.status_code, resp.text)
            self.assertIn('nothing was deleted', resp.text)
            self.assertIn('/svc/%s' % blocked_id, resp.text)
            self.assertIn(parent_id, resp.text)
            self.assertNotIn(done.rsplit('/', 1)[-1], resp.text)
            self.assertEqual(states.FAILED, self.row(done).state)
            self.assertEqual(states.FAILED, self.row(blocked).state)
        self.store.transition(parent_id, states.FAILED, dependencies=[])
        resp = requests.delete(self.url + '/svc/', timeout=30)
        self.assertEqual(202, resp.status_code, resp.text)
        deadline = time.monotonic() + 30
        while self.row(done) is not None or self.row(blocked) is not None:
            self.assertLess(time.monotonic(), deadline)
            time.sleep(0.05)

    def test_collection_delete_leaves_dependencies_to_their_composed(self):
        dependency = self.created(self.text('POST', '/svc/', 'svc.count=5'))
        composed = self.created(self.text('POST', '/svc/', 'svc.count=6'))
        self.wait_state(dependency, {states.FAILED})
        self.wait_state(composed, {states.FAILED})
        self.store.transition(composed.rsplit('/', 1)[-1], states.FAILED,
                              dependencies=[{'location': dependency}])
        # On its own, the dependency cannot be deleted ...
        resp = requests.delete(dependency, timeout=30)
        self.assertEqual(409, resp.status_code, resp.text)
        # ... with its composed instance, it is not refused.
        resp = requests.delete(self.url + '/svc/', timeout=30)
        self.assertEqual(202, resp.status_code, resp.text)
        # The composed instance's disposal disposes the dependency.
        deadline = time.monotonic() + 30
        while self.row(composed) is not None or \
                self.row(dependency) is not None:
            self.assertLess(time.monotonic(), deadline,
                            (self.row(composed), self.row(dependency)))
            time.sleep(0.05)
