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
"""Monitoring for SOs: define alarms on the instance's resources and read
metrics, whatever monitoring service the CC uses (``[monitoring] driver``
of the CC: none, aodh, monasca).

An SO gets it as ``self.context.monitoring``; it calls the CC's
monitoring service (``<CC>/monitoring``, see
doc/source/admin/monitoring.rst) with the SO's own secret, so the SO needs
no credentials of the monitoring service. When an alarm fires the CC runs
the SO's ``notify`` (``hurtle.sdk.ServiceOrchestrator.notify``). Example::

    self.context.monitoring.define_alarm(
        'cpu-high', metric='cpu', threshold=80, comparison='gt',
        resource_id=server_id)
    ...
    self.context.monitoring.measures('cpu', resource_id=server_id)
"""
import requests


class MonitoringError(Exception):
    """The CC or its monitoring service refused the request (or none is
    configured) or could not be reached; ``str()`` says why."""


class Monitoring(object):
    """Client of the CC's monitoring service for one SO.

    :param url: the service's root, e.g. ``http://127.0.0.1:8887/monitoring``.
    :param instance_id: the SO's ``HURTLE_INSTANCE_ID``.
    :param secret: the SO's ``HURTLE_SO_SECRET``.
    :param verify: TLS verification (bool or CA path).
    :param timeout: seconds per request.
    """

    def __init__(self, url, instance_id, secret, verify=True, timeout=30):
        self.url = url.rstrip('/')
        self.headers = {'X-Auth-Token': secret,
                        'X-Hurtle-Instance': instance_id}
        self.verify = verify
        self.timeout = timeout

    def _request(self, method, path, **kwargs):
        try:
            resp = requests.request(method, self.url + path,
                                    headers=self.headers, verify=self.verify,
                                    timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise MonitoringError('monitoring service unreachable (%s)'
                                  % type(exc).__name__)
        if resp.status_code >= 400:
            try:
                message = resp.json()['error']
            except (ValueError, KeyError, TypeError):
                message = resp.reason
            if resp.status_code == 400:
                raise ValueError(message)
            raise MonitoringError(message)
        return resp.json() if resp.content else None

    def define_alarm(self, name, metric, threshold, comparison='gt',
                     statistic='avg', period=60, resource_id=None,
                     dimensions=None):
        """Define an alarm; when it fires the SO's ``notify`` is called
        with ``hurtle.alarm.name`` = ``name``.

        :param name: ``[A-Za-z0-9_.-]{1,64}``, unique for this SO.
        :param metric: metric name (str).
        :param threshold: number.
        :param comparison: ``lt``, ``le``, ``eq``, ``ne``, ``ge``, ``gt``.
        :param statistic: ``avg``, ``min``, ``max``, ``sum``, ``count``.
        :param period: seconds (int ≥ 1).
        :param resource_id: the resource watched (optional).
        :param dimensions: ``{str: str}`` metric dimensions (optional).
        :returns: ``{"id", "name", "state"}``.
        :raises ValueError: invalid arguments (400; says which).
        :raises MonitoringError: refused (duplicate name, no monitoring
            service: 409) or unreachable.
        """
        spec = {'name': name, 'metric': metric, 'threshold': threshold,
                'comparison': comparison, 'statistic': statistic,
                'period': period}
        if resource_id:
            spec['resource_id'] = resource_id
        if dimensions:
            spec['dimensions'] = dimensions
        return self._request('POST', '/alarms', json=spec)['alarm']

    def alarms(self):
        """The SO's alarms: list of ``{"id", "name", "state"}``."""
        return self._request('GET', '/alarms')['alarms']

    def delete_alarm(self, name):
        """Delete an alarm of this SO; a missing one is no error."""
        quoted = requests.utils.quote(name, safe='')
        self._request('DELETE', '/alarms/%s' % quoted)

    def delete_all(self):
        """Delete every alarm of this SO (``StackOrchestrator.dispose``
        does)."""
        for alarm in self.alarms():
            self.delete_alarm(alarm['name'])

    def measures(self, metric, resource_id=None):
        """Recent measures: list of ``{"timestamp": ISO 8601 str,
        "value": float}``, oldest first.

        :raises MonitoringError: the driver reads no measures (aodh),
            unknown metric, or unreachable.
        """
        params = {'metric': metric}
        if resource_id:
            params['resource_id'] = resource_id
        return self._request('GET', '/measures', params=params)['measures']
