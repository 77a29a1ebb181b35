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
"""One SO instance's WSGI application, built from the environment the CC
gives it (``HURTLE_*``, see :mod:`hurtle.cmd.so`).

Used by ``hurtle-so`` (one SO per process, the environment is the
process's) and by the shared SO host (:mod:`hurtle.so.host`, many SOs
per process, each with the environment the CC sent for it): nothing here
reads ``os.environ``.
"""
import json
import os

from hurtle.conf import deployer as deployer_conf
from hurtle.conf import monitoring as monitoring_conf
from hurtle.sdk import context as so_context
from hurtle.sdk import deployer as deployers
from hurtle.sdk import dns as sdk_dns
from hurtle.sdk import monitoring as sdk_monitoring
from hurtle.so import api as so_api
from hurtle.so.deployers import cc as cc_deployer
from hurtle.so import secret as so_secret


class InstanceError(Exception):
    """The environment cannot make an SO; ``str()`` says why (never the
    secret)."""


def _json_env(env, name):
    """The JSON object in ``env[name]`` ({} if unset).

    :raises InstanceError: it is not one (names the variable).
    """
    try:
        value = json.loads(env.get(name) or '{}')
    except ValueError:
        value = None
    if not isinstance(value, dict):
        raise InstanceError('%s is not a JSON object' % name)
    return value


def instance_id(env):
    """The instance id ``env`` names (``HURTLE_INSTANCE_ID``, default
    ``default``): it names the SO's state file."""
    return env.get('HURTLE_INSTANCE_ID') or 'default'


def state_file(conf, env):
    """``<state_path>/so/<instance id>.json``, the SO's state file."""
    return os.path.join(conf.state_path, 'so', '%s.json' % instance_id(env))


def build(conf, bundle_dir, so_class, env, log=None):
    """The WSGI application of one SO: the SO API of ``so_class``
    (restored from its state file if there is one) behind its secret
    check.

    :param conf: the oslo.config object (``state_path``, ``[deployer]``,
        ``[dns]``).
    :param bundle_dir: absolute path of the SO bundle.
    :param so_class: the bundle's ``hurtle.sdk.ServiceOrchestrator``.
    :param env: dict of str, the SO's ``HURTLE_*`` environment.
    :param log: the logger handed to the SO (``SOContext.log``); None:
        the context's default.
    :returns: the WSGI application.
    :raises InstanceError: no ``HURTLE_SO_SECRET``, a template variable
        that is not a JSON object, or a deployer/DNS driver that cannot be
        loaded (says which).
    """
    secret = env.get(so_secret.ENV_VAR, '')
    if not secret:
        raise InstanceError('%s is not set; an SO never serves without its '
                            'secret' % so_secret.ENV_VAR)
    instance = instance_id(env)
    project = env.get('HURTLE_PROJECT') or conf.deployer.heat_project
    templates = _json_env(env, 'HURTLE_SO_TEMPLATES')
    regions = _json_env(env, 'HURTLE_SO_REGIONS')
    trust_id = env.get('HURTLE_TRUST_ID')
    identity = None
    if deployer_conf.through_cc(conf):
        try:
            identity = cc_deployer.identity_from_env(env)
        except RuntimeError as exc:
            raise InstanceError(str(exc))
    try:
        deployer = deployers.load(conf, project, trust_id=trust_id,
                                  so_identity=identity)
        regional = {region: deployers.load(conf, project, trust_id=trust_id,
                                           so_identity=identity,
                                           region=region)
                    for region in regions}
        dns = sdk_dns.load(conf)
    except RuntimeError as exc:   # also an unknown driver name
        raise InstanceError(str(exc))
    # The CC's monitoring service, where the CC said it is (HURTLE_CC_URL,
    # [cc] url): an SO given only so.conf knows no [cc] host and port.
    cc_url = (env.get('HURTLE_CC_URL', '').rstrip('/') or
              monitoring_conf.webhook_base(conf))
    monitoring = sdk_monitoring.Monitoring(cc_url + '/monitoring',
                                           instance, secret)
    extra = {} if log is None else {'log': log}

    def factory():
        return so_class(so_context.SOContext(
            instance_id=instance, bundle_dir=bundle_dir,
            templates=templates, deployer=deployer, project=project,
            monitoring=monitoring, dns=dns, regions=regions,
            regional_deployers=regional, **extra))

    os.makedirs(os.path.join(conf.state_path, 'so'), exist_ok=True)
    return so_secret.SecretMiddleware(
        so_api.make_application(factory, state_file(conf, env)), secret)
