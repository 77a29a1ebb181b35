"""What Service Orchestrator authors import.

An SO is a class deriving from ``hurtle.sdk.ServiceOrchestrator`` (or from
``hurtle.sdk.StackOrchestrator``, which runs the usual one-Heat-stack
lifecycle) in a file ``so.py`` of an *SO bundle* directory. Hurtle's SO
runtime (``hurtle-so --bundle DIR``) imports it and serves the SO API
(doc/source/contributor/so-api.rst) for it; the SM drives it through
deploy, provision, update and dispose.
"""
from hurtle.sdk.context import SOContext  # noqa
from hurtle.sdk.deployer import Deployer  # noqa
from hurtle.sdk.deployer import DeployerError  # noqa
from hurtle.sdk.deployer import DeployerUnavailable  # noqa
from hurtle.sdk.deployer import StackDetails  # noqa
from hurtle.sdk.orchestrator import ServiceOrchestrator  # noqa
from hurtle.sdk.orchestrator import SOState  # noqa
from hurtle.sdk.stack import StackOrchestrator  # noqa
