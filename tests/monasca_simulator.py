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
"""A loopback simulator of the Monasca v2.0 API parts Hurtle's
``monasca`` monitoring driver uses (monasca-api's documented API):

* ``/v2.0/notification-methods``: POST (``name``, ``type`` one of
  ``EMAIL``, ``WEBHOOK``, ``PAGERDUTY``, ``address``, optional
  ``period`` 0 or 60 for webhooks) → 201; GET → ``{"links",
  "elements"}``; DELETE ``/<id>`` → 204, 404 when missing.
* ``/v2.0/alarm-definitions``: POST (``name``, ``expression`` required;
  ``description``, ``severity``, ``match_by``, ``alarm_actions``,
  ``ok_actions``, ``undetermined_actions`` optional, every action an
  existing notification method id) → 201; unknown fields or a bad
  expression → 422; duplicate name → 409; GET list; DELETE → 204.
* ``GET /v2.0/metrics/measurements?name=&start_time=[&dimensions=k:v,..]
  [&merge_metrics=]`` → elements with ``columns`` ``["timestamp",
  "value", "value_meta"]``; ``name`` and ``start_time`` required (422).

Errors are falcon's ``{"title", "description"}``. :meth:`fire` posts
Monasca's webhook notification body to the definition's alarm actions.
"""
import datetime
import re
import uuid

import requests

from tests import json_api_server
from tests.json_api_server import Reply

NOTIFICATION_TYPES = {'EMAIL', 'WEBHOOK', 'PAGERDUTY'}
DEFINITION_FIELDS = {'name', 'expression', 'description', 'severity',
                     'match_by', 'alarm_actions', 'ok_actions',
                     'undetermined_actions'}
SEVERITIES = {'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'}
#: ``func(metric{dims}, period) op threshold`` (one sub-expression).
EXPRESSION = re.compile(
    r'^(avg|min|max|sum|count)\('
    r'[A-Za-z0-9_.\-]+(\{[^{}=,]+=[^{}=,]+(,[^{}=,]+=[^{}=,]+)*\})?'
    r'(, ?\d+)?\) ?(<|<=|>|>=|lt|lte|gt|gte|=|!=) ?-?\d+(\.\d+)?'
    r'( times \d+)?$')


