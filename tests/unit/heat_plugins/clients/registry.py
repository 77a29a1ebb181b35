"""Make a Heat client plugin known to Heat for one test.

Uses the installed ``heat.clients`` entry point when present; otherwise
(hurtle not installed in develop mode) registers the class directly, for
the duration of the test only.
"""
import fixtures
from heat.engine import clients
from stevedore import extension


def use_client_plugin(test, name, plugin_class):
    """Register ``plugin_class`` as client ``name`` unless installed."""
    clients.initialise()
    if clients.has_client(name):
        return
    ext = extension.Extension(name, None, plugin_class, None)
    manager = extension.ExtensionManager.make_test_instance(
        list(clients._mgr.extensions) + [ext])
    test.useFixture(fixtures.MockPatchObject(clients, '_mgr', manager))
