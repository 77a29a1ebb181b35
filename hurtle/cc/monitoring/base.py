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
"""The interface of the CC's monitoring drivers (``hurtle.cc.monitoring``).

An alarm belongs to one app (the SO of one instance). Its *spec* is a
driver-neutral dict::

    {"name": "cpu-high",                 # [A-Za-z0-9_.-], unique per app
     "metric": "cpu_util",               # metric name
     "threshold": 80.0,                  # number
     "comparison": "gt",                 # lt, le, eq, ne, ge, gt
     "statistic": "avg",                 # avg, min, max, sum, count
     "period": 60,                       # seconds (int > 0)
     "resource_id": "…",                 # optional: one resource
     "dimensions": {"k": "v"}}           # optional: metric dimensions

Drivers turn it into the service's own alarm and set its action to the
webhook URL they are given.
"""
import abc
import dataclasses
import re

import jsonschema

from hurtle import client_session

NAMESPACE = 'hurtle.cc.monitoring'

NAME = re.compile(r'^[A-Za-z0-9_.-]{1,64}$')

SPEC_SCHEMA = {
    'type': 'object',
    'required': ['name', 'metric', 'threshold'],
    'additionalProperties': False,
    'properties': {
        'name': {'type': 'string', 'pattern': NAME.pattern},
        'metric': {'type': 'string', 'minLength': 1, 'maxLength': 255},
        'threshold': {'type': 'number'},
        'comparison': {'enum': ['lt', 'le', 'eq', 'ne', 'ge', 'gt']},
        'statistic': {'enum': ['avg', 'min', 'max', 'sum', 'count']},
        'period': {'type': 'integer', 'minimum': 1},
        'resource_id': {'type': 'string', 'minLength': 1},
        'dimensions': {'type': 'object',
                       'additionalProperties': {'type': 'string'}},
    },
}

DEFAULTS = {'comparison': 'gt', 'statistic': 'avg', 'period': 60}


class MonitoringError(Exception):
    """The monitoring service refused a request or could not be reached;
    ``str()`` says why (never a token)."""


def validate(spec):
    """Return ``spec`` with defaults filled in.

    :raises ValueError: the spec does not match :data:`SPEC_SCHEMA`; the
        message names the field.
    """
    try:
        jsonschema.validate(spec, SPEC_SCHEMA)
    except jsonschema.ValidationError as exc:
        where = '/'.join(str(p) for p in exc.absolute_path) or 'alarm'
        raise ValueError('%s: %s' % (where, exc.message))
    return dict(DEFAULTS, **spec)


@dataclasses.dataclass
class Alarm:
    """An alarm as the driver reports it: ``id`` (the service's id),
    ``name``, ``state`` (``ok``, ``alarm``, ``insufficient data`` or
    ``undetermined``)."""

    id: str
    name: str
    state: str = 'undetermined'


class MonitoringDriver(abc.ABC):
    """Alarms and metrics of apps; one instance per CC process."""

    def __init__(self, conf):
        self.conf = conf

    def session(self):
        """``(keystoneauth1 session, endpoint or None)`` of the service
        (``[monitoring] endpoint``, ``insecure``; see
        :mod:`hurtle.client_session`).

        :raises RuntimeError: noauth mode and no endpoint.
        """
        return client_session.load(
            self.conf, self.conf.monitoring.endpoint, '[monitoring] endpoint',
            insecure=self.conf.monitoring.insecure)

    @abc.abstractmethod
    def create_alarm(self, app_id, spec, webhook):
        """Create an alarm; returns its :class:`Alarm`.

        :param spec: a validated spec (see module doc).
        :param webhook: URL the service must POST to when the alarm
            fires.
        :raises MonitoringError: refused (e.g. a duplicate name) or
            unreachable.
        """

    @abc.abstractmethod
    def list_alarms(self, app_id):
        """Return the app's alarms (list of :class:`Alarm`)."""

    @abc.abstractmethod
    def delete_alarm(self, app_id, name):
        """Delete the app's alarm ``name``; a missing one is no error."""

    @abc.abstractmethod
    def measures(self, metric, resource_id=None, dimensions=None):
        """Return recent measures of ``metric``: a list of
        ``{"timestamp": ISO 8601 str, "value": float}``, oldest first.

        :raises MonitoringError: unknown metric or unreachable service.
        """

    def delete_app(self, app_id):
        """Delete every alarm of an app (when the app is deleted)."""
        for alarm in self.list_alarms(app_id):
            self.delete_alarm(app_id, alarm.name)
