"""WSGI ``application`` of the SM, e.g. ``uwsgi --module hurtle.wsgi.sm``.

Under a WSGI server the instance lifecycles run in the server's worker
process; run one worker process (threads are fine) so that one process
owns them. The configuration comes from ``HURTLE_CONFIG_FILES``.
"""
from hurtle.api import paste as hurtle_paste
from hurtle.wsgi import _common

application = _common.load('hurtle-sm', 'Hurtle Service Manager (WSGI)')
hurtle_paste.BUILT['sm'].recover()
