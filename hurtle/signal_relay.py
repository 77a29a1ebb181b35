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
"""Signals handled in a thread of their own, not in the signal handler.

Python runs a signal handler in the main thread, between two bytecodes
of whatever that thread is doing. A handler that takes a lock the main
thread may hold at that moment waits for it forever: ``Event.set()``
from a handler while the main thread is inside ``Event.wait()`` on the
same event (its condition's lock, a plain ``Lock``) hung ``hurtle-all``
and the embedded Heat for good on a SIGTERM (a CI run: no exit within
240 s). Logging and starting threads take locks too.

:func:`handle` installs a handler that only writes the signal's number
to a socket pair (no lock: ``os.write`` on a non-blocking descriptor);
the ``signal-relay`` daemon thread reads the other end and calls the
callback, where taking locks is safe. One relay serves the whole
process; a later :func:`handle` of the same signal replaces its
callback.

Why not ``signal.set_wakeup_fd``: there is only one wake-up descriptor
per process and other code (an asyncio loop) may take it over; the
relay's socket pair is its own. A socket pair rather than a pipe: an SO
holds no pipe once it told the CC it is ready (``hurtle.so_ready``; the
tests check it), and this one is no exception worth making.
"""
import logging
import os
import signal
import socket
import threading

LOG = logging.getLogger(__name__)

#: The signals that stop a Hurtle process: SIGTERM, and SIGINT (Ctrl-C).
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

_lock = threading.Lock()
#: {signal number: callback(signum)}
_callbacks = {}
#: (pid, reading socket, writing socket) of the relay running in this
#: process.
_relay = None


def handle(signums, callback):
    """Call ``callback(signum)`` in the relay thread each time one of
    ``signums`` arrives (from now on, replacing any earlier handler of
    them). Call it from the main thread (``signal.signal``'s rule).

    A signal that comes again before the relay read the first may be
    seen once (as the kernel merges pending signals); a callback that
    raises is logged and the relay goes on.

    :param signums: signal numbers, e.g. ``(signal.SIGTERM,
        signal.SIGINT)``.
    :param callback: ``callback(signum)``; it may take locks, log, set
        events and start threads.
    :raises ValueError: not called from the main thread.
    """
    write_end = _start_relay()
    for signum in signums:
        with _lock:
            _callbacks[int(signum)] = callback
        signal.signal(signum, _handler(write_end))


def _handler(write_end):
    owner = os.getpid()

    def relay(signum, frame):
        if os.getpid() != owner:
            # A child forked without exec (no relay thread here): the
            # signal's default action, as if no handler were set.
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        try:
            os.write(write_end, bytes((signum,)))
        except BlockingIOError:
            # The socket's buffer is full: the relay has thousands of
            # signals to read already, among them this one's number.
            pass
    return relay


def _start_relay():
    global _relay
    with _lock:
        if _relay is not None and _relay[0] == os.getpid():
            return _relay[2].fileno()
        reading, writing = socket.socketpair()
        writing.setblocking(False)
        threading.Thread(target=_run, args=(reading.fileno(),),
                         daemon=True, name='signal-relay').start()
        _relay = (os.getpid(), reading, writing)
        return writing.fileno()


def _run(read_end):
    while True:
        for signum in os.read(read_end, 64):
            with _lock:
                callback = _callbacks.get(signum)
            if callback is None:
                continue
            try:
                callback(signum)
            except Exception:
                LOG.exception('handling signal %d failed', signum)
