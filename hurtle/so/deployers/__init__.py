"""The deployer drivers of the SOs, and their loader.

A driver implements ``hurtle.sdk.Deployer`` and is installed under the
entry point group ``hurtle.so.deployers``; ``[deployer] driver`` names the
one every SO uses (``heat``: :mod:`hurtle.so.deployers.heat`). An SO
reaches it as ``self.context.deployer``.
"""
from stevedore import driver

NAMESPACE = 'hurtle.so.deployers'


def load(conf, project):
    """Instantiate the ``[deployer] driver`` for ``project``.

    :param conf: oslo.config object with the ``[deployer]`` options (and
        whatever the driver reads).
    :param project: the project whose resources the driver deploys.
    :returns: a ``hurtle.sdk.Deployer``.
    :raises RuntimeError: no such driver is installed, or it fails to
        load.
    """
    name = conf.deployer.driver
    try:
        manager = driver.DriverManager(
            NAMESPACE, name, invoke_on_load=True,
            invoke_kwds={'conf': conf, 'project': project})
    except Exception as exc:  # stevedore raises NoMatches and import errors
        raise RuntimeError('cannot load deployer %r: %s' % (name, exc))
    return manager.driver
