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
"""HTML form posts, and the cross-site request guard
(doc/source/user/browser.rst).

A **form post** is a ``POST`` with ``Content-Type:
application/x-www-form-urlencoded`` whose fields include a control field
of :mod:`hurtle.occi.pages` (``_form=create`` or ``_method=DELETE``);
other urlencoded bodies are OCCI ``text/plain`` as before (curl's
default); one that is neither (form fields without a control field) is
a 400 naming the missing field (:func:`not_text_either`), in the
rendering the client accepts. A form post is turned into the OCCI
request it stands for and served by the same handlers, backends, policy
and checks:

* ``_form=create`` on a kind's collection: create, the other fields
  being attribute values (empty fields are left out: "not given");
  answered ``303 See Other`` to the new instance;
* ``_method=DELETE`` on an entity: delete it; ``303 See Other`` to the
  collection of its kind.

Errors are the OCCI ones (4xx with the reason, in HTML for a browser).

**Cross-site requests** (CSRF). Browsers send ``Origin`` with every
cross-origin ``POST`` (forms included) and ``Origin`` or ``Referer``
with same-origin form posts; other clients send neither. So:

* any ``POST``, ``PUT`` or ``DELETE`` whose ``Origin`` is not this
  service's own origin is refused (403), whatever its content type
  (this closes ``<form enctype="text/plain">`` posts too);
* a form post must prove where it comes from: its ``Origin``, else its
  ``Referer``, must be this service's origin (403 without either).

This origin is the one of ``public_url`` when set, else the request's
scheme and ``Host``. A check of headers the browser sets needs no
session or token, so it works the same with noauth and Keystone.
"""

import collections
import urllib.parse

from hurtle.occi import errors
from hurtle.occi import pages
from hurtle.occi import renderings

FORM_TYPE = 'application/x-www-form-urlencoded'
UNSAFE_METHODS = ('POST', 'PUT', 'DELETE', 'PATCH')
#: Most fields a form post may carry.
MAX_FIELDS = 200
_DEFAULT_PORTS = {'http': 80, 'https': 443}


class Form(object):
    """A parsed form post.

    ``method``: ``'POST'`` (create) or ``'DELETE'``; ``attributes``:
    ordered ``{name: str}`` of the non-empty attribute fields.
    """

    def __init__(self, method, attributes):
        self.method = method
        self.attributes = attributes


def origin(url):
    """``scheme://host[:port]`` of ``url``, lower-cased, default port
    left out; ``None`` if ``url`` is no http(s) URL."""
    try:
        parts = urllib.parse.urlsplit(url or '')
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ':' in host:
        host = '[%s]' % host
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return '%s://%s' % (scheme, host)
    return '%s://%s:%d' % (scheme, host, port)


def check_origin(environ, own_url, form):
    """Refuse a cross-site request (see the module docstring).

    :param own_url: this service's base URL (``Request.hostname``).
    :param form: True for a form post (``Origin`` or ``Referer`` needed).
    :raises Forbidden: ``Origin`` (or, for a form without ``Origin``,
        ``Referer``) names another origin, or a form post has neither.
    """
    method = (environ.get('REQUEST_METHOD') or '').upper()
    if method not in UNSAFE_METHODS:
        return
    own = origin(own_url)
    sent = environ.get('HTTP_ORIGIN')
    if sent is not None:
        if origin(sent) != own:
            raise errors.Forbidden(
                'cross-site request refused: Origin %s is not %s'
                % (sent[:80], own))
        return
    if not form:
        return
    referer = environ.get('HTTP_REFERER')
    if referer is None:
        raise errors.Forbidden('form posts must come from this service\'s '
                               'own pages (send Origin or Referer)')
    if origin(referer) != own:
        raise errors.Forbidden('cross-site form post refused: it comes '
                               'from %s, not %s'
                               % (origin(referer) or 'elsewhere', own))


class NotUTF8(errors.BadRequest):
    """A form post's field does not decode as UTF-8 once its %XX
    escapes are decoded (400)."""


