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
"""The ``designate`` DNS driver: recordsets in an OpenStack Designate
zone (python-designateclient, DNS v2 API).

``[dns] zone`` names the zone (it must exist; Hurtle creates none);
``[dns] endpoint`` is the v2 API root (``http://host:9001/v2``) or, in
Keystone mode, empty for the catalog's ``dns`` endpoint. In Keystone mode
the driver needs ``[service_credentials]`` (``RuntimeError`` at start-up
without them: an SO started by the CC has none). ``register``
creates the recordset of a name (``A``, ``AAAA`` or ``CNAME``), or
updates it when one of that type exists (a recordset of another type is
replaced); ``unregister`` deletes every recordset of the name.
"""
from designateclient import exceptions as designate_exc
from designateclient.v2 import client as designate_v2
from keystoneauth1 import exceptions as ks_exc

from hurtle import client_session
from hurtle.sdk.dns import base


class DesignateDNS(base.DNS):

    def __init__(self, conf):
        super().__init__(conf)
        if not conf.dns.zone:
            raise RuntimeError('[dns] zone must name the Designate zone')
        self.zone = conf.dns.zone if conf.dns.zone.endswith('.') else (
            conf.dns.zone + '.')
        try:
            session, endpoint = client_session.load(
                conf, conf.dns.endpoint, '[dns] endpoint',
                insecure=conf.dns.insecure)
            missing = session.auth is None and 'no auth_type'
        except ks_exc.ClientException as exc:
            missing = str(exc)
        if missing:
            # Keystone mode: an SO started by the CC gets no
            # [service_credentials] (so.conf carries no credentials).
            raise RuntimeError(
                '[dns] driver = designate needs Keystone credentials in '
                '[service_credentials] when auth_strategy is keystone: %s'
                % missing)
        self.client = designate_v2.Client(session=session,
                                          endpoint_override=endpoint)
        self._zone_id = None

    def _call(self, what, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except designate_exc.RemoteError as exc:
            raise base.DNSError('%s: designate refused (%s): %s'
                                % (what, exc.code, exc.message))
        except designate_exc.Base as exc:
            raise base.DNSError('%s: %s' % (what, exc))
        except ks_exc.ClientException as exc:
            raise base.DNSError('%s: DNS service unreachable (%s)'
                                % (what, type(exc).__name__))

    def _zone(self):
        if self._zone_id is None:
            zones = self._call('find zone', self.client.zones.list,
                               criterion={'name': self.zone})
            if not zones:
                raise base.DNSError('zone %s does not exist' % self.zone)
            self._zone_id = zones[0]['id']
        return self._zone_id

    def _recordsets(self, fqdn):
        return self._call('list recordsets', self.client.recordsets.list,
                          self._zone(), criterion={'name': fqdn})

    @staticmethod
    def _record(recordset):
        return base.Record(recordset['name'], recordset['type'],
                           list(recordset['records']), recordset.get('ttl'),
                           recordset['id'])

    def register(self, name, value, ttl=None):
        fqdn = base.qualify(name, self.zone)
        kind, values = base.records_of(value)
        ttl = ttl or self.conf.dns.ttl
        zone = self._zone()
        for existing in self._recordsets(fqdn):
            if existing['type'] == kind:
                return self._record(self._call(
                    'update recordset', self.client.recordsets.update,
                    zone, existing['id'], {'records': values, 'ttl': ttl}))
            self._call('delete recordset', self.client.recordsets.delete,
                       zone, existing['id'])
        return self._record(self._call(
            'create recordset', self.client.recordsets.create, zone, fqdn,
            kind, values, ttl=ttl))

    def unregister(self, name):
        fqdn = base.qualify(name, self.zone)
        zone = self._zone()
        for existing in self._recordsets(fqdn):
            self._call('delete recordset', self._delete, zone,
                       existing['id'])

    def _delete(self, zone, recordset_id):
        try:
            self.client.recordsets.delete(zone, recordset_id)
        except designate_exc.NotFound:
            pass   # deleted meanwhile

    def lookup(self, name):
        return [self._record(r) for r in
                self._recordsets(base.qualify(name, self.zone))]
