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
"""The deployer facade SOs use to deploy resources, and its loader.

The deployer drivers (``hurtle.so.deployers``, entry point group
``hurtle.so.deployers``, chosen by ``[deployer] driver``) implement
``Deployer``; an SO reaches the configured one as
``self.context.deployer``. :func:`load` lives here, beside the interface,
because two processes load a driver: every SO, and the SM when it
disposes of a stack whose SO is gone.
"""
import abc
import dataclasses
import time

from hurtle import drivers
from hurtle import polling

NAMESPACE = 'hurtle.so.deployers'
#: Seconds before the second look at a stack being deleted; the waits
#: then grow to the caller's interval (``hurtle.polling.poll_until``).
FIRST_LOOK = 0.1
#: How the reason of a stack begins when Heat marked it ``*_FAILED``
#: only because the engine working on it went down (the process died):
#: ``Engine went down during stack CREATE`` (Heat's
#: ``EngineService.reset_stack_status``, and the embedded Heat's
#: ``hurtle.heat.interrupted``). Nothing in the stack itself failed.
ENGINE_DOWN = 'Engine went down during stack '
#: Seconds :meth:`Deployer.wait_change` sleeps when the deployer cannot
#: be told of a change.
WAIT_STEP = 0.5
#: Most seconds one :meth:`Deployer.wait_change` is given while
#: disposing (a deployer that can wait for a change is asked again after).
DISPOSE_WAIT = 20.0


def interrupted(status, reason):
    """Whether a stack in ``status`` (e.g. ``CREATE_FAILED``) with
    ``reason`` (Heat's status reason) failed only because the engine
    went down (:data:`ENGINE_DOWN`), not for a reason of its own (a bad
    template, a quota, a resource that failed): the same request may
    then succeed when made again.

    :param status: Heat's stack status (str).
    :param reason: Heat's status reason (str or None).
    :returns: bool.
    """
    return (str(status or '').endswith('_FAILED') and
            str(reason or '').startswith(ENGINE_DOWN))


def outputs_due(status):
    """Whether a stack in ``status`` (e.g. Heat's ``UPDATE_COMPLETE``) has
    outputs to report: it is at rest and complete, and not deleted
    (``*_COMPLETE`` except ``DELETE_COMPLETE``). A stack in progress,
    failed or deleted reports none.

    :param status: the deployer's state string (str or None).
    :returns: bool.
    """
    status = str(status or '')
    return status.endswith('_COMPLETE') and not status.startswith('DELETE_')


class DeployerError(Exception):
    """A deployment request was refused or failed; ``str()`` says why.

    ``status`` is the HTTP status the deployment service refused with
    (e.g. 400 for a bad template, 409 for a name in use), or None.
    """

    def __init__(self, message='', status=None):
        super().__init__(message)
        self.status = status


class DeployerUnavailable(DeployerError):
    """The deployment service could not be reached (connection refused or
    reset, timeout, TLS failure, or it answered 502/503/504): nothing was
    done and the request may be retried later.

    ``str()`` is a sentence fit for users that names the component and the
    failure (``"orchestration service unreachable"``), never a URL;
    ``detail`` holds the technical cause (URL, exception) for the log.
    """

    def __init__(self, message='orchestration service unreachable',
                 detail=''):
        super().__init__(message, status=503)
        self.detail = detail


@dataclasses.dataclass(frozen=True)
class SOIdentity:
    """How a caller other than the SO itself (the SM disposing of a stack
    whose SO is gone) reaches the CC's ``stack`` kind as that SO: the CC's
    URL, the SO's app id and its secret. Drivers that do not use the CC
    ignore it."""

    cc_url: str
    app_id: str
    secret: str = dataclasses.field(repr=False)


@dataclasses.dataclass
class StackDetails:
    """The state of one deployment.

    ``status`` is the deployer's state string, e.g. Heat's
    ``CREATE_IN_PROGRESS``, ``CREATE_COMPLETE``, ``UPDATE_FAILED``;
    ``outputs`` maps output keys to their values.
    """

    id: str
    status: str
    reason: str = ''
    outputs: dict = dataclasses.field(default_factory=dict)

    @property
    def complete(self):
        return self.status.endswith('_COMPLETE')

    @property
    def failed(self):
        return self.status.endswith('_FAILED')

    @property
    def interrupted(self):
        """Failed only because the engine went down (:func:`interrupted`)."""
        return interrupted(self.status, self.reason)

    @property
    def outputs_due(self):
        """Complete and not deleted: outputs are reported
        (:func:`outputs_due`)."""
        return outputs_due(self.status)


