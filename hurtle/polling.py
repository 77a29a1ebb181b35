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
"""Waiting for a condition: the one polling loop of every Hurtle process.

The SM's lifecycle waits for stacks, dependencies and disposals with it,
the SDK's ``StackOrchestrator.dispose`` (in an SO) for its stack to go,
the CC's local runtime for an SO to answer or exit, and the command-line
tools for servers and instances. A shared library: it imports nothing of
a process package.
"""
import time

import tenacity


class Timeout(Exception):
    """:func:`poll_until` gave up; ``str()`` says on what."""


#: How much each wait grows over the previous one with ``first``.
GROWTH = 1.5


def _stop_cuts_once(stop, sleep):
    """A ``sleep`` for tenacity that ``stop`` (an Event) ends at once, the
    first time only (a ``check`` that does not stop is not spun)."""
    cut = []

    def cut_sleep(seconds):
        if cut:
            sleep(seconds)
        elif stop.wait(seconds):
            cut.append(True)
    return cut_sleep


def poll_until(check, timeout, interval, what, first=None, stop=None,
               sleep=time.sleep, again_now=None):
    """Call ``check()`` every ``interval`` seconds until it returns a value
    other than None, and return that value. No wait runs past the
    deadline: the last attempt comes at ``timeout`` seconds.

    With ``first`` (seconds, below ``interval``) the first wait is
    ``first`` and each next one :data:`GROWTH` times longer, up to
    ``interval``: a condition that comes true soon is seen soon (a stack
    of a few seconds is not seen up to ``interval`` late), a slow one is
    looked at no more often than every ``interval`` once it has taken a
    while (0.1 s first and a 1 s interval: 6 looks in the first 3 s,
    then one a second).

    ``check`` runs at least once; after an attempt that returned None
    at ``timeout`` seconds or more since the first, :class:`Timeout` is
    raised.

    :param timeout: seconds (float).
    :param interval: seconds between two attempts (float).
    :param what: end of the sentence "... did not happen within N s",
        e.g. ``'stack of deploy complete'``.
    :param stop: a ``threading.Event``: once it is set, the wait between
        two attempts ends at once, one time; the next attempt comes then
        (``check`` decides whether to stop, e.g. by raising), and later
        waits take their time again.
    :param sleep: ``sleep(seconds)``, what waits between two attempts.
    :param again_now: a callable: when it returns True after an attempt,
        the next one comes at once (that attempt waited itself, e.g. a
        GET held by the server until something changed).
    :raises Timeout: ``check`` returned None until the deadline.
    Exceptions of ``check`` propagate at once (that is how it fails
    early).
    """
    def give_up(retry_state):
        raise Timeout('%s did not happen within %d s' % (what, timeout))

    # tenacity retries on the result only (None); an exception of check
    # is not retried and propagates (Retrying re-raises the outcome).
    pace = tenacity.wait_fixed(interval) if first is None or \
        first >= interval else tenacity.wait_exponential(
            multiplier=first, exp_base=GROWTH, max=interval)

    def wait(retry_state):
        # Never past the deadline: the last attempt comes at it (a 0.1 s
        # timeout with a 1 s interval gave up after 1 s, not 0.1).
        return max(0.0, min(pace(retry_state),
                            timeout - retry_state.seconds_since_start))

    retrying = tenacity.Retrying(
        retry=tenacity.retry_if_result(lambda result: result is None),
        stop=tenacity.stop_after_delay(timeout),
        wait=wait,
        retry_error_callback=give_up,
        sleep=_paced(sleep if stop is None else _stop_cuts_once(stop, sleep),
                     again_now))
    return retrying(check)


def _paced(sleep, again_now):
    """``sleep`` skipped while ``again_now()`` says so."""
    if again_now is None:
        return sleep

    def paced(seconds):
        if not again_now():
            sleep(seconds)
    return paced
