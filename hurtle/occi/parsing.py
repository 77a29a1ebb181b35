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
"""Quote-aware parsing and rendering of OCCI text header values.

Follows the OCCI 1.1 HTTP rendering (GFD.185 section 3.5 ``Category``,
``Link``, ``X-OCCI-Attribute``, ``X-OCCI-Location``) and the OCCI 1.2 text
rendering (GFD.229): values separated by commas, parameters by
semicolons, both ignored inside double quotes (with backslash escapes) and
inside ``<...>``.  Attribute values are typed: a quoted string is a
``str``; a bare number an ``int`` or ``float``; bare ``true``/``false`` a
``bool``.  Used by the server renderings and by the client alike.

Every parse error raises :class:`hurtle.occi.errors.BadRequest`.
"""

import json
import math
import re

from hurtle.occi import errors

OCCI_HEADERS = ('Category', 'Link', 'X-OCCI-Attribute', 'X-OCCI-Location')

#: A bare number (GFD.229 3.4): ASCII digits only (``\d`` alone would
#: take other scripts' digits, which ``int`` reads too).
_NUMBER = re.compile(r'^-?(?:\d+)(?:\.\d+)?(?:[eE][+-]?\d+)?$', re.ASCII)
_TOKEN = re.compile(r'^[A-Za-z0-9._\-~:/#]+$')
_ATTR_NAME = re.compile(r'^[A-Za-z0-9_][A-Za-z0-9._\-]*$')
_ATTR_DEF = re.compile(r'([^\s{}]+)(?:\{([^}]*)\})?')
#: Digits an integer value may have: Python's own limit on converting
#: text to ``int`` (``sys.get_int_max_str_digits()``, 4300 by default).
MAX_INT_DIGITS = 4300


def _split(value, sep):
    """Split ``value`` on ``sep`` outside quotes and angle brackets."""
    parts = []
    cur = []
    quoted = False
    angle = False
    escaped = False
    for char in value:
        if escaped:
            cur.append(char)
            escaped = False
            continue
        if quoted:
            if char == '\\':
                escaped = True
            elif char == '"':
                quoted = False
            cur.append(char)
            continue
        if char == '"':
            quoted = True
        elif char == '<' and not angle:
            angle = True
        elif char == '>' and angle:
            angle = False
        elif char == sep and not angle:
            parts.append(''.join(cur))
            cur = []
            continue
        cur.append(char)
    if quoted or escaped:
        raise errors.BadRequest('Unbalanced quote in: %s' % _short(value))
    if angle:
        raise errors.BadRequest('Unbalanced "<" in: %s' % _short(value))
    parts.append(''.join(cur))
    return parts


def _short(value, limit=80):
    value = str(value)
    return value if len(value) <= limit else value[:limit] + '...'


def split_values(value):
    """Split a (possibly comma-joined) header value into its values.

    Empty items are dropped.  :raises BadRequest: unbalanced quote.
    """
    return [v.strip() for v in _split(value, ',') if v.strip()]


def split_params(value):
    """Split one value into its ``;``-separated parts (stripped)."""
    return [p.strip() for p in _split(value, ';')]


def unquote(value):
    """Return the content of a quoted string (escapes resolved)."""
    value = value.strip()
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        out = []
        escaped = False
        for char in value[1:-1]:
            if escaped:
                out.append(char)
                escaped = False
            elif char == '\\':
                escaped = True
            else:
                out.append(char)
        return ''.join(out)
    return value


def quote(value):
    """Render ``value`` as a quoted string (``\\`` and ``"`` escaped)."""
    text = str(value)
    text = text.replace('\\', '\\\\').replace('"', '\\"')
    text = text.replace('\r', ' ').replace('\n', ' ')
    return '"' + text + '"'


def parse_typed(raw):
    """Turn a rendered attribute value into a typed Python value."""
    raw = raw.strip()
    if raw.startswith('"'):
        if len(raw) < 2 or not raw.endswith('"') or raw.endswith('\\"') \
                and not raw.endswith('\\\\"'):
            raise errors.BadRequest('Unbalanced quote in attribute value: '
                                    + _short(raw))
        return unquote(raw)
    if raw == 'true':
        return True
    if raw == 'false':
        return False
    if _NUMBER.match(raw):
        if re.match(r'^-?[0-9]+$', raw):
            return parse_int(raw)
        return parse_float(raw)
    if raw == '':
        raise errors.BadRequest('Empty attribute value')
    # Lenient: old clients send bare tokens; keep them as strings.
    return raw


