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
"""Heat resource ``SDC::Network::FabricNetwork`` (Joyent CloudAPI fabrics).

A private overlay network on one of the account's fabric VLANs
(``POST /:login/fabrics/default/vlans/:vlan_id/networks``). CloudAPI
creates it synchronously (201); delete answers 204 and the network is
gone once ``GET /:login/networks/:id`` answers 404. Name, description,
gateway, provisioning range, resolvers and routes change in place
(UpdateFabricNetwork, CloudAPI 9); VLAN, subnet and NAT by replacement.
"""
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties

from hurtle.heat_plugins.resources import sdc_base


class FabricNetwork(sdc_base.SDCResource):
    """A Joyent SDC / Triton fabric network (private overlay network).

    Machines join it by listing the network's id (``get_resource``) in
    their ``networks`` property. The VLAN must exist; every account with
    fabrics has VLAN 2, named "default".
    """

    entity = 'network'

    PROPERTIES = (
        NAME, DESCRIPTION, VLAN_ID, SUBNET, PROVISION_START_IP,
        PROVISION_END_IP, GATEWAY, RESOLVERS, ROUTES, INTERNET_NAT,
    ) = (
        'name', 'description', 'vlan_id', 'subnet', 'provision_start_ip',
        'provision_end_ip', 'gateway', 'resolvers', 'routes',
        'internet_nat',
    )

    UPDATABLE = (NAME, DESCRIPTION, PROVISION_START_IP, PROVISION_END_IP,
                 GATEWAY, RESOLVERS, ROUTES)

    ATTRIBUTES = (
        ID_ATTR, NAME_ATTR, SUBNET_ATTR, GATEWAY_ATTR, VLAN_ID_ATTR,
        FABRIC, PUBLIC,
    ) = (
        'id', 'name', 'subnet', 'gateway', 'vlan_id', 'fabric', 'public',
    )

    properties_schema = {
        NAME: properties.Schema(
            properties.Schema.STRING,
            _('Network name, unique on its VLAN. Default: a name made from '
              'the stack and resource names.'),
            update_allowed=True),
        DESCRIPTION: properties.Schema(
            properties.Schema.STRING,
            _('Free-text description.'),
            update_allowed=True),
        VLAN_ID: properties.Schema(
            properties.Schema.INTEGER,
            _('Fabric VLAN the network lives on (it must exist). A change '
              'replaces the network.'),
            default=2,
            constraints=[constraints.Range(min=0, max=4095)]),
        SUBNET: properties.Schema(
            properties.Schema.STRING,
            _('Private (RFC 1918) subnet in CIDR notation, e.g. '
              '10.10.0.0/24. A change replaces the network.'),
            required=True,
            constraints=[constraints.CustomConstraint('net_cidr')]),
        PROVISION_START_IP: properties.Schema(
            properties.Schema.STRING,
            _('First address of the subnet CloudAPI may give to '
              'machines.'),
            required=True,
            update_allowed=True,
            constraints=[constraints.CustomConstraint('ip_addr')]),
        PROVISION_END_IP: properties.Schema(
            properties.Schema.STRING,
            _('Last address of the subnet CloudAPI may give to machines.'),
            required=True,
            update_allowed=True,
            constraints=[constraints.CustomConstraint('ip_addr')]),
        GATEWAY: properties.Schema(
            properties.Schema.STRING,
            _('Gateway address (in the subnet); needed for internet NAT.'),
            update_allowed=True,
            constraints=[constraints.CustomConstraint('ip_addr')]),
        RESOLVERS: properties.Schema(
            properties.Schema.LIST,
            _('DNS resolver addresses given to machines.'),
            update_allowed=True,
            schema=properties.Schema(
                properties.Schema.STRING,
                constraints=[constraints.CustomConstraint('ip_addr')])),
        ROUTES: properties.Schema(
            properties.Schema.MAP,
            _('Static routes for machines on the network: a map of '
              'destination subnet (CIDR) or host to gateway address.'),
            update_allowed=True),
        INTERNET_NAT: properties.Schema(
            properties.Schema.BOOLEAN,
            _('Give the network a NAT zone for outbound internet access. '
              'A change replaces the network.'),
            default=True),
    }

    attributes_schema = {
        ID_ATTR: attributes.Schema(
            _('Network UUID.'), type=attributes.Schema.STRING),
        NAME_ATTR: attributes.Schema(
            _('Network name.'), type=attributes.Schema.STRING),
        SUBNET_ATTR: attributes.Schema(
            _('Subnet in CIDR notation.'), type=attributes.Schema.STRING),
        GATEWAY_ATTR: attributes.Schema(
            _('Gateway address.'), type=attributes.Schema.STRING),
        VLAN_ID_ATTR: attributes.Schema(
            _('Fabric VLAN id.'), type=attributes.Schema.INTEGER),
        FABRIC: attributes.Schema(
            _('True: the network is on a fabric.'),
            type=attributes.Schema.BOOLEAN),
        PUBLIC: attributes.Schema(
            _('True: the network is public (never for fabric networks).'),
            type=attributes.Schema.BOOLEAN),
    }

    def _name(self):
        return (self.properties[self.NAME]
                or self.physical_resource_name())

    def handle_create(self):
        net = self.client().create_fabric_network(
            self.properties[self.VLAN_ID],
            name=self._name(),
            subnet=self.properties[self.SUBNET],
            provision_start_ip=self.properties[self.PROVISION_START_IP],
            provision_end_ip=self.properties[self.PROVISION_END_IP],
            gateway=self.properties[self.GATEWAY],
            resolvers=self.properties[self.RESOLVERS],
            routes=self.properties[self.ROUTES],
            description=self.properties[self.DESCRIPTION],
            internet_nat=self.properties[self.INTERNET_NAT])
        self.resource_id_set(net['id'])
        return net['id']

    def check_create_complete(self, network_id):
        # CloudAPI creates fabric networks synchronously; confirm that the
        # network is listed before machines are put on it.
        with self.client_plugin().ignore_not_found:
            self._get(network_id)
            return True
        return False

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        fields = {k: v for k, v in prop_diff.items() if k in self.UPDATABLE}
        if self.NAME in fields and not fields[self.NAME]:
            fields[self.NAME] = self.physical_resource_name()
        if fields:
            self.client().update_fabric_network(
                self.properties[self.VLAN_ID], self.resource_id, **fields)

    def _delete_entity(self):
        # Fabric networks are deleted on their VLAN; shown as networks.
        self.client().delete_fabric_network(self.properties[self.VLAN_ID],
                                            self.resource_id)


def resource_mapping():
    return {'SDC::Network::FabricNetwork': FabricNetwork}


def available_resource_mapping():
    return resource_mapping()
