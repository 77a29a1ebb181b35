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
"""Shared set-up for the SDC resource tests: Heat harness + simulator.

Each test gets a fresh CloudAPI simulator on 127.0.0.1 with a freshly
generated key registered, and heat.conf's ``[sdc]`` pointing at it, so
the resources talk real, signed HTTP to it.
"""
import os
import sys

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives import serialization
import fixtures
from heat.common import template_format
from heat.engine import resource
from heat.engine import resources
from heat.engine import scheduler
from heat.engine import stack as parser
from heat.tests import common
from heat.tests import utils
from oslo_config import cfg

from hurtle.heat_plugins.clients import sdc as sdc_plugin
from hurtle.heat_plugins.resources import sdc_firewall
from hurtle.heat_plugins.resources import sdc_machine
from hurtle.heat_plugins.resources import sdc_network
from tests import sdc_simulator
from tests.unit.heat_plugins.clients import registry

CONSTRAINTS = {
    'sdc.image': sdc_plugin.ImageConstraint,
    'sdc.package': sdc_plugin.PackageConstraint,
    'sdc.network': sdc_plugin.NetworkConstraint,
}


def register_with_heat(test):
    """Make the sdc client plugin, constraints and resource types known.

    Uses the installed entry points when present; otherwise (hurtle not
    installed in develop mode) registers the same classes directly, the
    client plugin only for the duration of ``test``.
    """
    resources.initialise()
    registry.use_client_plugin(test, 'sdc', sdc_plugin.SDCClientPlugin)
    env = resources.global_env()
    for name, cls in CONSTRAINTS.items():
        if env.get_constraint(name) is None:
            env.register_constraint(name, cls)
    for module in (sdc_machine, sdc_network, sdc_firewall):
        for name, cls in module.resource_mapping().items():
            resource._register_class(name, cls)


class SDCTestCase(common.HeatTestCase):

    transition_polls = 1

    def setUp(self):
        # HeatTestCase points environment_dir at a path that only exists in
        # a Heat source tree; load Heat's global environment once from the
        # installed etc/heat before it does
        # (doc/source/contributor/testing.rst).
        etc_heat = os.path.join(sys.prefix, 'etc', 'heat')
        if os.path.isdir(etc_heat):
            cfg.CONF.set_default('environment_dir',
                                 os.path.join(etc_heat, 'environment.d'))
            cfg.CONF.set_default('template_dir',
                                 os.path.join(etc_heat, 'templates'))
        with fixtures.FakeLogger():
            resources.initialise()
        super().setUp()
        register_with_heat(self)
        self.sim = sdc_simulator.CloudAPISimulator(
            account='hurtle', transition_polls=self.transition_polls)
        self.sim.start()
        self.addCleanup(self.sim.stop)
        key = ec.generate_private_key(ec.SECP256R1())
        self.sim.add_key(key.public_key())
        key_file = os.path.join(self.useFixture(fixtures.TempDir()).path,
                                'id_ecdsa')
        with open(key_file, 'wb') as f:
            f.write(key.private_bytes(serialization.Encoding.PEM,
                                      serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        for name, value in (('url', self.sim.url), ('account', 'hurtle'),
                            ('key_file', key_file), ('retries', 1),
                            ('timeout', 5.0)):
            cfg.CONF.set_override(name, value, group='sdc')

    def parse(self, template):
        return utils.parse_stack(template_format.parse(template))

    def create(self, template):
        stack = self.parse(template)
        stack.create()
        return stack

    def assertState(self, stack, action, status):
        self.assertEqual((action, status), stack.state,
                         stack.status_reason)

    def update(self, stack, template):
        """Update ``stack`` to ``template`` (check ``stack.state`` after).

        Heat's update target is not stored; use :meth:`reload` before
        further actions on the stack.
        """
        utils.update_stack(stack, template_format.parse(template))
        return stack

    def reload(self, stack):
        return parser.Stack.load(stack.context, stack_id=stack.id)

    def run_task(self, task):
        scheduler.TaskRunner(task)()
