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
"""WSGI ``application`` of the SM, e.g. ``uwsgi --module hurtle.wsgi.sm``.

Under a WSGI server the instance lifecycles run in the server's worker
process; several worker processes are several SM replicas sharing the
work through leases (``hurtle.sm.leases``), if each loads this module
itself (gunicorn without ``--preload``, uwsgi with ``lazy-apps``): the
lease threads do not survive a fork (a forked copy answers 503, see
``hurtle.wsgi._common.fork_guard``). The configuration comes from
``HURTLE_CONFIG_FILES``; a start-up error is one line and stops the
server (``hurtle.wsgi._common.refuse``).
"""
from hurtle.sm import service as sm_service
from hurtle.wsgi import _common

NAME = 'hurtle-sm'

with _common.starting(NAME):
    _conf, application, LIFECYCLE = _common.load(
        NAME, 'Hurtle Service Manager (WSGI)')
    sm_service.register_services(_conf, LIFECYCLE)
    LIFECYCLE.recover()
