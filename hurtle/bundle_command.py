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
"""An SO bundle's ``bundle.json``: the command of an SO in any language.

A bundle directory may hold ``bundle.json``::

    {"command": ["node", "so.js"]}

``command`` is the argv (a non-empty list of non-empty strings) the
runtime runs in the bundle directory; a first element with a ``/`` in it
is a path relative to the bundle directory (``./so.sh``), else a program
on ``PATH`` (``node``, ``java``, ``php``). Without ``bundle.json`` the
bundle is a Python SO (``so.py``, run by ``hurtle-so``). The command
serves the SO API on the address in ``HURTLE_SO_HOST`` and the port in
``HURTLE_SO_PORT`` (``0``: any free port) and, when ``HURTLE_SO_PORT_FILE``
is set, writes the port it listens on there; when ``HURTLE_SO_STATE_FILE``
is set, it keeps its state in that file so that a restarted process
resumes (see doc/source/contributor/so-api.rst). Shared by the CC's
runtimes, which run it, and the SM, which refuses to start with a bad
one.
"""
import json
import os

import jsonschema

#: The file name in a bundle directory.
FILE = 'bundle.json'

#: JSON schema of ``bundle.json``.
SCHEMA = {
    'type': 'object',
    'required': ['command'],
    'additionalProperties': False,
    'properties': {
        'command': {'type': 'array', 'minItems': 1,
                    'items': {'type': 'string', 'minLength': 1}},
    },
}

#: Environment variables of the port contract.
HOST_ENV = 'HURTLE_SO_HOST'
PORT_ENV = 'HURTLE_SO_PORT'
PORT_FILE_ENV = 'HURTLE_SO_PORT_FILE'
#: Where the SO keeps its state between processes.
STATE_FILE_ENV = 'HURTLE_SO_STATE_FILE'


class BundleCommandError(ValueError):
    """``bundle.json`` is unreadable or invalid; ``str()`` names the file
    and says what is wrong."""


def load(bundle_dir):
    """The command of the bundle at ``bundle_dir``, or None when it has no
    ``bundle.json`` (a Python bundle).

    :returns: the argv (list of str), its first element made absolute
        when it is a path (has a ``/``).
    :raises BundleCommandError: the file cannot be read, is not JSON, does
        not match :data:`SCHEMA`, or names a program path that is not an
        executable file in the bundle.
    """
    path = os.path.join(bundle_dir, FILE)
    if not os.path.lexists(path):
        return None
    try:
        with open(path, encoding='utf-8') as handle:
            document = json.load(handle)
    except OSError as exc:
        raise BundleCommandError('cannot read %s: %s'
                                 % (path, exc.strerror))
    except ValueError as exc:
        raise BundleCommandError('%s is not valid JSON: %s' % (path, exc))
    try:
        jsonschema.validate(document, SCHEMA)
    except jsonschema.ValidationError as exc:
        where = '/'.join(str(p) for p in exc.absolute_path) or '(top)'
        raise BundleCommandError(
            '%s: invalid %s: %s (want {"command": ["program", "arg", ...]})'
            % (path, where, exc.message))
    argv = list(document['command'])
    if '/' in argv[0]:
        program = os.path.normpath(os.path.join(
            os.path.abspath(bundle_dir), argv[0]))
        if not (os.path.isfile(program) and os.access(program, os.X_OK)):
            raise BundleCommandError(
                '%s: command[0] %s is not an executable file of the bundle'
                % (path, argv[0]))
        argv[0] = program
    return argv


def environment(host, port, port_file=None, state_file=None):
    """The port contract's environment variables (dict of str).

    :param host: the address to bind.
    :param port: the port to bind (0: any free port).
    :param port_file: where to write the bound port, or None.
    :param state_file: the file the SO keeps its state in (it survives
        restarts of the SO process), or None.
    """
    env = {HOST_ENV: str(host), PORT_ENV: str(int(port))}
    if port_file:
        env[PORT_FILE_ENV] = port_file
    if state_file:
        env[STATE_FILE_ENV] = state_file
    return env
