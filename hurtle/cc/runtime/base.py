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

Drivers are entry points in ``hurtle.cc.runtime`` chosen by
``[cc] runtime``; each gets ``conf`` (the oslo.config object) on
construction.
"""
import abc

from stevedore import driver

NAMESPACE = 'hurtle.cc.runtime'


class RuntimeError_(Exception):
    """An SO could not be started or stopped; ``str()`` says why."""


class Runtime(abc.ABC):
    """Starts and stops SOs."""

    @abc.abstractmethod
    def start(self, app_id, image, env):
        """Start the SO ``image`` with environment ``env`` (dict of str).

        :returns: ``(url, ref)``: the SO API's base URL and a JSON-able
            reference the driver needs to stop it later.
        :raises RuntimeError_: the SO did not come up; says why.
        """

    @abc.abstractmethod
    def stop(self, ref):
        """Stop the SO identified by ``ref``; an SO already gone is fine."""

    @abc.abstractmethod
    def is_running(self, ref):
        """Return True if the SO identified by ``ref`` still runs.

        Cheap enough to be called every ``[cc] watch_interval`` seconds
        for every active app (the CC's watcher does).
        """

    @abc.abstractmethod
    def stop_all(self):
        """Stop every SO this driver instance started (CC shutdown).

        Drivers whose SOs outlive the CC (containers) may do nothing.
        """


def load(name, conf):
    """Instantiate runtime driver ``name``; RuntimeError if missing."""
    try:
        return driver.DriverManager(NAMESPACE, name, invoke_on_load=True,
                                    invoke_kwds={'conf': conf}).driver
    except Exception as exc:  # NoMatches, import errors
        raise RuntimeError('cannot load runtime driver %r: %s' % (name, exc))
