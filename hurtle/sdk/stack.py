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
deletes it and waits until it is deleted (not until the deployer frees
its name: no stack of it is made again; ``deploy`` deleting a stack to
make it again waits for that too), ``state`` reports its status and
outputs. Subclasses choose the template parameters by overriding
``parameters``.

Repeating a call is safe (an SM resuming after a restart does): ``deploy``
of an SO that has a stack, or whose stack ``hurtle-<instance id>`` exists
already in the deployer (the SO died before remembering it), adopts that
stack instead of creating a second one, unless its create failed only
because the deployer's engine went down (``Engine went down during stack
CREATE``: Heat killed mid-create): that stack is deleted and created
again, one stack still; when the deployer cannot tell
(unreachable, or that stack's create not answered yet) ``deploy`` fails
with its ``DeployerError`` and creates nothing (the SM tries again).
``state`` looks a stack id the deployer no longer knows (404) up by name
once and adopts the live stack it finds. Values are remembered only once
the deployer accepted them: a refused ``update`` (``ValueError`` from
``parameters`` or ``DeployerError``) leaves the SO as it was, so the next
update is not refused again for the same value.

When the manifest lists several ``regions`` (``context.regions``), the SO
has one stack per region, ``hurtle-<instance id>-<region>``, each made
through ``context.deployer_in(region)`` from that region's templates:
every call acts on each region in turn (a refusal names the region), and
``state`` adds them up (:mod:`hurtle.sdk.regions`). With one region
listed the stack keeps its single-region name, in that region.
"""

from hurtle import polling
from hurtle.sdk import deployer as deployer_api
from hurtle.sdk import dns
from hurtle.sdk import monitoring
from hurtle.sdk import orchestrator
from hurtle.sdk import regions as regions_api


class StackOrchestrator(orchestrator.ServiceOrchestrator):
    """An SO whose resources are one stack of the context's deployer (one
    per region when the manifest lists several ``regions``)."""

    #: Template used when the manifest names none, relative to the bundle.
    default_templates = {}
    #: Seconds ``dispose`` waits for each stack to be deleted.
    dispose_timeout = 300.0
    #: Seconds between two polls while disposing.
    poll_interval = 0.5
    #: ``{name: output key}``: once the stack is complete, each name
    #: (``str.format``-ed with ``instance_id``, relative to the DNS zone)
    #: is registered through ``context.dns`` with the output's value (an
    #: address or a host name), re-registered when the value changes, and
    #: removed by ``dispose``. E.g. ``{'web-{instance_id}': 'server_ip'}``
    #: (with several regions, keys are ``<region>.<output key>``).
    dns_names = {}

    def __init__(self, context):
        super().__init__(context)
        #: ``{region: stack id}``; region None: the single-region stack.
        self.stack_ids = {}
        self.attributes = {}
        self.registered = {}   # DNS name -> value registered
        self.dns_reason = ''   # why a name is not registered ('' if none)

    def parameters(self, phase, attributes):
        """Return the template parameters for ``phase`` (a dict)."""
        return {}

    def region_parameters(self, phase, attributes, region):
        """Return the template parameters for ``phase`` in ``region`` (a
        region of the manifest's ``regions``, None for a single-region
        manifest); defaults to :meth:`parameters`."""
        return self.parameters(phase, attributes)

    def regions(self):
        """The regions of the instance's stacks, in the manifest's order:
        ``[None]`` (the deployer's region) unless the manifest lists
        ``regions``."""
        return list(self.context.regions) or [None]

    def several_regions(self):
        """Whether the instance has a stack in each of several regions."""
        return len(self.context.regions) > 1

    @property
    def stack_id(self):
        """The id of the stack of a single-region instance (None before
        ``deploy`` and after ``dispose``, and with several regions: see
        ``stack_ids``)."""
        if self.several_regions():
            return None
        return self.stack_ids.get(self.regions()[0])

    def _template(self, phase, region=None):
        return self.context.read_template(
            phase, self.default_templates.get(phase), region=region)

    def _in(self, region, call, *args):
        """``call(*args)``; with several regions a ``DeployerError`` names
        ``region``."""
        try:
            return call(*args)
        except deployer_api.DeployerError as exc:
            if not self.several_regions():
                raise
            raise regions_api.in_region(region, exc)

    def initialise(self, attributes):
        self.attributes = dict(attributes)

    def stack_name(self, region=None):
        """Name of the instance's stack: ``hurtle-<instance id>``, or
        ``hurtle-<instance id>-<region>`` with several regions."""
        if region is None or not self.several_regions():
            return 'hurtle-%s' % self.context.instance_id
        return 'hurtle-%s-%s' % (self.context.instance_id, region)

    def _existing_stack(self, region=None):
        """Id of a live stack named ``stack_name(region)``, or None when the
        deployer has none (it answered 404) or it is being deleted.

        :raises DeployerError: the deployer could not tell (e.g.
            ``DeployerUnavailable``: unreachable, or the stack's create
            not answered yet): creating another stack then could make a
            second one, or adopt one that is never made.
        """
        try:
            details = self.context.deployer_in(region).details(
                self.stack_name(region))
        except deployer_api.DeployerError as exc:
            if exc.status == 404:
                return None
            raise
        if details.status.startswith('DELETE_'):
            return None
        return details.id

    def _interrupted(self, region):
        """Details of ``region``'s known stack if its create failed only
        because the deployer's engine went down
        (:attr:`~hurtle.sdk.deployer.StackDetails.interrupted`), else None.
        A stack the deployer no longer knows, or knows deleted (a delete
        of such a stack that was cut short), is forgotten.

        :raises DeployerError: the deployer could not tell.
        """
        if self.stack_ids.get(region) is None:
            return None
        try:
            details = self._in(region, self._details, region)
        except deployer_api.DeployerError as exc:
            if exc.status != 404:
                raise
            details = None
        if details is None or details.status == 'DELETE_COMPLETE':
            self.stack_ids[region] = None
            return None
        if details.status == 'CREATE_FAILED' and details.interrupted:
            return details
        return None

    def deploy(self, attributes):
        """Create the stack of each region that has none; a stack whose
        create failed only because the deployer's engine went down (e.g.
        the embedded Heat killed mid-create: ``Engine went down during
        stack CREATE``) is deleted, waited for until gone, and created
        again from the same template and parameters. Any other stack
        found is kept as it is (adopted).

        :raises DeployerError: refused, or the deployer could not tell
            whether a stack exists.
        :raises ValueError: ``parameters`` refused a value.
        """
        merged = dict(self.attributes, **attributes)
        todo = []
        again = {}
        for region in self.regions():
            if self.stack_ids.get(region) is None:
                found = self._existing_stack(region)
                if found is not None:
                    self.stack_ids[region] = found
            details = self._interrupted(region)
            if details is not None:
                again[region] = details
            if region in again or self.stack_ids.get(region) is None:
                todo.append(region)
        # Every region's inputs first: a refused value creates nothing.
        inputs = [(region, self._template('deployment', region),
                   self.region_parameters('deployment', merged, region))
                  for region in todo]
        for region, details in again.items():
            self.context.log.warning(
                'stack %s (%s) failed: %s; deleting it to create it again',
                self.stack_name(region), details.id, details.reason)
            self._dispose(region, details.id)
            self.stack_ids[region] = None
        for region, template, parameters in inputs:
            self.stack_ids[region] = self._in(
                region, self.context.deployer_in(region).deploy,
                self.stack_name(region), template, parameters)
        self.attributes = merged

    def provision(self, attributes):
        merged = dict(self.attributes, **attributes)
        if any(self.stack_ids.get(r) is None for r in self.regions()):
            raise deployer_api.DeployerError('nothing deployed to provision')
        inputs = [(region, self._template('provision', region),
                   self.region_parameters('provision', merged, region))
                  for region in self.regions()]
        for region, template, parameters in inputs:
            self._in(region, self.context.deployer_in(region).update,
                     self.stack_ids[region], template, parameters)
        self.attributes = merged

    def dispose(self):
        """Delete the SO's alarms (a monitoring service that cannot be
        reached is logged, not fatal: the alarms' webhooks die with the
        app), then each stack, waiting until it is gone."""
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
        for region in list(self.stack_ids):
            stack_id = self.stack_ids[region]
            if stack_id is not None:
                # The instance's last dispose: no stack of its name is
                # made again, so the stack deleted is enough.
                self._dispose(region, stack_id, reuse_name=False)
            del self.stack_ids[region]

    def _dispose(self, region, stack_id, reuse_name=True):
        """Delete ``region``'s stack ``stack_id`` and wait until it is
        gone: its name free too unless ``reuse_name`` is False
        (``Deployer.dispose_and_wait``)."""
        try:
            self._in(region, self.context.deployer_in(region).dispose_and_wait,
                     stack_id, self.dispose_timeout, self.poll_interval,
                     reuse_name)
        except polling.Timeout:
            raise self._in_error(region, deployer_api.DeployerError(
                'stack %s still exists after %.0f s'
                % (stack_id, self.dispose_timeout)))

    def _in_error(self, region, exc):
        if self.several_regions():
            return regions_api.in_region(region, exc)
        return exc

    def snapshot(self):
        data = {'stack_id': self.stack_id, 'attributes': self.attributes,
                'registered': self.registered}
        if self.context.regions:
            data['stack_ids'] = {r: i for r, i in self.stack_ids.items()
                                 if r is not None}
        return data

    def restore(self, data):
        self.stack_ids = dict(data.get('stack_ids') or {})
        if data.get('stack_id') and not self.several_regions():
            self.stack_ids[self.regions()[0]] = data['stack_id']
        self.attributes = dict(data.get('attributes') or {})
        self.registered = dict(data.get('registered') or {})

    def _register_names(self, outputs):
        """Register ``dns_names`` whose output changed; a refusal is
        logged, kept in ``dns_reason`` (reported by ``state``) and
        retried at the next ``state``."""
        self.dns_reason = ''
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
                self.dns_reason = self.dns_reason or (
                    'DNS name %s not registered: %s' % (name, exc))
                continue
            self.registered[name] = value

    def state(self):
        """The stack's state; with several regions, their states added up
        (:func:`hurtle.sdk.regions.aggregate`), ``stack_id`` the JSON
        object ``{region: stack id}`` (empty until every region has a
        stack: the SM then asks for ``deploy`` again) and outputs keyed
        ``<region>.<output key>``."""
        if any(self.stack_ids.get(r) is None for r in self.regions()):
            return orchestrator.SOState(stack_state='NOT_DEPLOYED')
        if not self.several_regions():
            region = self.regions()[0]
            details = self._details(region)
            if details.complete:
                self._register_names(details.outputs)
            return orchestrator.SOState(stack_state=details.status,
                                        stack_id=details.id,
                                        outputs=details.outputs,
                                        reason=details.reason,
                                        dns_reason=self.dns_reason)
        states = [(region, self._in(region, self._details, region))
                  for region in self.regions()]
        status, reason = regions_api.aggregate(states)
        outputs = regions_api.keyed_outputs(states)
        if status.endswith('_COMPLETE'):
            self._register_names(outputs)
        return orchestrator.SOState(
            stack_state=status,
            stack_id=regions_api.encode_ids(
                {region: details.id for region, details in states}),
            outputs=outputs, reason=reason, dns_reason=self.dns_reason)

    def await_change(self, timeout):
        """Wait up to ``timeout`` seconds for the stack to change, through
        the deployer (``Deployer.wait_change``: the ``cc`` deployer is
        told by the CC at once). Before ``deploy`` and with several
        regions it sleeps a short step (the default of
        :meth:`~hurtle.sdk.orchestrator.ServiceOrchestrator.await_change`).
        """
        stack_id = None if self.several_regions() else self.stack_id
        if stack_id is None:
            return super().await_change(timeout)
        self.context.deployer_in(self.regions()[0]).wait_change(stack_id,
                                                                timeout)

    def _details(self, region):
        """The details of ``region``'s stack. An id the deployer no longer
        knows (e.g. one kept by an earlier version of the SO) is looked up
        by the stack's name once, and the live stack found is adopted.

        :raises DeployerError: the deployer refused, or knows no stack of
            that id or name.
        """
        deployer = self.context.deployer_in(region)
        stack_id = self.stack_ids[region]
        try:
            return deployer.details(stack_id)
        except deployer_api.DeployerError as exc:
            found = self._existing_stack(region) if exc.status == 404 \
                else None
            if found is None or found == stack_id:
                raise
            self.context.log.warning('stack %s unknown to the deployer; '
                                     'its stack %s is %s', stack_id,
                                     self.stack_name(region), found)
            self.stack_ids[region] = found
            return deployer.details(found)
