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
"""Watching the SOs of active instances (``degraded`` while one is down).

Every ``[sm] watch_interval`` seconds the watcher asks the CC for the app
of each ``active`` or ``degraded`` instance and probes its SO
(``GET <so>/orchestrator/default``, one try, short timeout). An instance
whose app is gone, not active, or whose SO does not answer becomes
``degraded`` with ``mcn.service.state.reason`` saying which; once its SO
answers again it is ``active`` (the CC may restart SOs on another port:
the new URL is recorded). The probe also lets the SO retry the DNS names
it could not register: an ``active`` instance's reason follows the SO's
``occi.mcn.dns.reason`` (set while a name is not registered, cleared
once it is; another reason, e.g. "update rejected: ...", is kept).
Every write is conditional on the state and operation number the watcher
read, so it never interferes with an update or delete that began
meanwhile.
"""
import logging
import threading

from hurtle.occi import errors
from hurtle.sm import so_client
from hurtle.sm import states

LOG = logging.getLogger(__name__)


class SOWatcher(object):
    """:param conf: oslo.config object (``[sm] watch_interval``).
    :param store: the ``InstanceStore``.
    :param peers: ``hurtle.sm.peers.Peers``.
    """

    def __init__(self, conf, store, peers):
        self.conf = conf
        self.store = store
        self.peers = peers
        self._stopping = threading.Event()
        self._thread = None

    def start(self):
        """Start the watching thread (once; not at all if ``[sm]
        watch_interval`` is 0)."""
        if self._thread is not None or not self.conf.sm.watch_interval:
            return
        self._thread = threading.Thread(target=self._loop,
                                        name='so-watcher', daemon=True)
        self._thread.start()

    def stop(self):
        self._stopping.set()

    def _loop(self):
        while not self._stopping.wait(self.conf.sm.watch_interval):
            for row in self.store.in_states(states.WATCHED):
                try:
                    self.check(row)
                except Exception:
                    LOG.exception('checking the SO of instance %s failed',
                                  row.id)

    def check(self, row):
        """Mark ``row`` ``degraded`` (with the reason) while its SO is down
        or unreachable, ``active`` again once it answers. Changes nothing
        if an operation began meanwhile."""
        problem, so_url, info = self.problem(row)
        dns_reason = info and so_client.dns_reason(info)
        fields = {}
        if so_url and so_url != row.so_url:
            fields['so_url'] = so_url
        state, reason = row.state, row.reason
        if problem and row.state == states.ACTIVE:
            LOG.warning('instance %s degraded: %s', row.id, problem)
            state, reason = states.DEGRADED, problem
        elif not problem and row.state == states.DEGRADED:
            LOG.info('instance %s: its SO answers again', row.id)
            state, reason = states.ACTIVE, dns_reason
        elif not problem and (not row.reason or row.reason.startswith(
                so_client.DNS_REASON_PREFIX)):
            reason = dns_reason
        # (A degraded instance keeps its reason, e.g. "update not
        # applied: ...", while the problem lasts.)
        if (state, reason) != (row.state, row.reason) or fields:
            self.store.transition(row.id, state, reason=reason,
                                  expect={row.state},
                                  operation=row.operation, **fields)

    def problem(self, row):
        """``(sentence saying what is wrong or None, the SO's current URL
        or None, the SO's ``EntityInfo`` when it answered or None)``."""
        if not row.app_url:
            return None, None, None
        try:
            app = self.peers.cc(probe=True).get(row.app_url)
        except errors.NotFound:
            return ('the SO is gone: its app no longer exists at the CC',
                    None, None)
        except errors.ConnectionFailed:
            return ('the CC does not answer: the SO cannot be checked',
                    None, None)
        except errors.OCCIError as exc:
            return ('the CC answers %s: the SO cannot be checked'
                    % exc.code, None, None)
        state = app.attributes.get('occi.app.state')
        url = app.attributes.get('occi.app.url') or None
        if state != 'active' or not url:
            return ('the SO is down (its app at the CC is %s)' % state,
                    None, None)
        try:
            info = self.peers.so(row, probe=True, url=url).get(
                so_client.SO_PATH)
        except errors.ConnectionFailed:
            return 'the SO does not answer', url, None
        except errors.OCCIError as exc:
            return 'the SO answers %s' % exc.code, url, None
        return None, url, info
