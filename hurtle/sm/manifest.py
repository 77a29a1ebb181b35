"""Service manifests: what a Hurtle service is (DESIGN.md section 4).

A manifest is a JSON document in the 2016 Hurtle format::

    {"service_type": "<scheme>#<term>",          # required
     "service_description": "...",               # required, the kind title
     "service_attributes": {"name": "immutable" | "required" | ""},
     "service_endpoint": "http://host:port/<term>/",
     "depends_on": [{"<service_type>": {"inputs": ["<type>#<attr>", ...]}}],
     # Hurtle's own keys:
     "so_bundle": "<path relative to the manifest, or an image name>",
     "resources": {"<region>": {"deployment": "<template>",
                                "provision": "<template>"}},
     "service_params": "<path to a service_params.json>" | {phase: [...]}}

Manifests are validated with a JSON Schema; ``ManifestError`` names the
offending field.
"""
import dataclasses
import json
import os
import urllib.parse

import jsonschema

ATTRIBUTE_FLAGS = ('immutable', 'required', '')
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
            'additionalProperties': {'enum': list(ATTRIBUTE_FLAGS)},
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
    ``'immutable'``, ``'required'`` or ``''`` (mutable). ``so_bundle`` and
    template paths are absolute when they were relative file paths.
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
    resources = {
        region: {phase: _resolve(base, ref, True)
                 for phase, ref in spec.items()}
        for region, spec in document.get('resources', {}).items()}
    return Manifest(
        path=os.path.abspath(path),
        service_type=document['service_type'],
        scheme=scheme + '#', term=term,
        description=document['service_description'],
        attributes=dict(document.get('service_attributes', {})),
        endpoint=document.get('service_endpoint', ''),
        depends_on=tuple(deps),
        so_bundle=so_bundle,
        resources=resources,
        service_params=params,
    )
