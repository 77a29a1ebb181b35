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
"""oslo.messaging notifier driver ``hurtle_cc``: the embedded Heat tells
the CC which stacks changed (doc/source/contributor/embedded-heat.rst).

Heat sends a notification ``orchestration.stack.<action>.<start|end|
error>`` each time a stack changes state (``heat.engine.stack.Stack.
state_set``, convergence included), just before it writes the new
state. This driver, named in heat.conf's ``[oslo_messaging_notifications]
driver`` (``hurtle.heat.heatconf.render``, when hurtle-all gives the
embedded Heat its CC's URL), forwards the stack id and announced state of
each to the CC's ``POST /stack-events`` (:mod:`hurtle.stack_event_format`)
so that an SO waiting for the stack reads it again at once.

Heat's engine must never wait for or fail because of it: :meth:`Sender.
offer` only puts the event on a bounded queue (an event that does not fit
is dropped and counted) and a daemon thread posts what is queued, several
events a request. The CC not answering (not started yet: hurtle-all
starts Heat first; restarting) is normal: what could not be posted is
dropped (a waiter then reads the stack after ``[cc]
stack_recheck_interval``). With nothing to send, the thread posts a
heartbeat (no events) every :data:`HEARTBEAT` seconds, by which the CC
knows its events are live, or every :data:`RETRY` seconds while the CC
does not answer.

Options, in heat.conf's ``[hurtle_stack_events]``: ``url`` (the CC's
``/stack-events``) and ``state_path`` (where the local secret is; the
token sent is derived from it, :func:`hurtle.stack_event_format.token`).
"""
import logging
import queue
import threading
import time
import weakref

from oslo_config import cfg
from oslo_messaging.notify import notifier
import requests

from hurtle import local_secret
from hurtle import stack_event_format as wire

LOG = logging.getLogger(__name__)

GROUP = 'hurtle_stack_events'
OPTS = [
    cfg.URIOpt('url', schemes=['http', 'https'],
               help='URL of the CC\'s stack events, '
                    'http://<CC>/stack-events.'),
    cfg.StrOpt('state_path',
               help='Hurtle\'s [DEFAULT] state_path, holding the local '
                    'secret the token is derived from.'),
]

#: Seconds between two heartbeats while the CC answers.
HEARTBEAT = 5.0
#: Seconds between two attempts while the CC does not answer.
RETRY = 1.0
#: Events queued at most; more are dropped.
QUEUE_SIZE = 1000
#: Seconds to connect to and to hear from the CC.
TIMEOUT = (1.0, 3.0)
#: Seconds between two warnings about dropped events.
WARN_EVERY = 60.0
_STOP = object()
#: The senders of this process's drivers (:func:`offer_all`).
_SENDERS = weakref.WeakSet()


def offer_all(message):
    """Offer ``message`` (as Heat's notifier would pass it: a dict with
    ``event_type`` and ``payload``) to the sender of every ``hurtle_cc``
    driver of this process (``hurtle.heat.freed_names``); never blocks,
    never raises."""
    for sender in list(_SENDERS):
        sender.offer(message)


