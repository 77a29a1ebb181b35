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
"""Heat resource ``SDC::Network::FirewallRule`` (Joyent CloudAPI fwrules).

A cloud firewall rule in Joyent's rule language, e.g.
``FROM any TO tag "role" = "web" ALLOW tcp PORT 80``
(``POST /:login/fwrules``, 201). It applies to machines whose
``firewall_enabled`` is true. Rule text, enabled flag and description
change in place (``POST /:login/fwrules/:id``); delete answers 204, then
404.
"""
from heat.common.i18n import _
from heat.engine import attributes
from heat.engine import properties

from hurtle.heat_plugins.resources import sdc_base


class FirewallRule(sdc_base.SDCResource):
    """A Joyent SDC / Triton cloud firewall rule.

    Rules name machines by tag, id or ``all vms`` and apply to machines
    with the firewall enabled (``firewall_enabled: true`` on
    SDC::Compute::SmartMachine / SDC::Compute::KVM).
    """

    entity = 'firewall_rule'

    PROPERTIES = (RULE, ENABLED, DESCRIPTION) = (
        'rule', 'enabled', 'description')

    ATTRIBUTES = (ID_ATTR, RULE_ATTR, ENABLED_ATTR, GLOBAL) = (
        'id', 'rule', 'enabled', 'global')

    properties_schema = {
        RULE: properties.Schema(
            properties.Schema.STRING,
            _('Rule text: FROM <targets> TO <targets> ALLOW|BLOCK '
              '<protocol> <ports>, e.g. FROM any TO tag "role" = "web" '
              'ALLOW tcp PORT 80. CloudAPI checks the syntax. Changed in '
              'place.'),
            required=True,
            update_allowed=True),
        ENABLED: properties.Schema(
            properties.Schema.BOOLEAN,
            _('Whether the rule is active. Changed in place.'),
            default=True,
            update_allowed=True),
        DESCRIPTION: properties.Schema(
            properties.Schema.STRING,
            _('Free-text description. Changed in place.'),
            default='',
            update_allowed=True),
    }

    attributes_schema = {
        ID_ATTR: attributes.Schema(
            _('Rule UUID.'), type=attributes.Schema.STRING),
        RULE_ATTR: attributes.Schema(
            _('Rule text as CloudAPI stores it.'),
            type=attributes.Schema.STRING),
        ENABLED_ATTR: attributes.Schema(
            _('Whether the rule is active.'),
            type=attributes.Schema.BOOLEAN),
        GLOBAL: attributes.Schema(
            _('True for the cloud operator\'s global rules (never for '
              'rules created here).'),
            type=attributes.Schema.BOOLEAN),
    }

    def handle_create(self):
        rule = self.client().create_firewall_rule(
            self.properties[self.RULE],
            enabled=self.properties[self.ENABLED],
            description=self.properties[self.DESCRIPTION])
        self.resource_id_set(rule['id'])
        return rule['id']

    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if not prop_diff:
            return
        # UpdateFirewallRule requires the rule text even when unchanged.
        rule = prop_diff.get(self.RULE, self.properties[self.RULE])
        self.client().update_firewall_rule(
            self.resource_id, rule=rule,
            enabled=prop_diff.get(self.ENABLED),
            description=prop_diff.get(self.DESCRIPTION))


def resource_mapping():
    return {'SDC::Network::FirewallRule': FirewallRule}


def available_resource_mapping():
    return resource_mapping()
