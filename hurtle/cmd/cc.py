"""``hurtle-cc``: the Cloud Controller app API ([cc] host:port, 8887).

On start it restarts the SOs of apps recorded as ``active`` whose process
is gone (the local runtime's SOs stop with the CC), then watches the SOs
(``hurtle.cc.recovery.Watcher``: a dead SO is restarted with bounded
attempts); on SIGTERM it stops the watcher and the SOs it started.
"""
import logging
import sys

from hurtle.api import paste as hurtle_paste
from hurtle.cc import recovery
from hurtle.cmd import common

LOG = logging.getLogger(__name__)


def main(argv=None):
    conf = common.prepare(sys.argv[1:] if argv is None else argv,
                          'Hurtle Cloud Controller')
    common.upgrade_database()
    application = hurtle_paste.load_app('hurtle-cc')
    backend = hurtle_paste.BUILT['cc']
    recovery.restart_apps(conf, backend)
    watcher = recovery.Watcher(conf, backend).start()

    def _on_stop():
        watcher.stop(timeout=conf.cc.so_start_timeout + 15)
        backend.runtime.stop_all()

    common.serve(application, conf.cc.host, conf.cc.port, 'hurtle-cc',
                 on_stop=_on_stop)


if __name__ == '__main__':
    main()
