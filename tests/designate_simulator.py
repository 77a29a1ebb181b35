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
"""A loopback simulator of the Designate v2 API parts
python-designateclient and Hurtle's ``designate`` DNS driver use
(Designate api-ref "Zones" and "Recordsets"):

* ``/v2/zones``: POST (``name`` ending with ``.``, ``email``; optional
  ``ttl``, ``description``, ``type``) → 202 with ``status`` ``PENDING``,
  ``action`` ``CREATE``; 409 ``duplicate_zone``; GET with ``name``
  filter → ``{"zones", "links", "metadata": {"total_count"}}``;
  GET/DELETE ``/v2/zones/<id>`` (404 ``zone_not_found``).
* ``/v2/zones/<id>/recordsets``: POST (``name`` inside the zone,
  ``type`` A/AAAA/CNAME/MX/TXT/SRV/NS/PTR/CAA, ``records`` a non-empty
  list valid for the type, optional ``ttl`` 1..2147483647 and
  ``description``; unknown fields → 400 ``invalid_object``) → 202
  ``PENDING``/``CREATE``; 409 ``duplicate_recordset`` for the same name
  and type; 400 when a CNAME would share its name with another
  recordset; GET list (``name``/``type`` filters); GET, PUT (``records``,
  ``ttl``, ``description`` only) → 202 ``UPDATE``, DELETE → 202
  ``DELETE`` then gone (404 ``recordset_not_found``).

A recordset or zone shows ``PENDING`` until it is read once, then
``ACTIVE`` (the real service moves when its backends answer). Errors are
``{"code", "type", "message", "request_id"}``.
"""
import ipaddress
import re
import uuid

from tests import json_api_server
from tests.json_api_server import Reply

TYPES = {'A', 'AAAA', 'CNAME', 'MX', 'TXT', 'SRV', 'NS', 'PTR', 'CAA'}
NAME = re.compile(r'^([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)+$')
RECORDSET_FIELDS = {'name', 'type', 'records', 'ttl', 'description'}


def _valid_record(kind, value):
    if not isinstance(value, str):
        return False
    try:
        if kind == 'A':
            return ipaddress.ip_address(value).version == 4
        if kind == 'AAAA':
            return ipaddress.ip_address(value).version == 6
    except ValueError:
        return False
    if kind in ('CNAME', 'NS', 'PTR'):
        return bool(NAME.match(value))
    return bool(value)


