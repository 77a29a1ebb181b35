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
"""The ``Host`` guard against DNS rebinding
(doc/source/admin/trust-model.rst).

A web page a local user opens can point its own DNS name at 127.0.0.1
once loaded ("DNS rebinding"). The user's browser then sends that page's
requests to a local server as *same-origin* requests, with the
attacker's name in ``Host``, and lets the page read the answers: the
cross-site request guard (:mod:`hurtle.occi.forms`) compares ``Origin``
with that same ``Host`` and cannot tell. Credentials in a header stop
this (the page cannot know them); an API without them, the SM in noauth
mode, must instead refuse ``Host`` names it does not know.

A :class:`HostGuard` is an :attr:`hurtle.occi.app.Application.checks`
entry. It lets through a request whose ``Host`` (port left aside) is:

* an IP address literal (``127.0.0.1``, ``[::1]``): DNS cannot rebind it;
* ``localhost`` or a name under ``.localhost`` (browsers resolve these
  to loopback themselves, RFC 6761 6.3);
* the host of ``public_url``, or a name in ``allowed`` (compared without
  case and trailing dot); ``*`` in ``allowed`` lets every name through;
* absent (an HTTP/1.0 request; browsers always send ``Host``).

Anything else is answered 400 naming the host and the option to set.
"""

import ipaddress
import urllib.parse

from hurtle.occi import errors
from hurtle.occi import memo


def _name(host):
    """The lower-cased host name or address of a ``Host`` value, without
    port, brackets or trailing dot; ``None`` if it cannot be parsed."""
    try:
        name = urllib.parse.urlsplit('//' + host).hostname
    except ValueError:
        return None
    return name.rstrip('.').lower() if name else None


def _is_address(name):
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


class HostGuard(object):
    """Refuse requests whose ``Host`` names an unknown host.

    :param allowed: iterable of host names (str) besides the built-in
        ones; ``'*'`` allows any.
    :param public_url: the service's public base URL or ``None``; its
        host is allowed.
    :param option: the configuration option an operator sets to allow a
        name, quoted in the error (e.g. ``'[sm] allowed_hosts'``).
    :raises hurtle.occi.errors.BadRequest: (when called) 400 for an
        unknown host name.
    """

    def __init__(self, allowed=(), public_url=None,
                 option='allowed_hosts'):
        self.any = '*' in allowed
        self.allowed = {_name(name) for name in allowed if name != '*'}
        self.allowed.discard(None)
        if public_url:
            self.allowed.add(_name(urllib.parse.urlsplit(public_url).netloc))
        self.option = option
        self._seen = memo.Memo(size=self.CACHED)

    #: Host values remembered per guard (a service sees few distinct ones).
    CACHED = 64

    def allows(self, host):
        """Whether a ``Host`` header value (str) may be served."""
        if self.any:
            return True
        return self._seen.get(host, lambda: self._allows(host))

    def _allows(self, host):
        name = _name(host)
        if name is None:
            # A malformed Host is the request parser's 400.
            return True
        return (_is_address(name) or name == 'localhost' or
                name.endswith('.localhost') or name in self.allowed)

    def __call__(self, environ):
        host = environ.get('HTTP_HOST')
        if host is None or self.allows(host):
            return
        raise errors.BadRequest(
            'Host %r is not a name this service answers to: use an IP '
            'address or localhost, or add the name to %s (a guard against '
            'DNS rebinding).' % (host[:100], self.option))
