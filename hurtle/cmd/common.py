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
"""Serving loop shared by Hurtle's console scripts (start-up is in
:mod:`hurtle.service`)."""
import ctypes
import gc
import logging
import signal
import sys
import threading

from hurtle.conf import wsgi as wsgi_conf
from hurtle.occi import server as occi_server
from hurtle import signal_relay

LOG = logging.getLogger(__name__)


#: Seconds between two looks of the accept loop for a stop request
#: (socketserver's default is 0.5). A signal's stop does not wait for
#: it: :func:`hurtle.occi.server.wake_accept_loop`.
POLL_INTERVAL = 0.2


def release_free_memory():
    """Give the C heap's free pages back to the kernel (glibc's
    ``malloc_trim(0)``), once start-up is over: importing leaves
    megabytes freed but still resident (1.1 MiB of an SO's, see
    benchmarks/so_memory.py).

    :returns: False where the C library has no ``malloc_trim`` (not
        glibc): nothing done.
    """
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return False
    trim(0)
    return True


def catch_stop():
    """Remember a SIGTERM or SIGINT that comes during start-up, before
    :func:`serve` handles them: the process does not die in the middle of
    its start-up (e.g. the CC starting SOs, which would then outlive
    it), it finishes or cuts short what it does and stops once it
    serves.

    :returns: a ``threading.Event``, set by the signal; give it to
        :func:`serve` (``stop_requested``).
    """
    requested = threading.Event()

    def _remember(signum):
        if not requested.is_set():
            LOG.info('signal %d during start-up: stopping once started',
                     signum)
        requested.set()
    signal_relay.handle(signal_relay.STOP_SIGNALS, _remember)
    return requested


def serve(conf, application, host, port, name, on_bound=None,
          on_stop=None, on_signal=None, stop_requested=None,
          host_check=None):
    """Serve ``application`` on ``host:port`` until SIGTERM or SIGINT,
    with the ``[wsgi]`` options of ``conf``.

    :param on_bound: called with the bound port before serving.
    :param on_signal: called as soon as the signal arrives, in the
        signal relay's thread (:mod:`hurtle.signal_relay`; it may take
        locks, and should be quick): work in progress learns at once
        that this process stops, before the services beside it, stopped
        at the same moment, go away.
    :param on_stop: called after the server stopped.
    :param stop_requested: the Event of :func:`catch_stop`: if a signal
        set it during start-up, the server stops as soon as it started
        (``on_signal``, then ``on_stop``, as for a signal now).
    :param host_check: the ``Host`` check of ``OPTIONS *``
        (:func:`hurtle.occi.server.make_server`), e.g. the application's
        :class:`hurtle.occi.hosts.HostGuard`.
    Exits with status 1 and a message if the address is in use.
    """
    try:
        server = occi_server.make_server(application, host, port,
                                         host_check=host_check,
                                         **wsgi_conf.server_options(conf))
    except OSError as exc:
        sys.exit('hurtle: %s cannot listen on %s:%s: %s'
                 % (name, host, port, exc.strerror or exc))
    stopping = threading.Event()

    def _stop(signum):
        if not stopping.is_set():
            stopping.set()
            if on_signal is not None:
                on_signal()
            LOG.info('%s: signal %d, stopping', name, signum)
            threading.Thread(target=server.shutdown, daemon=True).start()
            occi_server.wake_accept_loop(server)

    signal_relay.handle(signal_relay.STOP_SIGNALS, _stop)
    if stop_requested is not None and stop_requested.is_set():
        _stop(signal.SIGTERM)
    bound = server.server_port
    LOG.info('%s listening on http://%s:%d/', name, host, bound)
    if on_bound is not None:
        on_bound(bound)
    # What start-up made (modules, configuration, the application) lives
    # as long as the process: kept out of the garbage collector's full
    # collections, which otherwise scan it again and again while a
    # request builds many objects (a listing of 10,000 instances in JSON:
    # a third of its time). Start-up's garbage is collected first: frozen,
    # it would never be.
    gc.collect()
    gc.freeze()
    release_free_memory()
    try:
        server.serve_forever(poll_interval=POLL_INTERVAL)
    finally:
        server.server_close()
        if on_stop is not None:
            on_stop()
    LOG.info('%s stopped', name)