class Sender(object):
    """Posts stack events to the CC from a daemon thread.

    :param url: the CC's ``/stack-events`` URL.
    :param token: ``f()`` → the token (str), called before each request
        until it answers (the local secret may not exist yet).
    :param heartbeat: seconds between two heartbeats (CC answering).
    :param retry: seconds between two attempts (CC not answering).

    Counters (ints, for figures and tests): ``queued``, ``posted``
    (events the CC took), ``dropped`` (queue full), ``lost`` (the CC did
    not take them), ``requests``.
    """

    def __init__(self, url, token, heartbeat=HEARTBEAT, retry=RETRY,
                 queue_size=QUEUE_SIZE):
        self.url = url
        self._token_source = token
        self._token = None
        self.heartbeat = heartbeat
        self.retry = retry
        self._queue = queue.Queue(queue_size)
        self._session = requests.Session()
        # Never through a proxy from the environment: the token is for
        # the CC alone.
        self._session.trust_env = False
        self.queued = self.posted = self.dropped = self.lost = 0
        self.requests = 0
        self._warned_at = None
        self._refused = None
        #: The CC refused an IN_PROGRESS state (an older one): such
        #: states are sent as null from then on.
        self.older_cc = False
        self._thread = threading.Thread(target=self._run,
                                        name='hurtle-stack-events',
                                        daemon=True)
        self._thread.start()

    def offer(self, message):
        """Queue the stack event of an oslo.messaging ``message`` (a
        dict with ``event_type`` and ``payload``); ignore any other.
        Never blocks, never raises."""
        try:
            event = wire.from_notification(message.get('event_type'),
                                           message.get('payload'))
            if event is None:
                return
            self._queue.put_nowait(event)
            self.queued += 1
        except queue.Full:
            self.dropped += 1
            now = time.monotonic()
            if self._warned_at is None or now - self._warned_at > WARN_EVERY:
                self._warned_at = now
                LOG.warning('stack events: queue full, %d events dropped '
                            'so far', self.dropped)
        except Exception:
            LOG.exception('stack events: notification not understood')

    def close(self, timeout=5.0):
        """Stop the thread (after what is queued before it)."""
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            pass
        self._thread.join(timeout)
        self._session.close()

    def _run(self):
        wait = 0.0
        while True:
            try:
                first = self._queue.get(timeout=wait)
            except queue.Empty:
                first = None
            if first is _STOP:
                return
            batch = {} if first is None else dict([first])
            stop = False
            while len(batch) < wire.MAX_EVENTS:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                # The latest state of a stack is enough.
                batch.pop(item[0], None)
                batch[item[0]] = item[1]
            ok = self._post(list(batch.items()))
            if stop:
                return
            wait = self.heartbeat if ok else self.retry

    def _post(self, events):
        """Post ``events`` (a heartbeat when empty); True when the CC
        took them. A CC that refuses them (400) while they hold states
        an older CC does not take (``<ACTION>_IN_PROGRESS``) is sent them
        again with those states null, and so from then on."""
        if self.older_cc:
            events = wire.for_older(events)[0]
        answer = self._send(events)
        if answer is not None and answer.status_code == 400 and \
                not self.older_cc and wire.for_older(events)[1]:
            self.older_cc = True
            LOG.info('stack events: the CC refuses IN_PROGRESS states (an '
                     'older CC); they are sent as null')
            events = wire.for_older(events)[0]
            answer = self._send(events)
        if answer is None:
            self.lost += len(events)
            return False
        if answer.status_code == 204:
            self.posted += len(events)
            if self._refused is not None:
                LOG.info('stack events: the CC takes them again')
                self._refused = None
            return True
        self.lost += len(events)
        if answer.status_code == 401:
            self._token = None   # read the secret again next time
        if answer.status_code != self._refused:
            # Once per kind of refusal: 401 (another state_path's
            # secret), 404 (an older CC or api-paste.ini).
            self._refused = answer.status_code
            LOG.warning('stack events: the CC at %s answers %d; the SOs '
                        'poll their stacks instead', self.url,
                        answer.status_code)
        return False

    def _send(self, events):
        """One request with ``events``: the CC's answer, or None when
        the CC could not be reached."""
        try:
            if self._token is None:
                self._token = self._token_source()
            self.requests += 1
            return self._session.post(
                self.url, data=wire.body(events), timeout=TIMEOUT,
                headers={'X-Auth-Token': self._token,
                         'Content-Type': 'application/json'})
        except Exception as exc:   # the CC not started yet, restarting
            LOG.debug('stack events: CC not reached (%s)',
                      type(exc).__name__)
            return None


class CCNotifier(notifier.Driver):
    """The ``hurtle_cc`` driver of ``oslo.messaging.notify.drivers``
    (see module doc); Heat's ``conf`` holds ``[hurtle_stack_events]``."""

    def __init__(self, conf, topics, transport):
        super().__init__(conf, topics, transport)
        conf.register_opts(OPTS, group=GROUP)
        group = conf[GROUP]
        if not group.url or not group.state_path:
            raise ValueError('[%s] url and state_path are required by the '
                             'hurtle_cc notifier driver' % GROUP)
        state_path = group.state_path
        self.sender = Sender(group.url, lambda: wire.token(
            local_secret.load_or_create(state_path)))
        _SENDERS.add(self.sender)

    def notify(self, ctxt, message, priority, retry):
        self.sender.offer(message)
