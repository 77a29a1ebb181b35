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
"""One process per state: an exclusive ``flock`` held for the process's
life (the kernel drops it when the process exits, however it ends)."""
import fcntl


class Held(Exception):
    """Another process holds the lock."""


def hold(path):
    """Lock the file ``path`` (created if missing) for this process.

    :returns: the open file; the lock lasts while it is open.
    :raises Held: another process holds it.
    :raises OSError: the file cannot be opened.
    """
    handle = open(path, 'a')
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise Held(path)
    return handle
