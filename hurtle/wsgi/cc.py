"""WSGI ``application`` of the CC, e.g. ``uwsgi --module hurtle.wsgi.cc``.

The ``local`` runtime starts SOs as children of the serving process: run
one worker process. The configuration comes from ``HURTLE_CONFIG_FILES``.
"""
from hurtle.api import paste as hurtle_paste
from hurtle.cc import recovery
from hurtle.wsgi import _common

application = _common.load('hurtle-cc', 'Hurtle Cloud Controller (WSGI)')
recovery.restart_apps(_common.common.CONF, hurtle_paste.BUILT['cc'])
#: Restarts dead SOs (see hurtle.cc.recovery).
WATCHER = recovery.Watcher(_common.common.CONF,
                           hurtle_paste.BUILT['cc']).start()
