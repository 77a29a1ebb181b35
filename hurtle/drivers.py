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
"""Loading a driver by name from a stevedore namespace.

Every driver interface of Hurtle (runtime, deployer, monitoring, DNS) is
an entry point group; an option names the driver. A name that is not
installed stops the process with the list of the installed ones, so a
typo in the configuration is found at start-up, not at the first call.
"""
import importlib.metadata

from stevedore import driver as stevedore_driver


class UnknownDriver(RuntimeError):
    """No driver of that name is installed in the namespace.

    ``str()``: ``unknown <what> driver 'x' (installed: a, b)``.
    """

    def __init__(self, what, name, installed):
        self.name = name
        self.installed = installed
        super().__init__('unknown %s driver %r (installed: %s)'
                         % (what, name, ', '.join(installed) or 'none'))


def installed(namespace):
    """Sorted names of the entry points in ``namespace`` (str list)."""
    return sorted({ep.name for ep in
                   importlib.metadata.entry_points(group=namespace)})


def load(namespace, name, what, **kwargs):
    """Instantiate driver ``name`` of ``namespace`` with ``kwargs``.

    :param what: the kind of driver, for messages (``'monitoring'``).
    :raises UnknownDriver: ``name`` is not installed.
    :raises RuntimeError: the driver is installed but failed to import or
        to start (e.g. its client library is missing); the message names
        the driver and the cause.
    """
    names = installed(namespace)
    if name not in names:
        raise UnknownDriver(what, name, names)
    try:
        return stevedore_driver.DriverManager(
            namespace, name, invoke_on_load=True,
            invoke_kwds=kwargs).driver
    except Exception as exc:  # import errors, driver's own start-up checks
        raise RuntimeError('cannot load %s driver %r: %s'
                           % (what, name, exc))
