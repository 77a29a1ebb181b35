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
"""``StackOrchestrator``: the usual SO, one Heat stack per instance.

``deploy`` creates the stack from the ``deployment`` template, ``provision``
and ``update`` update it with the ``provision`` template, ``dispose``
deletes it and waits until it is gone, ``state`` reports its status and
outputs. Subclasses choose the template parameters by overriding
``parameters``.

Repeating a call is safe (an SM resuming after a restart does): ``deploy``
of an SO that has a stack, or whose stack ``hurtle-<instance id>`` exists
already in the deployer (the SO died before remembering it), adopts that
stack instead of creating a second one; when the deployer cannot tell
(unreachable, or that stack's create not answered yet) ``deploy`` fails
with its ``DeployerError`` and creates nothing (the SM tries again).
``state`` looks a stack id the deployer no longer knows (404) up by name
once and adopts the live stack it finds. Values are remembered only once
the deployer accepted them: a refused ``update`` (``ValueError`` from
``parameters`` or ``DeployerError``) leaves the SO as it was, so the next
update is not refused again for the same value.
"""
from hurtle import polling
from hurtle.sdk import deployer as deployer_api
from hurtle.sdk import dns
from hurtle.sdk import monitoring
from hurtle.sdk import orchestrator


class StackOrchestrator(orchestrator.ServiceOrchestrator):
    """An SO whose resources are one stack of the context's deployer."""

    #: Template used when the manifest names none, relative to the bundle.
    default_templates = {}
    #: Seconds ``dispose`` waits for the stack to be deleted.
    dispose_timeout = 300.0
    #: Seconds between two polls while disposing.
    poll_interval = 0.5
    #: ``{name: output key}``: once the stack is complete, each name
    #: (``str.format``-ed with ``instance_id``, relative to the DNS zone)
    #: is registered through ``context.dns`` with the output's value (an
    #: address or a host name), re-registered when the value changes, and
    #: removed by ``dispose``. E.g. ``{'web-{instance_id}': 'server_ip'}``.
    dns_names = {}

    def __init__(self, context):
        super().__init__(context)
        self.stack_id = None
        self.attributes = {}
        self.registered = {}   # DNS name -> value registered

    def parameters(self, phase, attributes):
        """Return the template parameters for ``phase`` (a dict)."""
        return {}

    def _template(self, phase):
        return self.context.read_template(
            phase, self.default_templates.get(phase))

    def initialise(self, attributes):
        self.attributes = dict(attributes)

    def stack_name(self):
        """Name of the instance's stack: ``hurtle-<instance id>``."""
        return 'hurtle-%s' % self.context.instance_id

    def _existing_stack(self):
        """Id of a live stack named ``stack_name()``, or None when the
        deployer has none (it answered 404) or it is being deleted.

        :raises DeployerError: the deployer could not tell (e.g.
            ``DeployerUnavailable``: unreachable, or the stack's create
            not answered yet): creating another stack then could make a
            second one, or adopt one that is never made.
        """
        try:
            details = self.context.deployer.details(self.stack_name())
        except deployer_api.DeployerError as exc:
            if exc.status == 404:
                return None
            raise
        if details.status.startswith('DELETE_'):
            return None
        return details.id

    def deploy(self, attributes):
        merged = dict(self.attributes, **attributes)
        if self.stack_id is None:
            self.stack_id = self._existing_stack()
        if self.stack_id is not None:
            self.attributes = merged
            return   # deployed already (a repeated request)
        self.stack_id = self.context.deployer.deploy(
            self.stack_name(), self._template('deployment'),
            self.parameters('deployment', merged))
        self.attributes = merged

    def provision(self, attributes):
        merged = dict(self.attributes, **attributes)
        if self.stack_id is None:
            raise deployer_api.DeployerError('nothing deployed to provision')
        self.context.deployer.update(
            self.stack_id, self._template('provision'),
            self.parameters('provision', merged))
        self.attributes = merged

    def dispose(self):
        """Delete the SO's alarms (a monitoring service that cannot be
        reached is logged, not fatal: the alarms' webhooks die with the
        app), then the stack, waiting until it is gone."""
        if self.context.monitoring is not None:
            try:
                self.context.monitoring.delete_all()
            except monitoring.MonitoringError as exc:
                self.context.log.warning('alarms not deleted: %s', exc)
        for name in list(self.registered):
            try:
                self.context.dns.unregister(name)
            except dns.DNSError as exc:
                raise deployer_api.DeployerError('DNS name %s: %s'
                                                 % (name, exc))
            del self.registered[name]
        if self.stack_id is None:
            return
        try:
            self.context.deployer.dispose_and_wait(
                self.stack_id, self.dispose_timeout, self.poll_interval)
        except polling.Timeout:
            raise deployer_api.DeployerError(
                'stack %s still exists after %.0f s'
                % (self.stack_id, self.dispose_timeout))
        self.stack_id = None

    def snapshot(self):
        return {'stack_id': self.stack_id, 'attributes': self.attributes,
                'registered': self.registered}

    def restore(self, data):
        self.stack_id = data.get('stack_id')
        self.attributes = dict(data.get('attributes') or {})
        self.registered = dict(data.get('registered') or {})

    def _register_names(self, outputs):
        """Register ``dns_names`` whose output changed; a refusal is
        logged and retried at the next ``state``."""
        if self.context.dns is None:
            return
        for pattern, key in self.dns_names.items():
            name = pattern.format(instance_id=self.context.instance_id)
            value = outputs.get(key)
            if not value or self.registered.get(name) == value:
                continue
            try:
                self.context.dns.register(name, value)
            except (ValueError, dns.DNSError) as exc:
                self.context.log.warning('DNS name %s not registered: %s',
                                         name, exc)
                continue
            self.registered[name] = value

    def state(self):
        if self.stack_id is None:
            return orchestrator.SOState(stack_state='NOT_DEPLOYED')
        try:
            details = self.context.deployer.details(self.stack_id)
        except deployer_api.DeployerError as exc:
            # An id the deployer no longer knows (e.g. one kept by an
            # earlier version of the SO): the stack is looked up by its
            # name once, and adopted if it lives.
            found = self._existing_stack() if exc.status == 404 else None
            if found is None or found == self.stack_id:
                raise
            self.context.log.warning('stack %s unknown to the deployer; '
                                     'its stack %s is %s', self.stack_id,
                                     self.stack_name(), found)
            self.stack_id = found
            details = self.context.deployer.details(found)
        if details.complete:
            self._register_names(details.outputs)
        return orchestrator.SOState(stack_state=details.status,
                                    stack_id=details.id,
                                    outputs=details.outputs,
                                    reason=details.reason)
