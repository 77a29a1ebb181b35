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
"""Service manifests: what a Hurtle service is (doc/source/
contributor/manifest.rst).

A manifest is a JSON document in the 2016 Hurtle format::

    {"service_type": "<scheme>#<term>",          # required
     "service_description": "...",               # required, the kind title
     "service_attributes": {"name": "immutable" | "required" | ""
                                    | <attribute object>},
     "service_endpoint": "http://host:port/<term>/",
     "depends_on": [{"<service_type>": {"inputs": ["<type>#<attr>", ...]}}],
     # Hurtle's own keys:
     "so_bundle": "<path relative to the manifest, or an image name>",
     "resources": {"<region>": {"deployment": "<template>",
                                "provision": "<template>"}},
     "regions": ["<region>", ...],               # multi-region
     "service_params": "<path to a service_params.json>" | {phase: [...]}}

An attribute is declared either with the 2016 flag (``"immutable"``,
``"required"`` or ``""`` = mutable, no type: any value is accepted as it
arrives) or, in Hurtle's extension, with an object::

    "sample.name_length": {"mutability": "mutable",     # default
                           "schema": {"type": "integer",
                                      "minimum": 4, "maximum": 32}}

``mutability`` is ``"mutable"`` (or ``""``), ``"immutable"`` or
``"required"`` (the 2016 flags); ``schema`` is a JSON Schema (draft
2020-12) that every value of the attribute must satisfy: ``type``
(``string``, ``integer``, ``number``, ``boolean``, ``object``,
``array``), ``minLength``/``maxLength``, ``minimum``/``maximum``,
``enum``, ``pattern``, ``properties`` ... . The SM checks values against
it when they arrive (create, update, replace: 400 naming the attribute
and the rule) and stores them typed; see ``hurtle.sm.attributes``.

Without ``regions`` an instance uses the ``resources`` entry of the SM's
``[sm] region`` (the 2016 meaning: one manifest serves SMs of several
regions). With ``regions`` (Hurtle's extension) every instance spans
each region listed, in that order, one stack per region; each must have
an entry in ``resources``. Region names there are 1 to 64 letters,
digits, ``_`` or ``-`` (they become parts of stack names and attribute
names).

Manifests are validated with a JSON Schema, attribute schemas with the
JSON Schema meta-schema; ``ManifestError`` names the offending field
(e.g. ``service_attributes.sample.greeting.schema``).
"""
import dataclasses
import json
import os
import urllib.parse

import jsonschema

ATTRIBUTE_FLAGS = ('immutable', 'required', '')
#: ``mutability`` of an attribute object -> the 2016 flag.
MUTABILITY = {'mutable': '', '': '', 'immutable': 'immutable',
              'required': 'required'}

#: An attribute declared with an object (Hurtle's extension).
ATTRIBUTE_OBJECT_SCHEMA = {
    'type': 'object',
    'additionalProperties': False,
    'properties': {
        'mutability': {'enum': list(MUTABILITY)},
        'schema': {'type': 'object'},
        'description': {'type': 'string'},
    },
}
#: A region of ``regions``: a part of stack and attribute names.
REGION_PATTERN = r'^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'

PHASES = ('initialise', 'activate', 'deploy', 'provision', 'update',
          'destroy')

_PARAM = {
    'type': 'object',
    'required': ['name', 'type', 'value'],
    'properties': {
        'name': {'type': 'string', 'minLength': 1},
        'type': {'enum': ['string', 'number']},
        'value': {'type': ['string', 'number']},
    },
}

SERVICE_PARAMS_SCHEMA = {
    'type': 'object',
    'propertyNames': {'enum': list(PHASES)},
    'additionalProperties': {'type': 'array', 'items': _PARAM},
}

MANIFEST_SCHEMA = {
    '$schema': 'https://json-schema.org/draft/2020-12/schema',
    'type': 'object',
    'required': ['service_type', 'service_description'],
    'properties': {
        'service_type': {'type': 'string',
                         'pattern': r'^[^#\s]+#[A-Za-z0-9_.\-]+$'},
        'service_description': {'type': 'string'},
        'service_attributes': {
            'type': 'object',
            'additionalProperties': {
                'if': {'type': 'string'},
                'then': {'enum': list(ATTRIBUTE_FLAGS)},
                'else': ATTRIBUTE_OBJECT_SCHEMA,
            },
        },
        'service_endpoint': {'type': 'string'},
        'depends_on': {
            'type': 'array',
            'items': {
                'type': 'object', 'minProperties': 1, 'maxProperties': 1,
                'additionalProperties': {
                    'type': 'object',
                    'properties': {'inputs': {
                        'type': 'array',
                        'items': {'type': 'string',
                                  'pattern': r'^[^#\s]+#[^#\s]+#[^#\s]+$'},
                    }},
                },
            },
        },
        'so_bundle': {'type': 'string', 'minLength': 1},
        'resources': {
            'type': 'object',
            'additionalProperties': {
                'type': 'object',
                'properties': {'deployment': {'type': 'string'},
                               'provision': {'type': 'string'}},
            },
        },
        'regions': {
            'type': 'array', 'minItems': 1, 'uniqueItems': True,
            'items': {'type': 'string', 'pattern': REGION_PATTERN},
        },
        'service_params': {'oneOf': [{'type': 'string'},
                                     SERVICE_PARAMS_SCHEMA]},
    },
}


class ManifestError(ValueError):
    """A manifest could not be read or is invalid; the message names why."""


@dataclasses.dataclass(frozen=True)
class Dependency:
    service_type: str
    inputs: tuple  # of (service_type, attribute_name)


