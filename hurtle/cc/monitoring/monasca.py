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
"""The ``monasca`` monitoring driver (python-monascaclient), kept thin:
Monasca is retired upstream.

Each alarm spec becomes a ``WEBHOOK`` notification method whose address
is the CC webhook, and an alarm definition whose ``alarm_actions`` names
it; both are named ``hurtle-<app id>-<name>``. The expression is
``<statistic>(<metric>{<dimensions>}, <period>) <comparison> <threshold>``
(``resource_id`` becomes the ``resource_id`` dimension). Measures come
from ``GET /v2.0/metrics/measurements``.
"""
import datetime

from keystoneauth1 import exceptions as ks_exc
from monascaclient import client as monasca_client

from hurtle.cc.monitoring import base

OPERATORS = {'lt': '<', 'le': '<=', 'eq': '=', 'ne': '!=', 'ge': '>=',
             'gt': '>'}
STATES = {'OK': 'ok', 'ALARM': 'alarm', 'UNDETERMINED': 'undetermined'}
#: How far back :meth:`MonascaMonitoring.measures` reads.
WINDOW = datetime.timedelta(hours=1)


def _name(app_id, name):
    return 'hurtle-%s-%s' % (app_id, name)


def _dimensions(spec):
    dims = dict(spec.get('dimensions') or {})
    if spec.get('resource_id'):
        dims['resource_id'] = spec['resource_id']
    return dims


def expression(spec):
    """The Monasca alarm expression (str) of a validated spec."""
    dims = ','.join('%s=%s' % kv for kv in sorted(_dimensions(spec).items()))
    return '%s(%s%s, %d) %s %s' % (
        spec['statistic'], spec['metric'], '{%s}' % dims if dims else '',
        spec['period'], OPERATORS[spec['comparison']],
        repr(float(spec['threshold'])))


class MonascaMonitoring(base.MonitoringDriver):

    def __init__(self, conf):
        super().__init__(conf)
        session, endpoint = self.session()
        self.client = monasca_client.Client('2_0', session=session,
                                            endpoint=endpoint)

    @staticmethod
    def _call(what, func, **kwargs):
        try:
            return func(**kwargs)
        except ks_exc.HttpError as exc:
            raise base.MonitoringError('%s: monasca refused (%s): %s'
                                       % (what, exc.http_status,
                                          exc.message))
        except ks_exc.ClientException as exc:
            raise base.MonitoringError('%s: monitoring service unreachable '
                                       '(%s)' % (what, type(exc).__name__))

    def _mine(self, manager, app_id):
        prefix = _name(app_id, '')
        for item in self._call('list', manager.list):
            if item['name'].startswith(prefix):
                yield item, item['name'][len(prefix):]

    def create_alarm(self, app_id, spec, webhook):
        name = _name(app_id, spec['name'])
        if any(short == spec['name'] for _, short in
               self._mine(self.client.alarm_definitions, app_id)):
            raise base.MonitoringError('create alarm: %s exists already'
                                       % spec['name'])
        method = self._call('create notification method',
                            self.client.notifications.create,
                            name=name, type='WEBHOOK', address=webhook)
        try:
            made = self._call(
                'create alarm definition',
                self.client.alarm_definitions.create,
                name=name, expression=expression(spec),
                description='Hurtle app %s' % app_id,
                alarm_actions=[method['id']])
        except base.MonitoringError:
            self._call('delete notification method',
                       self.client.notifications.delete,
                       notification_id=method['id'])
            raise
        return base.Alarm(made['id'], spec['name'])

    def list_alarms(self, app_id):
        return [base.Alarm(d['id'], short) for d, short in
                self._mine(self.client.alarm_definitions, app_id)]

    def delete_alarm(self, app_id, name):
        for manager, key in ((self.client.alarm_definitions, 'alarm_id'),
                             (self.client.notifications, 'notification_id')):
            for item, short in list(self._mine(manager, app_id)):
                if short == name:
                    self._call('delete', manager.delete,
                               **{key: item['id']})

    def measures(self, metric, resource_id=None, dimensions=None):
        dims = _dimensions({'dimensions': dimensions,
                            'resource_id': resource_id})
        start = (datetime.datetime.now(datetime.timezone.utc) - WINDOW)
        kwargs = {'name': metric, 'merge_metrics': 'true',
                  'start_time': start.strftime('%Y-%m-%dT%H:%M:%SZ')}
        if dims:
            kwargs['dimensions'] = dims
        series = self._call('read measures',
                            self.client.metrics.list_measurements, **kwargs)
        out = []
        for one in series:
            columns = one['columns']
            for row in one['measurements']:
                values = dict(zip(columns, row))
                out.append({'timestamp': values['timestamp'],
                            'value': float(values['value'])})
        return sorted(out, key=lambda m: m['timestamp'])
