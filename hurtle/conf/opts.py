"""Entry point for oslo-config-generator (``oslo.config.opts = hurtle``).

Lists every option group defined in ``hurtle.conf``'s modules so that
``tox -e genconfig`` writes ``etc/hurtle/hurtle.conf.sample``.
"""
import collections

from hurtle import conf


def list_opts():
    """Return ``[(group_name, [opts])]`` sorted by group name."""
    groups = collections.defaultdict(list)
    for module in conf.option_modules():
        for group, options in module.list_opts().items():
            groups[group].extend(options)
    return sorted(groups.items())