class DesignateSimulator(json_api_server.JSONAPIServer):

    ROUTES = [
        ('POST', r'/v2/zones', 'create_zone'),
        ('GET', r'/v2/zones', 'list_zones'),
        ('GET', r'/v2/zones/([^/]+)', 'get_zone'),
        ('DELETE', r'/v2/zones/([^/]+)', 'delete_zone'),
        ('POST', r'/v2/zones/([^/]+)/recordsets', 'create_recordset'),
        ('GET', r'/v2/zones/([^/]+)/recordsets', 'list_recordsets'),
        ('GET', r'/v2/zones/([^/]+)/recordsets/([^/]+)', 'get_recordset'),
        ('PUT', r'/v2/zones/([^/]+)/recordsets/([^/]+)', 'put_recordset'),
        ('DELETE', r'/v2/zones/([^/]+)/recordsets/([^/]+)',
         'delete_recordset'),
    ]

    def __init__(self, token='sim-token', project='admin'):
        super().__init__(token)
        self.project = project
        self.zones = {}
        self.recordsets = {}   # id → recordset (with zone_id)

    def error(self, status, message, kind=None):
        kinds = {400: 'invalid_object', 401: 'authentication_required',
                 404: 'not_found', 409: 'duplicate'}
        return {'code': status, 'type': kind or kinds.get(status, 'error'),
                'message': message,
                'request_id': 'req-%s' % uuid.uuid4()}

    def _fail(self, status, message, kind=None):
        raise Reply(status, self.error(status, message, kind))

    @staticmethod
    def _shown(obj):
        """Answer with the current status, then settle PENDING."""
        out = dict(obj)
        if obj['status'] == 'PENDING':
            obj['status'], obj['action'] = 'ACTIVE', 'NONE'
        return out

    def add_zone(self, name, email='hostmaster@example.org'):
        """Create an ACTIVE zone directly; returns it."""
        with self.lock:
            status, zone = self.create_zone({}, {'name': name,
                                                 'email': email})
            self.zones[zone['id']].update(status='ACTIVE', action='NONE')
            return self.zones[zone['id']]

    def create_zone(self, query, body):
        if not isinstance(body, dict):
            self._fail(400, 'the body must be an object')
        unknown = set(body) - {'name', 'email', 'ttl', 'description',
                               'type', 'masters', 'attributes'}
        if unknown:
            self._fail(400, "Additional properties are not allowed (%s "
                       "were unexpected)" % ', '.join(sorted(unknown)))
        name = body.get('name')
        if not isinstance(name, str) or not NAME.match(name):
            self._fail(400, "'%s' is not a 'domainname'" % name)
        if not body.get('email'):
            self._fail(400, "'email' is a required property")
        if any(z['name'] == name for z in self.zones.values()):
            self._fail(409, 'Duplicate Zone', 'duplicate_zone')
        zone = {'id': str(uuid.uuid4()), 'pool_id': str(uuid.uuid4()),
                'project_id': self.project, 'name': name,
                'email': body['email'], 'ttl': body.get('ttl', 3600),
                'serial': 1, 'status': 'PENDING', 'action': 'CREATE',
                'version': 1, 'type': body.get('type', 'PRIMARY'),
                'description': body.get('description')}
        self.zones[zone['id']] = zone
        return 202, dict(zone)

    def _zone(self, zone_id):
        if zone_id not in self.zones:
            self._fail(404, 'Could not find Zone', 'zone_not_found')
        return self.zones[zone_id]

    def list_zones(self, query, body):
        found = [self._shown(z) for z in self.zones.values()
                 if z['name'] == query.get('name', [z['name']])[0]]
        return 200, {'zones': found, 'links': {'self': self.url + '/v2/zones'},
                     'metadata': {'total_count': len(found)}}

    def get_zone(self, query, body, zone_id):
        return 200, self._shown(self._zone(zone_id))

    def delete_zone(self, query, body, zone_id):
        zone = self._zone(zone_id)
        del self.zones[zone_id]
        for rid in [r for r, rs in self.recordsets.items()
                    if rs['zone_id'] == zone_id]:
            del self.recordsets[rid]
        return 202, dict(zone, status='PENDING', action='DELETE')

    def _check_records(self, kind, records):
        if not isinstance(records, list) or not records:
            self._fail(400, "'records' must be a non-empty list")
        for value in records:
            if not _valid_record(kind, value):
                self._fail(400, "'%s' is not a valid %s record"
                           % (value, kind))

    def _check_ttl(self, ttl):
        if ttl is not None and (not isinstance(ttl, int) or
                                not 1 <= ttl <= 2147483647):
            self._fail(400, "'ttl' %r is not valid" % (ttl,))

    def create_recordset(self, query, body, zone_id):
        zone = self._zone(zone_id)
        if not isinstance(body, dict):
            self._fail(400, 'the body must be an object')
        unknown = set(body) - RECORDSET_FIELDS
        if unknown:
            self._fail(400, "Additional properties are not allowed (%s "
                       "were unexpected)" % ', '.join(sorted(unknown)))
        name, kind = body.get('name'), body.get('type')
        if not isinstance(name, str) or not NAME.match(name):
            self._fail(400, "'%s' is not a 'hostname'" % name)
        if not (name == zone['name'] or name.endswith('.' + zone['name'])):
            self._fail(400, 'RecordSet is not contained within its parent '
                       'zone', 'invalid_recordset_location')
        if kind not in TYPES:
            self._fail(400, "'%s' is not one of %s" % (kind, sorted(TYPES)))
        self._check_records(kind, body.get('records'))
        self._check_ttl(body.get('ttl'))
        same = [r for r in self.recordsets.values()
                if r['zone_id'] == zone_id and r['name'] == name]
        if any(r['type'] == kind for r in same):
            self._fail(409, 'Duplicate RecordSet', 'duplicate_recordset')
        if same and (kind == 'CNAME' or
                     any(r['type'] == 'CNAME' for r in same)):
            self._fail(400, 'CNAME recordsets may not share a name with '
                       'any other records', 'invalid_recordset')
        recordset = {'id': str(uuid.uuid4()), 'zone_id': zone_id,
                     'zone_name': zone['name'], 'project_id': self.project,
                     'name': name, 'type': kind,
                     'records': list(body['records']),
                     'ttl': body.get('ttl'),
                     'description': body.get('description'),
                     'status': 'PENDING', 'action': 'CREATE', 'version': 1}
        self.recordsets[recordset['id']] = recordset
        return 202, dict(recordset)

    def _recordset(self, zone_id, recordset_id):
        self._zone(zone_id)
        found = self.recordsets.get(recordset_id)
        if found is None or found['zone_id'] != zone_id:
            self._fail(404, 'Could not find RecordSet',
                       'recordset_not_found')
        return found

    def list_recordsets(self, query, body, zone_id):
        self._zone(zone_id)
        found = [self._shown(r) for r in self.recordsets.values()
                 if r['zone_id'] == zone_id and
                 all(r.get(f) == query[f][0]
                     for f in ('name', 'type') if f in query)]
        return 200, {'recordsets': found,
                     'links': {'self': '%s/v2/zones/%s/recordsets'
                               % (self.url, zone_id)},
                     'metadata': {'total_count': len(found)}}

    def get_recordset(self, query, body, zone_id, recordset_id):
        return 200, self._shown(self._recordset(zone_id, recordset_id))

    def put_recordset(self, query, body, zone_id, recordset_id):
        recordset = self._recordset(zone_id, recordset_id)
        if not isinstance(body, dict):
            self._fail(400, 'the body must be an object')
        unknown = set(body) - {'records', 'ttl', 'description'}
        if unknown:
            self._fail(400, "Additional properties are not allowed (%s "
                       "were unexpected)" % ', '.join(sorted(unknown)))
        if 'records' in body:
            self._check_records(recordset['type'], body['records'])
        self._check_ttl(body.get('ttl'))
        recordset.update(body)
        recordset.update(status='PENDING', action='UPDATE',
                         version=recordset['version'] + 1)
        return 202, dict(recordset)

    def delete_recordset(self, query, body, zone_id, recordset_id):
        recordset = self._recordset(zone_id, recordset_id)
        del self.recordsets[recordset_id]
        return 202, dict(recordset, status='PENDING', action='DELETE')
