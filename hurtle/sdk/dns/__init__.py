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
"""DNS for SOs: register the names of a service's endpoints, whatever
serves DNS.

Drivers implement :class:`hurtle.sdk.dns.base.DNS` under the entry point
group ``hurtle.sdk.dns``; ``[dns] driver`` names the one every SO gets as
``self.context.dns`` (``none``: nothing is registered; ``designate``:
OpenStack Designate recordsets). Example in an SO::

    record = self.context.dns.register('web-%s' % self.context.instance_id,
                                       '192.0.2.10')
    ...
    self.context.dns.unregister('web-%s' % self.context.instance_id)
"""
from hurtle import drivers
from hurtle.sdk.dns.base import DNS  # noqa
from hurtle.sdk.dns.base import DNSError  # noqa
from hurtle.sdk.dns.base import NAMESPACE
from hurtle.sdk.dns.base import Record  # noqa


def load(conf):
    """Instantiate ``[dns] driver``.

    :raises hurtle.drivers.UnknownDriver: not installed (the message lists
        the installed ones).
    :raises RuntimeError: it failed to start (missing zone, client
        library ...).
    """
    return drivers.load(NAMESPACE, conf.dns.driver, '[dns] driver',
                        conf=conf)
