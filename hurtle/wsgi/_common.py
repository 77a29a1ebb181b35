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
"""Shared set-up of the WSGI entry points (uwsgi, gunicorn, mod_wsgi).

The configuration files come from ``HURTLE_CONFIG_FILES`` (colon
separated), else ``/etc/hurtle/hurtle.conf``.
"""
import os

from hurtle import service
from hurtle.wsgi import app as wsgi_app

DEFAULT_CONFIG = '/etc/hurtle/hurtle.conf'


def config_args():
    files = os.environ.get('HURTLE_CONFIG_FILES', DEFAULT_CONFIG)
    args = []
    for path in files.split(':'):
        if path:
            args += ['--config-file', path]
    return args


def load(name, description):
    """Parse the configuration, migrate the database, load paste ``name``.

    :returns: ``(conf, application, built)`` (see
        :func:`hurtle.wsgi.app.load_app`).
    """
    conf = service.prepare_service(config_args(), description)
    service.upgrade_database(conf)
    application, built = wsgi_app.load_app(conf, name)
    return conf, application, built
