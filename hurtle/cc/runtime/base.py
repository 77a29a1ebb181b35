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
"""The runtime driver interface: deploys and removes SOs.

Drivers are entry points in ``hurtle.cc.runtime`` (setup.cfg: ``local``,
``kubernetes``) chosen by ``[cc] runtime``; each gets ``conf`` (the
oslo.config object) on construction. An unknown name stops start-up with
the list of the installed ones (:func:`load`).
"""
import abc
import collections

from hurtle.conf import cc as cc_conf
from hurtle import drivers

NAMESPACE = 'hurtle.cc.runtime'


class RuntimeError_(Exception):
    """An SO could not be started or stopped; ``str()`` says why."""


class SOExited(RuntimeError_):
    """The SO process ended (it exited, or was killed) after it was
    started and before it answered: a start worth trying again (the
    process is gone, and so are its pid and port files); ``str()`` says
    how it ended and where its log is."""


#: What :meth:`Runtime.status` returns. ``state``: ``'active'`` (the SO
#: serves), ``'starting'`` (deployed, not ready yet) or ``'error'`` (gone,
#: or not ready after having been); ``restarts``: how many times the
#: runtime itself restarted the SO (0 for runtimes that never do).
Status = collections.namedtuple('Status', ['state', 'restarts'])


def so_environment(conf, app_id, env):
    """The environment every runtime gives the SO of app ``app_id``:
    ``env`` (the app's ``occi.app.env``, dict of str) plus
    ``HURTLE_APP_ID`` (the app id, which the SO sends as
    ``X-Hurtle-App-Id``) and ``HURTLE_CC_URL`` (``[cc] url``, see
    ``hurtle.conf.cc.url``): with these and ``HURTLE_SO_SECRET`` the
    default ``cc`` deployer of the SO reaches the CC's ``stack`` kind.

    :returns: a new dict of str.
    """
    result = {str(k): str(v) for k, v in env.items()}
    result.update({'HURTLE_APP_ID': str(app_id),
                   'HURTLE_CC_URL': cc_conf.url(conf)})
    return result


class Runtime(abc.ABC):
    """Starts and stops SOs."""

    #: True when the runtime restarts a dead or hung SO by itself
    #: (Kubernetes restarts crashed containers, and those failing their
    #: liveness probe): the CC's own recovery and liveness probe must
    #: then leave the SO alone, or a second SO would run for one app.
    self_healing = False

    @abc.abstractmethod
    def start(self, app_id, image, env):
        """Start the SO ``image`` with environment ``env`` (dict of str,
        the app's ``occi.app.env``) completed by :func:`so_environment`.

        :returns: ``(url, ref)``: the SO API's base URL and a JSON-able
            reference the driver needs to stop it later.
        :raises RuntimeError_: the SO did not come up; says why.
        """

    @abc.abstractmethod
    def stop(self, ref):
        """Stop the SO identified by ``ref``; an SO already gone is fine.

        :raises RuntimeError_: the SO could not be stopped; says why (the
            CC answers 409 with it).
        """

    def kill(self, ref):
        """End the SO identified by ``ref`` at once, without the grace
        :meth:`stop` gives: it runs but does not answer (the watcher's
        liveness probe, ``[cc] so_liveness_failures``), or it is dead and
        about to be started again. An SO already gone is fine.

        The default is :meth:`stop`.

        :raises RuntimeError_: as :meth:`stop`.
        """
        self.stop(ref)

    def liveness_url(self, ref):
        """The base URL of the SO API of ``ref`` that the watcher probes
        (``GET <url>-/``), or None: not probed.

        The default is the ``url`` of a dict ``ref`` (the ``local`` and
        ``shared`` references hold the URL :meth:`start` returned).
        """
        url = ref.get('url') if isinstance(ref, dict) else None
        return url if isinstance(url, str) and url else None

    def begin_stop(self, ref):
        """Begin stopping the SO identified by ``ref`` (the CC's DELETE of
        an app answers after this): True when the SO may still be
        exiting and a :meth:`stop` of ``ref`` must follow to finish
        (wait for it, force it, remove what is kept of it), False when
        the SO is stopped already.

        The default stops it at once (:meth:`stop`) and returns False: a
        runtime whose stop is one request (``kubernetes``) has nothing
        to leave for later.

        :raises RuntimeError_: as :meth:`stop` (nothing was signalled).
        """
        self.stop(ref)
        return False

    def await_restart(self, ref):
        """Wait for the runtime's own restart of the SO of ``ref`` (a
        :attr:`self_healing` runtime; the CC's ``start`` of an app whose
        SO is down but deployed): True once it serves again, False if it
        does not within ``[cc] so_start_timeout`` seconds or is gone.

        The default returns False at once: a runtime that is not
        self-healing restarts nothing by itself.
        """
        return False

    @abc.abstractmethod
    def is_running(self, ref):
        """Return True if the SO identified by ``ref`` still runs.

        Cheap enough to be called every ``[cc] watch_interval`` seconds
        for every active app (the CC's watcher does).
        """

    @abc.abstractmethod
    def stop_all(self):
        """Stop every SO this driver instance started or adopted
        (:meth:`reconcile`) (CC shutdown).

        Drivers whose SOs outlive the CC (containers) may do nothing.
        """

    def prepare(self):
        """Make ready what the first :meth:`start` would otherwise wait
        for (CC start-up, after :meth:`reconcile`, on a thread of its
        own while the CC already serves). Failures are logged, never
        raised: :meth:`start` tries again when it needs it.

        The default does nothing.
        """

    def reconcile(self, refs):
        """Match the SOs left by an earlier CC process with the app
        records (CC start-up, before the SOs of dead apps are started
        again): adopt the recorded SOs that still run, so
        :meth:`stop_all` stops them too, and stop the SOs no record names.

        :param refs: ``{app_id: ref}`` of every app record; ``ref`` as
            :meth:`start` returned it, or None (a stopped app).

        The default does nothing: right for runtimes whose SOs outlive
        the CC and that find them by the instance label (``kubernetes``).
        """

    def forget(self, app_id):
        """The app ``app_id`` is deleted (its SO stopped): remove what the
        runtime keeps of it for a restarted SO, such as the SO's state
        file, so that a later app with the same id starts afresh.

        The default does nothing: right where that state goes with the
        SO (a pod's volume).
        """

    def prune(self, known):
        """Remove what the runtime still keeps of deleted apps and may
        drop now (the ``local`` runtime: SO logs older than ``[cc]
        so_log_keep_days``); ``known`` are the ids of the apps the CC
        records. Called by the watcher about once an hour.

        The default does nothing: right for runtimes that keep nothing
        of a deleted app (a pod's logs go with the pod).
        """

    def status(self, ref):
        """Return the :data:`Status` of the SO identified by ``ref``.

        The default derives it from :meth:`is_running` (no restarts);
        self-healing runtimes read it from their orchestrator.
        """
        return Status('active' if self.is_running(ref) else 'error', 0)


def load(name, conf):
    """Instantiate runtime driver ``name`` with ``conf``.

    :raises RuntimeError: no such driver (the message lists the installed
        ones) or it cannot be loaded (see ``hurtle.drivers.load``).
    """
    return drivers.load(NAMESPACE, name, '[cc] runtime', conf=conf)
