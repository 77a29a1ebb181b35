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
"""Child processes that end when their parent dies (Linux).

``hurtle-all`` runs the embedded Heat, the CC and the SM as its children;
killed with SIGKILL it has no chance to stop them. :func:`preexec` gives
``subprocess.Popen`` a ``preexec_fn`` that asks the kernel, in the child
between fork and exec, to send the child a signal (SIGTERM: a clean stop,
the CC stopping its SOs) when its parent dies: ``prctl(PR_SET_PDEATHSIG,
SIGTERM)``, which exec keeps. If the parent died before that call, no
signal would ever come: the child then sees another parent
(``getppid()``) and exits before exec, with status
:data:`ORPHANED_STATUS`.

Why ctypes and no library: the one call needed is ``prctl(2)`` with two
integers, in libc already loaded in every Python process; the packages
that wrap it (python-prctl, which needs libcap headers to build) would
add a compiled dependency for that. ``prctl`` is looked up before the
fork, so the child only makes the call.

The kernel sends the signal when the *thread* that forked the child
ends, not only the process: start such children from a thread that
lives as long as the parent (``hurtle-all``: its main thread).
Elsewhere than Linux :func:`preexec` returns None (no such call; the
children then outlive a killed parent as before).
"""
import ctypes
import os
import signal
import sys

#: ``PR_SET_PDEATHSIG`` of <linux/prctl.h>.
PR_SET_PDEATHSIG = 1
#: Exit status of a child whose parent was already gone.
ORPHANED_STATUS = 129


def _prctl():
    """libc's ``prctl``, or None where there is none."""
    if not sys.platform.startswith('linux'):
        return None
    try:
        function = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong,
                         ctypes.c_ulong, ctypes.c_ulong]
    function.restype = ctypes.c_int
    return function


def preexec(signum=signal.SIGTERM, parent=None):
    """A ``preexec_fn`` that makes the child get ``signum`` when its
    parent dies, and exit (status :data:`ORPHANED_STATUS`) before exec if
    the parent is gone already.

    :param signum: the signal the child gets.
    :param parent: the pid the child's parent must have (default: this
        process, the one calling ``Popen``).
    :returns: a callable for ``preexec_fn``, or None where ``prctl`` is
        missing (not Linux).
    """
    prctl = _prctl()
    if prctl is None:
        return None
    parent = os.getpid() if parent is None else parent

    def die_with_parent():
        # Between fork and exec: no lock, no import, no allocation of
        # note; a failure is not worth refusing to start the child.
        prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
        if os.getppid() != parent:
            os._exit(ORPHANED_STATUS)
    return die_with_parent
