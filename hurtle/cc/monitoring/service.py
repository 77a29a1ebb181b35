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
"""The CC's monitoring service (JSON over HTTP), mounted at
``/monitoring`` beside the OCCI API (doc/source/admin/monitoring.rst).

SO calls authenticate with the SO's own secret: ``X-Auth-Token`` (the
``HURTLE_SO_SECRET`` the CC started it with) and ``X-Hurtle-Instance``
(its ``HURTLE_INSTANCE_ID``); both must match one app, else 401. The SO
acts only on its own app's alarms:

* ``GET /monitoring/alarms`` → 200 ``{"alarms": [{"id", "name",
  "state"}]}``
* ``POST /monitoring/alarms`` with an alarm spec
  (:data:`hurtle.cc.monitoring.base.SPEC_SCHEMA`) → 201 ``{"alarm":
  {...}}``; 400 for a bad spec (the message names the field), 409 when
  the monitoring service refuses (duplicate name, no monitoring).
* ``DELETE /monitoring/alarms/<name>`` → 204 (also when absent).
* ``GET /monitoring/measures?metric=<name>[&resource_id=<id>]`` → 200
  ``{"measures": [{"timestamp", "value"}]}``; 409 when refused.

Alarm services call ``POST /monitoring/hooks/<app>/<alarm>/<token>``:
the token is HMAC-SHA256 of the alarm name keyed with the app's SO secret
(a per-alarm secret, gone with the app; a wrong one answers 404 like an
unknown app). The CC then runs the SO's ``notify`` action with
``hurtle.alarm.name``, ``hurtle.alarm.state`` and ``hurtle.alarm.reason``
and answers 202 (502 if the SO could not be told). Paths with tokens are
never logged.
"""
import hashlib
import hmac
import json
import logging

import webob
import webob.dec
import webob.exc

from hurtle.cc.monitoring import base
from hurtle.conf import monitoring as monitoring_conf
from hurtle.occi import categories
from hurtle.occi import client as occi_client
from hurtle.occi import errors as occi_errors

LOG = logging.getLogger(__name__)

SECRET_KEY = 'HURTLE_SO_SECRET'
INSTANCE_KEY = 'HURTLE_INSTANCE_ID'
PROJECT_KEY = 'HURTLE_PROJECT'
SO_PATH = '/orchestrator/default'
NOTIFY = occi_client.CategoryRef.of(categories.NOTIFY)
#: Largest webhook or alarm body read, in bytes.
MAX_BODY = 64 * 1024


def hook_token(so_secret, alarm):
    """The per-alarm webhook token (hex str)."""
    return hmac.new(so_secret.encode('utf-8'),
                    ('alarm:%s' % alarm).encode('utf-8'),
                    hashlib.sha256).hexdigest()


def _error(cls, message):
    return cls(json_body={'error': message},
               content_type='application/json')


def _alarm_json(alarm):
    return {'id': alarm.id, 'name': alarm.name, 'state': alarm.state}


def _read_json(request):
    if request.content_length and request.content_length > MAX_BODY:
        raise _error(webob.exc.HTTPRequestEntityTooLarge, 'body too large')
    try:
        return json.loads(request.body_file.read(MAX_BODY) or b'null')
    except ValueError:
        raise _error(webob.exc.HTTPBadRequest, 'the body is not JSON')


