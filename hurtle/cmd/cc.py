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
"""``hurtle-cc``: the Cloud Controller app API ([cc] host:port, 8887).

On start (``AppBackend.recover``) it adopts the SOs an earlier CC process
left running for recorded apps, stops those no app records (the ``local``
runtime's SOs outlive a killed CC) and restarts the SOs of apps recorded
as ``active`` whose process is gone, has the runtime make ready what
its first SO start would wait for (``Runtime.prepare``: the SO fork
server), then watches the SOs
(``hurtle.cc.recovery.Watcher``: a dead SO is restarted with bounded
attempts); on SIGTERM it stops the watcher and the SOs it started or
adopted; a SIGTERM or SIGINT during that start-up ends it early (no
further SO restarted) and stops the SOs started so far the same way. One
process serves the CC of a ``state_path``: a second refuses to start
(``hurtle.cc.recovery.LOCK_FILE``). With ``[heat_notifications]
transport_url`` set it also listens to a cloud's Heat notifications on
that bus (``hurtle.cc.heat_notifications``; start-up does not wait for
the bus), stopped with the CC.
"""
import logging
import sys
import threading

from hurtle.cc import heat_notifications
from hurtle.cc import recovery
from hurtle.cmd import common
from hurtle import service
from hurtle.wsgi import app as wsgi_app

LOG = logging.getLogger(__name__)


def main(argv=None):
    conf = service.prepare_service(sys.argv[1:] if argv is None else argv,
                                   'Hurtle Cloud Controller')
    service.upgrade_database(conf)
    try:
        application, backend = wsgi_app.load_app(conf, 'hurtle-cc')
    except RuntimeError as exc:   # an unknown or broken driver
        LOG.error('%s', exc)
        sys.exit('hurtle-cc: %s' % exc)
    try:
        lock = recovery.hold_cc_lock(conf)  # noqa: F841 (held till exit)
    except RuntimeError as exc:
        LOG.error('%s', exc)
        sys.exit('hurtle-cc: cannot start: %s' % exc)
    # A stop from here on is kept for serve (the SOs recover starts must
    # be stopped with the CC, not left behind); recover starts no more
    # SOs once it came.
    stop_requested = common.catch_stop()
    try:
        listener = heat_notifications.start(conf, backend)
    except heat_notifications.ListenerError as exc:
        LOG.error('%s', exc)
        sys.exit('hurtle-cc: %s' % exc)
    backend.recover(stop=stop_requested)
    watcher = recovery.Watcher(conf, backend).start()
    if not stop_requested.is_set():
        # The first SO should not wait for what the runtime can make
        # ready now (the SO fork server); the API serves meanwhile.
        threading.Thread(target=backend.runtime.prepare, daemon=True,
                         name='runtime-prepare').start()

    def _on_stop():
        if listener is not None:
            listener.stop()
        watcher.stop(timeout=conf.cc.so_start_timeout + 15)
        backend.runtime.stop_all()

    # On the signal the watcher stops restarting SOs (it would restart
    # those stopped beside it); its running check is waited for after.
    common.serve(conf, application, conf.cc.host, conf.cc.port, 'hurtle-cc',
                 on_signal=lambda: watcher.stop(timeout=0),
                 on_stop=_on_stop, stop_requested=stop_requested)


if __name__ == '__main__':
    main()
