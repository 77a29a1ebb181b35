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
"""Parsers of option values shared by several groups (no options here).

``service_catalogue`` (``[sm]`` and ``[hurtle_heat]``): each entry reads
``<service_type>=<URL>``: a service type (``<scheme>#<term>``) and the
collection URL of that service on its SM, e.g.
``http://schemas.mobile-cloud-networking.eu/occi/sm#sample=
http://127.0.0.1:8888/sample/``.
"""


def parse_catalogue_entries(entries):
    """Parse ``<service_type>=<URL>`` entries into a dict.

    :param entries: iterable of strings (``None`` is an empty list).
    :returns: ``{service_type: url}``, both stripped of spaces.
    :raises ValueError: an entry without ``=`` or with an empty side.
    """
    result = {}
    for entry in entries or []:
        service_type, sep, url = str(entry).partition('=')
        if not sep or not service_type.strip() or not url.strip():
            raise ValueError('catalogue entry %r is not <service_type>=<URL>'
                             % entry)
        result[service_type.strip()] = url.strip()
    return result