class MonitoringService(object):
    """WSGI application of the monitoring service.

    :param driver: a :class:`~hurtle.cc.monitoring.base.MonitoringDriver`.
    :param store: the CC's :class:`hurtle.cc.store.AppStore`.
    """

    def __init__(self, conf, driver, store, verify=True):
        self.conf = conf
        self.driver = driver
        self.store = store
        self.verify = verify

    @webob.dec.wsgify
    def __call__(self, request):
        parts = [p for p in request.path_info.split('/') if p]
        try:
            if parts[:1] == ['hooks'] and len(parts) == 4:
                if request.method != 'POST':
                    raise _error(webob.exc.HTTPMethodNotAllowed, 'use POST')
                return self.hook(request, *parts[1:])
            if parts[:1] in (['alarms'], ['measures']):
                return self.so_call(request, parts)
            raise _error(webob.exc.HTTPNotFound, 'no such resource')
        except webob.exc.HTTPException as exc:
            return exc

    # -- calls from the alarm service --------------------------------------

    def hook(self, request, app_id, alarm, token):
        row = self.store.row(app_id)
        secret = (row.env or {}).get(SECRET_KEY, '') if row else ''
        if not secret or not hmac.compare_digest(
                hook_token(secret, alarm), token):
            raise _error(webob.exc.HTTPNotFound, 'no such webhook')
        body = _read_json(request)
        if not isinstance(body, dict):
            raise _error(webob.exc.HTTPBadRequest,
                         'the body must be a JSON object')
        # aodh sends current/reason, monasca state/message.
        state = str(body.get('current') or body.get('state') or '').lower()
        reason = str(body.get('reason') or body.get('message') or '')
        LOG.info('alarm %s of app %s: %s', alarm, app_id, state)
        if row.state != 'active' or not row.url:
            raise _error(webob.exc.HTTPConflict,
                         'the SO of app %s is not active' % app_id)
        # The SM creates the SO's entity in the instance's project, which
        # it also hands to the SO as HURTLE_PROJECT.
        project = row.env.get(PROJECT_KEY) or row.project
        so = occi_client.OCCIClient(
            row.url, verify=self.verify,
            headers={'X-Auth-Token': secret, 'X-Tenant-Name': project})
        try:
            so.action(SO_PATH, NOTIFY, {'hurtle.alarm.name': alarm,
                                        'hurtle.alarm.state': state,
                                        'hurtle.alarm.reason': reason})
        except occi_errors.OCCIError as exc:
            LOG.warning('alarm %s of app %s not delivered: %s', alarm,
                        app_id, exc.message)
            raise _error(webob.exc.HTTPBadGateway,
                         'the SO did not take the alarm')
        return webob.Response(status=202, json_body={'delivered': True})

    # -- calls from SOs ----------------------------------------------------

    def _caller(self, request):
        token = request.headers.get('X-Auth-Token', '')
        instance = request.headers.get('X-Hurtle-Instance', '')
        if token and instance:
            for row in self.store.all_rows():
                env = row.env or {}
                if env.get(INSTANCE_KEY) == instance and hmac.compare_digest(
                        env.get(SECRET_KEY, '').encode('utf-8'),
                        token.encode('utf-8')):
                    return row
        raise _error(webob.exc.HTTPUnauthorized,
                     'X-Auth-Token and X-Hurtle-Instance must name an SO')

    def _driver(self, what, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except base.MonitoringError as exc:
            raise _error(webob.exc.HTTPConflict, '%s: %s' % (what, exc))

    def webhook(self, row, alarm):
        return '%s/monitoring/hooks/%s/%s/%s' % (
            monitoring_conf.webhook_base(self.conf), row.id, alarm,
            hook_token(row.env[SECRET_KEY], alarm))

    def so_call(self, request, parts):
        row = self._caller(request)
        if parts == ['measures'] and request.method == 'GET':
            metric = request.GET.get('metric')
            if not metric:
                raise _error(webob.exc.HTTPBadRequest,
                             'the metric query parameter is required')
            found = self._driver('read measures', self.driver.measures,
                                 metric, request.GET.get('resource_id'))
            return webob.Response(json_body={'measures': found})
        if parts == ['alarms'] and request.method == 'GET':
            alarms = self._driver('list alarms', self.driver.list_alarms,
                                  row.id)
            return webob.Response(
                json_body={'alarms': [_alarm_json(a) for a in alarms]})
        if parts == ['alarms'] and request.method == 'POST':
            try:
                spec = base.validate(_read_json(request))
            except ValueError as exc:
                raise _error(webob.exc.HTTPBadRequest, str(exc))
            alarm = self._driver('create alarm', self.driver.create_alarm,
                                 row.id, spec, self.webhook(row,
                                                            spec['name']))
            return webob.Response(status=201,
                                  json_body={'alarm': _alarm_json(alarm)})
        if len(parts) == 2 and parts[0] == 'alarms' and (
                request.method == 'DELETE'):
            self._driver('delete alarm', self.driver.delete_alarm,
                         row.id, parts[1])
            return webob.Response(status=204)
        raise _error(webob.exc.HTTPMethodNotAllowed,
                     '%s not allowed here' % request.method)
