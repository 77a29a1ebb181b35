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
"""Hurtle's oslo.config options.

Each module in this package owns one option group. It defines
``register_opts(conf)`` and ``list_opts()`` (a dict ``{group_name: [opts]}``);
``register_all(CONF)`` registers all of them, and Hurtle's own processes
call it at start-up (``hurtle.service.prepare_service``). Importing this
package registers nothing: Heat plugins import ``hurtle.conf.sdc`` inside
heat-engine, whose global CONF must keep Heat's own defaults (``[database]
connection`` above all). ``opts.list_opts`` feeds oslo-config-generator.
``types`` holds parsers of option values and owns no group.

An SO process (``hurtle-so``, ``hurtle-so-host``) registers all groups but
:data:`SERVER_ONLY`, whose modules import libraries an SO never uses
(see ``register_all``).
"""
import importlib
import os
import pkgutil
import re

from oslo_config import cfg

CONF = cfg.CONF

_SKIP = frozenset(['opts', 'types'])

#: Option modules only the API servers (SM, CC, WSGI) read. Their imports
#: (oslo.db; oslo.middleware with WebOb, Jinja2, Paste and greenlet;
#: keystoneauth1 with osprofiler and oslo.concurrency) were 7 MiB of every
#: SO's resident memory (benchmarks/so_memory.py). ``[service_credentials]``
#: is registered by the SO parts that read it, when they are loaded: the
#: ``heat`` deployer and ``hurtle.client_session`` (the ``designate`` DNS
#: driver's sessions).
SERVER_ONLY = frozenset(['database', 'healthcheck', 'service_credentials'])


def option_modules(skip=()):
    """Yield every option module of this package, sorted by name, but
    those named in ``skip`` (module names, e.g. :data:`SERVER_ONLY`):
    these are not imported."""
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if (info.name.startswith('_') or info.name in _SKIP or
                info.name in skip):
            continue
        yield importlib.import_module('%s.%s' % (__name__, info.name))


def register_all(conf, skip=()):
    """Register every Hurtle option group on ``conf`` (idempotent), but
    those of the modules named in ``skip`` (see :func:`option_modules`).
    A group left out is not in ``conf``: its section in a configuration
    file is ignored, and reading it raises ``cfg.NoSuchOptError``."""
    for module in option_modules(skip):
        module.register_opts(conf)


def config_dir(conf, option=None, group=None):
    """Directory of the last ``--config-file`` that sets ``[group]
    option`` (the one whose value counts), else of the first
    ``--config-file``, else the working directory.

    (Not ``ConfigOpts.get_location``: it names the last file with the
    option's *section*, whether or not that file sets the option.)"""
    files = [os.path.abspath(path) for path in conf.config_file or []]
    if option is not None:
        for path in reversed(files):
            if _sets(path, option, group):
                return os.path.dirname(path)
    if files:
        return os.path.dirname(files[0])
    return os.getcwd()


def _sets(path, option, group):
    """Whether the config file at ``path`` sets ``[group] option``
    (``group`` None: ``[DEFAULT]``)."""
    sections = {}
    try:
        cfg.ConfigParser(path, sections).parse()
    except (OSError, cfg.ParseError):
        return False
    return option in sections.get(group or 'DEFAULT', {})


def resolve_path(conf, path, option=None, group=None):
    """Make ``path`` absolute: relative to the directory of the config
    file that set ``[group] option`` (the option ``path`` comes from;
    None: the first config file's), see :func:`config_dir`."""
    if os.path.isabs(path):
        return path
    return os.path.normpath(os.path.join(config_dir(conf, option, group),
                                         path))


def resolve_state_path(conf):
    """Make a relative ``[DEFAULT] state_path`` absolute (see
    ``resolve_path``) so that ``$state_path`` means one place for every
    process, whatever its working directory."""
    if not os.path.isabs(conf.state_path):
        conf.set_override('state_path', resolve_path(
            conf, conf.state_path, 'state_path'))


#: oslo.config's ``LocationInfo(location=<...>, detail='FILE')`` in its
#: messages of bad values.
_LOCATION_REPR = re.compile(
    r"LocationInfo\(location=<[^>]*>, detail='([^']*)'\)")


def check_values(conf):
    """Read every option registered in ``conf`` once. oslo.config
    converts a value from the files only when it is read, so a bad one
    (``[sm] port = abc``) would otherwise fail the process later, with a
    traceback, at its first use.

    :raises oslo_config.cfg.ConfigFileValueError: a value is not valid
        for its option; the message names the option, its group and the
        file, e.g. ``[sm] port: Value for option port from
        /etc/hurtle/hurtle.conf is not valid: Should be less than or equal
        to 65535``.
    """
    for name in conf:
        group = None
        try:
            value = conf[name]
            if isinstance(value, cfg.ConfigOpts.GroupAttr):
                group = name
                for name in value:
                    value[name]
        except cfg.ConfigFileValueError as exc:
            # oslo.config names the file inside a LocationInfo repr.
            raise cfg.ConfigFileValueError('[%s] %s: %s' % (
                group or 'DEFAULT', name, _LOCATION_REPR.sub(r'\1',
                                                             str(exc))))