@dataclasses.dataclass(frozen=True)
class Manifest:
    """A validated manifest.

    ``scheme`` ends with ``#``; ``term`` is the kind term and the collection
    location is ``/<term>/``. ``attributes`` maps attribute names to
    ``'immutable'``, ``'required'`` or ``''`` (mutable), whichever form
    declared them; ``schemas`` maps the attributes declared with a
    ``schema`` to it, ``descriptions`` those declared with a
    ``description`` to that text. ``so_bundle`` and template paths are
    absolute when they were relative file paths.
    """

    path: str
    service_type: str
    scheme: str
    term: str
    description: str
    attributes: dict
    endpoint: str
    depends_on: tuple
    so_bundle: str
    resources: dict
    service_params: dict
    schemas: dict = dataclasses.field(default_factory=dict)
    descriptions: dict = dataclasses.field(default_factory=dict)
    regions: tuple = ()

    @property
    def location(self):
        return '/%s/' % self.term

    def params_for(self, phase):
        """Return ``{name: value}`` of the provider parameters of a phase."""
        return {p['name']: p['value']
                for p in self.service_params.get(phase, [])}

    def templates(self, region):
        """Return ``{'deployment': path, 'provision': path}`` or ``{}``."""
        return dict(self.resources.get(region, {}))

    @property
    def multi_region(self):
        """Whether the manifest declares ``regions``: each instance then
        gets one stack per region listed."""
        return bool(self.regions)

    def regional_templates(self):
        """Return ``{region: {'deployment': path, 'provision': path}}``
        for every region of ``regions`` (``{}`` without ``regions``)."""
        return {region: self.templates(region) for region in self.regions}


def _field(error):
    path = '.'.join(str(p) for p in error.absolute_path)
    return path or '(top level)'


def _validate(document, schema, source):
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(document),
                    key=lambda e: list(e.absolute_path))
    if errors:
        err = errors[0]
        raise ManifestError('%s: invalid field %s: %s'
                            % (source, _field(err), err.message))


def _attributes(declared, source):
    """Split ``service_attributes`` into ``({name: flag}, {name: schema})``;
    each schema is checked against the JSON Schema meta-schema."""
    flags = {}
    schemas = {}
    for name, spec in declared.items():
        if isinstance(spec, str):
            flags[name] = spec
            continue
        flags[name] = MUTABILITY[spec.get('mutability', 'mutable')]
        if 'schema' not in spec:
            continue
        try:
            jsonschema.Draft202012Validator.check_schema(spec['schema'])
        except jsonschema.SchemaError as exc:
            where = '.'.join(str(p) for p in exc.absolute_path)
            raise ManifestError(
                '%s: invalid field service_attributes.%s.schema%s: %s'
                % (source, name, '.' + where if where else '', exc.message))
        schemas[name] = spec['schema']
    return flags, schemas


def _read_json(path, what):
    try:
        with open(path, encoding='utf-8') as handle:
            return json.load(handle)
    except OSError as exc:
        raise ManifestError('cannot read %s %s: %s'
                            % (what, path, exc.strerror))
    except ValueError as exc:
        raise ManifestError('%s %s is not valid JSON: %s' % (what, path, exc))


def _resolve(base, ref, always_file=False):
    """Make a relative file reference absolute; keep URLs, and keep names
    that are no existing path (container images) unless ``always_file``."""
    if not ref:
        return ref
    parsed = urllib.parse.urlparse(ref)
    if parsed.scheme == 'file':
        return parsed.path
    if parsed.scheme:
        return ref
    candidate = os.path.join(base, ref)
    if (always_file or ref.startswith(('.', '/')) or
            os.path.exists(candidate)):
        return os.path.normpath(candidate)
    return ref


def load(path):
    """Load and validate the manifest at ``path``.

    Raises ManifestError naming the file and the offending field.
    """
    document = _read_json(path, 'manifest')
    _validate(document, MANIFEST_SCHEMA, path)
    base = os.path.dirname(os.path.abspath(path))
    scheme, term = document['service_type'].rsplit('#', 1)
    params = document.get('service_params', {})
    if isinstance(params, str):
        params_path = _resolve(base, params)
        params = _read_json(params_path, 'service parameters')
        _validate(params, SERVICE_PARAMS_SCHEMA, params_path)
    deps = []
    for entry in document.get('depends_on', []):
        (dep_type, spec), = entry.items()
        inputs = tuple(tuple(i.rsplit('#', 1))
                       for i in spec.get('inputs', []))
        deps.append(Dependency(dep_type, inputs))
    so_bundle = _resolve(base, document.get('so_bundle', ''))
    if os.path.isabs(so_bundle) and not os.path.isdir(so_bundle):
        raise ManifestError('%s: invalid field so_bundle: %s is no '
                            'directory' % (path, so_bundle))
    flags, schemas = _attributes(document.get('service_attributes', {}),
                                 path)
    resources = {
        region: {phase: _resolve(base, ref, True)
                 for phase, ref in spec.items()}
        for region, spec in document.get('resources', {}).items()}
    regions = tuple(document.get('regions', ()))
    for index, region in enumerate(regions):
        if region not in resources:
            raise ManifestError('%s: invalid field regions.%d: region %s '
                                'has no entry in resources'
                                % (path, index, region))
    return Manifest(
        path=os.path.abspath(path),
        service_type=document['service_type'],
        scheme=scheme + '#', term=term,
        description=document['service_description'],
        attributes=flags,
        endpoint=document.get('service_endpoint', ''),
        depends_on=tuple(deps),
        so_bundle=so_bundle,
        resources=resources,
        regions=regions,
        service_params=params,
        schemas=schemas,
        descriptions={
            name: spec['description'] for name, spec in
            document.get('service_attributes', {}).items()
            if isinstance(spec, dict) and 'description' in spec},
    )
