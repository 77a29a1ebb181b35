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
"""The ``none`` DNS driver: no DNS service; names are checked and
nothing is registered (``register`` returns the record it would have
made, with an empty ``id``)."""
import logging

from hurtle.sdk.dns import base

LOG = logging.getLogger(__name__)


class NoDNS(base.DNS):

    def register(self, name, value, ttl=None):
        kind, values = base.records_of(value)
        fqdn = base.qualify(name, self.conf.dns.zone or 'invalid.')
        LOG.info('[dns] driver is none: %s is not registered', fqdn)
        return base.Record(fqdn, kind, values, ttl or self.conf.dns.ttl)

    def unregister(self, name):
        pass

    def lookup(self, name):
        return []