class Deployer(abc.ABC):
    """Deploys and disposes stacks of resources for one project."""

    @abc.abstractmethod
    def deploy(self, name, template, parameters=None, files=None,
               environment=None):
        """Start creating a stack.

        :param name: stack name (str).
        :param template: template text (HOT YAML or JSON, str).
        :param parameters: ``{name: value}`` template parameters.
        :param files: ``{name: text}`` files the template or environment
            refer to (nested templates, scripts).
        :param environment: a Heat environment (dict).
        :returns: the stack id (str).
        :raises DeployerError: the deployer refused the request.
        """

    @abc.abstractmethod
    def update(self, stack_id, template=None, parameters=None, files=None,
               environment=None):
        """Start updating a stack; ``template=None`` keeps the current one.

        :raises DeployerError: unknown stack or refused update.
        """

    @abc.abstractmethod
    def details(self, stack_id):
        """Return ``StackDetails`` of a stack.

        :raises DeployerError: the stack does not exist.
        """

    def details_at_rest(self, stack_id):
        """``details(stack_id)`` of a stack expected at rest with its
        outputs (an event announced a state for which :func:`outputs_due`
        holds): a driver that reads outputs apart from the status (the
        Heat driver) reads both at once. The default is :meth:`details`.

        :raises DeployerError: as :meth:`details`.
        """
        return self.details(stack_id)

    @abc.abstractmethod
    def dispose(self, stack_id):
        """Start deleting a stack; a stack already gone is not an error."""

    @abc.abstractmethod
    def is_gone(self, stack_id):
        """Return True once a stack is deleted (or never existed)."""

    def deletion(self, stack_id):
        """One look at a stack being deleted: None once it is gone (as
        :meth:`is_gone` says), else its ``StackDetails`` (for a
        ``DELETE_FAILED``). The default asks :meth:`is_gone`, then
        :meth:`details`; a driver that can tell both from one read
        overrides it (:meth:`dispose_and_wait` looks with it).

        :raises DeployerError: as :meth:`is_gone` and :meth:`details`
            (a 404 of :meth:`details` is gone).
        """
        if self.is_gone(stack_id):
            return None
        try:
            return self.details(stack_id)
        except DeployerError as exc:
            if exc.status == 404:   # gone since is_gone looked
                return None
            raise

    def deletion_by_id(self, stack_id):
        """One look at a stack being deleted, for a caller that makes no
        stack of its name afterwards (an instance's final dispose): None
        once the stack itself is deleted (``DELETE_COMPLETE``, or
        unknown), even while the deployer does not take its name for a
        new stack yet (Heat frees the name a moment after it reports
        ``DELETE_COMPLETE``); else its ``StackDetails``.

        The default is :meth:`deletion` (which also waits for the name):
        a driver that can tell sooner overrides it.

        :raises DeployerError: as :meth:`deletion`.
        """
        return self.deletion(stack_id)

    def wait_change(self, stack_id, timeout):
        """Block up to ``timeout`` seconds (float) until the stack may
        have changed (its status, outputs, or it is gone); a return before
        it did is harmless (the caller looks again).

        The default cannot be told of changes: it sleeps
        ``min(timeout, WAIT_STEP)`` seconds. A driver whose service can
        (the ``cc`` driver: a held GET of the CC) overrides it.
        Never raises for a stack that is gone or a service that cannot
        be reached: the caller's next look says so.
        """
        time.sleep(max(0.0, min(timeout, WAIT_STEP)))

    def dispose_and_wait(self, stack_id, timeout, interval,
                         reuse_name=True):
        """Delete a stack and wait until it is gone.

        Each look is one :meth:`deletion` (gone: deleted, and its name
        free for a new stack), or with ``reuse_name=False`` one
        :meth:`deletion_by_id` (gone: deleted; the name may be held a
        moment longer). A deployer that can be told
        of changes (one overriding :meth:`wait_change`) looks again as
        soon as it is; any other
        looks every ``interval`` seconds (the first looks sooner:
        :data:`FIRST_LOOK`).

        :param timeout: seconds to wait for the deletion.
        :param interval: most seconds between two looks at the stack for
            a deployer that cannot be told of changes.
        :param reuse_name: False when the caller makes no stack of the
            same name afterwards (an instance's final dispose), so the
            wait ends as soon as the stack itself is deleted.
        :raises DeployerError: the deletion was refused, or the stack
            reached ``DELETE_FAILED`` (the message quotes its reason).
        :raises hurtle.polling.Timeout: the stack still exists after
            ``timeout`` seconds.
        """
        self.dispose(stack_id)
        told = type(self).wait_change is not Deployer.wait_change
        deadline = time.monotonic() + timeout

        look = self.deletion if reuse_name else self.deletion_by_id

        def gone():
            details = look(stack_id)
            if details is None:
                return True
            if details.status == 'DELETE_FAILED':
                raise DeployerError('deleting stack %s failed: %s'
                                    % (stack_id, details.reason))
            return None

        def wait(seconds):
            self.wait_change(stack_id, max(0.0, min(
                deadline - time.monotonic(), DISPOSE_WAIT)))
        polling.poll_until(gone, timeout, interval,
                           'deletion of stack %s' % stack_id,
                           first=None if told else FIRST_LOOK,
                           sleep=wait if told else time.sleep)


def load(conf, project, trust_id=None, so_identity=None, region=None):
    """Instantiate the ``[deployer] driver`` for ``project``.

    :param conf: oslo.config object with the ``[deployer]`` options (and
        whatever the driver reads).
    :param project: the project whose resources the driver deploys.
    :param trust_id: a Keystone trust from the instance's user to
        Hurtle's service user (``hurtle.sm.trusts``): the driver deploys
        with it, into the user's project. Given to the driver (keyword
        ``trust_id``) only when set.
    :param so_identity: :class:`SOIdentity` of the SO the stacks belong
        to, for a caller that is not that SO (the SM); given to the driver
        (keyword ``so_identity``) only when set.
    :param region: the region to deploy into (keyword ``region``, only
        when set); None: the driver's default.
    :returns: a :class:`Deployer`.
    :raises RuntimeError: no such driver is installed, or it fails to
        load.
    """
    return load_driver(conf.deployer.driver, conf, project,
                       trust_id=trust_id, so_identity=so_identity,
                       region=region)


def load_driver(name, conf, project, **options):
    """Instantiate deployer driver ``name`` for ``project``; ``options``
    whose value is not None are passed on as keywords (``trust_id``,
    ``so_identity``, ``region``).

    :raises RuntimeError: no such driver is installed, or it fails to
        load (the message names the driver and the cause).
    """
    kwargs = {'conf': conf, 'project': project}
    kwargs.update({k: v for k, v in options.items() if v})
    return drivers.load(NAMESPACE, name, '[deployer] driver', **kwargs)
