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
"""The CC's listener of a cloud's Heat notifications on a message bus
(doc/source/contributor/cc-api.rst, "A real Heat on a message bus").

A cloud's Heat cannot load the embedded Heat's ``hurtle_cc`` driver
(:mod:`hurtle.heat.notifier`); with ``[oslo_messaging_notifications]
driver = messagingv2`` it puts ``orchestration.stack.<action>.<start|
end|error>`` notifications on its bus. With ``[heat_notifications]
transport_url`` set (:mod:`hurtle.conf.heat_notifications`), the CC
listens to them with an oslo.messaging notification listener (threading
executor) in its own pool (queue), so it takes no message from other
consumers such as Ceilometer, and feeds each stack event to the same
:class:`hurtle.cc.stack_events.Hub` as ``POST /stack-events``
(:func:`hurtle.stack_event_format.from_notification` reads both).

Events of stacks the CC did not create are harmless: they wake nobody
(the hub wakes only the waiters of that stack id) and their hints are
bounded by the hub. A bus sends no heartbeat, so its events never make
the hub live (``Hub.notify(..., live=False)``): waits still end after
``[cc] stack_poll_interval`` at the latest, and no read of a stack is
reused on the strength of a quiet bus.

Start-up never waits for the bus. :meth:`Listener.start` checks the URL
(a bad one raises :class:`ListenerError`), then a daemon thread tries the
URL's hosts over TCP every ``probe_interval`` seconds, with one warning
while none answers, and starts the oslo.messaging listener once one
does (oslo.messaging then reconnects by itself, with its own log
lines). The URL is never logged, only its driver and hosts.

oslo.messaging is imported only when the listener starts, after
selecting oslo.service's threading backend (:mod:`hurtle.oslo_backend`).
"""
import logging
import socket
import threading

from hurtle import oslo_backend
from hurtle import stack_event_format as wire

LOG = logging.getLogger(__name__)

#: Seconds to wait for a TCP connection to a host of the bus.
PROBE_TIMEOUT = 3.0
#: Ports of transports whose URL gives a host without one.
DEFAULT_PORTS = {'rabbit': 5672, 'amqp': 5672, 'kafka': 9092}


class ListenerError(Exception):
    """``[heat_notifications]`` cannot be used (message says why, without
    the URL)."""


class Endpoint(object):
    """oslo.messaging notification endpoint feeding ``hub`` (a
    :class:`hurtle.cc.stack_events.Hub`).

    Counters (ints, for figures and tests): ``received`` (stack events
    fed to the hub), ``ignored`` (other notifications).
    """

    def __init__(self, hub):
        self.hub = hub
        self.received = self.ignored = 0

    def _notification(self, ctxt, publisher_id, event_type, payload,
                      metadata):
        event = wire.from_notification(event_type, payload)
        if event is None:
            self.ignored += 1
            return None
        self.hub.notify(event[0], event[1], live=False)
        self.received += 1
        LOG.debug('heat notifications: %s %s', event[0], event[1])
        return None

    # Heat sends INFO (start, end) and ERROR (error), or its
    # default_notification_level.
    audit = debug = info = warn = error = critical = sample = _notification


def describe(url):
    """``<driver>://<host>:<port>,...`` of a parsed ``TransportURL``
    (no user name, no password, no virtual host)."""
    hosts = ','.join('%s:%s' % (host.hostname, host.port) if host.port
                     else str(host.hostname) for host in url.hosts)
    return '%s://%s' % (url.transport, hosts)


def reachable(url, timeout=PROBE_TIMEOUT):
    """Whether a host of the parsed ``TransportURL`` ``url`` accepts a
    TCP connection (True when the URL names none)."""
    if not url.hosts:
        return True
    default = DEFAULT_PORTS.get(url.transport.split('+')[0])
    for host in url.hosts:
        port = host.port or default
        if not host.hostname or not port:
            return True   # nothing to probe: let oslo.messaging try
        try:
            with socket.create_connection((host.hostname, port), timeout):
                return True
        except OSError:
            continue
    return False


