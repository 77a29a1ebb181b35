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
