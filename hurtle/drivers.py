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

A driver is an entry point of a namespace (setup.cfg); an option names
it. An unknown name is a configuration error that must stop start-up
with a message listing the installed names, never a bare traceback.
"""
from importlib import metadata

from stevedore import driver


def installed(namespace):
    """Sorted names of the drivers installed in entry point ``namespace``."""
    return sorted({ep.name for ep in metadata.entry_points(group=namespace)})


def load(namespace, name, option, **kwargs):
    """Instantiate driver ``name`` of entry point ``namespace``.

    :param option: the option naming it (e.g. ``'[cc] runtime'``), for
        the message.
    :param kwargs: passed to the driver's constructor.
    :raises RuntimeError: no such driver (the message lists the installed
        ones), or it failed to import or construct (the message says why).
    """
    names = installed(namespace)
    if name not in names:
        raise RuntimeError('%s = %s: no such driver; installed drivers in '
                           '%s: %s' % (option, name, namespace,
                                       ', '.join(names) or '(none)'))
    try:
        return driver.DriverManager(namespace, name, invoke_on_load=True,
                                    invoke_kwds=kwargs).driver
    except Exception as exc:  # import errors, bad configuration
        raise RuntimeError('%s = %s: cannot load the driver: %s'
                           % (option, name, exc))
