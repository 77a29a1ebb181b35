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
"""The ``shared`` runtime driver: the Python SOs of one bundle share one
host process (``[cc] runtime = shared``).

For a Python bundle (``so.py``) the runtime starts, on first need, one
``hurtle-so-host`` per bundle (:mod:`hurtle.cc.runtime.shared_hosts`,
:mod:`hurtle.so.host`), which imports Hurtle's SO machinery and the
bundle once, and asks it over its Unix socket
(:mod:`hurtle.so_host_protocol`) to start each SO with the environment
the ``local`` runtime would give it (:func:`base.so_environment`). Each
SO serves on its own port of ``[cc] so_host``, with its own secret,
state file (``<state_path>/so/<instance id>.json``, as ``hurtle-so``)
and threads. A bundle with a ``bundle.json`` (an SO with its own
command) runs as a process of its own, exactly as on the ``local``
runtime.

A reference (what :meth:`start` returns and the CC records) of a hosted
SO is ``{"host": <key>, "host_pid": <pid>, "app": <app id>, "port":
<port>, "url": <url>}``; an SO is running while that host process runs
and lists it, serving, on that port. When the host dies (killed, or
crashed) every SO it held is no longer running: the CC's watcher
restarts each (``[cc] restart_*``), the first restart starts a new host,
and each SO restores itself from its state file, as after an SO restart
on the ``local`` runtime.

After a CC restart, :meth:`reconcile` adopts the hosts an earlier CC left
(``<state_path>/so/hosts/<key>.pid``): the SOs they hold that an app
record names (same host process, same port) are kept, the others are
stopped in the host (one INFO line each); a CC that stops cleanly
stops the hosts it started or adopted, and their SOs.
"""
import collections
import logging
import threading
import time

from hurtle.cc.runtime import base
from hurtle.cc.runtime import local
from hurtle.cc.runtime import pid_files
from hurtle.cc.runtime import shared_hosts
from hurtle import so_host_protocol as protocol

LOG = logging.getLogger(__name__)


