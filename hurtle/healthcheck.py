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
"""Hurtle's backends of oslo.middleware's healthcheck.

``GET /healthcheck`` on the SM or the CC (no token needed; see
api-paste.ini and :func:`hurtle.wsgi.app.healthcheck_app_factory`) runs
the ``[healthcheck] backends``; unless configured, the SM runs
``hurtle_database`` and ``hurtle_cloud_controller``, the CC
``hurtle_database``. The answer is 200 ``OK``, or 503 with each failing
check's reason as the body (HEAD: 204 or 503) when:

* ``hurtle_database``: ``[database] connection`` does not answer
  ``SELECT 1``;
* ``hurtle_cloud_controller``: the CC at ``[sm] cc_url`` does not
  answer HTTP within :data:`CC_TIMEOUT` seconds, or answers 5xx. Any
  other answer (401 included: the probe sends no credentials) means the
  CC is up.

Reasons name what failed, never the database password or a token.
"""
from oslo_middleware import healthcheck
from oslo_middleware.healthcheck import pluginbase
import requests
import sqlalchemy

from hurtle.db import engine as db_engine
from hurtle.db import migration

#: Seconds the SM waits for the CC's answer.
CC_TIMEOUT = 3.0


def _database(conf):
    url = conf.database.connection
    try:
        with db_engine.get_engine(url).connect() as connection:
            connection.execute(sqlalchemy.text('SELECT 1'))
    except Exception as exc:
        return ('database %s unreachable: %s'
                % (migration.safe_url(url), migration.describe_error(exc)))
    return None


def _cloud_controller(conf):
    url = conf.sm.cc_url
    try:
        status = requests.get(url.rstrip('/') + '/-/', timeout=CC_TIMEOUT,
                              headers={'Accept': 'text/plain'}).status_code
    except requests.RequestException as exc:
        return 'cloud controller %s unreachable: %s' % (
            url, type(exc).__name__)
    if status >= 500:
        return 'cloud controller %s answered %d' % (url, status)
    return None


class _Check(pluginbase.HealthcheckBaseExtension):
    """One of Hurtle's checks; ``_check(conf)`` returns a failure reason or
    None."""

    _check = None

    def healthcheck(self, server_port):
        reason = type(self)._check(self.oslo_conf)
        if reason:
            return pluginbase.HealthcheckResult(available=False,
                                                reason=reason)
        return pluginbase.HealthcheckResult(available=True, reason='OK')


class DatabaseCheck(_Check):
    """``hurtle_database``: ``[database] connection`` answers."""

    _check = _database


class CloudControllerCheck(_Check):
    """``hurtle_cloud_controller``: the SM's CC (``[sm] cc_url``) answers."""

    _check = _cloud_controller


class Healthcheck(healthcheck.Healthcheck):
    """oslo.middleware's healthcheck application on ``conf`` (a
    ``ConfigOpts``), running ``default_backends`` (a list of names) when
    ``[healthcheck] backends`` is empty."""

    def __init__(self, conf, default_backends):
        self._default_backends = list(default_backends)
        super().__init__(None, conf)

    def _conf_get(self, key, group='healthcheck'):
        value = super()._conf_get(key, group)
        if key == 'backends' and not value:
            return self._default_backends
        return value
