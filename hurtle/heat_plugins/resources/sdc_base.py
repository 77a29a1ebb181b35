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
"""Base of the Joyent SDC resources: one CloudAPI object per resource.

Follows Heat's ``entity`` convention (as ``OctaviaBase`` and
``NeutronResource`` do in Heat's tree): ``entity`` names the CloudAPI
object, the ``sdc`` client's ``get_<entity>(id)`` shows it and
``delete_<entity>(id)`` deletes it; a not-found (404/410) answer is
ignored through the ``sdc`` client plugin's ``ignore_not_found``.
heat-engine imports this module with the resource modules; it maps no
resource type.
"""
from heat.common.i18n import _
from heat.engine import resource
from heat.engine import support

from hurtle.heat_plugins.sdc import polling

SUPPORT = support.SupportStatus(
    version='2024.1',
    message=_('Provided by the Hurtle Heat plugins (hurtle.heat_plugins); '
              'needs the [sdc] section in heat.conf.'))


class SDCResource(resource.Resource):
    """A resource backed by one CloudAPI object (id = ``resource_id``).

    Subclasses set ``entity`` (e.g. ``'machine'``) and may map attribute
    names to CloudAPI's keys in ``attribute_keys``; an attribute is the
    object's key of that name otherwise.
    """

    support_status = SUPPORT
    default_client_name = 'sdc'

    #: CloudAPI object name: the client's ``get_<entity>`` and
    #: ``delete_<entity>`` methods.
    entity = None

    #: Attribute name -> CloudAPI key, where they differ.
    attribute_keys = {}

    def _get(self, entity_id):
        """The CloudAPI object (``dict``).

        :raises hurtle.heat_plugins.sdc.exceptions.ResourceNotFound: gone
            (404 or 410).
        """
        return getattr(self.client(), 'get_%s' % self.entity)(entity_id)

    def _delete_entity(self):
        """Ask CloudAPI to delete the object (``delete_<entity>(id)``)."""
        getattr(self.client(), 'delete_%s' % self.entity)(self.resource_id)

    def handle_delete(self):
        """Delete the object; one already gone counts as deleted.

        :returns: the id to wait for, or ``None`` (nothing to wait for).
        """
        if self.resource_id is None:
            return None
        with self.client_plugin().ignore_not_found:
            self._delete_entity()
            return self.resource_id
        return None

    def check_delete_complete(self, entity_id):
        """One GET: ``True`` once CloudAPI answers 404/410 (or
        ``deleted``)."""
        if not entity_id:
            return True
        return polling.gone(self._get, entity_id)

    def _show_resource(self):
        if self.resource_id is None:
            return None
        return self._get(self.resource_id)

    def _resolve_attribute(self, name):
        # Heat's _resolve_any_attribute ignores a not-found (None).
        if self.resource_id is None:
            return None
        return self._show_resource().get(self.attribute_keys.get(name, name))
