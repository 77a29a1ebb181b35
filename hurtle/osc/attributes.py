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
"""Parsing the ``--attribute NAME=VALUE`` options of the CLI."""


class AttributeError_(ValueError):
    """An ``--attribute`` option is malformed; ``str()`` says which one and
    why."""


def parse(options):
    """``['a=1', 'b=x=y']`` → ``{'a': '1', 'b': 'x=y'}``.

    The value is everything after the first ``=`` (it may be empty or hold
    more ``=``), kept as text: the SM converts it to the type the service's
    manifest declares. The name is stripped of spaces.

    :param options: list of ``NAME=VALUE`` strings (``None``: none).
    :returns: dict name -> value (``str``), in the options' order.
    :raises AttributeError_: an option without ``=``, with an empty name,
        or a name given twice.
    """
    result = {}
    for option in options or ():
        name, sep, value = str(option).partition('=')
        name = name.strip()
        if not sep:
            raise AttributeError_(
                '--attribute %r is not NAME=VALUE' % option)
        if not name:
            raise AttributeError_(
                '--attribute %r has no attribute name before "="' % option)
        if name in result:
            raise AttributeError_(
                '--attribute %s is given more than once' % name)
        result[name] = value
    return result
