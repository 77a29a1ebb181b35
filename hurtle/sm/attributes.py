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
"""Checking service attribute values against their manifest's schemas.

A manifest may give an attribute a JSON Schema (``hurtle.manifest``).
The SM checks every value it receives (create, update, replace) with
:meth:`AttributeChecker.check` before anything is recorded:

* a JSON ``null`` is refused for every attribute (400): leaving an
  attribute out keeps its current value (update) or the service's default
  (create); there is no "reset to default";
* values from the text renderings (``text/plain``, ``text/occi``: quoted
  strings, bare numbers and ``true``/``false``, typed by
  ``hurtle.occi.parsing``) are coerced to the declared type where that is
  unambiguous: ``"5"`` to ``5`` for an ``integer``, ``"2.5"`` to ``2.5``
  for a ``number``, ``"true"``/``"false"`` to booleans, a quoted JSON
  text to an ``object``/``array``, a bare number or boolean to its text
  for a ``string``. ``application/occi+json`` is typed already and is
  never coerced;
* the (coerced) value must satisfy the schema, else
  :class:`hurtle.occi.errors.BadRequest` names the attribute and the rule
  (``attribute sample.greeting: "..." breaks the rule maxLength 64``); a
  ``not`` rule in words (``... must not contain a line feed
  (newline)``), and after a ``pattern`` or ``not`` rule the attribute's
  description in the manifest, if it has one.

Attributes without a schema (every 2016 manifest) are accepted as they
arrive, typed by the rendering.
"""
import json
import re

import jsonschema

from hurtle.occi import errors
from hurtle.occi import parsing

# ASCII digits and white space only: Python's int() and float() also
# read other scripts' digits ("\uff15", "\u0663"), which are no number
# of the OCCI renderings (GFD.229) nor of JSON.
_INTEGER = re.compile(r'^\s*-?\d+\s*$', re.ASCII)
_NUMBER = re.compile(r'^\s*-?\d+(\.\d+)?([eE][+-]?\d+)?\s*$', re.ASCII)
_JSON_TYPES = {'object': dict, 'array': list}

#: ``Content-Type``s whose attribute values are typed by the client.
TYPED_RENDERINGS = ('application/occi+json', 'application/json')


def typed_request(extras):
    """True if the request's body is a typed (JSON) rendering."""
    environ = (extras or {}).get('environ') or {}
    content_type = environ.get('CONTENT_TYPE', '') or ''
    return content_type.split(';')[0].strip().lower() in TYPED_RENDERINGS


def _short(value, limit=60):
    text = json.dumps(value)
    return text if len(text) <= limit else text[:limit] + '..."'


def _types(schema):
    declared = schema.get('type')
    if declared is None:
        return []
    return [declared] if isinstance(declared, str) else list(declared)


def _whole(value, schema):
    """``value`` as an ``int`` if it is a whole float (``8.0``) and the
    schema's type is ``integer``: JSON Schema counts 8.0 as an integer,
    but an SO would be handed "8.0"."""
    types = _types(schema)
    if (isinstance(value, float) and value.is_integer() and
            'integer' in types and 'number' not in types):
        return int(value)
    return value


def _coerce(value, schema):
    """``value`` turned into the declared type if unambiguous, else as is."""
    types = _types(schema)
    if not types or jsonschema.Draft202012Validator(
            {'type': types}).is_valid(value):
        return value
    if isinstance(value, str):
        for wanted in types:
            if wanted in ('integer', 'number') and _INTEGER.match(value):
                return parsing.parse_int(value.strip())
            if wanted == 'number' and _NUMBER.match(value):
                return parsing.parse_float(value.strip())
            if wanted == 'boolean' and value in ('true', 'false'):
                return value == 'true'
            if wanted in _JSON_TYPES:
                try:
                    parsed = json.loads(value)
                except ValueError:
                    continue
                if isinstance(parsed, _JSON_TYPES[wanted]):
                    return parsed
        return value
    if 'string' in types:
        if isinstance(value, bool):
            return 'true' if value else 'false'
        if isinstance(value, (int, float)):
            return str(value)
    return value


