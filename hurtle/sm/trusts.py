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
"""Keystone trusts from the users to Hurtle's service user.

With ``[deployer] trusts`` and a Keystone deployer
(``hurtle.conf.deployer.uses_trusts``) the SM creates, while it answers
the create request of an instance, a trust (``POST
/v3/OS-TRUST/trusts``, authenticated by the request's own token):

* trustor: the user of the request, trustee: the ``[service_credentials]``
  user;
* the request's project and every role the token has there;
* ``impersonation``: a token of the trust acts as the user;
* ``allow_redelegation``: a Heat with ``deferred_auth_method = trusts``
  creates, from the token the SO sends it, its own trust to its service
  user; Keystone accepts that only as a redelegation of a trust that
  allows it (then the new trust is checked against this one: roles,
  expiry, ``[trust] max_redelegation_count``), otherwise the stack is
  refused with 403.

When the request's token is itself trust-scoped (a composed instance
creating a dependency with its own trust, ``hurtle.sm.peers``; Heat's
``Hurtle::Service::Instance`` acting with its stack trust), Keystone makes
the new trust a redelegation of that one (one less redelegation left).
Keystone's v3 API is found in the catalog on ``[service_credentials]
interface``.

Only the trust id is kept (in the instance's record, never rendered);
the SO deploys with it (``HURTLE_TRUST_ID``), so stacks land in the
user's project, and the SM deletes it once the instance is disposed,
with a token of the trust itself (it acts as the trustor, which Keystone's
``identity:delete_trust`` allows: ``hurtle.keystone_trusts.delete``),
unless the CC's answer to the delete of the instance's app says the CC
keeps it (``hurtle.keystone_trusts.KEPT_HEADER``: stacks Heat may still
make for the app, which the CC deletes with it; the CC deletes the trust
then). No user token is kept: later updates
and the delete do not need one.
"""
import logging

from keystoneauth1 import exceptions as ks_exc

from hurtle import keystone_trusts

LOG = logging.getLogger(__name__)

#: Where the trust id is kept: a key of the record's attributes that is
#: never rendered nor sent to the SO as an attribute.
ATTRIBUTE = 'hurtle.trust.id'

#: Keystone refused or could not create or delete a trust (``status``:
#: Keystone's HTTP status, None when not reached).
TrustError = keystone_trusts.TrustError
#: Delete a trust (``keystone_trusts.delete``).
delete = keystone_trusts.delete


def _header(environ, name):
    return environ.get('HTTP_' + name.upper().replace('-', '_'))


def create(conf, service_session, environ):
    """Create the trust of the request ``environ`` (keystonemiddleware's
    ``X-Auth-Token``, ``X-User-Id``, ``X-Project-Id``, ``X-Roles``).

    :param service_session: keystoneauth1 session of the
        ``[service_credentials]`` user (the trustee).
    :returns: the trust id (str).
    :raises TrustError: Keystone refused (its status and message), is
        unreachable (``status`` None) or has no identity endpoint on
        ``[service_credentials] interface`` (503, naming the option).
    """
    token = _header(environ, 'X-Auth-Token')
    user_id = _header(environ, 'X-User-Id')
    project_id = _header(environ, 'X-Project-Id')
    roles = [r.strip() for r in (_header(environ, 'X-Roles') or '').split(
        ',') if r.strip()]
    if not (token and user_id and project_id and roles):
        raise TrustError('the request has no project-scoped user token '
                         'to create a trust from', 400)
    try:
        trustee = service_session.get_user_id()
        resp = service_session.post(
            '/OS-TRUST/trusts',
            endpoint_filter=keystone_trusts.identity(conf),
            authenticated=False, raise_exc=False,
            headers={'X-Auth-Token': token},
            json={'trust': {'trustor_user_id': user_id,
                            'trustee_user_id': trustee,
                            'project_id': project_id,
                            'impersonation': True,
                            'allow_redelegation': True,
                            'roles': [{'name': r} for r in roles]}})
    except ks_exc.EndpointNotFound:
        raise keystone_trusts.no_endpoint(conf)
    except ks_exc.ClientException as exc:
        LOG.warning('Cannot create a trust: %s: %s', type(exc).__name__, exc)
        raise TrustError('Keystone cannot be reached to create the '
                         'trust (%s)' % type(exc).__name__)
    if resp.status_code != 201:
        raise TrustError('Keystone refused the trust: %s'
                         % keystone_trusts.message(resp), resp.status_code)
    trust_id = resp.json()['trust']['id']
    LOG.info('Trust %s created from user %s in project %s (roles %s)',
             trust_id, user_id, project_id, ','.join(roles))
    return trust_id
