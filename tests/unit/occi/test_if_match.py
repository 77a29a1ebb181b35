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
"""``If-Match`` (RFC 9110 13.1.1) on a real server: a change guarded by
the ``ETag`` a GET gave is done while the entity is unchanged, refused
with 412 (and nothing changed) once it changed."""

from tests.unit.occi import test_long_poll

WATCHED_CAT = test_long_poll.WATCHED_CAT


class IfMatchTest(test_long_poll.LongPollTest):

    def update(self, value, headers=None, **kwargs):
        all_headers = {'Content-Type': 'text/occi', 'Category': WATCHED_CAT,
                       'X-OCCI-Attribute': 'x="%s"' % value}
        all_headers.update(headers or {})
        return self.req('POST', self.loc, all_headers, **kwargs)

    def value(self):
        resp = self.req('GET', self.loc, {'Accept': 'application/occi+json'})
        return resp.json()['attributes']['x']

    def test_an_update_with_the_current_tag_is_done(self):
        resp = self.update('2', {'If-Match': self.tag()})
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual('2', self.value())

    def test_an_update_after_another_change_is_refused_and_not_done(self):
        tag = self.tag()
        self.assertEqual(200, self.update('2').status_code)  # another client
        resp = self.update('3', {'If-Match': tag})
        self.assertEqual(412, resp.status_code)
        self.assertIn('changed since it was read', resp.text)
        self.assertEqual(self.tag(), resp.headers['ETag'])
        self.assertEqual('2', self.value())

    def test_any_listed_tag_may_match_and_star_matches_an_entity(self):
        tag = self.tag()
        resp = self.update('2', {'If-Match': '"0000", %s' % tag})
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual(200, self.update('3', {'If-Match': '*'}).status_code)
        self.assertEqual('3', self.value())

    def test_a_weak_tag_never_matches(self):
        resp = self.update('2', {'If-Match': 'W/' + self.tag()})
        self.assertEqual(412, resp.status_code)
        self.assertEqual('1', self.value())

    def test_the_tag_is_of_the_representation_the_accept_selects(self):
        json_tag = self.tag({'Accept': 'application/occi+json'})
        resp = self.update('2', {'If-Match': json_tag})
        self.assertEqual(412, resp.status_code)     # answered as text/plain
        resp = self.update('2', {'If-Match': json_tag,
                                 'Accept': 'application/occi+json'})
        self.assertEqual(200, resp.status_code, resp.text)

    def test_a_malformed_value_is_a_400_and_nothing_is_done(self):
        for value in ('abc', '"unterminated', ',', '"a" b'):
            resp = self.update('2', {'If-Match': value})
            self.assertEqual(400, resp.status_code, value)
            self.assertIn('If-Match must be', resp.text)
        self.assertEqual('1', self.value())

    def test_a_malformed_if_none_match_on_a_change_is_a_400(self):
        # A mistyped create-only PUT must not replace the entity.
        headers = {'If-None-Match': '*,', 'Content-Type': 'text/occi',
                   'Category': WATCHED_CAT, 'X-OCCI-Attribute': 'x="9"'}
        resp = self.req('PUT', self.loc, headers)
        self.assertEqual(400, resp.status_code, resp.text)
        self.assertIn('If-None-Match must be', resp.text)
        for value in (',,,"', 'abc'):
            resp = self.update('2', {'If-None-Match': value})
            self.assertEqual(400, resp.status_code, value)
            resp = self.req('DELETE', self.loc, {'If-None-Match': value})
            self.assertEqual(400, resp.status_code, value)
        self.assertEqual('1', self.value())
        # On GET it only forgoes a 304.
        self.assertEqual(200, self.req('GET', self.loc,
                                       {'If-None-Match': 'abc'}).status_code)

    def test_a_delete_with_a_stale_tag_is_refused(self):
        tag = self.tag()
        self.update('2')
        resp = self.req('DELETE', self.loc, {'If-Match': tag})
        self.assertEqual(412, resp.status_code)
        self.assertEqual(200, self.req('GET', self.loc).status_code)
        resp = self.req('DELETE', self.loc, {'If-Match': self.tag()})
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual(404, self.req('GET', self.loc).status_code)

    def test_a_missing_entity_is_404_for_post_and_412_for_put(self):
        resp = self.req('POST', '/watched/none', {
            'If-Match': '*', 'Content-Type': 'text/occi',
            'Category': WATCHED_CAT})
        self.assertEqual(404, resp.status_code)
        resp = self.req('PUT', '/watched/none', {
            'If-Match': '*', 'Content-Type': 'text/occi',
            'Category': WATCHED_CAT, 'X-OCCI-Attribute': 'x="1"'})
        self.assertEqual(412, resp.status_code)
        self.assertIn('does not exist', resp.text)
        self.assertEqual(404, self.req('GET', '/watched/none').status_code)

    def test_another_projects_entity_is_404_whatever_the_tag(self):
        resp = self.update('2', {'If-Match': '*'}, project='p2')
        self.assertEqual(404, resp.status_code)
        self.assertEqual('1', self.value())

    def test_a_collection_has_no_tag_only_star_holds(self):
        headers = {'Content-Type': 'text/occi', 'Category': WATCHED_CAT,
                   'X-OCCI-Attribute': 'x="5"'}
        resp = self.req('POST', '/watched/', dict(headers,
                                                  **{'If-Match': '"x"'}))
        self.assertEqual(412, resp.status_code)
        resp = self.req('POST', '/watched/', dict(headers,
                                                  **{'If-Match': '*'}))
        self.assertEqual(201, resp.status_code, resp.text)

    def test_a_get_with_a_stale_tag_is_412(self):
        tag = self.tag()
        self.assertEqual(200, self.req('GET', self.loc,
                                       {'If-Match': tag}).status_code)
        self.update('2')
        self.assertEqual(412, self.req('GET', self.loc,
                                       {'If-Match': tag}).status_code)

    def test_if_none_match_star_makes_put_create_only(self):
        headers = {'If-None-Match': '*', 'Content-Type': 'text/occi',
                   'Category': WATCHED_CAT, 'X-OCCI-Attribute': 'x="9"'}
        resp = self.req('PUT', self.loc, headers)
        self.assertEqual(412, resp.status_code)
        self.assertIn('exists', resp.text)
        self.assertEqual('1', self.value())
        resp = self.req('PUT', '/watched/new-1', headers)
        self.assertEqual(201, resp.status_code, resp.text)

    def test_if_none_match_naming_the_current_tag_refuses_a_change(self):
        tag = self.tag()
        resp = self.update('2', {'If-None-Match': tag})
        self.assertEqual(412, resp.status_code)
        self.assertEqual('1', self.value())
        resp = self.update('2', {'If-None-Match': '"other"'})
        self.assertEqual(200, resp.status_code, resp.text)
        self.assertEqual('2', self.value())