class SharedRuntime(base.Runtime):
    """Python SOs in one host process per bundle; other SOs as on
    ``local``."""

    def __init__(self, conf):
        self.conf = conf
        self.local = local.LocalRuntime(conf)
        self.hosts_dir = protocol.hosts_dir(conf.state_path)
        #: key -> HostProcess started or adopted by this CC process.
        self._hosts = {}
        self._lock = threading.Lock()
        #: key -> lock held while that host is looked up or started.
        self._host_locks = collections.defaultdict(threading.Lock)

    # -- hosts ---------------------------------------------------------
    def _host(self, image):
        """The running host of bundle ``image``: this process's, one an
        earlier CC left, or a new one.

        :raises RuntimeError_: a new one could not be started.
        """
        key = protocol.key(image)
        with self._lock:
            key_lock = self._host_locks[key]
        with key_lock:
            host = self._known(key)
            if host is None:
                host = shared_hosts.start(self.conf, image, key,
                                          self.local.config_args())
                LOG.info('shared SO host of %s started (pid %d)', image,
                         host.pid)
                with self._lock:
                    self._hosts[key] = host
            return host

    def _known(self, key):
        """The running host of ``key`` this process knows or an earlier
        CC left (then adopted); None if none runs."""
        with self._lock:
            host = self._hosts.get(key)
        if host is not None and host.alive():
            return host
        host = shared_hosts.adopt(self.conf, key)
        if host is not None:
            with self._lock:
                self._hosts[key] = host
        return host

    def _host_of(self, ref):
        """The running host process ``ref`` names, or None."""
        host = self._known(ref.get('host'))
        if host is None or host.pid != ref.get('host_pid'):
            return None
        return host

    # -- the runtime interface -----------------------------------------
    def start(self, app_id, image, env):
        if self.local.bundle_argv(image) is not None:
            return self.local.start(app_id, image, env)
        host = self._host(image)
        so_env = base.so_environment(self.conf, app_id, env)
        try:
            # Never two SOs of one app: a failed one goes first.
            host.call({'op': 'stop', 'app': str(app_id)})
            reply = host.call({'op': 'start', 'app': str(app_id),
                               'env': so_env},
                              timeout=self.conf.cc.so_start_timeout)
        except protocol.HostError as exc:
            raise base.RuntimeError_(str(exc))
        port = reply.get('port')
        if not isinstance(port, int) or isinstance(port, bool):
            raise base.RuntimeError_('the shared SO host answered no port')
        url = 'http://%s:%d/' % (self.conf.cc.so_host, port)
        return url, {'host': host.key, 'host_pid': host.pid,
                     'app': str(app_id), 'port': port, 'url': url}

    def _host_for(self, ref, local):
        """The host of ``ref``'s hosted SO, or None once there is nothing
        more to do: no ``ref``, an SO run as a process of its own
        (``local(ref)`` was called: the ``local`` runtime's stop or
        kill), or its host gone."""
        if not ref:
            return None
        if 'host' not in ref:
            local(ref)
            return None
        return self._host_of(ref)

    def stop(self, ref):
        """Stop the SO of ``ref`` (in its host, or its process); an SO
        whose host is gone is stopped already.

        :raises RuntimeError_: the host runs but refused or did not
            answer.
        """
        host = self._host_for(ref, self.local.stop)
        if host is None:
            return
        try:
            host.call({'op': 'stop', 'app': ref.get('app')})
        except protocol.HostError as exc:
            if host.alive():
                raise base.RuntimeError_(str(exc))

    def is_running(self, ref):
        if not ref:
            return False
        if 'host' not in ref:
            return self.local.is_running(ref)
        host = self._host_of(ref)
        if host is None:
            return False
        try:
            sos = host.call({'op': 'list'})['sos']
        except (protocol.HostError, KeyError):
            return False
        so = sos.get(ref.get('app')) or {}
        return bool(so.get('serving')) and so.get('port') == ref.get('port')

    def kill(self, ref):
        """End the SO of ``ref`` at once (it does not answer): an SO run
        as a process of its own as the ``local`` runtime kills it; a
        hosted SO is stopped in its host, and a host that does not
        answer that within ``[cc] so_liveness_timeout`` seconds is killed
        (SIGKILL) with every SO in it: the watcher then restarts each as
        a dead SO, the first in a new host."""
        host = self._host_for(ref, self.local.kill)
        if host is None:
            return
        try:
            host.call({'op': 'stop', 'app': ref.get('app')},
                      timeout=self.conf.cc.so_liveness_timeout)
            return
        except protocol.HostRefused as exc:
            raise base.RuntimeError_(str(exc))
        except protocol.HostError as exc:
            if not host.alive():
                return
            LOG.warning('shared SO host %s (pid %d) does not answer (%s): '
                        'killing it, with every SO in it', host.key,
                        host.pid, exc)
        host.kill()
        with self._lock:
            if self._hosts.get(host.key) is host:
                del self._hosts[host.key]

    def forget(self, app_id):
        self.local.forget(app_id)

    def prune(self, known):
        # The SOs in hosts log to their host's log; only the SOs run as
        # the local runtime does have logs of their own.
        self.local.prune(known)

    def stop_all(self):
        """Stop the SO processes this CC started or adopted and the hosts
        it started or adopted (with every SO in them): SIGTERM to all at
        once, SIGKILL to what still runs ``[cc] so_stop_grace`` seconds
        later."""
        with self._lock:
            hosts = list(self._hosts.values())
            self._hosts.clear()
        # One grace for all: every host has its SIGTERM before the SO
        # processes' grace starts, and what is left of that grace after
        # them is what the hosts still get.
        deadline = time.monotonic() + self.conf.cc.so_stop_grace
        for host in hosts:
            host.terminate()
        self.local.stop_all()
        for host in hosts:
            host.stop(max(0.0, deadline - time.monotonic()))

    def reconcile(self, refs):
        """Adopt what an earlier CC left (CC start-up): SO processes as
        the ``local`` runtime does; each running host, keeping the SOs
        an app record names and stopping the others in it.

        :param refs: ``{app_id: ref}`` of every app record.
        """
        self.local.reconcile({app_id: ref if ref and 'host' not in ref
                              else None for app_id, ref in refs.items()})
        for key, _pid, _start in pid_files.records(self.hosts_dir):
            host = self._known(key)
            if host is None:
                pid_files.remove(self.hosts_dir, key)
                continue
            try:
                sos = host.call({'op': 'list'})['sos']
            except (protocol.HostError, KeyError) as exc:
                LOG.warning('shared SO host %s (pid %d) does not answer: '
                            '%s', key, host.pid, exc)
                continue
            for app_id, so in sorted(sos.items()):
                ref = refs.get(app_id) or {}
                if (ref.get('host') == key and
                        ref.get('host_pid') == host.pid and
                        ref.get('port') == so.get('port')):
                    continue
                LOG.info('stopping orphan SO of app %s in shared SO host '
                         '%s (pid %d): no app record names it', app_id, key,
                         host.pid)
                try:
                    host.call({'op': 'stop', 'app': app_id})
                except protocol.HostError as exc:
                    LOG.warning('cannot stop orphan SO of app %s: %s',
                                app_id, exc)
