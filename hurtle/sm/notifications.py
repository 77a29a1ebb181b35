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
"""Notifications of instance lifecycle events, for billing and auditing.

Off by default. With ``[oslo_messaging_notifications] driver`` set
(oslo.messaging's option: ``messagingv2`` to a message bus at
``[oslo_messaging_notifications] transport_url`` or ``[DEFAULT]
transport_url``, ``log``, ...), the SM emits, with publisher id
``hurtle-sm.<leases owner>``:

=================================  ========  ==============================
event type                         priority  when
=================================  ========  ==============================
``hurtle.instance.create.start``   INFO      the SM accepted a create
``hurtle.instance.create.end``     INFO      the instance became active
``hurtle.instance.create.error``   ERROR     the create failed
``hurtle.instance.update.start``   INFO      the SM accepted an update
``hurtle.instance.update.end``     INFO      the update was applied
``hurtle.instance.update.error``   ERROR     it was refused, rolled back,
                                               not applied, or failed
``hurtle.instance.delete.start``   INFO      the SM accepted a delete
``hurtle.instance.delete.end``     INFO      the instance is gone
``hurtle.instance.delete.error``   ERROR     the dispose failed
=================================  ========  ==============================

Payload (a dict): ``instance_id``, ``project_id``, ``service_type``
(the manifest's term), ``state`` (the instance's lifecycle state when
the event was sent; None once deleted), ``created_at`` (ISO 8601, UTC)
and, in ``.end``/``.error``, ``duration`` (float seconds since the
SM accepted the operation, or since it resumed it after an SM restart)
and ``reason`` (``mcn.service.state.reason``, in ``.error``).
Work resumed after a restart sends no second ``.start``. Superseded
work (a create cancelled by a delete) sends no ``.end`` or
``.error``: the delete's events follow.

oslo.messaging is imported only when the configuration files have an
``[oslo_messaging_notifications]`` section (it costs the SM about a
second of start-up otherwise for nothing). A notification that cannot be
sent is logged by oslo.messaging and never fails the lifecycle.
"""
import logging
import time

LOG = logging.getLogger(__name__)

SECTION = 'oslo_messaging_notifications'
EVENT = 'hurtle.instance.%s.%s'


def _payload(row):
    created = getattr(row, 'created_at', None)
    return {'instance_id': row.id, 'project_id': row.project,
            'service_type': row.service, 'state': row.state,
            'created_at': created.isoformat() + 'Z' if created else None}


class Notifier(object):
    """Sends the events of one SM.

    :param conf: the SM's parsed ``ConfigOpts``.
    :param publisher: this SM's name (``[sm] replica_id`` or its
        default), in the publisher id.
    """

    def __init__(self, conf, publisher):
        self._notifier = None
        if SECTION not in conf.list_all_sections():
            return
        import oslo_messaging
        transport = oslo_messaging.get_notification_transport(conf)
        # ``driver =`` (empty) would be a driver named '' to oslo.messaging.
        drivers = [name for name in conf[SECTION].driver if name.strip()]
        if not drivers:
            return
        if drivers != conf[SECTION].driver:
            conf.set_override('driver', drivers, group=SECTION)
        self._notifier = oslo_messaging.Notifier(
            transport, publisher_id='hurtle-sm.%s' % publisher)

    @property
    def enabled(self):
        return self._notifier is not None

    def _send(self, priority, action, phase, payload):
        context = {'project_id': payload['project_id']}
        getattr(self._notifier, priority)(context, EVENT % (action, phase),
                                          payload)

    def operation(self, action, row, accepted):
        """Start following one operation of ``row`` (its record when
        the operation was accepted or resumed); send ``.start`` if
        ``accepted``.

        :param action: ``create``, ``update`` or ``delete``.
        :returns: a callable ``done(row, reason)`` to call when the work
            ended: ``row`` the record then (None once deleted),
            ``reason`` None if it succeeded, else why not; or None when
            notifications are off.
        """
        if not self.enabled or row is None:
            return None
        started = time.monotonic()
        base = _payload(row)
        if accepted:
            self._send('info', action, 'start', dict(base))

        def done(now, reason):
            payload = dict(base, state=now.state if now else None,
                           duration=round(time.monotonic() - started, 3))
            if reason is None:
                self._send('info', action, 'end', payload)
            else:
                payload['reason'] = reason
                self._send('error', action, 'error', payload)
        return done
