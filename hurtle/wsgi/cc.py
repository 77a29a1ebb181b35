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
"""WSGI ``application`` of the CC, e.g. ``uwsgi --module hurtle.wsgi.cc``.

The ``local`` runtime starts SOs as children of the serving process: run
one worker process. The configuration comes from ``HURTLE_CONFIG_FILES``.
"""
from hurtle.cc import recovery
from hurtle.wsgi import _common

_conf, application, BACKEND = _common.load(
    'hurtle-cc', 'Hurtle Cloud Controller (WSGI)')
BACKEND.recover()
#: Restarts dead SOs (see hurtle.cc.recovery).
WATCHER = recovery.Watcher(_conf, BACKEND).start()
