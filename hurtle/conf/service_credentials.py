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
"""``[service_credentials]``: Keystone credentials of Hurtle's services.

Read only with ``[DEFAULT] auth_strategy = keystone``: the SM uses them to
call the CC, the SOs' Heat deployer to call Heat (found in the service
catalog as ``orchestration`` unless ``[deployer] heat_url`` names an
endpoint).
The options are keystoneauth1's own (``auth_type``, ``auth_url``,
``username``, ``password``, ``project_name``, ..., ``cafile``,
``insecure``, ``timeout``), and ``interface``: the catalog interface
(``public``, ``internal``, ``admin``; default ``public``, the only one
devstack registers Keystone on) of the endpoints found through these
credentials: Keystone's own (the SM's trusts, ``hurtle.sm.trusts``) and
Heat's (``orchestration``, the SOs' Heat deployer). A catalog without
that interface makes the requests that need it fail with a message
naming the option (:data:`MISSING_ENDPOINT`), 503 at the SM's API.

Every request of these sessions has a timeout: ``timeout`` (seconds) when
set, else :data:`DEFAULT_TIMEOUT` (:func:`timeout`). keystoneauth1 itself
has none: a service that accepts the connection and never answers (a
stopped Heat, a hung Keystone) held the caller for good, the CC's create
of a stack and every read of that stack with it.
"""
import copy

from keystoneauth1 import loading as ks_loading
from oslo_config import cfg

GROUP = 'service_credentials'

#: Seconds a request may take when ``[service_credentials] timeout`` is
#: not set (the same as the noauth Heat client's,
#: ``hurtle.so.deployers.heat_noauth.TIMEOUT``).
DEFAULT_TIMEOUT = 30.0

#: Message of a catalog lacking an endpoint on the configured interface:
#: ``MISSING_ENDPOINT % (service_type, interface)``.
MISSING_ENDPOINT = ('the Keystone catalog has no %s endpoint on the %r '
                    'interface; set [service_credentials] interface to one '
                    'it has (public, internal or admin)')

interface_opt = cfg.StrOpt(
    'interface', default='public', choices=['public', 'internal', 'admin'],
    help='Keystone catalog interface of the endpoints Hurtle finds with '
         'these credentials: the identity service (trusts) and Heat '
         '(orchestration). devstack registers Keystone on public only.')


def register_opts(conf):
    ks_loading.register_session_conf_options(conf, GROUP)
    ks_loading.register_auth_conf_options(conf, GROUP)
    conf.register_opt(interface_opt, group=GROUP)
    conf.set_default('timeout', DEFAULT_TIMEOUT, group=GROUP)


def _session_opts():
    """keystoneauth1's session options, ``timeout`` with Hurtle's
    default (:data:`DEFAULT_TIMEOUT`)."""
    opts = []
    for opt in ks_loading.get_session_conf_options():
        if opt.dest == 'timeout':
            opt = copy.deepcopy(opt)
            opt.default = DEFAULT_TIMEOUT
        opts.append(opt)
    return opts


def list_opts():
    opts = (_session_opts() +
            ks_loading.get_auth_common_conf_options() +
            ks_loading.get_auth_plugin_conf_options('password') +
            [interface_opt])
    return {GROUP: opts}


def interface(conf):
    """``[service_credentials] interface`` (``public`` when the group is
    not registered in ``conf``)."""
    try:
        return conf[GROUP].interface
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
        return interface_opt.default


def timeout(conf):
    """Seconds a request of these sessions may take (float):
    ``[service_credentials] timeout``, else :data:`DEFAULT_TIMEOUT` (also
    when the group is not registered in ``conf``)."""
    try:
        return conf[GROUP].timeout or DEFAULT_TIMEOUT
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
        return DEFAULT_TIMEOUT


def _session(conf, auth, session_kwargs):
    """The session of ``auth``, with :func:`timeout` unless
    ``session_kwargs`` gives one."""
    session_kwargs.setdefault('timeout', timeout(conf))
    return ks_loading.load_session_from_conf_options(conf, GROUP, auth=auth,
                                                     **session_kwargs)


def missing_endpoint(conf, service_type):
    """:data:`MISSING_ENDPOINT` for ``service_type`` and the configured
    interface."""
    return MISSING_ENDPOINT % (service_type, interface(conf))


def load_trust_session(conf, trust_id, **session_kwargs):
    """A keystoneauth1 session of the ``[service_credentials]`` user
    scoped to the trust ``trust_id`` (its tokens are trust-scoped: with
    an impersonating trust they act as the trustor in the trust's
    project). The configured project scope is left out (a token has one
    scope).

    :param session_kwargs: passed to
        ``keystoneauth1.session.Session`` (e.g. ``session``: the
        :class:`requests.Session` it sends with); its ``timeout`` is
        :func:`timeout` unless given.
    :raises keystoneauth1.exceptions.ClientException: incomplete or
        invalid credentials options.
    """
    unscoped = dict.fromkeys(('project_id', 'project_name',
                              'project_domain_id', 'project_domain_name',
                              'domain_id', 'domain_name',
                              'system_scope'))
    auth = ks_loading.load_auth_from_conf_options(
        conf, GROUP, trust_id=trust_id, **unscoped)
    return _session(conf, auth, session_kwargs)


def load_session(conf, **session_kwargs):
    """Return a keystoneauth1 session from ``[service_credentials]``.

    :param session_kwargs: passed to
        ``keystoneauth1.session.Session`` (e.g. ``session``: the
        :class:`requests.Session` it sends with); its ``timeout`` is
        :func:`timeout` unless given.
    :raises keystoneauth1.exceptions.ClientException: incomplete or
        invalid credentials options.
    """
    return _session(conf, ks_loading.load_auth_from_conf_options(conf, GROUP),
                    session_kwargs)
