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
"""Heat resources ``SDC::Compute::SmartMachine`` and ``SDC::Compute::KVM``.

Both create a Joyent SDC / Triton instance through CloudAPI
(``POST /:login/machines``); they differ in the brand the image must
give: SmartMachine needs an OS-virtualised image (``zone-dataset`` →
brand ``joyent``, ``lx-dataset`` → brand ``lx``), KVM a hardware VM image
(``zvol`` → brand ``kvm``). The type names are those of the 2015 ICCLab
plugin.

Create waits (in ``check_create_complete``, one GET per poll) until the
machine is ``running``; ``failed`` fails the resource. Delete waits until
CloudAPI answers 410/404. Suspend/resume stop/start the machine. Name,
metadata, tags and firewall change in place; the package by resize
(SmartMachine only: CloudAPI cannot resize KVM, so KVM is replaced); the
image or networks by replacement.
"""
from heat.common import exception
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties

from hurtle.heat_plugins.resources import sdc_base
from hurtle.heat_plugins.sdc import polling


class SDCMachine(sdc_base.SDCResource):
    """A Joyent SDC / Triton machine (instance) created through CloudAPI.

    The machine is provisioned from an image and a package on the given
    networks; the ``user-script`` metadata key runs at first boot and is
    the provisioning hook. Create completes when CloudAPI reports the
    machine ``running``.
    """

    entity = 'machine'

    # Brands this type accepts, by CloudAPI image type.
    IMAGE_TYPES = ('zone-dataset', 'lx-dataset')
    KIND = _('an OS-virtualised (SmartOS zone or LX) image')
    CAN_RESIZE = True

    PROPERTIES = (
        NAME, PACKAGE, IMAGE, NETWORKS, METADATA, TAGS, FIREWALL_ENABLED,
    ) = (
        'name', 'package', 'image', 'networks', 'metadata', 'tags',
        'firewall_enabled',
    )

    ATTRIBUTES = (
        ID_ATTR, NAME_ATTR, STATE, PRIMARY_IP, IPS, NETWORKS_ATTR, BRAND,
        PACKAGE_ATTR, IMAGE_ATTR,
    ) = (
        'id', 'name', 'state', 'primary_ip', 'ips', 'networks', 'brand',
        'package', 'image',
    )

    attribute_keys = {PRIMARY_IP: 'primaryIp'}

    properties_schema = {
        NAME: properties.Schema(
            properties.Schema.STRING,
            _('Machine name, unique in the account. Default: a name made '
              'from the stack and resource names. Changed in place '
              '(rename).'),
            update_allowed=True,
            constraints=[
                constraints.AllowedPattern(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]*$'),
                constraints.Length(max=189),
            ]),
        PACKAGE: properties.Schema(
            properties.Schema.STRING,
            _('Package (size: memory, disk, CPU) by name or id. A change '
              'resizes the machine in place where CloudAPI allows it.'),
            required=True,
            update_allowed=True,
            constraints=[constraints.CustomConstraint('sdc.package')]),
        IMAGE: properties.Schema(
            properties.Schema.STRING,
            _('Image by id, name (newest version) or name@version. A '
              'change replaces the machine.'),
            required=True,
            constraints=[constraints.CustomConstraint('sdc.image')]),
        NETWORKS: properties.Schema(
            properties.Schema.LIST,
            _('Networks (ids or names) to attach, the first one primary. '
              'Default: the account\'s default networks. A change '
              'replaces the machine.'),
            schema=properties.Schema(
                properties.Schema.STRING,
                constraints=[constraints.CustomConstraint('sdc.network')])),
        METADATA: properties.Schema(
            properties.Schema.MAP,
            _('Customer metadata (string values). The "user-script" key '
              'is run at every boot: use it to provision the machine. '
              'Changed in place; removed keys are deleted.'),
            default={},
            update_allowed=True),
        TAGS: properties.Schema(
            properties.Schema.MAP,
            _('Machine tags. Changed in place (the whole set is '
              'replaced).'),
            default={},
            update_allowed=True),
        FIREWALL_ENABLED: properties.Schema(
            properties.Schema.BOOLEAN,
            _('Whether the cloud firewall (SDC::Network::FirewallRule '
              'rules) applies to this machine. Changed in place.'),
            default=False,
            update_allowed=True),
    }

    attributes_schema = {
        ID_ATTR: attributes.Schema(
            _('Machine UUID.'), type=attributes.Schema.STRING),
        NAME_ATTR: attributes.Schema(
            _('Machine name.'), type=attributes.Schema.STRING),
        STATE: attributes.Schema(
            _('CloudAPI state: provisioning, running, stopping, stopped, '
              'offline, failed or deleted.'),
            type=attributes.Schema.STRING),
        PRIMARY_IP: attributes.Schema(
            _('Primary IP address (the public one when the machine has '
              'one).'), type=attributes.Schema.STRING),
        IPS: attributes.Schema(
            _('All IP addresses of the machine.'),
            type=attributes.Schema.LIST),
        NETWORKS_ATTR: attributes.Schema(
            _('Ids of the networks the machine is on.'),
            type=attributes.Schema.LIST),
        BRAND: attributes.Schema(
            _('Brand: joyent, lx, kvm or bhyve.'),
            type=attributes.Schema.STRING),
        PACKAGE_ATTR: attributes.Schema(
            _('Name of the package the machine runs with.'),
            type=attributes.Schema.STRING),
        IMAGE_ATTR: attributes.Schema(
            _('Id of the image the machine was created from.'),
            type=attributes.Schema.STRING),
    }

    # -- helpers ---------------------------------------------------------

    def _machine_name(self):
        name = self.properties[self.NAME]
        if name:
            return name
        return self.physical_resource_name().replace('_', '-')

    @staticmethod
    def _strings(mapping, what):
        result = {}
        for key, value in (mapping or {}).items():
            if not isinstance(value, str):
                raise exception.StackValidationFailed(
                    message=_('%(what)s value of "%(key)s" must be a string')
                    % {'what': what, 'key': key})
            result[key] = value
        return result

    def validate(self):
        super().validate()
        self._strings(self.properties[self.METADATA], 'metadata')
        self._strings(self.properties[self.TAGS], 'tags')

    def _fail(self, message):
        raise exception.ResourceInError(resource_status='failed',
                                        status_reason=message)

    # -- create ----------------------------------------------------------

    def handle_create(self):
        client = self.client()
        image = client.find_image(self.properties[self.IMAGE])
        if image.get('type') not in self.IMAGE_TYPES:
            raise exception.StackValidationFailed(
                message=_('%(type)s needs %(kind)s; image %(image)s is of '
                          'type %(itype)s') % {
                    'type': self.type(), 'kind': self.KIND,
                    'image': self.properties[self.IMAGE],
                    'itype': image.get('type')})
        package = client.get_package(self.properties[self.PACKAGE])
        networks = [client.find_network(n)['id']
                    for n in self.properties[self.NETWORKS] or []]
        machine = client.create_machine(
            image=image['id'], package=package['id'],
            name=self._machine_name(), networks=networks,
            metadata=self._strings(self.properties[self.METADATA],
                                   'metadata'),
            tags=self._strings(self.properties[self.TAGS], 'tags'),
            firewall_enabled=self.properties[self.FIREWALL_ENABLED])
        self.resource_id_set(machine['id'])
        return machine['id']

    def check_create_complete(self, machine_id):
        try:
            done, _machine = polling.machine_reached(
                self.client(), machine_id, 'running', ('provisioning',))
        except polling.MachineFailed as exc:
            self._fail(_('CloudAPI could not provision machine: %s')
                       % exc.message)
        return done

    # -- suspend / resume --------------------------------------------------

    def handle_suspend(self):
        if self.resource_id is None:
            raise exception.Error(_('Cannot suspend %s: no machine was '
                                    'created') % self.name)
        self.client().stop_machine(self.resource_id)
        return self.resource_id

    def check_suspend_complete(self, machine_id):
        try:
            done, _machine = polling.machine_reached(
                self.client(), machine_id, 'stopped', ('running',
                                                       'stopping'))
        except polling.MachineFailed as exc:
            self._fail(exc.message)
        return done

    def handle_resume(self):
        if self.resource_id is None:
            raise exception.Error(_('Cannot resume %s: no machine was '
                                    'created') % self.name)
        self.client().start_machine(self.resource_id)
        return self.resource_id

    def check_resume_complete(self, machine_id):
        try:
            done, _machine = polling.machine_reached(
                self.client(), machine_id, 'running', ('stopped',
                                                       'provisioning',
                                                       'ready'))
        except polling.MachineFailed as exc:
            self._fail(exc.message)
        return done

    # -- update ----------------------------------------------------------

    def needs_replace_with_prop_diff(self, changed_properties_set,
                                     after_props, before_props):
        return (not self.CAN_RESIZE
                and self.PACKAGE in changed_properties_set)

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        client = self.client()
        machine_id = self.resource_id
        if self.NAME in prop_diff:
            name = prop_diff[self.NAME] or self.physical_resource_name()
            client.rename_machine(machine_id, name)
        if self.METADATA in prop_diff:
            new = self._strings(prop_diff[self.METADATA], 'metadata')
            old = self._strings(self.properties[self.METADATA], 'metadata')
            for key in sorted(set(old) - set(new)):
                client.delete_machine_metadata(machine_id, key)
            changed = {k: v for k, v in new.items() if old.get(k) != v}
            if changed:
                client.update_machine_metadata(machine_id, changed)
        if self.TAGS in prop_diff:
            client.replace_machine_tags(
                machine_id, self._strings(prop_diff[self.TAGS], 'tags'))
        if self.FIREWALL_ENABLED in prop_diff:
            client.set_machine_firewall(machine_id,
                                        prop_diff[self.FIREWALL_ENABLED])
        if self.PACKAGE in prop_diff:
            package = client.get_package(prop_diff[self.PACKAGE])
            client.resize_machine(machine_id, package['id'])
            return package['name']
        return None

    def check_update_complete(self, package_name):
        if package_name is None:
            return True
        machine = self.client().get_machine(self.resource_id)
        if machine.get('state') == 'failed':
            self._fail(_('Machine %s failed while resizing')
                       % self.resource_id)
        return (machine.get('package') == package_name
                and machine.get('state') == 'running')


class SmartMachine(SDCMachine):
    """A SmartOS zone or LX-branded container on Joyent SDC / Triton.

    OS-virtualised instance created through CloudAPI from a
    ``zone-dataset`` or ``lx-dataset`` image; its package can be resized
    in place.
    """


class KVMMachine(SDCMachine):
    """A KVM hardware virtual machine on Joyent SDC / Triton.

    Created through CloudAPI from a ``zvol`` image. CloudAPI cannot
    resize KVM machines, so a package change replaces the machine.
    """

    IMAGE_TYPES = ('zvol',)
    KIND = _('a hardware VM (zvol) image')
    CAN_RESIZE = False


def resource_mapping():
    return {
        'SDC::Compute::SmartMachine': SmartMachine,
        'SDC::Compute::KVM': KVMMachine,
    }


def available_resource_mapping():
    return resource_mapping()
