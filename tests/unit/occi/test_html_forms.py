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
"""The text/html rendering, HTML form posts and the cross-site guard
(hurtle.occi.pages, hurtle.occi.forms), on the OCCI layer alone."""
import html.parser
import urllib.parse

from occi import core_model
import testtools

from hurtle.occi import categories
from hurtle.occi import errors
from hurtle.occi import forms
from hurtle.occi import pages
from hurtle.occi import registry as occi_registry
from hurtle.occi import renderings
from tests.unit.occi import base

INJECTED = '"><img src=x onerror=alert(1)><script>alert(2)</script>\'&'
HTML = {'Accept': 'text/html'}


class Tags(html.parser.HTMLParser):
    """The start tags of a document: ``[(tag, {attr: value})]``."""

    def __init__(self, text):
        super().__init__()
        self.tags = []
        self.text = []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)

    def named(self, tag):
        return [attrs for name, attrs in self.tags if name == tag]


def body(**fields):
    return urllib.parse.urlencode(fields)


class ParseTest(testtools.TestCase):

    def test_create_fields_empty_ones_left_out(self):
        form = forms.parse(body(_form='create', a='1', b='', c='x y'))
        self.assertEqual('POST', form.method)
        self.assertEqual({'a': '1', 'c': 'x y'}, dict(form.attributes))

    def test_delete(self):
        self.assertEqual('DELETE',
                         forms.parse(body(_method='delete')).method)

    def test_bad_forms_are_400(self):
        for text in (body(_form='create') + '&a=1&a=2',
                     body(_form='create', _other='1'),
                     body(_method='PUT'),
                     body(_form='update'),
                     body(_method='DELETE', a='1'),
                     '_form=create&a=%ff',
                     '&'.join('f%d=1' % i for i in range(500))):
            self.assertRaises(errors.BadRequest, forms.parse, text)

    def test_to_data_names_the_kind(self):
        data = forms.to_data(forms.parse(body(_form='create', a='5')),
                             categories.APP)
        self.assertEqual([{'scheme': categories.APP_SCHEME, 'term': 'app',
                           'class': 'kind'}], data.categories)
        self.assertEqual({'a': '5'}, dict(data.attributes))
        self.assertEqual([], forms.to_data(forms.parse(body(_form='create')),
                                           None).categories)


class OriginTest(testtools.TestCase):

    def test_origin_normalised(self):
        self.assertEqual('http://h', forms.origin('HTTP://H:80/x?y'))
        self.assertEqual('https://h', forms.origin('https://h:443'))
        self.assertEqual('http://h:8888', forms.origin('http://h:8888/a'))
        self.assertEqual('http://[::1]:8', forms.origin('http://[::1]:8/'))
        for bad in ('null', '', 'javascript:x', 'http://h:99999/',
                    'file:///etc'):
            self.assertIsNone(forms.origin(bad))

    def check(self, method='POST', form=False, **headers):
        environ = {'REQUEST_METHOD': method}
        environ.update(('HTTP_' + k.upper(), v) for k, v in headers.items())
        forms.check_origin(environ, 'http://sm:8888/prefix', form)

    def test_cross_site_refused(self):
        for method in ('POST', 'PUT', 'DELETE'):
            self.assertRaises(errors.Forbidden, self.check, method,
                              origin='http://evil.example')
        self.assertRaises(errors.Forbidden, self.check, origin='null')
        self.assertRaises(errors.Forbidden, self.check, form=True,
                          origin='http://evil.example',
                          referer='http://sm:8888/')
        self.assertRaises(errors.Forbidden, self.check, form=True,
                          referer='http://evil.example/sm:8888/')

    def test_form_needs_origin_or_referer(self):
        self.assertRaises(errors.Forbidden, self.check, form=True)
        self.check(form=True, origin='http://sm:8888')
        self.check(form=True, referer='http://sm:8888/app/')

    def test_other_clients_and_reads_pass(self):
        self.check()                       # curl: no Origin
        self.check('GET', origin='http://evil.example')
        self.check(origin='http://SM:8888')


