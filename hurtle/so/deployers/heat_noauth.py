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
"""python-heatclient for a Heat API running with ``flavor = noauth``.

Heat's noauth middleware (``heat.common.noauth``) takes the user from the
``X-Auth-User`` header and the project from ``X-Auth-Project`` and gives
the request the ``admin`` role. The project in the URL must be the same
project (``/v1/<project>/stacks``), so the endpoint is
``http://<host>:<port>/v1/<project>``.

The embedded Heat answers 401 unless the caller sends Hurtle's local
secret (:mod:`hurtle.local_secret`, ``<state_path>/local_secret``) as
``X-Auth-Token``; pass it as ``token``. Recipe (what :func:`heat_client`
does)::

    from heatclient.v1 import client as heat_v1
    from keystoneauth1 import session
    from keystoneauth1 import token_endpoint

    from hurtle import local_secret

    endpoint = 'http://127.0.0.1:8004/v1/admin'
    sess = session.Session(
        auth=token_endpoint.Token(
            endpoint, local_secret.load_or_create(state_path)),
        additional_headers={'X-Auth-User': 'admin',
                            'X-Auth-Project': 'admin'})
    heat = heat_v1.Client(session=sess, endpoint_override=endpoint)
    heat.stacks.list()

(Without a token, ``keystoneauth1.noauth.NoAuth`` sends a dummy
``X-Auth-Token``: fine for a plain noauth Heat, 401 on the embedded one.
``additional_headers`` cannot carry the token: the auth plugin's
``X-Auth-Token`` wins.)
"""
from heatclient.v1 import client as heat_v1
from keystoneauth1 import noauth
from keystoneauth1 import session as ks_session
from keystoneauth1 import token_endpoint


def endpoint_for(api_url, project='admin'):
    """Return the v1 endpoint of ``project`` on the Heat API at ``api_url``.

    :param api_url: root URL of the Heat API, e.g. ``http://127.0.0.1:8004``
        (a trailing ``/`` is ignored).
    :param project: project name used by the noauth pipeline.
    :returns: e.g. ``http://127.0.0.1:8004/v1/admin``.
    """
    return '%s/v1/%s' % (api_url.rstrip('/'), project)


#: Seconds a request to a noauth Heat may take (the CC's calls to Heat).
TIMEOUT = 30


def heat_client(endpoint, project='admin', user='admin', timeout=TIMEOUT,
                verify=True, token=None, http_session=None):
    """Build a python-heatclient v1 client for a noauth Heat API.

    :param endpoint: the v1 endpoint *including* the project,
        e.g. ``http://127.0.0.1:8004/v1/admin`` (see :func:`endpoint_for`).
        Its project segment must equal ``project``.
    :param project: sent as ``X-Auth-Project``.
    :param user: sent as ``X-Auth-User``.
    :param timeout: HTTP timeout per request, in seconds.
    :param verify: TLS verification (bool or CA bundle path) for https
        endpoints; on by default.
    :param token: sent as ``X-Auth-Token``: the local secret for the
        embedded Heat (``hurtle.local_secret.load_or_create``); None sends
        keystoneauth1's dummy noauth token.
    :param http_session: the :class:`requests.Session` to send with
        (None: keystoneauth1 makes one).
    :returns: :class:`heatclient.v1.client.Client`; its calls raise
        ``heatclient.exc.HTTPException`` subclasses on 4xx/5xx and
        ``keystoneauth1.exceptions.ConnectFailure`` when nothing listens.
    """
    auth = (noauth.NoAuth() if token is None
            else token_endpoint.Token(endpoint, token))
    sess = ks_session.Session(
        auth=auth,
        session=http_session,
        timeout=timeout,
        verify=verify,
        additional_headers={'X-Auth-User': user,
                            'X-Auth-Project': project})
    return heat_v1.Client(session=sess, endpoint_override=endpoint)
