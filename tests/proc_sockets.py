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
"""A process's open sockets, read from ``/proc`` (Linux)."""
import os

#: TCP states (hex, ``/proc/net/tcp``) of a socket its process still
#: holds towards a peer: ESTABLISHED, and CLOSE_WAIT (the peer closed, this
#: side did not). A socket closed here is in FIN_WAIT or TIME_WAIT, held by
#: the kernel alone.
HELD = ('01', '08')


def socket_inodes(pid):
    """The sockets among process ``pid``'s open files, as their
    ``/proc/<pid>/fd`` link targets (``'socket:[<inode>]'``)."""
    found = set()
    fd_dir = '/proc/%d/fd' % pid
    for name in os.listdir(fd_dir):
        try:
            target = os.readlink(os.path.join(fd_dir, name))
        except OSError:
            continue
        if target.startswith('socket:['):
            found.add(target)
    return found


def _held_rows(pid, port):
    inodes = set(target[8:-1] for target in socket_inodes(pid))
    with open('/proc/%d/net/tcp' % pid) as handle:
        rows = [line.split() for line in handle.readlines()[1:]]
    return [row for row in rows if row[9] in inodes and
            row[2] == '0100007F:%04X' % port and row[3] in HELD]


def open_connections(pid, port):
    """TCP states (hex) of the sockets process ``pid`` holds open
    (:data:`HELD`) to remote port ``port`` on 127.0.0.1."""
    return [row[3] for row in _held_rows(pid, port)]


def local_ports(pid, port):
    """Local ports (int) of the connections process ``pid`` holds open
    (:data:`HELD`) to remote port ``port`` on 127.0.0.1: a connection
    kept for reuse keeps its port, a new one has another."""
    return {int(row[1].split(':')[1], 16) for row in _held_rows(pid, port)}
