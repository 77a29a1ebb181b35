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
"""Members of a kind's collection as a store reads them.

A listing (``GET /<kind>/``, GFD.185 3.4.2) renders each resource
instance of the collection; building a PySSF entity per instance only to
render it cost more than reading and rendering it (10,000 instances).
A store that can reads :class:`Member` records straight from its rows
instead (``EntityStore.listing(..., members=True)``), and the renderings
render a collection of them (``BaseRendering.members``) exactly as they
render the same entities (``BaseRendering.collection``).
"""
import collections

#: One resource instance (no links) of a collection, as rendered:
#:
#: * ``identifier``: its location, a path (``/app/<id>``), as a PySSF
#:   entity's ``identifier``;
#: * ``kind``: its PySSF ``Kind``; ``mixins``: list of its ``Mixin``s;
#: * ``attributes``: ``{name: typed value}`` as rendered, in rendering
#:   order (:func:`rendered_attributes`): ``occi.core.id`` first, then
#:   ``occi.core.title`` and ``occi.core.summary`` when set, then the
#:   others; no ``None`` value. The member's own: renderings read it and
#:   never change it;
#: * ``actions``: list of the PySSF ``Action``s applicable now.
Member = collections.namedtuple(
    'Member', ('identifier', 'kind', 'mixins', 'attributes', 'actions'))


def rendered_attributes(ident, title, summary, attributes):
    """An entity's attributes as every rendering shows them.

    :param ident: the ``occi.core.id`` (str; an attribute of that name
        in ``attributes`` takes its place).
    :param title: ``occi.core.title`` (str or None; left out if empty).
    :param summary: ``occi.core.summary`` (str or None; left out if
        empty).
    :param attributes: ``{name: value}`` of the entity, in its order;
        ``None`` values are left out.
    :returns: a new dict: ``occi.core.id``, ``occi.core.title``,
        ``occi.core.summary`` (when set), then ``attributes`` in their
        order (those three keeping their place).
    """
    rendered = {'occi.core.id': ident}
    if title:
        rendered['occi.core.title'] = title
    if summary:
        rendered['occi.core.summary'] = summary
    if None not in attributes.values():
        rendered.update(attributes)     # at once: the common case
        return rendered
    for name, value in attributes.items():
        if value is not None:
            rendered[name] = value
    return rendered


def of_entity(entity):
    """The :class:`Member` of a PySSF resource without links."""
    ident = (entity.identifier or '').rstrip('/').rsplit('/', 1)[-1]
    return Member(entity.identifier, entity.kind, list(entity.mixins),
                  rendered_attributes(ident, getattr(entity, 'title', None),
                                      getattr(entity, 'summary', None),
                                      entity.attributes),
                  list(entity.actions))


def mixins_of(items):
    """The distinct mixins of a listing's ``items`` (in order of first
    appearance), or ``None`` if one of them is not a :class:`Member`
    (a store gives a resource with links as its entity)."""
    found = {}
    for item in items:
        if type(item) is not Member:
            return None
        for mixin in item.mixins:
            found.setdefault(str(mixin), mixin)
    return list(found.values())
