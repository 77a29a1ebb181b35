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
"""The base class of every Service Orchestrator (SO).

The SO API (doc/source/contributor/so-api.rst) maps onto it one to one:

==========================================  =====================
SO API request                              method called
==========================================  =====================
``PUT /orchestrator/default``               ``__init__`` + ``initialise``
``POST /orchestrator/default?action=deploy`` ``deploy``
``POST ...?action=provision``               ``provision``
``POST ...?action=notify``                  ``notify``
``POST /orchestrator/default`` (attributes) ``update``
``GET /orchestrator/default``               ``state``
``GET`` held (``Prefer: wait=N``)           ``await_change``, ``state``
``DELETE /orchestrator/default``            ``dispose``
==========================================  =====================

Methods receive ``attributes``: a dict of OCCI attribute names to typed
values (str, int, float, bool). Raise ``ValueError`` for bad attributes
(the SM gets a 400) and ``hurtle.sdk.DeployerError`` when the deployer
refuses (the SM gets a 409 and fails the instance with that message).
"""
import abc
import dataclasses
import time

#: Seconds the default :meth:`ServiceOrchestrator.await_change` sleeps.
AWAIT_STEP = 0.5


@dataclasses.dataclass
class SOState:
    """What an SO reports on ``GET``.

    ``stack_state``: e.g. ``CREATE_COMPLETE`` (``occi.mcn.stack.state``);
    ``stack_id``: ``occi.mcn.stack.id``; ``outputs``: ``{key: value}``
    reported as instance attributes; ``reason``: why a stack failed
    (``occi.mcn.stack.reason``); ``dns_reason``: why a DNS name of the
    instance is not registered ('' when all are; ``occi.mcn.dns.reason``,
    shown to the user as ``mcn.service.state.reason``).
    """

    stack_state: str = 'UNKNOWN'
    stack_id: str = ''
    outputs: dict = dataclasses.field(default_factory=dict)
    reason: str = ''
    dns_reason: str = ''


class ServiceOrchestrator(abc.ABC):
    """Runs one service instance through its lifecycle."""

    def __init__(self, context):
        """:param context: a ``hurtle.sdk.SOContext``."""
        self.context = context

    def initialise(self, attributes):
        """Called once on creation with the instance's attributes."""

    @abc.abstractmethod
    def deploy(self, attributes):
        """Start deploying the instance's resources."""

    @abc.abstractmethod
    def provision(self, attributes):
        """Start provisioning the deployed resources."""

    def notify(self, attributes):
        """An alarm defined through ``hurtle.sdk.monitoring`` fired.

        :param attributes: ``{"hurtle.alarm.name": str,
            "hurtle.alarm.state": "alarm" | "ok" | "insufficient data" |
            "undetermined", "hurtle.alarm.reason": str}``.

        The default logs it; override to react (scale, repair ...).
        """
        self.context.log.info('alarm %s is %s',
                              attributes.get('hurtle.alarm.name'),
                              attributes.get('hurtle.alarm.state'))

    def update(self, attributes):
        """Apply changed instance attributes; defaults to provision."""
        self.provision(attributes)

    @abc.abstractmethod
    def dispose(self):
        """Dispose of every resource; return once they are gone."""

    @abc.abstractmethod
    def state(self):
        """Return an ``SOState``."""

    def await_change(self, timeout):
        """Block up to ``timeout`` seconds (float) until what
        :meth:`state` reports may have changed; returning before it did
        is harmless (:meth:`state` is read again after each return).

        The SO runtime calls it while it holds a ``GET`` of the SM for a
        change (``If-None-Match`` + ``Prefer: wait=N``,
        doc/source/contributor/so-api.rst), outside the lock of the
        other calls: it must not change the SO, and a ``deploy``,
        ``update`` or ``dispose`` may run meanwhile. Exceptions are
        logged and end the wait.

        The default sleeps ``min(timeout, AWAIT_STEP)`` seconds (0.5 s):
        the SM sees a change within that, without calling the SO itself.
        ``StackOrchestrator`` waits through its deployer
        (``Deployer.wait_change``).
        """
        time.sleep(max(0.0, min(timeout, AWAIT_STEP)))

    def snapshot(self):
        """Return a JSON-able dict of what this SO must remember.

        The runtime writes it to disk after every call, and hands it to
        ``restore`` when the SO process is restarted.
        """
        return {}

    def restore(self, data):
        """Take back what ``snapshot`` returned in an earlier process."""