def parse_int(text):
    """``int`` of the decimal ``text`` (optionally signed).

    :raises BadRequest: more than :data:`MAX_INT_DIGITS` digits (Python
        would refuse it with advice meant for its programmer, not for
        an OCCI client).
    """
    digits = len(text.lstrip('+-'))
    if digits > MAX_INT_DIGITS:
        raise errors.BadRequest('Number out of range: an integer of %d '
                                'digits (at most %d are accepted)'
                                % (digits, MAX_INT_DIGITS))
    return int(text)


def ascii_int(text):
    """``int`` of ``text`` made of ASCII digits (an optional ``-`` first),
    as a query parameter gives one (``int`` alone also reads other
    scripts' digits, ``"\\uff15"``, and white space around them).

    :raises ValueError: anything else.
    """
    if not re.fullmatch(r'-?[0-9]+', text or ''):
        raise ValueError('not an integer: %r' % (text or '')[:20])
    return int(text)


def parse_float(text):
    """``float`` of the decimal ``text``.

    :raises BadRequest: out of a double's range (``1e999``).
    """
    value = float(text)
    if math.isinf(value):
        raise errors.BadRequest('Number out of range: ' + _short(text))
    return value


def render_typed(value):
    """Render a typed attribute value (GFD.229 3.4: strings quoted,
    numbers and booleans bare); lists and dicts as quoted JSON.
    """
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (int, float)):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, (list, dict)):
        return quote(json.dumps(value, sort_keys=True))
    return quote(value)


def _params(parts, what):
    """Parse ``name=value`` parameters into a dict (values unquoted)."""
    params = {}
    for part in parts:
        if not part:
            continue
        name, sep, val = part.partition('=')
        name = name.strip()
        if not sep or not name:
            raise errors.BadRequest('Malformed %s parameter: %s'
                                    % (what, _short(part)))
        params[name.lower() if what != 'Link' else name] = unquote(val)
    return params


def parse_category(value):
    """Parse one ``Category`` value (GFD.185 3.5.1).

    :returns: dict with ``term``, ``scheme`` and, if present, ``class``,
        ``title``, ``rel`` (list), ``location``, ``attributes`` (dict name
        to flag), ``actions`` (list).
    :raises BadRequest: no term or scheme, bad quoting.
    """
    parts = split_params(value)
    term = parts[0].strip()
    if not term or '=' in term or ' ' in term or '"' in term:
        raise errors.BadRequest('Category without a valid term: %s'
                                % _short(value))
    params = _params(parts[1:], 'Category')
    scheme = params.get('scheme')
    if not scheme:
        raise errors.BadRequest('Category without a scheme: %s'
                                % _short(value))
    result = {'term': term, 'scheme': scheme}
    if 'class' in params:
        if params['class'] not in ('kind', 'mixin', 'action'):
            raise errors.BadRequest('Category class must be kind, mixin or '
                                    'action: %s' % _short(value))
        result['class'] = params['class']
    for name in ('title', 'location'):
        if name in params:
            result[name] = params[name]
    if 'rel' in params:
        result['rel'] = params['rel'].split()
    if 'actions' in params:
        result['actions'] = params['actions'].split()
    if 'attributes' in params:
        # GFD.185 3.5.1: name{required} / name{immutable}; GFD.229 allows
        # several properties: name{required immutable}.
        attrs = {}
        for name, props in _ATTR_DEF.findall(params['attributes']):
            props = props.split()
            attrs[name] = 'required' if 'required' in props else \
                'immutable' if 'immutable' in props else 'mutable'
        result['attributes'] = attrs
    return result


def render_category(category, hostname='', full=True, related=None):
    """Render a PySSF kind, mixin or action as a ``Category`` value.

    ``full=False`` gives the short form used in entity renderings (term,
    scheme, class; GFD.185 3.5.1); the query interface uses the full one.
    """
    out = [category.term, 'scheme=' + quote(category.scheme),
           'class=' + quote(repr(category))]
    if not full:
        return '; '.join(out)
    if getattr(category, 'title', ''):
        out.append('title=' + quote(category.title))
    if related is None:
        related = getattr(category, 'related', None)
    if related:
        out.append('rel=' + quote(' '.join(str(r) for r in related)))
    location = getattr(category, 'location', None)
    if location:
        if not location.startswith('http'):
            location = hostname + location
        out.append('location=' + quote(location))
    attrs = getattr(category, 'attributes', None)
    if attrs:
        names = []
        for name in sorted(attrs):
            flag = attrs[name]
            if flag in ('required', 'immutable'):
                names.append('%s{%s}' % (name, flag))
            else:
                names.append(name)
        out.append('attributes=' + quote(' '.join(names)))
    actions = getattr(category, 'actions', None)
    if actions:
        out.append('actions=' + quote(' '.join(str(a) for a in actions)))
    return '; '.join(out)


