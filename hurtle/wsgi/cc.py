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
