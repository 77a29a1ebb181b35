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
"""Loading an SO bundle: a directory with ``so.py`` defining the SO class.

The class is the module's ``SO_CLASS`` if set, else the one subclass of
``hurtle.sdk.ServiceOrchestrator`` defined in ``so.py`` itself.
"""
import importlib.util
import inspect
import os
import sys

from hurtle.sdk import orchestrator


class BundleError(Exception):
    """The bundle is missing, unreadable or names no single SO class."""


def load_class(bundle_dir):
    """Import ``<bundle_dir>/so.py`` and return its SO class.

    :raises BundleError: with a message saying what is wrong.
    """
    path = os.path.join(bundle_dir, 'so.py')
    if not os.path.isfile(path):
        raise BundleError('SO bundle %s has no so.py' % bundle_dir)
    name = 'hurtle_so_bundle_%x' % (hash(os.path.abspath(path)) & 0xffffff)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[name]
        raise BundleError('cannot import %s: %s: %s'
                          % (path, type(exc).__name__, exc))
    cls = getattr(module, 'SO_CLASS', None)
    if cls is None:
        found = [obj for obj in vars(module).values()
                 if inspect.isclass(obj)
                 and issubclass(obj, orchestrator.ServiceOrchestrator)
                 and obj.__module__ == name]
        if len(found) != 1:
            raise BundleError('%s must define exactly one subclass of '
                              'hurtle.sdk.ServiceOrchestrator (or SO_CLASS);'
                              ' found %d' % (path, len(found)))
        cls = found[0]
    if inspect.isabstract(cls):
        raise BundleError('%s: %s does not implement %s'
                          % (path, cls.__name__,
                             ', '.join(sorted(cls.__abstractmethods__))))
    return cls