def _fields(body):
    """``[(name, value)]`` of an urlencoded body.

    :raises BadRequest: not urlencoded UTF-8, or too many fields.
    """
    try:
        return urllib.parse.parse_qsl(body or '', keep_blank_values=True,
                                      errors='strict',
                                      max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError as exc:
        raise NotUTF8('malformed form: a percent-encoded field is not '
                      'UTF-8 (byte %%%02X)' % exc.object[exc.start])
    except ValueError as exc:
        raise errors.BadRequest('malformed form: %s' % exc)


def is_form(request):
    """True if ``request`` is a form post (see the module docstring)."""
    if request.method != 'POST' or request.content_type != FORM_TYPE:
        return False
    try:
        names = [name for name, _value in _fields(request.body)]
    except NotUTF8:
        # Neither a form nor an OCCI text body (curl -d sends this type)
        # can be read then: say so, rather than "no kind given".
        raise
    except errors.BadRequest:
        return False
    return pages.FORM_FIELD in names or pages.METHOD_FIELD in names


def not_text_either(request, error):
    """The 400 for an urlencoded ``POST`` that is no form post (no
    control field) and that the OCCI ``text/plain`` rendering, which reads
    it then (curl's ``-d``), refused with ``error`` (a ``BadRequest``):
    when its body reads as form fields, the answer says which field a
    form post needs, not only that it is no ``text/plain``.

    :returns: the error to raise (``error`` itself for any other
        request or body).
    """
    if request.method != 'POST' or request.content_type != FORM_TYPE:
        return error
    try:
        names = [name for name, _value in _fields(request.body)]
    except errors.BadRequest:
        return error
    if not names or '=' not in (request.body or ''):
        return error
    return errors.BadRequest(
        'form post without its control field: add %s=create to create '
        '(posted to a kind\'s collection) or %s=DELETE to delete (posted '
        'to an entity). A %s body without either is read as OCCI '
        'text/plain ("Name: value" lines, as curl -d sends), and this one '
        'is not: %s' % (pages.FORM_FIELD, pages.METHOD_FIELD, FORM_TYPE,
                        error.message))


def parse(body):
    """The :class:`Form` of a form post's body.

    :raises BadRequest: malformed, a field given twice, an unknown control
        field or value, or ``_method=DELETE`` with attribute fields.
    """
    controls = {}
    attributes = collections.OrderedDict()
    for name, value in _fields(body):
        target = controls if name.startswith('_') else attributes
        if name in target:
            raise errors.BadRequest('form field %s given twice' % name[:80])
        target[name] = value
    unknown = sorted(set(controls) - {pages.FORM_FIELD, pages.METHOD_FIELD})
    if unknown:
        raise errors.BadRequest('unknown form control field(s): %s'
                                % ', '.join(n[:40] for n in unknown))
    method = controls.get(pages.METHOD_FIELD, 'POST').upper()
    if method not in ('POST', 'DELETE'):
        raise errors.BadRequest('_method must be DELETE (or left out)')
    if controls.get(pages.FORM_FIELD, 'create') != 'create':
        raise errors.BadRequest('_form must be "create"')
    if method == 'DELETE' and attributes:
        raise errors.BadRequest('a delete form carries no attributes')
    return Form(method, collections.OrderedDict(
        (name, value) for name, value in attributes.items() if value != ''))


def to_data(form, category):
    """The :class:`~hurtle.occi.renderings.OCCIData` a create form stands
    for: ``category`` (the kind at the posted location, or ``None``) and
    the attribute values as text (typed by the service like any text
    rendering's values)."""
    data = renderings.OCCIData()
    if category is not None:
        data.categories.append({'scheme': category.scheme,
                                'term': category.term,
                                'class': repr(category)})
    data.attributes.update(form.attributes)
    return data


def read(request, registry):
    """Check ``request`` against cross-site posts and, for a form post,
    turn it into the OCCI request it stands for: ``request.method``
    becomes the form's and ``request.form`` its
    :class:`~hurtle.occi.renderings.OCCIData` (else ``None``).

    :returns: the :class:`Form`, or ``None`` for any other request.
    :raises Forbidden: see :func:`check_origin`.
    :raises BadRequest: see :func:`parse`; a delete form posted to a
        collection (forms delete one entity), a create form posted to an
        entity.
    """
    form = parse(request.body) if is_form(request) else None
    check_origin(request.environ, request.hostname, form is not None)
    if form is None:
        return None
    if form.method == 'DELETE' and request.path.endswith('/'):
        raise errors.BadRequest('a delete form deletes one entity; post it '
                                'to the entity\'s location')
    if form.method == 'POST' and not request.path.endswith('/'):
        raise errors.BadRequest('a create form is posted to the location '
                                'of a kind (ending with "/")')
    request.method = form.method
    category = None
    if form.method == 'POST' and request.path.endswith('/'):
        category = registry.get_category(request.path, request.extras)
    request.form = to_data(form, category)
    return form


def redirect(form, request, rendering, status, headers):
    """The ``303 See Other`` answering a successful form post.

    :param rendering: the negotiated rendering (renders the body: the
        target's location).
    :param status, headers: the OCCI answer (201 with ``Location`` for a
        create, 200/202 for a delete).
    :returns: ``(status, headers, body)``; for any other answer, body
        ``None``: keep the OCCI answer.
    """
    if form.method == 'DELETE':
        where = request.path.rstrip('/').rsplit('/', 1)[0] + '/'
        target = renderings.absolute(request.hostname, where)
    else:
        target = dict((k.lower(), v) for k, v in headers).get('location')
    if target is None or status >= 300:
        return status, headers, None
    out_headers, body = rendering.locations([target])
    return 303, [('Location', target)] + list(out_headers), body
