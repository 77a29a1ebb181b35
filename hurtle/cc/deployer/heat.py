"""The Heat deployer: stacks on Hurtle's embedded Heat or an OpenStack Heat.

With ``[DEFAULT] auth_strategy = noauth`` it talks to a noauth Heat at
``[cc] heat_url`` (python-heatclient over a keystoneauth1 noauth session,
see ``hurtle.cc.embedded_heat.client``); with ``keystone`` it authenticates
with the ``[service_credentials]`` and finds Heat in the service catalog
(``orchestration``) unless ``[cc] heat_url`` is set explicitly.
"""
from heatclient import exc as heat_exc
from heatclient.v1 import client as heat_v1
from keystoneauth1 import exceptions as ks_exc

from hurtle.cc.embedded_heat import client as noauth_client
from hurtle.conf import service_credentials
from hurtle.sdk import deployer as deployer_api


def _outputs(stack):
    outputs = {}
    for output in getattr(stack, 'outputs', None) or []:
        if 'output_error' in output:
            continue
        outputs[output['output_key']] = output.get('output_value')
    return outputs


def heat_message(exc):
    """The sentence Heat gave for a refused request (not the JSON body)."""
    error = getattr(exc, 'error', None)
    if isinstance(error, dict):
        inner = error.get('error')
        message = (inner.get('message') if isinstance(inner, dict)
                   else None) or error.get('explanation')
        if message:
            return str(message).strip()
    return str(exc)


class HeatDeployer(deployer_api.Deployer):
    """``hurtle.sdk.Deployer`` over the Heat orchestration API v1."""

    def __init__(self, conf, project):
        self.project = project
        if conf.auth_strategy == 'keystone':
            session = service_credentials.load_session(conf)
            endpoint = None
            if conf.cc.heat_url and '%(project)s' not in conf.cc.heat_url:
                endpoint = conf.cc.heat_url
            self.client = heat_v1.Client(session=session,
                                         endpoint_override=endpoint,
                                         service_type='orchestration')
        else:
            project = conf.cc.heat_project
            endpoint = conf.cc.heat_url % {'project': project}
            self.client = noauth_client.heat_client(
                endpoint, project=project, user=conf.cc.heat_user,
                verify=not conf.cc.insecure)

    def _call(self, what, func, *args, **kwargs):
        try:
            return func(*args, **kwargs)
        except heat_exc.HTTPException as exc:
            raise deployer_api.DeployerError(
                '%s: Heat answered %s: %s'
                % (what, exc.code, heat_message(exc)))
        except ks_exc.ClientException as exc:
            raise deployer_api.DeployerError('%s: %s' % (what, exc))

    def deploy(self, name, template, parameters=None):
        body = self._call('create stack %s' % name, self.client.stacks.create,
                          stack_name=name, template=template,
                          parameters=parameters or {})
        return body['stack']['id']

    def update(self, stack_id, template=None, parameters=None):
        fields = {'parameters': parameters or {}}
        if template is None:
            fields['existing'] = True
        else:
            fields['template'] = template
        self._call('update stack %s' % stack_id, self.client.stacks.update,
                   stack_id, **fields)

    def details(self, stack_id):
        stack = self._call('get stack %s' % stack_id, self.client.stacks.get,
                           stack_id)
        status = stack.stack_status
        return deployer_api.StackDetails(
            id=stack.id, status=status,
            reason=stack.stack_status_reason or '',
            outputs=_outputs(stack) if status.endswith('_COMPLETE') else {})

    def dispose(self, stack_id):
        try:
            self.client.stacks.delete(stack_id)
        except heat_exc.HTTPNotFound:
            return
        except (heat_exc.HTTPException, ks_exc.ClientException) as exc:
            raise deployer_api.DeployerError(
                'delete stack %s: %s' % (stack_id, exc))

    def is_gone(self, stack_id):
        try:
            stack = self.client.stacks.get(stack_id)
        except heat_exc.HTTPNotFound:
            return True
        except (heat_exc.HTTPException, ks_exc.ClientException) as exc:
            raise deployer_api.DeployerError(
                'get stack %s: %s' % (stack_id, exc))
        return stack.stack_status == 'DELETE_COMPLETE'
