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
"""What the SM's HTML pages know of its services
(doc/source/user/browser.rst).

The ``text/html`` rendering of :mod:`hurtle.occi.renderings` is generic;
this tells it the manifests' attribute types and descriptions, that
``mcn.service.state`` shows work in progress in the busy states (pages
reload until it ends), which attributes the SM sets itself (not offered
in the create form) and that ``mcn.endpoint.*`` are outputs.
"""
from hurtle.occi import categories
from hurtle.sm import states


def configure(application, manifests, managed):
    """Set up ``application``'s HTML rendering for ``manifests``.

    :param application: a :class:`hurtle.occi.app.Application`.
    :param manifests: the ``hurtle.manifest.Manifest`` it serves.
    :param managed: names of the attributes the SM sets itself.
    """
    rendering = application.renderings['text/html']
    for manifest in manifests:
        names = set(manifest.schemas) | set(manifest.descriptions)
        rendering.attribute_info[manifest.service_type] = {
            name: {'schema': manifest.schemas.get(name, {}),
                   'description': manifest.descriptions.get(name, '')}
            for name in names}
    rendering.state = ('mcn.service.state', states.BUSY)
    # Immutable attributes are outputs (e.g. mcn.endpoint.*): the SM
    # refuses them at create too (400), so the form does not offer them.
    immutable = {name for manifest in manifests
                 for name, flag in manifest.attributes.items()
                 if flag == 'immutable'}
    rendering.not_in_forms = frozenset(
        set(managed) | set(categories.SERVICE_INSTANCE_ATTRIBUTES) |
        immutable - {'occi.core.title', 'occi.core.summary'})
