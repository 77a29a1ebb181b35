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
"""Loading a driver chosen by an option, with stevedore.

Every driver interface of Hurtle (CC runtime, deployer, monitoring, DNS)
is an entry point group (setup.cfg); an option names the driver. A name
that is not installed is a configuration error that stops start-up with
a message naming the option and listing the installed names, so a typo
is found at start-up, never as a bare traceback at the first call.
"""
import functools
from importlib import metadata

from stevedore import driver


class UnknownDriver(RuntimeError):
    """No driver of that name is installed in the namespace.

    ``str()``: ``<option> = <name>: no such driver; installed drivers in
    <namespace>: a, b``; ``.name``, ``.installed`` (str list).
    """

    def __init__(self, namespace, name, option, installed):
        self.name = name
        self.installed = installed
        super().__init__('%s = %s: no such driver; installed drivers in '
                         '%s: %s' % (option, name, namespace,
                                     ', '.join(installed) or '(none)'))


@functools.lru_cache(maxsize=None)
def _all_entry_points():
    # Scanning every installed distribution's entry points took half of
    # the CC's CPU when done per request (each stack call loads a
    # deployer), and half of an SO's when done once per namespace: once
    # per process for all namespaces, as plugins change only with a
    # restart.
    return metadata.entry_points()


@functools.lru_cache(maxsize=None)
def _installed(namespace):
    return tuple(sorted({ep.name for ep in
                         _all_entry_points().select(group=namespace)}))


def installed(namespace):
    """Sorted names of the drivers installed in entry point ``namespace``
    (read once per process)."""
    return list(_installed(namespace))


def warm(namespace, *names):
    """Read the drivers installed in ``namespace`` and import the
    drivers ``names`` now, so that this process's children (forked by
    the SO fork server, ``hurtle.cmd.so_fork_server``) find them read.

    :raises UnknownDriver: one of ``names`` is not installed.
    """
    found = installed(namespace)
    for name in names:
        if name not in found:
            raise UnknownDriver(namespace, name, namespace, found)
        _plugin(namespace, name)


@functools.lru_cache(maxsize=None)
def _plugin(namespace, name):
    """The class (or factory) of driver ``name``, imported once."""
    return driver.DriverManager(namespace, name).driver


def load(namespace, name, option, **kwargs):
    """Instantiate driver ``name`` of entry point ``namespace``.

    :param option: the option naming it (e.g. ``'[cc] runtime'``), for
        the message.
    :param kwargs: passed to the driver's constructor.
    :raises UnknownDriver: no such driver (the message lists the installed
        ones).
    :raises RuntimeError: it failed to import or construct (e.g. its
        client library is missing; the message says why).
    """
    names = installed(namespace)
    if name not in names:
        raise UnknownDriver(namespace, name, option, names)
    try:
        return _plugin(namespace, name)(**kwargs)
    except Exception as exc:  # import errors, the driver's own checks
        raise RuntimeError('%s = %s: cannot load the driver: %s'
                           % (option, name, exc))
