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
"""HTML building blocks of the ``text/html`` rendering
(doc/source/user/browser.rst).

Every function returns a ``str`` of HTML; every value that comes from a
category, an entity or a request goes through :func:`esc` (text and
attribute values alike), so an attribute value such as
``"><img src=x onerror=alert(1)>`` shows as text. URLs are made links only
when they are ``http``/``https`` (never ``javascript:``). No script:
pages that must change refresh themselves with
``<meta http-equiv="refresh">``.

Forms post ``application/x-www-form-urlencoded`` fields named after the
attributes, plus control fields starting with ``_`` (``_form=create``,
``_method=DELETE``), which :mod:`hurtle.occi.forms` reads.
"""

import html
import json

#: Seconds between two reloads of a page showing work in progress.
REFRESH_SECONDS = 2

_STYLE = ('body{font-family:sans-serif;margin:1.5em;max-width:70em}'
          'table{border-collapse:collapse;margin:.5em 0}'
          'th,td{border:1px solid #999;padding:.25em .5em;text-align:left;'
          'vertical-align:top}th{background:#e8eef4}'
          '.state{font-weight:bold}form.create label{display:block;'
          'margin-top:.5em}button{margin-top:.75em}')

#: Form control field naming the form (``create``).
FORM_FIELD = '_form'
#: Form control field overriding the method (``DELETE``).
METHOD_FIELD = '_method'


def esc(value):
    """``value`` as text safe in HTML content and quoted attributes."""
    return html.escape(str(value), quote=True)


def show(value):
    """An attribute value as display text: strings as they are, other
    values as JSON (``5``, ``true``, ``{"a": 1}``)."""
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True)


def link(url, text=None):
    """``<a>`` to ``url`` if it is an http(s) URL, else the text alone."""
    url = str(url)
    if not url.lower().startswith(('http://', 'https://')):
        return esc(text if text is not None else url)
    text = url if text is None else text
    return '<a href="%s">%s</a>' % (esc(url), esc(text))


def page(title, body, refresh=False, home=None):
    """A whole document.

    :param refresh: reload every :data:`REFRESH_SECONDS` (work in
        progress).
    :param home: URL of the service list, linked at the top.
    """
    meta = ('<meta http-equiv="refresh" content="%d">' % REFRESH_SECONDS
            if refresh else '')
    nav = ('<nav>%s</nav>' % link(home, 'All services')) if home else ''
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '%s<title>%s</title><style>%s</style></head><body>%s'
            '<h1>%s</h1>%s</body></html>'
            % (meta, esc(title), _STYLE, nav, esc(title), body))


def schema_type(schema):
    """The declared JSON type of an attribute's schema, or ``'any'``."""
    declared = (schema or {}).get('type')
    if isinstance(declared, list):
        return ' or '.join(str(t) for t in declared)
    return str(declared) if declared else 'any'


def attribute_table(attributes, info):
    """Table of attribute definitions.

    :param attributes: ``[(name, flag)]`` with PySSF flags
        (``required``, ``immutable``, ``mutable``).
    :param info: ``{name: {'schema': dict, 'description': str}}``.
    """
    rows = []
    for name, flag in attributes:
        spec = info.get(name, {})
        rows.append(
            '<tr><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td>'
            '<td>%s</td></tr>'
            % (esc(name), esc(schema_type(spec.get('schema'))),
               'no' if flag == 'immutable' else 'yes',
               'yes' if flag == 'required' else 'no',
               esc(spec.get('description', ''))))
    return ('<table class="attributes"><tr><th>Attribute</th><th>Type</th>'
            '<th>Mutable</th><th>Required</th><th>Description</th></tr>%s'
            '</table>' % ''.join(rows))


def _input(name, flag, schema):
    """One form control for an attribute, typed as its schema says."""
    schema = schema or {}
    kind = schema.get('type')
    required = ' required' if flag == 'required' else ''
    ident = 'attr-' + name
    common = 'name="%s" id="%s"%s' % (esc(name), esc(ident), required)
    if 'enum' in schema or kind == 'boolean':
        choices = schema.get('enum', [True, False])
        options = ''.join('<option value="%s">%s</option>'
                          % (esc(show(v)), esc(show(v))) for v in choices)
        return '<select %s><option value="">(not set)</option>%s</select>' \
            % (common, options)
    if kind in ('object', 'array'):
        return '<textarea %s rows="3" cols="50" placeholder="%s">' \
               '</textarea>' % (common, 'JSON ' + kind)
    if kind in ('integer', 'number'):
        bounds = ''.join(' %s="%s"' % (html_name, esc(schema[key]))
                         for key, html_name in (('minimum', 'min'),
                                                ('maximum', 'max'))
                         if isinstance(schema.get(key), (int, float)))
        step = '1' if kind == 'integer' else 'any'
        return '<input type="number" step="%s"%s %s>' % (
            step, bounds, common)
    lengths = ''.join(' %s="%d"' % (key.lower(), schema[key])
                      for key in ('minLength', 'maxLength')
                      if isinstance(schema.get(key), int))
    return '<input type="text"%s %s>' % (lengths, common)


def create_form(action, attributes, info):
    """The form creating an instance: one control per attribute.

    :param action: URL of the kind's collection (the form posts there).
    :param attributes: ``[(name, flag)]`` the user may give.
    :param info: as for :func:`attribute_table`.
    """
    fields = []
    for name, flag in attributes:
        spec = info.get(name, {})
        label = '%s (%s%s)' % (name, schema_type(spec.get('schema')),
                               ', required' if flag == 'required' else '')
        fields.append('<label for="%s">%s</label>%s'
                      % (esc('attr-' + name), esc(label),
                         _input(name, flag, spec.get('schema'))))
    return ('<form class="create" method="post" action="%s" '
            'enctype="application/x-www-form-urlencoded">'
            '<input type="hidden" name="%s" value="create">%s'
            '<button type="submit" id="create">Create</button></form>'
            % (esc(action), FORM_FIELD, ''.join(fields)))


def delete_form(action):
    """The form deleting the instance at ``action``."""
    return ('<form class="delete" method="post" action="%s" '
            'enctype="application/x-www-form-urlencoded">'
            '<input type="hidden" name="%s" value="DELETE">'
            '<button type="submit" id="delete">Delete</button></form>'
            % (esc(action), METHOD_FIELD))


def value_table(values, css='values'):
    """Table of ``[(name, value)]``; http(s) values become links."""
    rows = ''.join('<tr><th>%s</th><td>%s</td></tr>'
                   % (esc(name), link(show(value)) if isinstance(value, str)
                      else esc(show(value)))
                   for name, value in values)
    return '<table class="%s">%s</table>' % (esc(css), rows)