class InputTest(testtools.TestCase):

    def control(self, schema, flag='mutable'):
        tags = Tags(pages.create_form('http://h/k/', [('a.b', flag)],
                                      {'a.b': {'schema': schema}}))
        return [(tag, attrs) for tag, attrs in tags.tags
                if attrs.get('name') == 'a.b'][0]

    def test_typed_controls(self):
        tag, attrs = self.control({'type': 'integer', 'minimum': 4,
                                   'maximum': 32}, 'required')
        self.assertEqual(('input', 'number', '1', '4', '32'),
                         (tag, attrs['type'], attrs['step'], attrs['min'],
                          attrs['max']))
        self.assertIn('required', attrs)
        tag, attrs = self.control({'type': 'number'})
        self.assertEqual(('number', 'any'), (attrs['type'], attrs['step']))
        self.assertNotIn('required', attrs)
        tag, attrs = self.control({'type': 'string', 'maxLength': 64})
        self.assertEqual(('text', '64'), (attrs['type'],
                                          attrs['maxlength']))
        self.assertEqual('select', self.control({'type': 'boolean'})[0])
        self.assertEqual('select', self.control({'enum': ['a', 'b']})[0])
        self.assertEqual('textarea', self.control({'type': 'object'})[0])
        self.assertEqual('text', self.control({})[1]['type'])

    def test_enum_options_escaped(self):
        form = pages.create_form('http://h/k/', [('a', 'mutable')],
                                 {'a': {'schema': {'enum': [INJECTED]}}})
        tags = Tags(form)
        self.assertEqual([], tags.named('img') + tags.named('script'))
        self.assertIn(INJECTED, [o['value'] for o in tags.named('option')])


class EntityPageTest(testtools.TestCase):
    """The entity page: escaping, outputs, reloading while busy."""

    def setUp(self):
        super().setUp()
        self.rendering = renderings.HtmlRendering(occi_registry.Registry())
        self.rendering.registry.set_hostname('http://h:1')
        self.rendering.state = ('occi.app.state', ('starting',))

    def entity(self, state, **attrs):
        entity = core_model.Resource('/app/x1', categories.APP, [])
        entity.attributes.update({'occi.app.state': state,
                                  'occi.app.name': INJECTED}, **attrs)
        return Tags(self.rendering.entity(entity)[1])

    def test_values_are_text(self):
        page = self.entity('running', **{'mcn.endpoint.web': INJECTED,
                                         'link': 'javascript:alert(3)'})
        self.assertEqual([], page.named('img') + page.named('script'))
        self.assertIn(INJECTED, page.text)
        self.assertNotIn('javascript:alert(3)',
                         [a.get('href') for a in page.named('a')])

    def test_outputs_and_links(self):
        page = self.entity('running', **{
            'mcn.endpoint.web': 'http://10.0.0.1/', 'stack.out': 'v'})
        self.assertIn('http://10.0.0.1/',
                      [a.get('href') for a in page.named('a')])
        self.assertIn('stack.out', page.text)
        self.assertEqual(['outputs'],
                         [t['class'] for t in page.named('table')
                          if t.get('class') == 'outputs'])
        # The delete form posts _method=DELETE to the entity.
        form = [f for f in page.named('form') if f['class'] == 'delete'][0]
        self.assertEqual(('post', 'http://h:1/app/x1'),
                         (form['method'], form['action']))

    def test_reloads_only_while_busy(self):
        refresh = [m for m in self.entity('starting').named('meta')
                   if m.get('http-equiv') == 'refresh']
        self.assertEqual(1, len(refresh))
        self.assertEqual([], [m for m in self.entity('running').named('meta')
                              if m.get('http-equiv') == 'refresh'])


