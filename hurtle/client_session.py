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
"""keystoneauth1 sessions for the OpenStack services Hurtle's drivers call
(alarming, monitoring, DNS).

With ``[DEFAULT] auth_strategy = keystone`` the session authenticates
with ``[service_credentials]`` and the endpoint comes from the Keystone
catalog unless a driver's ``endpoint`` option names one. With ``noauth``
(the embedded default, or a service run with noauth pipelines) the
driver's ``endpoint`` is required, a token (``'noauth'`` unless given)
is sent as ``X-Auth-Token``, and the identity headers OpenStack services
read in their noauth modes: ``X-Project-Id`` (``[DEFAULT]
noauth_default_project``), ``X-User-Id`` (``hurtle``) and ``X-Roles``
(``admin``).

Every request has a timeout: ``[service_credentials] timeout`` (seconds)
when set, else ``hurtle.conf.service_credentials.DEFAULT_TIMEOUT``
(keystoneauth1 would wait forever on a service that accepts the
connection and never answers; ``service_credentials.timeout``).
"""
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint

from hurtle.conf import service_credentials


def load(conf, endpoint, what, insecure=False, token=None):
    """Return ``(session, endpoint_override)`` for a service client.

    :param endpoint: the service's URL from the driver's options ('' or
        None: from the catalog, Keystone mode only).
    :param what: the option that holds the endpoint, for messages
        (``'[monitoring] endpoint'``).
    :raises RuntimeError: noauth mode and no endpoint.
    """
    # An SO process leaves the group out of its start-up
    # (hurtle.conf.SERVER_ONLY): registered by what reads it.
    service_credentials.register_opts(conf)
    if conf.auth_strategy == 'keystone':
        session = service_credentials.load_session(conf)
        if insecure:
            session.verify = False
        return session, endpoint or None
    if not endpoint:
        raise RuntimeError('%s must be set when auth_strategy is noauth'
                           % what)
    session = ks_session.Session(
        auth=token_endpoint.Token(endpoint, token or 'noauth'),
        verify=not insecure, timeout=service_credentials.timeout(conf),
        additional_headers={'X-Project-Id': conf.noauth_default_project,
                            'X-User-Id': 'hurtle', 'X-Roles': 'admin'})
    return session, endpoint
