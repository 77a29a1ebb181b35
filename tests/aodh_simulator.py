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
"""A loopback simulator of the Aodh v2 alarm API (what aodhclient and
Hurtle's ``aodh`` monitoring driver use).

The real Aodh API runs in tests/aodh_fixture.py, but nothing there
evaluates alarms or calls their webhooks; this simulator does, for the
flow tests. It follows the documented API (api-ref "Alarms",
aodh.api.controllers.v2.alarms):

* ``POST /v2/alarms`` → 201 with the alarm (``alarm_id``, ``state``
  ``insufficient data``, ``state_reason``, ``severity`` ``low``, ...);
  400 (WSME error body ``{"error_message": {"faultstring", "faultcode":
  "Client", "debuginfo": null}}``) for an invalid body: missing ``name``
  or ``type``, unknown type, missing ``<type>_rule``, a rule missing its
  required fields or with an unknown one, a bad ``comparison_operator``,
  an action URL whose scheme aodh has no notifier for, unknown alarm
  attributes; 409 when the project has an alarm of that name.
* ``GET /v2/alarms`` (``q.field``/``q.op=eq``/``q.value`` filters),
  ``GET /v2/alarms/<id>`` (404 ``Alarm <id> not found``),
  ``DELETE /v2/alarms/<id>`` → 204 (404 when missing).

:meth:`AodhSimulator.fire` plays the evaluator and the HTTP notifier: it
sets the state and POSTs aodh's notification body (``alarm_name``,
``alarm_id``, ``severity``, ``previous``, ``current``, ``reason``,
``reason_data``) to every ``alarm_actions`` URL.
"""
import datetime
import uuid

import requests

from tests import json_api_server
from tests.json_api_server import Reply

OPERATORS = {'lt', 'le', 'eq', 'ne', 'ge', 'gt'}
AGGREGATIONS = {'mean', 'min', 'max', 'sum', 'count', 'std', 'median',
                'first', 'last', 'rate:mean', 'rate:last'}
NOTIFIER_SCHEMES = {'http', 'https', 'log', 'test', 'trust+http',
                    'trust+https', 'zaqar', 'trust+zaqar'}
#: Alarm types → (required rule fields, optional rule fields).
RULES = {
    'gnocchi_resources_threshold': (
        {'metric', 'resource_id', 'resource_type', 'threshold',
         'aggregation_method'},
        {'comparison_operator', 'granularity', 'evaluation_periods'}),
    'gnocchi_aggregation_by_resources_threshold': (
        {'metric', 'resource_type', 'query', 'threshold',
         'aggregation_method'},
        {'comparison_operator', 'granularity', 'evaluation_periods'}),
    'gnocchi_aggregation_by_metrics_threshold': (
        {'metrics', 'threshold', 'aggregation_method'},
        {'comparison_operator', 'granularity', 'evaluation_periods'}),
    'event': (set(), {'event_type', 'query'}),
}
ALARM_FIELDS = {'name', 'type', 'description', 'enabled', 'alarm_actions',
                'ok_actions', 'insufficient_data_actions', 'repeat_actions',
                'severity', 'time_constraints', 'state', 'project_id',
                'user_id'} | {'%s_rule' % t for t in RULES}
ACTIONS = {'ok': 'ok_actions', 'alarm': 'alarm_actions',
           'insufficient data': 'insufficient_data_actions'}


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(
        tzinfo=None).isoformat()