class ServedFormsTest(base.ServedAppTestCase):
    """Form posts over HTTP, through the layer's real handlers."""

    def form(self, path, fields, origin=True, **headers):
        headers = dict(HTML, **headers)
        headers['Content-Type'] = forms.FORM_TYPE
        if origin:
            headers.setdefault('Origin', self.base)
        return self.req('POST', path, headers, urllib.parse.urlencode(
            fields))

    def created(self):
        return [c for c in self.backend.calls if c[0] == 'create']

    def test_collection_page_lists_and_offers_the_form(self):
        self.assertEqual(303, self.form('/app/', {
            '_form': 'create', 'occi.app.name': INJECTED,
            'occi.app.image': 'i'}).status_code)
        resp = self.req('GET', '/app/', HTML)
        self.assertEqual(200, resp.status_code)
        page = Tags(resp.text)
        self.assertEqual([], page.named('img') + page.named('script'))
        names = [i.get('name') for i in page.named('input')]
        self.assertIn('occi.app.name', names)
        self.assertIn('occi.app.image', names)
        self.assertNotIn('occi.core.id', names)
        self.assertIn('occi.app.name', page.text)     # attribute table
        self.assertEqual(2, len(page.named('table')))  # + instances

    def test_create_then_delete(self):
        resp = self.form('/app/', {'_form': 'create',
                                   'occi.app.name': INJECTED,
                                   'occi.app.image': 'img',
                                   'occi.app.env': ''})
        self.assertEqual(303, resp.status_code, resp.text)
        where = resp.headers['Location']
        self.assertTrue(where.startswith(self.base + '/app/'), where)
        page = self.req('GET', where, HTML)
        self.assertEqual(200, page.status_code)
        tags = Tags(page.text)
        self.assertEqual([], tags.named('img') + tags.named('script'))
        self.assertIn(INJECTED, tags.text)
        # An empty field is "not given".
        self.assertNotIn('occi.app.env', tags.text)
        resp = self.form(where, {'_method': 'DELETE'},
                         origin=False, Referer=where)
        self.assertEqual(303, resp.status_code, resp.text)
        self.assertEqual(self.base + '/app/', resp.headers['Location'])
        self.assertEqual(404, self.req('GET', where).status_code)

    def test_errors_are_html_pages_with_the_reason(self):
        resp = self.form('/app/', {'_form': 'create', 'occi.app.name': 'x'})
        self.assertEqual(400, resp.status_code)
        self.assertIn('text/html', resp.headers['Content-Type'])
        self.assertIn('occi.app.image', resp.text)
        resp = self.form('/app/', {'_form': 'create', 'x': INJECTED,
                                   'occi.app.name': 'n',
                                   'occi.app.image': 'i'})
        self.assertEqual(400, resp.status_code)
        self.assertEqual([], Tags(resp.text).named('img'))
        self.assertEqual(404, self.form('/nothing/', {
            '_form': 'create'}).status_code)
        self.assertEqual(400, self.form('/app/', {
            '_method': 'DELETE'}).status_code)
        self.assertEqual([], self.created())
        where = self.create_app()
        resp = self.form(where, {'_form': 'create', 'occi.app.env': 'x'})
        self.assertEqual(400, resp.status_code)
        self.assertNotIn('update', [c[0] for c in self.backend.calls])

    def test_cross_site_posts_refused_and_nothing_done(self):
        fields = {'_form': 'create', 'occi.app.name': 'n',
                  'occi.app.image': 'i'}
        resp = self.form('/app/', fields, origin=False)
        self.assertEqual(403, resp.status_code)
        resp = self.form('/app/', fields, Origin='http://evil.example')
        self.assertEqual(403, resp.status_code)
        self.assertIn('evil.example', resp.text)
        # An OCCI text/plain body from a browser on another site too.
        resp = self.req('POST', '/app/', {
            'Content-Type': 'text/plain', 'Origin': 'http://evil.example'},
            'Category: %s\nX-OCCI-Attribute: occi.app.name="n"\n'
            'X-OCCI-Attribute: occi.app.image="i"\n' % base.APP_CAT)
        self.assertEqual(403, resp.status_code)
        where = self.create_app()
        resp = self.form(where, {'_method': 'DELETE'},
                         Origin='http://evil.example')
        self.assertEqual(403, resp.status_code)
        self.assertEqual(200, self.req('GET', where).status_code)
        self.assertEqual(1, len(self.created()))

    def test_percent_encoded_field_not_utf8_is_400_saying_so(self):
        # %E9 is Latin-1 "e acute": the form cannot be read, and the
        # message says why (it said "No kind given" as an OCCI body).
        resp = self.req('POST', '/app/', dict(
            HTML, **{'Content-Type': forms.FORM_TYPE, 'Origin': self.base}),
            '_form=create&occi.app.name=caf%E9&occi.app.image=i')
        self.assertEqual(400, resp.status_code)
        self.assertIn('not UTF-8 (byte %E9)', resp.text)
        self.assertEqual([], self.created())

    def test_urlencoded_occi_without_form_fields_is_text_plain(self):
        # curl -d sends this Content-Type: it stays the OCCI text/plain
        # rendering, answered 201 as before.
        resp = self.req('POST', '/app/', {
            'Content-Type': forms.FORM_TYPE},
            'Category: %s\nX-OCCI-Attribute: occi.app.name="n"\n'
            'X-OCCI-Attribute: occi.app.image="i"\n' % base.APP_CAT)
        self.assertEqual(201, resp.status_code, resp.text)

    def test_form_without_its_control_field_is_400_naming_it(self):
        # Fields as a form sends them, but no _form: neither a form post
        # nor OCCI text/plain. The answer said only "text/plain body
        # line 1 is not a header line".
        fields = body(**{'occi.app.name': 'n', 'occi.app.image': 'i'})
        expected = (
            'form post without its control field: add _form=create to '
            'create (posted to a kind\'s collection) or _method=DELETE to '
            'delete (posted to an entity). A '
            'application/x-www-form-urlencoded body without either is read '
            'as OCCI text/plain ("Name: value" lines, as curl -d sends), '
            'and this one is not: text/plain body line 1 is not a header '
            'line ("Name: value"): %s' % fields)
        for accept in ('text/plain', 'text/occi', '*/*'):
            resp = self.req('POST', '/app/', {
                'Content-Type': forms.FORM_TYPE, 'Origin': self.base,
                'Accept': accept}, fields)
            self.assertEqual(400, resp.status_code, resp.text)
            self.assertEqual(expected, resp.text)
        for accept in ('application/occi+json', 'application/json'):
            resp = self.req('POST', '/app/', {
                'Content-Type': forms.FORM_TYPE, 'Accept': accept}, fields)
            self.assertEqual(400, resp.status_code, resp.text)
            self.assertEqual('application/occi+json',
                             resp.headers['Content-Type'])
            self.assertEqual({'message': expected}, resp.json())
        resp = self.form('/app/', {'occi.app.name': 'n'})
        self.assertEqual(400, resp.status_code, resp.text)
        self.assertIn('text/html', resp.headers['Content-Type'])
        self.assertIn('add _form=create to create', resp.text)
        self.assertEqual([], self.created())
        # A body that is not form fields keeps the text/plain reason.
        resp = self.req('POST', '/app/', {'Content-Type': forms.FORM_TYPE},
                        'no fields here')
        self.assertEqual(400, resp.status_code, resp.text)
        self.assertEqual('text/plain body line 1 is not a header line '
                         '("Name: value"): no fields here', resp.text)

    def test_form_from_curl_answers_in_its_rendering(self):
        resp = self.req('POST', '/app/', {
            'Content-Type': forms.FORM_TYPE, 'Origin': self.base},
            body(_form='create', **{'occi.app.name': 'n',
                                    'occi.app.image': 'i'}))
        self.assertEqual(303, resp.status_code, resp.text)
        self.assertEqual('text/plain', resp.headers['Content-Type'])
        self.assertEqual('X-OCCI-Location: %s\n' % resp.headers['Location'],
                         resp.text)
