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
"""Stopping the server processes tests start, and reading their logs."""
import os
import signal
import subprocess


def terminate(proc, timeout=30):
    """SIGTERM ``proc`` (a ``subprocess.Popen``) by its pid, SIGKILL after
    ``timeout`` seconds; nothing if it has exited."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def tails(directory, names, limit=8000):
    """The last ``limit`` bytes of each file ``names`` in ``directory``
    that exists, decoded, joined by newlines (for failure messages)."""
    texts = []
    for name in names:
        try:
            with open(os.path.join(directory, name), 'rb') as handle:
                texts.append(handle.read()[-limit:].decode('utf-8',
                                                           'replace'))
        except OSError:
            pass
    return '\n'.join(texts)
