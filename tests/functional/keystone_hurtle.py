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
"""Hurtle in Keystone mode against a real Keystone
(:class:`tests.keystone_fixture.Keystone`): its hurtle.conf text
(:func:`hurtle_conf`), its catalog entries (:func:`add_catalog`) and the
credentials of a project's member (:class:`Members`).

Hurtle's APIs check tokens (``[DEFAULT] auth_strategy = keystone``,
keystonemiddleware with ``[keystone_authtoken]``) and the SM calls the CC
with a token of ``[service_credentials]``. With ``heat=True`` the embedded
Heat checks tokens too (``[embedded_heat] auth_strategy = keystone``,
Heat's trusts, the accounts of ``Keystone.add_heat_accounts``) and the SOs
deploy to it with the user's trust (``[deployer] auth_strategy =
keystone``, Heat found in the catalog); otherwise it stays noauth.
"""
from heatclient.v1 import client as heat_v1

from tests import keystone_fixture

#: ``[keystone_authtoken] token_cache_time`` of the Hurtle under test.
TOKEN_CACHE_TIME = 2

#: Hurtle's service user, as ``[keystone_authtoken]`` and
#: ``[service_credentials]`` give it.
SERVICE_USER_CONF = """auth_type = password
auth_url = {url}
username = {user}
password = {password}
user_domain_id = default
project_name = service
project_domain_id = default
"""

KEYSTONE_CONF = ("""
[DEFAULT]
auth_strategy = keystone

[keystone_authtoken]
www_authenticate_uri = {url}
token_cache_time = {cache_time}
""" + SERVICE_USER_CONF + """
[service_credentials]
""" + SERVICE_USER_CONF)

NOAUTH_HEAT_CONF = """
[deployer]
auth_strategy = noauth
"""

HEAT_CONF = """
[deployer]
auth_strategy = keystone

[embedded_heat]
auth_strategy = keystone
trustee_username = {heat_user}
trustee_password = {password}
stack_domain_admin_password = {password}
"""

#: The user acting for each project (its member; the admin; Hurtle's
#: service user for ``service``, the project of the CC's apps).
MEMBERS = {'demo': 'demo', 'alt_demo': 'alt_demo', 'admin': 'admin',
           'service': keystone_fixture.SERVICE_USER}


def hurtle_conf(keystone, cache_time=TOKEN_CACHE_TIME, heat=False):
    """The hurtle.conf text of Keystone mode against ``keystone``; with
    ``heat``, the embedded Heat checks tokens (``keystone`` must have
    Heat's accounts)."""
    text = KEYSTONE_CONF.format(
        url=keystone.url, user=keystone_fixture.SERVICE_USER,
        password=keystone_fixture.PASSWORD, cache_time=cache_time)
    if not heat:
        return text + NOAUTH_HEAT_CONF
    return text + HEAT_CONF.format(heat_user=keystone_fixture.HEAT_USER,
                                   password=keystone_fixture.PASSWORD)


def add_catalog(keystone, hurtle):
    """Heat, the CC and the SM of ``hurtle`` (a running
    ``hurtle_fixture.HurtleAll``) in ``keystone``'s catalog, the way
    devstack's plugin registers them."""
    keystone.add_service('heat', 'orchestration',
                         hurtle.heat_url + '/v1/%(tenant_id)s')
    keystone.add_service('hurtle-cc', 'cloud-controller', hurtle.cc_url)
    keystone.add_service('hurtle-sm', 'service-manager', hurtle.sm_url)


def heat_client(session):
    """python-heatclient with a keystoneauth1 ``session`` (Heat from the
    catalog, public interface)."""
    return heat_v1.Client(session=session, service_type='orchestration',
                          interface='public')


class Members(object):
    """Sessions of the user acting for each project of :data:`MEMBERS`
    (one keystoneauth1 session each, so a token is fetched once and
    renewed when it nears its expiry)."""

    def __init__(self, keystone):
        self.keystone = keystone
        self._sessions = {}

    def session(self, project):
        """The keystoneauth1 session of ``project``'s user.

        :raises KeyError: ``project`` is not in :data:`MEMBERS`.
        """
        if project not in self._sessions:
            self._sessions[project] = self.keystone.session(
                MEMBERS[project], project)
        return self._sessions[project]

    def headers(self, project):
        """``{'X-Auth-Token': <token of project's user>}``."""
        return {'X-Auth-Token': self.session(project).get_token()}

    def heat(self, project):
        """python-heatclient as ``project``'s user (:func:`heat_client`)."""
        return heat_client(self.session(project))
