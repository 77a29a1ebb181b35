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
"""Encode OCCI request content in each rendering, for table tests.

Written from the specifications: text/plain and text/occi from GFD.185
3.5 (and GFD.229), application/occi+json from GFD.226.
"""

import json

TEXT_PLAIN = 'text/plain'
TEXT_OCCI = 'text/occi'
JSON = 'application/occi+json'
RENDERINGS = (TEXT_PLAIN, TEXT_OCCI, JSON)


def _quote(value):
    return '"%s"' % str(value).replace('\\', '\\\\').replace('"', '\\"')


def _value(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (int, float)):
        return repr(value)
    return _quote(value)


def _split(cat_id):
    scheme, _sep, term = cat_id.rpartition('#')
    return scheme + '#', term


def _category(cat_id, cls, **params):
    scheme, term = _split(cat_id)
    out = '%s; scheme="%s"; class="%s"' % (term, scheme, cls)
    for name, value in params.items():
        out += '; %s=%s' % (name, _quote(value))
    return out


class Content(object):
    """What a request carries, independent of the rendering.

    ``kind``/``mixins``/``action``: category ids (``scheme#term``);
    ``attributes``: typed values; ``locations``: paths or URLs;
    ``links``: dicts with ``target`` and ``kind`` (inline links);
    ``mixin_defs``: dicts with ``id``, ``location`` (user mixins).
    """

    def __init__(self, kind=None, mixins=(), attributes=None, action=None,
                 locations=(), links=(), mixin_defs=()):
        self.kind = kind
        self.mixins = list(mixins)
        self.attributes = dict(attributes or {})
        self.action = action
        self.locations = list(locations)
        self.links = list(links)
        self.mixin_defs = list(mixin_defs)

    def lines(self):
        out = []
        if self.kind:
            out.append(('Category', _category(self.kind, 'kind')))
        for mixin in self.mixins:
            out.append(('Category', _category(mixin, 'mixin')))
        if self.action:
            out.append(('Category', _category(self.action, 'action')))
        for mdef in self.mixin_defs:
            params = {}
            if mdef.get('location'):
                params['location'] = mdef['location']
            out.append(('Category', _category(mdef['id'], 'mixin',
                                              **params)))
        for link in self.links:
            out.append(('Link', '<%s>; rel="%s"; category="%s"' % (
                link['target'], link.get('rel', link['kind']),
                link['kind'])))
        for name, value in self.attributes.items():
            out.append(('X-OCCI-Attribute', '%s=%s' % (name, _value(value))))
        for loc in self.locations:
            out.append(('X-OCCI-Location', loc))
        return out

    def json(self):
        if self.action:
            doc = {'action': self.action}
            if self.attributes:
                doc['attributes'] = self.attributes
            return doc
        if self.kind:
            doc = {'kind': self.kind, 'attributes': self.attributes}
            if self.mixins:
                doc['mixins'] = self.mixins
            if self.links:
                doc['links'] = [{'kind': link['kind'], 'id': 'l%d' % i,
                                 'attributes': {},
                                 'target': {'location': link['target']},
                                 'source': {'location': 'self'}}
                                for i, link in enumerate(self.links)]
            return doc
        if self.mixin_defs:
            mixins = []
            for mdef in self.mixin_defs:
                scheme, term = _split(mdef['id'])
                item = {'scheme': scheme, 'term': term}
                if mdef.get('location'):
                    item['location'] = mdef['location']
                mixins.append(item)
            return {'mixins': mixins}
        if self.locations:
            return list(self.locations)
        if self.mixins:
            return {'mixins': [dict(zip(('scheme', 'term'), _split(m)))
                               for m in self.mixins]}
        return None

    def encode(self, mime):
        """``(headers, body)`` for a request in rendering ``mime``."""
        if mime == TEXT_OCCI:
            headers = {'Content-Type': TEXT_OCCI}
            for name, value in self.lines():
                if name in headers:
                    headers[name] += ', ' + value
                else:
                    headers[name] = value
            return headers, None
        if mime == TEXT_PLAIN:
            body = ''.join('%s: %s\n' % line for line in self.lines())
            return {'Content-Type': TEXT_PLAIN}, body or None
        doc = self.json()
        return {'Content-Type': JSON}, (json.dumps(doc) if doc is not None
                                        else None)
