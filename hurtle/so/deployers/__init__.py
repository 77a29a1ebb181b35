"""The deployer drivers of the SOs.

A driver implements ``hurtle.sdk.Deployer`` and is installed under the
entry point group ``hurtle.so.deployers``; ``[deployer] driver`` names the
one every SO uses (``heat``: :mod:`hurtle.so.deployers.heat`) and
:func:`hurtle.sdk.deployer.load` loads it. An SO reaches it as
``self.context.deployer``.
"""
