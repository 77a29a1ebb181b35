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
"""The DNS driver interface SOs see as ``self.context.dns``."""
import abc
import dataclasses
import ipaddress
import re

NAMESPACE = 'hurtle.sdk.dns'

#: One DNS label (RFC 1123): letters, digits, inner hyphens, ≤ 63.
LABEL = re.compile(r'^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$')


class DNSError(Exception):
    """The DNS service refused a request or could not be reached;
    ``str()`` says why."""


@dataclasses.dataclass
class Record:
    """A registered name: ``name`` (fully qualified, with the final dot),
    ``type`` (``A``, ``AAAA`` or ``CNAME``), ``records`` (list of str),
    ``ttl`` (seconds) and ``id`` (the service's id, '' for ``none``)."""

    name: str
    type: str
    records: list
    ttl: int
    id: str = ''


def record_type(value):
    """``A`` for an IPv4 address, ``AAAA`` for IPv6, else ``CNAME`` for a
    host name (made fully qualified).

    :returns: ``(type, value)``.
    :raises ValueError: neither an address nor a valid host name.
    """
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        host = value if value.endswith('.') else value + '.'
        if not all(LABEL.match(p) for p in host[:-1].split('.')):
            raise ValueError('%r is neither an IP address nor a host name'
                             % value)
        return 'CNAME', host
    return ('A' if address.version == 4 else 'AAAA'), str(address)


def qualify(name, zone):
    """The fully qualified name of ``name`` in ``zone``.

    ``name`` is a label or dotted labels relative to the zone
    (``web-1``), or already ends with ``.<zone>``.

    :raises ValueError: bad labels, or a qualified name outside the zone.
    """
    zone = zone if zone.endswith('.') else zone + '.'
    if name.endswith('.'):
        if not name.endswith('.' + zone):
            raise ValueError('%s is not in zone %s' % (name, zone))
        relative = name[:-len(zone) - 1]
    else:
        relative = name
    if not relative or not all(LABEL.match(p) for p in relative.split('.')):
        raise ValueError('%r is not a valid DNS name' % name)
    return '%s.%s' % (relative, zone)


class DNS(abc.ABC):
    """Registers names of endpoints in one zone (``[dns] zone``)."""

    def __init__(self, conf):
        self.conf = conf

    @abc.abstractmethod
    def register(self, name, value, ttl=None):
        """Create or replace the record of ``name``.

        :param name: label(s) relative to the zone, or a fully qualified
            name in it.
        :param value: an IPv4/IPv6 address (``A``/``AAAA``) or a host name
            (``CNAME``); a list of addresses of one family is accepted.
        :param ttl: seconds; default ``[dns] ttl``.
        :returns: the :class:`Record`.
        :raises ValueError: bad name or value.
        :raises DNSError: refused or unreachable.
        """

    @abc.abstractmethod
    def unregister(self, name):
        """Delete every record of ``name``; a missing one is no error.

        :raises DNSError: refused or unreachable.
        """

    @abc.abstractmethod
    def lookup(self, name):
        """Return the :class:`Record` list registered for ``name``."""


def records_of(value):
    """``(type, [values])`` of a value or list of values of one type.

    :raises ValueError: empty, invalid, or mixed types.
    """
    values = value if isinstance(value, (list, tuple)) else [value]
    if not values:
        raise ValueError('no address given')
    typed = [record_type(str(v)) for v in values]
    kinds = {t for t, _ in typed}
    if len(kinds) != 1 or ('CNAME' in kinds and len(typed) > 1):
        raise ValueError('give addresses of one family, or one host name')
    return kinds.pop(), [v for _, v in typed]
