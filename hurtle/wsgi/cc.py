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

The ``local`` runtime starts SOs from the serving process and one
watcher restarts them, so one process must serve the CC of a
``state_path``: the first worker takes an exclusive lock,
``<state_path>/hurtle-cc.lock`` (as ``hurtle-cc`` does), and any other
refuses to start (the WSGI server stops, see
``hurtle.wsgi._common.refuse``). Run one worker process (with threads if
wanted). When the worker exits (the server
stops it), the watcher, the listener of Heat's notifications on a bus
(``[heat_notifications]``, ``hurtle.cc.heat_notifications``) and the SOs
it started or adopted stop (see ``hurtle.cmd.cc``: the same recovery
runs at load). The configuration
comes from ``HURTLE_CONFIG_FILES``.
"""
import atexit
import os

from hurtle.cc import heat_notifications
from hurtle.cc import recovery
from hurtle.wsgi import _common

NAME = 'hurtle-cc'


def _hold_lock(conf):
    """Lock ``<state_path>/hurtle-cc.lock`` for this process's life, or
    refuse to start."""
    try:
        return recovery.hold_cc_lock(conf)
    except RuntimeError as exc:
        _common.refuse(NAME, '%s: run the CC with one worker process'
                       % exc)


with _common.starting(NAME):
    _conf, application, BACKEND = _common.load(
        NAME, 'Hurtle Cloud Controller (WSGI)')
    _LOCK = _hold_lock(_conf)
    _LOADED_IN = os.getpid()
    try:
        #: Heat's notifications on a message bus (None: no stack kind).
        LISTENER = heat_notifications.start(_conf, BACKEND)
    except heat_notifications.ListenerError as exc:
        _common.refuse(NAME, str(exc))
    BACKEND.recover()
    #: Restarts dead SOs (see hurtle.cc.recovery).
    WATCHER = recovery.Watcher(_conf, BACKEND).start()


@atexit.register
def _stop():
    if os.getpid() != _LOADED_IN:   # a forked copy: not its SOs
        return
    if LISTENER is not None:
        LISTENER.stop()
    WATCHER.stop(timeout=_conf.cc.so_start_timeout + 15)
    BACKEND.runtime.stop_all()