#: Characters with a meaning in a pattern (ECMA-262): a pattern without
#: them is a literal text.
_REGEX_SYNTAX = re.compile(r'[.^$*+?{}()\[\]\\|]')
#: Names of characters a ``not`` rule's pattern may forbid on its own.
_CHARACTER_NAMES = {'\n': 'a line feed (newline)',
                    '\r': 'a carriage return', '\t': 'a tab',
                    ' ': 'a space'}


def _must_not(schema):
    """What a value breaking ``{"not": schema}`` must not do, in words:
    ``contain a line feed (newline)`` for ``{"pattern": "\\n"}`` (a
    pattern that is a literal text), ``match the pattern "..."``, ``be
    one of [...]`` (``enum``), ``be ...`` (``const``), else ``satisfy
    the rule {...}``."""
    if isinstance(schema, dict) and len(schema) == 1:
        (rule, value), = schema.items()
        if rule == 'pattern' and isinstance(value, str):
            literal = value.replace('\\n', '\n').replace(
                '\\r', '\r').replace('\\t', '\t')
            if literal in _CHARACTER_NAMES:
                return 'contain %s' % _CHARACTER_NAMES[literal]
            if literal and not _REGEX_SYNTAX.search(literal):
                return 'contain %s' % _short(literal)
            return 'match the pattern %s' % _short(value)
        if rule == 'enum':
            return 'be one of %s' % _short(value)
        if rule == 'const':
            return 'be %s' % _short(value)
    return 'satisfy the rule %s' % _short(schema)


class AttributeChecker(object):
    """The attribute rules of one manifest.

    :param manifest: a ``hurtle.manifest.Manifest``.
    """

    def __init__(self, manifest):
        self.schemas = dict(manifest.schemas)
        self.descriptions = dict(getattr(manifest, 'descriptions', {}))
        self._validators = {
            name: jsonschema.Draft202012Validator(schema)
            for name, schema in self.schemas.items()}

    def coerce(self, attributes, typed=True):
        """``attributes`` with text values turned into their declared
        types (see the module docstring); nothing is validated here.

        :param typed: True for typed (JSON) renderings: no coercion.
        """
        if typed:
            return dict(attributes)
        return {name: _coerce(value, self.schemas[name])
                if name in self.schemas and value is not None else value
                for name, value in attributes.items()}

    def check(self, attributes, typed=True):
        """Return ``attributes`` with typed values, or raise.

        :param attributes: ``{name: value}`` as the request gave them.
        :param typed: False for text renderings (values are coerced).
        :raises hurtle.occi.errors.BadRequest: a ``null`` value, or a value
            breaking its schema; the message names the attribute and rule.
        """
        result = {}
        for name, value in attributes.items():
            if value is None:
                raise errors.BadRequest(
                    'attribute %s: null is not a value; leave the attribute '
                    'out to keep its current or default value' % name)
            validator = self._validators.get(name)
            if validator is None:
                result[name] = value
                continue
            if not typed:
                value = _coerce(value, self.schemas[name])
            error = jsonschema.exceptions.best_match(
                validator.iter_errors(value))
            if error is not None:
                raise errors.BadRequest(self._broken(name, error))
            result[name] = _whole(value, self.schemas[name])
        return result

    def _broken(self, name, error):
        """The message of attribute ``name``'s value breaking a rule
        (``error``, a ``jsonschema.ValidationError``): ``attribute
        <name>[<path>]: <value> breaks the rule <rule> <rule's value>``,
        or for a ``not`` rule what the value must not be
        (:func:`_must_not`). A ``pattern`` or ``not`` rule reads as code,
        not as words: the attribute's description in the manifest, when
        it has one, follows to say what is expected."""
        where = ''.join('[%s]' % json.dumps(p) for p in error.absolute_path)
        if error.validator == 'not':
            broken = 'must not %s' % _must_not(error.validator_value)
        else:
            broken = 'breaks the rule %s %s' % (
                error.validator, _short(error.validator_value))
        message = 'attribute %s%s: %s %s' % (name, where,
                                             _short(error.instance), broken)
        description = self.descriptions.get(name)
        if description and error.validator in ('not', 'pattern'):
            message += '; %s: %s' % (name, description)
        return message
