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
"""The ``aodh`` monitoring driver: OpenStack Aodh alarms (aodhclient).

Each alarm spec becomes one Aodh v2 alarm named
``hurtle-<app id>-<name>``:

* with ``resource_id``: type ``gnocchi_resources_threshold`` on that
  resource (``resource_type`` ``generic``);
* without: type ``gnocchi_aggregation_by_resources_threshold`` over the
  resources matching ``dimensions`` (Gnocchi resource attributes).

``statistic`` maps to the Gnocchi aggregation method (``avg`` → ``mean``),
``period`` to ``granularity`` (one evaluation period). The alarm's only
``alarm_actions`` entry is the CC webhook; ``repeat_actions`` is false.
Aodh evaluates alarms on Gnocchi's measures and serves none itself, so
:meth:`AodhMonitoring.measures` raises ``MonitoringError``.
"""
import json

from aodhclient import exceptions as aodh_exc
from aodhclient.v2 import client as aodh_v2
from keystoneauth1 import exceptions as ks_exc

from hurtle.cc.monitoring import base

AGGREGATION = {'avg': 'mean', 'min': 'min', 'max': 'max', 'sum': 'sum',
               'count': 'count'}
STATES = {'ok': 'ok', 'alarm': 'alarm',
          'insufficient data': 'insufficient data'}


def alarm_name(app_id, name):
    return 'hurtle-%s-%s' % (app_id, name)


def alarm_body(app_id, spec, webhook):
    """The Aodh v2 alarm (dict) for a validated spec."""
    rule = {'metric': spec['metric'],
            'threshold': float(spec['threshold']),
            'comparison_operator': spec['comparison'],
            'aggregation_method': AGGREGATION[spec['statistic']],
            'granularity': spec['period'],
            'evaluation_periods': 1}
    if spec.get('resource_id'):
        kind = 'gnocchi_resources_threshold'
        rule.update(resource_id=spec['resource_id'], resource_type='generic')
    else:
        kind = 'gnocchi_aggregation_by_resources_threshold'
        clauses = [{'=': {k: v}} for k, v in
                   sorted((spec.get('dimensions') or {}).items())]
        query = {'and': clauses} if clauses else {'=': {'ended_at': None}}
        rule.update(resource_type='generic', query=json.dumps(query))
    return {'name': alarm_name(app_id, spec['name']),
            'description': 'Hurtle app %s: %s' % (app_id, spec['name']),
            'type': kind, '%s_rule' % kind: rule,
            'alarm_actions': [webhook], 'repeat_actions': False,
            'enabled': True}


class AodhMonitoring(base.MonitoringDriver):

    def __init__(self, conf):
        super().__init__(conf)
        session, endpoint = self.session()
        kwargs = {'endpoint_override': endpoint} if endpoint else {}
        self.client = aodh_v2.Client(session=session, **kwargs)

    def _call(self, what, func, *args):
        try:
            return func(*args)
        except aodh_exc.ClientException as exc:
            raise base.MonitoringError('%s: aodh refused: %s'
                                       % (what, exc.message or exc))
        except ks_exc.ClientException as exc:
            raise base.MonitoringError('%s: alarming service unreachable '
                                       '(%s)' % (what, type(exc).__name__))

    def create_alarm(self, app_id, spec, webhook):
        if self._find(app_id, spec['name']):
            raise base.MonitoringError('create alarm: %s exists already'
                                       % spec['name'])
        made = self._call('create alarm', self.client.alarm.create,
                          alarm_body(app_id, spec, webhook))
        return base.Alarm(made['alarm_id'], spec['name'],
                          STATES.get(made.get('state'), 'undetermined'))

    def _all(self, app_id):
        prefix = alarm_name(app_id, '')
        for alarm in self._call('list alarms', self.client.alarm.list):
            if alarm['name'].startswith(prefix):
                yield alarm, alarm['name'][len(prefix):]

    def _find(self, app_id, name):
        for alarm, short in self._all(app_id):
            if short == name:
                return alarm
        return None

    def list_alarms(self, app_id):
        return [base.Alarm(a['alarm_id'], short,
                           STATES.get(a.get('state'), 'undetermined'))
                for a, short in self._all(app_id)]

    def delete_alarm(self, app_id, name):
        alarm = self._find(app_id, name)
        if alarm is None:
            return

        def delete():
            try:
                self.client.alarm.delete(alarm['alarm_id'])
            except aodh_exc.NotFound:
                pass
        self._call('delete alarm', delete)

    def measures(self, metric, resource_id=None, dimensions=None):
        raise base.MonitoringError(
            'the aodh driver reads no measures (Aodh serves alarms; the '
            'measures are in Gnocchi)')