def parse_attribute(value):
    """Parse one ``X-OCCI-Attribute`` value into ``(name, typed value)``."""
    name, sep, raw = value.partition('=')
    name = name.strip()
    if not sep or not name:
        raise errors.BadRequest('Malformed attribute (want name=value): %s'
                                % _short(value))
    if not _ATTR_NAME.match(name):
        raise errors.BadRequest('Invalid attribute name: %s' % _short(name))
    return name, parse_typed(raw)


def render_attribute(name, value):
    """Render one ``X-OCCI-Attribute`` value."""
    return '%s=%s' % (name, render_typed(value))


def parse_link(value):
    """Parse one ``Link`` value (GFD.185 3.5.2 and 3.5.3).

    :returns: dict with ``target`` (the URI inside ``<>``), ``rel``,
        ``self``, ``category`` (list of ``scheme#term``) if present, and
        ``attributes`` (dict of typed values).
    """
    parts = split_params(value)
    target = parts[0].strip()
    if not (target.startswith('<') and target.endswith('>')) or \
            len(target) < 3:
        raise errors.BadRequest('Link without a <target>: %s'
                                % _short(value))
    result = {'target': target[1:-1].strip(), 'attributes': {}}
    for part in parts[1:]:
        if not part:
            continue
        name, sep, raw = part.partition('=')
        name = name.strip()
        if not sep or not name:
            raise errors.BadRequest('Malformed Link parameter: %s'
                                    % _short(part))
        if name in ('rel', 'self'):
            result[name] = unquote(raw)
        elif name == 'category':
            result['category'] = unquote(raw).split()
        else:
            result['attributes'][name] = parse_typed(raw)
    return result


def render_link(target, rel, self_loc=None, categories=(), attributes=None):
    """Render one ``Link`` value."""
    out = ['<%s>' % target, 'rel=' + quote(rel)]
    if self_loc:
        out.append('self=' + quote(self_loc))
    if categories:
        out.append('category=' + quote(' '.join(categories)))
    for name, val in (attributes or {}).items():
        out.append(render_attribute(name, val))
    return '; '.join(out)


#: A header line's name (RFC 7230 3.2: a token).
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


def header_lines_from_body(body, strict=False):
    """Collect OCCI header lines from a text/plain body (GFD.185 3.6.2).

    Lines with other header names are ignored, as unknown HTTP headers
    are; empty lines and ``#`` comments too.

    :param strict: a line that is not ``Name: value`` at all is an
        error (a request body: it is junk, or not the rendering its
        ``Content-Type`` says); else it is skipped (a response of a peer).
    :returns: dict header name -> list of raw values (lines may carry
        comma-joined values; they are split quote-aware later).
    :raises BadRequest: ``strict`` and such a line (1-based number given).
    """
    found = {name: [] for name in OCCI_HEADERS}
    lower = {name.lower(): name for name in OCCI_HEADERS}
    for number, line in enumerate(body.split('\n'), 1):
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        name, sep, rest = line.partition(':')
        key = lower.get(name.strip().lower())
        if strict and not (sep and _HEADER_NAME.match(name.strip())):
            raise errors.BadRequest(
                'text/plain body line %d is not a header line ("Name: '
                'value"): %s' % (number, _short(line)))
        if not sep or key is None:
            # Unknown lines are ignored like unknown HTTP headers.
            continue
        found[key].append(rest.strip())
    return found


def collect(header_map):
    """Split header values quote-aware.

    :param header_map: dict header name -> list of raw values.
    :returns: dict header name -> list of single values.
    """
    out = {}
    for name in OCCI_HEADERS:
        values = []
        for raw in header_map.get(name, ()):
            if name == 'X-OCCI-Location':
                values.extend(v.strip() for v in _split(raw, ',')
                              if v.strip())
            else:
                values.extend(split_values(raw))
        out[name] = values
    return out
