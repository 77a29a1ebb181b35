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
"""The CC's runtime module: monitoring drivers (entry point group
``hurtle.cc.monitoring``, chosen by ``[monitoring] driver``), the alarm
webhooks, and the monitoring service SOs call (:mod:`.service`)."""
from hurtle.cc.monitoring import base
from hurtle import drivers


def load(conf):
    """Instantiate ``[monitoring] driver``.

    :raises hurtle.drivers.UnknownDriver: not installed (the message
        lists the installed ones).
    :raises RuntimeError: it failed to start (e.g. client library
        missing).
    """
    return drivers.load(base.NAMESPACE, conf.monitoring.driver,
                        '[monitoring] driver', conf=conf)