class Listener(object):
    """The CC's listener of Heat notifications (see module doc).

    :param conf: the CC's parsed ``ConfigOpts`` (``[heat_notifications]``).
    :param hub: the hub to feed.
    """

    def __init__(self, conf, hub):
        self.conf = conf
        self.group = conf.heat_notifications
        self.endpoint = Endpoint(hub)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = None
        self._transport = None
        self._server = None
        self._url = None
        #: Set once the oslo.messaging listener runs (for tests).
        self.listening = threading.Event()

    @property
    def enabled(self):
        return bool(self.group.transport_url)

    def _scrub(self, text):
        """``text`` without the transport URL or a password in it."""
        secrets = [self.group.transport_url]
        if self._url is not None:
            secrets += [host.password for host in self._url.hosts
                        if host.password]
        for secret in secrets:
            if secret:
                text = text.replace(secret, '***')
        return text

    def start(self):
        """Check the URL and start the thread (nothing when
        ``transport_url`` is empty); returns self.

        :raises ListenerError: the URL is not a transport URL, or its
            driver is not installed.
        """
        if not self.enabled:
            return self
        try:
            oslo_backend.select_threading()
        except Exception as exc:   # another backend (a test process)
            LOG.debug('heat notifications: %s', exc)
        import oslo_messaging
        try:
            self._url = oslo_messaging.TransportURL.parse(
                self.conf, self.group.transport_url)
            self._transport = oslo_messaging.get_notification_transport(
                self.conf, url=self._url)
        except Exception as exc:
            raise ListenerError(
                '[heat_notifications] transport_url cannot be used: %s'
                % self._scrub('%s: %s' % (type(exc).__name__, exc)))
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='hurtle-heat-notifications')
        self._thread.start()
        return self

    def _run(self):
        where = describe(self._url)
        interval = self.group.probe_interval
        warned = False
        while not reachable(self._url):
            if not warned:
                warned = True
                LOG.warning('heat notifications: no host of the bus %s '
                            'answers; stack waits poll Heat every [cc] '
                            'stack_poll_interval until one does (tried '
                            'again every %g s)', where, interval)
            else:
                LOG.debug('heat notifications: %s still not reachable',
                          where)
            if self._stop.wait(interval):
                return
        try:
            self._listen(where)
        except Exception as exc:
            LOG.error('heat notifications: cannot listen on %s: %s; stack '
                      'waits poll Heat', where,
                      self._scrub('%s: %s' % (type(exc).__name__, exc)))

    def _listen(self, where):
        import oslo_messaging
        group = self.group
        targets = [oslo_messaging.Target(topic=topic,
                                         exchange=group.exchange)
                   for topic in group.topics]
        with self._lock:
            if self._stop.is_set():
                return
            self._server = oslo_messaging.get_notification_listener(
                self._transport, targets, [self.endpoint],
                executor='threading', pool=group.pool)
        # Connects and declares the pool's queue (blocks while the bus
        # is away; oslo.messaging retries).
        self._server.start()
        LOG.info('heat notifications: listening on %s (exchange %s, '
                 'topics %s, pool %s)', where, group.exchange,
                 ','.join(group.topics), group.pool)
        self.listening.set()

    def stop(self):
        """Stop listening. A listener still connecting (the bus went
        away after the probe) is left to its daemon thread: oslo.messaging
        would wait for its start to end."""
        self._stop.set()
        with self._lock:
            server = self._server
        if server is not None and self.listening.is_set():
            try:
                server.stop()
                server.wait()
            except Exception as exc:
                LOG.debug('heat notifications: stop: %s',
                          self._scrub(str(exc)))
        if self._thread is not None:
            self._thread.join(PROBE_TIMEOUT + 1)
            if self._thread.is_alive():
                return
        if self._transport is not None:
            self._transport.cleanup()


def start(conf, backend):
    """Start the listener of the CC's ``backend`` (``hurtle.cc.api.
    AppBackend``; its stack kind's hub), as ``hurtle-cc`` and
    ``hurtle.wsgi.cc`` do: the started :class:`Listener`, or None when
    the CC has no stack kind.

    :raises ListenerError: see :meth:`Listener.start`.
    """
    if backend.stacks is None:
        return None
    return Listener(conf, backend.stacks.events).start()