class AodhSimulator(json_api_server.JSONAPIServer):

    ROUTES = [
        ('POST', r'/v2/alarms', 'create'),
        ('GET', r'/v2/alarms', 'list'),
        ('GET', r'/v2/alarms/([^/]+)', 'get'),
        ('DELETE', r'/v2/alarms/([^/]+)', 'delete'),
    ]

    def __init__(self, token='sim-token', project='admin'):
        super().__init__(token)
        self.project = project
        self.alarms = {}

    def error(self, status, message):
        return {'error_message': {'faultstring': message,
                                  'faultcode': 'Client' if status < 500
                                  else 'Server', 'debuginfo': None}}

    def _bad(self, message):
        raise Reply(400, self.error(400, message))

    def _validate(self, body):
        if not isinstance(body, dict):
            self._bad('Missing argument: "data"')
        unknown = set(body) - ALARM_FIELDS
        if unknown:
            self._bad('Unknown attribute for argument data: %s'
                      % ', '.join(sorted(unknown)))
        for field in ('name', 'type'):
            if not isinstance(body.get(field), str) or not body[field]:
                self._bad('Invalid input for field/attribute %s. Value: '
                          '%r. Mandatory field missing.'
                          % (field, body.get(field)))
        kind = body['type']
        if kind not in RULES:
            self._bad("Invalid input for field/attribute type. Value: "
                      "'%s'. Value should be one of: %s"
                      % (kind, ', '.join(sorted(RULES))))
        rule = body.get('%s_rule' % kind)
        if not isinstance(rule, dict):
            self._bad('%s_rule must be set for %s type alarm'
                      % (kind, kind))
        required, optional = RULES[kind]
        missing = required - set(rule)
        if missing:
            self._bad('Invalid input for field/attribute %s. Value: None. '
                      'Mandatory field missing.' % sorted(missing)[0])
        extra = set(rule) - required - optional
        if extra:
            self._bad('Unknown attribute for argument data.%s_rule: %s'
                      % (kind, ', '.join(sorted(extra))))
        if 'threshold' in rule and not isinstance(
                rule['threshold'], (int, float)):
            self._bad('Invalid input for field/attribute threshold.')
        if rule.get('comparison_operator', 'eq') not in OPERATORS:
            self._bad('Invalid input for field/attribute '
                      'comparison_operator.')
        if 'aggregation_method' in rule and (
                rule['aggregation_method'] not in AGGREGATIONS):
            self._bad('aggregation_method %r is not supported'
                      % rule['aggregation_method'])
        for key in ('alarm_actions', 'ok_actions',
                    'insufficient_data_actions'):
            for url in body.get(key) or []:
                scheme = url.split('://', 1)[0] if '://' in url else ''
                if scheme not in NOTIFIER_SCHEMES:
                    self._bad('Unsupported action %s' % url)
        return kind, rule

    def create(self, query, body):
        kind, rule = self._validate(body)
        for alarm in self.alarms.values():
            if alarm['name'] == body['name']:
                raise Reply(409, self.error(
                    409, 'Alarm with name=%s exists' % body['name']))
        now = _now()
        alarm = {
            'alarm_id': str(uuid.uuid4()), 'name': body['name'],
            'type': kind, 'description': body.get(
                'description', 'Alarm when %s' % body['name']),
            'enabled': body.get('enabled', True),
            'state': body.get('state', 'insufficient data'),
            'state_reason': 'Not evaluated yet',
            'severity': body.get('severity', 'low'),
            'alarm_actions': list(body.get('alarm_actions') or []),
            'ok_actions': list(body.get('ok_actions') or []),
            'insufficient_data_actions': list(
                body.get('insufficient_data_actions') or []),
            'repeat_actions': body.get('repeat_actions', False),
            'time_constraints': body.get('time_constraints') or [],
            'project_id': self.project, 'user_id': 'admin',
            'timestamp': now, 'state_timestamp': now,
            '%s_rule' % kind: dict({'comparison_operator': 'eq',
                                    'evaluation_periods': 1,
                                    'granularity': 60}, **rule)
            if kind != 'event' else dict(rule),
        }
        self.alarms[alarm['alarm_id']] = alarm
        return 201, alarm

    def list(self, query, body):
        fields = query.get('q.field', [])
        values = query.get('q.value', [])
        found = [a for a in self.alarms.values()
                 if all(str(a.get(f)) == v for f, v in zip(fields, values))]
        return 200, found

    def _alarm(self, alarm_id):
        if alarm_id not in self.alarms:
            raise Reply(404, self.error(
                404, 'Alarm %s not found in project %s'
                % (alarm_id, self.project)))
        return self.alarms[alarm_id]

    def get(self, query, body, alarm_id):
        return 200, self._alarm(alarm_id)

    def delete(self, query, body, alarm_id):
        self._alarm(alarm_id)
        del self.alarms[alarm_id]
        return 204, None

    def fire(self, alarm_id, state='alarm', reason='Transition to alarm'):
        """Move an alarm to ``state`` and call its actions like aodh's
        HTTP notifier; returns the webhook responses."""
        with self.lock:
            alarm = self._alarm(alarm_id)
            previous, alarm['state'] = alarm['state'], state
            actions = list(alarm[ACTIONS[state]])
        body = {'alarm_name': alarm['name'], 'alarm_id': alarm_id,
                'severity': alarm['severity'], 'previous': previous,
                'current': state, 'reason': reason,
                'reason_data': {'type': 'threshold'}}
        return [requests.post(url, json=body, timeout=30)
                for url in actions]
