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
"""Deleting the Keystone trust of an instance, shared by the SM and the CC.

An instance's trust (``hurtle.sm.trusts``: from its user to the
``[service_credentials]`` user) is deleted once nothing needs it: by the
SM when it disposes of the instance, or by the CC when the CC kept it
for stacks Heat may make after the instance's app was deleted
(``hurtle.cc.kept_trusts``; the CC's ``DELETE /app/<id>`` then answers
:data:`KEPT_HEADER`). Either deletes it with a token of the trust
itself, which acts as the trustor (Keystone's ``identity:delete_trust``
allows that); Keystone's v3 API is found in the catalog on
``[service_credentials] interface``.
"""
import logging

from keystoneauth1 import exceptions as ks_exc

from hurtle.conf import service_credentials

LOG = logging.getLogger(__name__)

#: Header of the CC's answer to ``DELETE /app/<id>`` (200, or 404 when
#: the app is gone already): the trust ids (comma separated) whose
#: deletion the CC took over for that app; the SM then does not delete
#: them. Older SMs ignore it.
KEPT_HEADER = 'X-Hurtle-Trust-Kept'


class TrustError(Exception):
    """Keystone refused, or could not be asked, about a trust.

    :ivar status: Keystone's HTTP status (None: not reached).
    """

    def __init__(self, message, status=None):
        super().__init__(message)
        self.status = status


def identity(conf):
    """The endpoint filter of Keystone's v3 API on ``[service_credentials]
    interface``."""
    return {'service_type': 'identity',
            'interface': service_credentials.interface(conf),
            'version': (3, 0)}


def no_endpoint(conf):
    """The :class:`TrustError` (503) of a catalog without Keystone's v3
    API on ``[service_credentials] interface`` (logged)."""
    message = service_credentials.missing_endpoint(conf, 'identity')
    LOG.warning('Cannot reach Keystone for trusts: %s', message)
    return TrustError(message, 503)


def message(resp):
    """Keystone's error message in ``resp`` (else its status line)."""
    try:
        return resp.json()['error']['message']
    except (ValueError, KeyError, TypeError):
        return '%d %s' % (resp.status_code, resp.reason)


def delete(conf, trust_id):
    """Delete the trust ``trust_id`` (with a token of that trust, which
    acts as the trustor). A trust that is gone already (Keystone answers
    404, or gives no token of it) is no error.

    :raises TrustError: Keystone refused, is unreachable or has no
        identity endpoint on ``[service_credentials] interface``: the
        caller keeps what it records of the trust and tries again.
    """
    session = service_credentials.load_trust_session(conf, trust_id)
    try:
        resp = session.delete('/OS-TRUST/trusts/%s' % trust_id,
                              endpoint_filter=identity(conf),
                              raise_exc=False)
    except ks_exc.EndpointNotFound:
        raise no_endpoint(conf)
    except ks_exc.Unauthorized:
        # The trust (or its trustor) is gone: no token can be had.
        LOG.info('Trust %s is gone already', trust_id)
        return
    except ks_exc.ClientException as exc:
        raise TrustError('cannot delete the trust: %s: %s'
                         % (type(exc).__name__, exc))
    if resp.status_code in (204, 404):
        LOG.info('Trust %s deleted', trust_id)
        return
    raise TrustError('Keystone refused to delete the trust: %s'
                     % message(resp), resp.status_code)


def kept_in(headers):
    """The trust ids a CC's answer says it keeps (:data:`KEPT_HEADER` of
    ``headers``, a case-insensitive mapping such as a ``requests``
    response's, or None): a set of str, empty without the header."""
    value = (headers or {}).get(KEPT_HEADER) or ''
    return {part.strip() for part in value.split(',') if part.strip()}
