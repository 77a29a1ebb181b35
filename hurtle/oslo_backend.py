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
"""oslo.service's threading backend for Hurtle's processes.

oslo.messaging imports ``oslo_service.service``, which selects
oslo.service's eventlet backend unless one was selected before. Hurtle's
processes use threads and never patch with eventlet: call
:func:`select_threading` before the first import of oslo.messaging (the
embedded Heat, the CC's Heat notification listener).
"""
import warnings


def select_threading():
    """Select oslo.service's threading backend (no-op when it is).

    :raises oslo_service.backend.exceptions.BackendAlreadySelected:
        another backend was selected first.
    """
    # futurist imports eventlet when it is installed (oslo.service depends
    # on it) and eventlet warns on import; nothing here uses or patches it.
    warnings.filterwarnings('ignore', message=r'\s*Eventlet is deprecated')
    from oslo_service import backend
    backend.init_backend(backend.BackendType.THREADING)
