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
"""Sphinx directive ``.. hurtle-heat-resources::``: the reference of
Hurtle's Heat resource types, generated from the plugins themselves.

For each type of every module's ``resource_mapping()`` in
``hurtle.heat_plugins.resources``, a section with the class docstring,
its properties (type, required, default, updatable, constraints,
description, from ``properties_schema``) and its attributes (from
``attributes_schema``), so the page cannot drift from the code.
"""
import importlib
import logging
import pkgutil

from docutils import nodes
from docutils.parsers import rst
from docutils.statemachine import ViewList
from sphinx.util import nested_parse_with_titles

PACKAGE = 'hurtle.heat_plugins.resources'


def resource_types():
    """``[(type name, class)]`` sorted by type name."""
    package = importlib.import_module(PACKAGE)
    found = {}
    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module('%s.%s' % (PACKAGE, info.name))
        mapping = getattr(module, 'resource_mapping', None)
        if mapping is not None:
            found.update(mapping())
    return sorted(found.items())


def _text(value):
    """``value`` on one line, its reStructuredText markup characters
    escaped (descriptions and constraints hold regular expressions)."""
    text = ' '.join(str(value or '').split()).replace('\\', '\\\\')
    for char in '`*_|[]<>':
        text = text.replace(char, '\\' + char)
    return text


def _property_lines(name, schema, depth=0):
    indent = '   ' * depth
    facts = [schema.type]
    facts.append('required' if schema.required else 'optional')
    if schema.default is not None:
        facts.append('default %r' % (schema.default,))
    facts.append('can be updated' if schema.update_allowed
                 else 'updating replaces the resource')
    for constraint in schema.constraints or ():
        facts.append(_text(constraint))
    lines = ['%s``%s`` (%s)' % (indent, name, ', '.join(facts)),
             '%s   %s' % (indent, _text(schema.description) or '-'), '']
    for key, sub in sorted((schema.schema or {}).items()):
        if hasattr(sub, 'type'):
            lines += _property_lines(key, sub, depth + 1)
    return lines


def reference_lines():
    """The reStructuredText of every type's section (list of str)."""
    from heat.engine import attributes
    from heat.engine import properties
    lines = []
    for name, cls in resource_types():
        lines += [name, '=' * len(name), '']
        doc = (cls.__doc__ or '').strip()
        if doc:
            lines += [_text(doc), '']
        lines += ['Properties', '-' * 10, '']
        for key, raw in sorted(cls.properties_schema.items()):
            lines += _property_lines(key, properties.Schema.from_legacy(raw))
        lines += ['Attributes', '-' * 10, '']
        for key, raw in sorted(cls.attributes_schema.items()):
            schema = attributes.Schema.from_attribute(raw)
            lines += ['``%s``' % key,
                      '   %s' % (_text(schema.description) or '-'), '']
    return lines


class HeatResources(rst.Directive):

    def run(self):
        content = ViewList()
        for number, line in enumerate(reference_lines()):
            content.append(line, PACKAGE, number)
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, content, node)
        return node.children


def setup(app):
    # Loading plugins loads Heat's global environment, which logs a
    # warning for each of Heat's own deprecated types: not ours to fix.
    logging.getLogger('heat.engine.environment').setLevel(logging.ERROR)
    app.add_directive('hurtle-heat-resources', HeatResources)
    return {'parallel_read_safe': True, 'version': '1'}
