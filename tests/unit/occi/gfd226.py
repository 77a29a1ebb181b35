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
"""JSON Schema (draft 4) of the OCCI 1.2 JSON rendering, from GFD.226.

Written for these tests from the document's rules: resource and link
instances (GFD.226 "Entity rendering"), collections, the query interface
model (kinds/mixins/actions), action invocation and location lists.
Arrays, where present, are non-empty; no extra members are allowed.
"""

import jsonschema

_STRINGS = {'type': 'array', 'minItems': 1, 'items': {'type': 'string'}}
_VALUE = {'type': ['string', 'number', 'boolean', 'object', 'array']}
_ATTRS = {'type': 'object', 'additionalProperties': _VALUE}
_REF = {'type': 'object', 'required': ['location'],
        'additionalProperties': False,
        'properties': {'location': {'type': 'string'},
                       'kind': {'type': 'string'}}}
_ATTR_DEF = {'type': 'object', 'required': ['type', 'mutable', 'required'],
             'additionalProperties': False,
             'properties': {'mutable': {'type': 'boolean'},
                            'required': {'type': 'boolean'},
                            'type': {'type': 'string'},
                            'default': _VALUE,
                            'description': {'type': 'string'},
                            'pattern': {'type': 'string'}}}
_ATTR_DEFS = {'type': 'object', 'additionalProperties': _ATTR_DEF}

LINK = {'type': 'object',
        'required': ['kind', 'id', 'source', 'target', 'attributes'],
        'additionalProperties': False,
        'properties': {'kind': {'type': 'string'}, 'mixins': _STRINGS,
                       'attributes': _ATTRS, 'actions': _STRINGS,
                       'id': {'type': 'string'}, 'title': {'type': 'string'},
                       'source': _REF, 'target': _REF}}
RESOURCE = {'type': 'object', 'required': ['kind', 'id', 'attributes'],
            'additionalProperties': False,
            'properties': {'kind': {'type': 'string'}, 'mixins': _STRINGS,
                           'attributes': _ATTRS, 'actions': _STRINGS,
                           'id': {'type': 'string'},
                           'title': {'type': 'string'},
                           'summary': {'type': 'string'},
                           'links': {'type': 'array', 'minItems': 1,
                                     'items': LINK}}}
ENTITY = {'oneOf': [RESOURCE, LINK]}
COLLECTION = {'type': 'object', 'additionalProperties': False,
              'properties': {
                  'resources': {'type': 'array', 'minItems': 1,
                                'items': RESOURCE},
                  'links': {'type': 'array', 'minItems': 1,
                            'items': LINK}}}
# GFD.226 gives every kind a location; GFD.223 binds only kinds that can
# be instantiated to one, so OCCI Core's entity/resource/link kinds come
# without (issue 7): the location is checked where present.
_KIND = {'type': 'object', 'required': ['term', 'scheme'],
         'additionalProperties': False,
         'properties': {'term': {'type': 'string'},
                        'scheme': {'type': 'string'},
                        'title': {'type': 'string'},
                        'attributes': _ATTR_DEFS, 'actions': _STRINGS,
                        'parent': {'type': 'string'},
                        'location': {'type': 'string'}}}
_MIXIN = {'type': 'object', 'required': ['term', 'scheme', 'location'],
          'additionalProperties': False,
          'properties': {'term': {'type': 'string'},
                         'scheme': {'type': 'string'},
                         'title': {'type': 'string'},
                         'attributes': _ATTR_DEFS, 'actions': _STRINGS,
                         'depends': _STRINGS, 'applies': _STRINGS,
                         'location': {'type': 'string'}}}
_ACTION = {'type': 'object', 'required': ['term', 'scheme'],
           'additionalProperties': False,
           'properties': {'term': {'type': 'string'},
                          'scheme': {'type': 'string'},
                          'title': {'type': 'string'},
                          'attributes': _ATTR_DEFS}}
MODEL = {'type': 'object', 'additionalProperties': False,
         'properties': {
             'kinds': {'type': 'array', 'minItems': 1, 'items': _KIND},
             'mixins': {'type': 'array', 'minItems': 1, 'items': _MIXIN},
             'actions': {'type': 'array', 'minItems': 1, 'items': _ACTION}}}
ACTION_INVOCATION = {'type': 'object', 'required': ['action'],
                     'additionalProperties': False,
                     'properties': {'action': {'type': 'string'},
                                    'attributes': _ATTRS}}
LOCATIONS = {'type': 'array', 'items': {'type': 'string'}}


def validate(doc, schema):
    """:raises jsonschema.ValidationError: ``doc`` breaks ``schema``."""
    jsonschema.Draft4Validator(schema).validate(doc)