class MonascaSimulator(json_api_server.JSONAPIServer):

    ROUTES = [
        ('POST', r'/v2.0/notification-methods', 'create_method'),
        ('GET', r'/v2.0/notification-methods', 'list_methods'),
        ('DELETE', r'/v2.0/notification-methods/([^/]+)', 'delete_method'),
        ('POST', r'/v2.0/alarm-definitions', 'create_definition'),
        ('GET', r'/v2.0/alarm-definitions', 'list_definitions'),
        ('DELETE', r'/v2.0/alarm-definitions/([^/]+)',
         'delete_definition'),
        ('GET', r'/v2.0/metrics/measurements', 'measurements'),
    ]

    def __init__(self, token='sim-token', project='admin'):
        super().__init__(token)
        self.project = project
        self.methods = {}
        self.definitions = {}
        self.series = []   # [{"name", "dimensions", "measurements"}]

    def error(self, status, message):
        titles = {400: 'Bad Request', 401: 'Unauthorized',
                  404: 'Not Found', 409: 'Conflict',
                  422: 'Unprocessable Entity'}
        return {'title': titles.get(status, 'Error'),
                'description': message}

    def _fail(self, status, message):
        raise Reply(status, self.error(status, message))

    def _page(self, path, elements):
        return {'links': [{'rel': 'self', 'href': self.url + path}],
                'elements': elements}

    def create_method(self, query, body):
        if not isinstance(body, dict):
            self._fail(422, 'the body must be an object')
        unknown = set(body) - {'name', 'type', 'address', 'period'}
        if unknown:
            self._fail(422, 'extra keys not allowed: %s'
                       % ', '.join(sorted(unknown)))
        for field in ('name', 'type', 'address'):
            if not isinstance(body.get(field), str) or not body[field]:
                self._fail(422, 'required key not provided: %s' % field)
        kind = body['type'].upper()
        if kind not in NOTIFICATION_TYPES:
            self._fail(422, 'Invalid notification method type %s'
                       % body['type'])
        if kind == 'WEBHOOK' and not re.match(r'^https?://[^/]+',
                                              body['address']):
            self._fail(422, 'Address %s is not of correct format'
                       % body['address'])
        if body.get('period', 0) not in (0, 60):
            self._fail(422, 'Invalid period')
        if any(m['name'] == body['name'] for m in self.methods.values()):
            self._fail(409, 'Notification Method already exists: %s'
                       % body['name'])
        method = {'id': str(uuid.uuid4()), 'name': body['name'],
                  'type': kind, 'address': body['address'],
                  'period': body.get('period', 0)}
        method['links'] = [{'rel': 'self', 'href': '%s/v2.0/notification-'
                            'methods/%s' % (self.url, method['id'])}]
        self.methods[method['id']] = method
        return 201, method

    def _delete(self, items, item_id, what):
        if item_id not in items:
            self._fail(404, 'No %s with id %s' % (what, item_id))
        del items[item_id]
        return 204, None

    def list_methods(self, query, body):
        return 200, self._page('/v2.0/notification-methods',
                               list(self.methods.values()))

    def delete_method(self, query, body, method_id):
        return self._delete(self.methods, method_id, 'notification method')

    def create_definition(self, query, body):
        if not isinstance(body, dict):
            self._fail(422, 'the body must be an object')
        unknown = set(body) - DEFINITION_FIELDS
        if unknown:
            self._fail(422, 'extra keys not allowed: %s'
                       % ', '.join(sorted(unknown)))
        for field in ('name', 'expression'):
            if not isinstance(body.get(field), str) or not body[field]:
                self._fail(422, 'required key not provided: %s' % field)
        if not EXPRESSION.match(body['expression']):
            self._fail(422, 'The request body is invalid: expression %r'
                       % body['expression'])
        if body.get('severity', 'LOW').upper() not in SEVERITIES:
            self._fail(422, 'invalid severity')
        for key in ('alarm_actions', 'ok_actions', 'undetermined_actions'):
            for action in body.get(key) or []:
                if action not in self.methods:
                    self._fail(422, 'Invalid notification method id %s'
                               % action)
        if any(d['name'] == body['name']
               for d in self.definitions.values()):
            self._fail(409, 'An alarm definition with the name %s already '
                       'exists' % body['name'])
        definition = {
            'id': str(uuid.uuid4()), 'name': body['name'],
            'expression': body['expression'],
            'description': body.get('description', ''),
            'severity': body.get('severity', 'LOW').upper(),
            'match_by': body.get('match_by') or [], 'deterministic': False,
            'actions_enabled': True,
            'alarm_actions': list(body.get('alarm_actions') or []),
            'ok_actions': list(body.get('ok_actions') or []),
            'undetermined_actions': list(
                body.get('undetermined_actions') or [])}
        self.definitions[definition['id']] = definition
        return 201, definition

    def list_definitions(self, query, body):
        return 200, self._page('/v2.0/alarm-definitions',
                               list(self.definitions.values()))

    def delete_definition(self, query, body, definition_id):
        return self._delete(self.definitions, definition_id,
                            'alarm definition')

    def measurements(self, query, body):
        for field in ('name', 'start_time'):
            if not query.get(field):
                self._fail(422, '%s is required' % field)
        try:
            datetime.datetime.fromisoformat(
                query['start_time'][0].replace('Z', '+00:00'))
        except ValueError:
            self._fail(422, 'start_time must be ISO 8601')
        wanted = {}
        for pair in (query.get('dimensions') or [''])[0].split(','):
            if pair:
                key, _, value = pair.partition(':')
                wanted[key] = value
        elements = []
        for index, one in enumerate(self.series):
            if one['name'] != query['name'][0] or any(
                    one['dimensions'].get(k) != v
                    for k, v in wanted.items()):
                continue
            elements.append({
                'id': str(index), 'name': one['name'],
                'dimensions': one['dimensions'],
                'columns': ['timestamp', 'value', 'value_meta'],
                'measurements': [[t, v, {}] for t, v in
                                 one['measurements']]})
        return 200, self._page('/v2.0/metrics/measurements', elements)

    def fire(self, definition_id, state='ALARM', old_state='OK'):
        """Post Monasca's webhook notification of an alarm of this
        definition to each of its alarm actions' addresses."""
        with self.lock:
            definition = self.definitions[definition_id]
            urls = [self.methods[m]['address']
                    for m in definition['alarm_actions']]
        body = {'alarm_id': str(uuid.uuid4()),
                'alarm_definition_id': definition_id,
                'alarm_name': definition['name'],
                'alarm_description': definition['description'],
                'alarm_timestamp': 0, 'state': state,
                'old_state': old_state,
                'message': 'Thresholds were exceeded for the sub-alarms',
                'tenant_id': self.project, 'metrics': []}
        return [requests.post(url, json=body, timeout=30) for url in urls]
