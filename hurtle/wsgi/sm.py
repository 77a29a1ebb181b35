"""WSGI ``application`` of the SM, e.g. ``uwsgi --module hurtle.wsgi.sm``.

Under a WSGI server the instance lifecycles run in the server's worker
process; run one worker process (threads are fine) so that one process
owns them. The configuration comes from ``HURTLE_CONFIG_FILES``.
"""
from hurtle.wsgi import _common

_conf, application, LIFECYCLE = _common.load(
    'hurtle-sm', 'Hurtle Service Manager (WSGI)')
LIFECYCLE.recover()
