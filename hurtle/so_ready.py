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
"""The SO's readiness notice: how an SO tells the CC's ``local`` runtime
that it listens, without the CC polling for it.

The CC creates a pipe (both ends close-on-exec) and gives the SO its
write end: a spawned SO inherits it (``pass_fds``), a forked one gets it
from the fork server (``SCM_RIGHTS`` over their socketpair,
:mod:`hurtle.so_fork_protocol`); no other process has it, and a pipe has
no name another local user could open. ``HURTLE_SO_READY_FD`` (in the
SO's environment) names its file descriptor number.

The SO, once its server socket listens, writes one line to it, the port
in decimal (``"8123\\n"``, at most :data:`MAX_LINE` bytes) and closes it
(:func:`notify`). The CC reads the line and knows the SO's URL at once;
an end of file without a line means the SO exited (or gave the pipe up:
the CC then waits for the port file, as for an SO that sends no notice).

Sending the notice is optional (an SO of an older Hurtle or a
``bundle.json`` SO that ignores the variable is found through its port
file, as before), so is the variable: an SO without it sends nothing.
The SO must not let the descriptor reach its own children
(:func:`take` makes it close-on-exec).
"""
import os
import select
import stat
import time

#: The SO's environment variable naming the write end's descriptor.
ENV = 'HURTLE_SO_READY_FD'
#: The descriptor number a forked SO gets the write end as.
FORKED_FD = 3
#: Longest notice line, in bytes.
MAX_LINE = 16


# -- the SO's side ------------------------------------------------------
def take(environ):
    """The notice descriptor ``environ`` names (removing the variable
    from it, so the SO's children never see it), made close-on-exec; or
    None: no variable, not a number, not an open pipe.

    :param environ: a mutable mapping (``os.environ``).
    """
    value = environ.pop(ENV, None)
    if value is None or not value.isdigit():
        return None
    fd = int(value)
    try:
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return None
        os.set_inheritable(fd, False)
    except (OSError, OverflowError):
        return None
    return fd


def notify(fd, port):
    """Send the notice (``port``, an int) on ``fd`` and close it; an fd
    of None does nothing, a CC gone meanwhile (``EPIPE``) is ignored."""
    if fd is None:
        return
    try:
        os.write(fd, b'%d\n' % port)
    except OSError:
        pass
    finally:
        os.close(fd)


# -- the CC's side ------------------------------------------------------
class Notice(object):
    """One SO's notice pipe, as the CC holds it.

    :attr:`write_fd` is given to the SO and closed here with
    :meth:`sent` as soon as the SO has it; :meth:`wait` reads the line.
    Close with :meth:`close` (a context manager too).
    """

    #: :meth:`wait` results other than a port.
    NOTHING = 'nothing'
    CLOSED = 'closed'

    def __init__(self):
        self.read_fd, self.write_fd = os.pipe2(os.O_CLOEXEC)
        self._buffer = b''
        self._closed = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def sent(self):
        """The SO holds the write end now: close this process's copy (so
        that the SO's exit is an end of file here)."""
        if self.write_fd is not None:
            os.close(self.write_fd)
            self.write_fd = None

    def wait(self, timeout):
        """Wait up to ``timeout`` seconds for the notice.

        :returns: the port (int) once the line came; :data:`CLOSED` once
            the write end closed without a valid line (the SO exited, or
            closed it); :data:`NOTHING` when nothing came in time.
        """
        if self._closed:
            return self.CLOSED
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            left = deadline - time.monotonic()
            if not self._readable(left):
                return self.NOTHING
            chunk = os.read(self.read_fd, MAX_LINE)
            if not chunk:
                self._closed = True
                return self.CLOSED
            self._buffer += chunk
            if b'\n' in self._buffer:
                line = self._buffer.split(b'\n', 1)[0].strip()
                if line.isdigit() and 0 < int(line) < 65536:
                    return int(line)
                self._closed = True   # a bad line: no notice from it
                return self.CLOSED
            if len(self._buffer) > MAX_LINE:
                self._closed = True
                return self.CLOSED

    def wait_closed(self, timeout):
        """After the notice: wait up to ``timeout`` seconds for the SO to
        close its end (it does right after writing); True if it did."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if not self._readable(left):
                return False
            if not os.read(self.read_fd, 4096):
                return True

    def _readable(self, timeout):
        # poll, not select: the CC may hold more than FD_SETSIZE files.
        poller = select.poll()
        poller.register(self.read_fd, select.POLLIN)
        return bool(poller.poll(max(0.0, timeout) * 1000.0))

    def close(self):
        self.sent()
        if self.read_fd is not None:
            os.close(self.read_fd)
            self.read_fd = None
