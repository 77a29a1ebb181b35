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
"""The OCCI categories Hurtle serves as PySSF objects
(doc/source/contributor/architecture.rst).

Attribute flags follow PySSF: ``'required'``, ``'immutable'`` or
``'mutable'``.  A kind with ``extensible = True`` accepts attributes it
does not declare (the SO's ``orchestrator`` kind: the SM passes free-form
service parameters to it); other kinds reject undeclared attributes with
400.
"""

from occi import core_model

CORE_RESOURCE = core_model.Resource.kind
CORE_LINK = core_model.Link.kind

#: Attributes every Hurtle resource kind declares (OCCI Core, GFD.184 5.4).
CORE_ATTRIBUTES = {
    'occi.core.id': 'immutable',
    'occi.core.title': 'mutable',
    'occi.core.summary': 'mutable',
}

SO_SCHEME = 'http://schemas.mobile-cloud-networking.eu/occi/service#'

DEPLOY = core_model.Action(SO_SCHEME, 'deploy', title='Deploy the service')
PROVISION = core_model.Action(SO_SCHEME, 'provision',
                              title='Provision the service')
#: An alarm on the instance's resources fired; the CC's monitoring service
#: sends it with ``hurtle.alarm.name``, ``hurtle.alarm.state`` and
#: ``hurtle.alarm.reason``.
NOTIFY = core_model.Action(SO_SCHEME, 'notify',
                           title='Notify the SO of an alarm')

ORCHESTRATOR = core_model.Kind(
    SO_SCHEME, 'orchestrator', related=[CORE_RESOURCE],
    actions=[DEPLOY, PROVISION, NOTIFY], title='Service Orchestrator',
    attributes=dict(CORE_ATTRIBUTES, **{
        'occi.mcn.stack.state': 'immutable',
        'occi.mcn.stack.id': 'immutable',
    }),
    location='/orchestrator/')
ORCHESTRATOR.extensible = True

APP_SCHEME = 'http://schemas.ogf.org/occi/platform#'
APP_ACTION_SCHEME = 'http://schemas.ogf.org/occi/platform/app/action#'

APP_START = core_model.Action(APP_ACTION_SCHEME, 'start',
                              title='Start the application')
APP_STOP = core_model.Action(APP_ACTION_SCHEME, 'stop',
                             title='Stop the application')

APP = core_model.Kind(
    APP_SCHEME, 'app', related=[CORE_RESOURCE], actions=[APP_START, APP_STOP],
    title='Application (a Service Orchestrator)',
    attributes=dict(CORE_ATTRIBUTES, **{
        'occi.app.name': 'required',
        'occi.app.image': 'required',
        'occi.app.env': 'mutable',
        'occi.app.state': 'immutable',
        'occi.app.url': 'immutable',
    }),
    location='/app/')

#: Attributes Hurtle sets on every service instance
#: (doc/source/user/occi-api.rst).
CC_SCHEME = 'http://schemas.hurtle.it/occi/cc#'

#: A stack of resources the CC deploys for an SO (hurtle.cc.stacks).
STACK = core_model.Kind(
    CC_SCHEME, 'stack', related=[CORE_RESOURCE],
    title='Stack of resources (deployed by the CC for an SO)',
    attributes=dict(CORE_ATTRIBUTES, **{
        'hurtle.stack.template': 'mutable',
        'hurtle.stack.parameters': 'mutable',
        'hurtle.stack.files': 'mutable',
        'hurtle.stack.environment': 'mutable',
        'hurtle.stack.region': 'mutable',
        'hurtle.stack.state': 'immutable',
        'hurtle.stack.outputs': 'immutable',
        'hurtle.stack.reason': 'immutable',
        'hurtle.stack.id': 'immutable',
        'hurtle.stack.deleted': 'immutable',
    }),
    location='/stack/')

#: A service type and the SM serving it (the CC's design service,
#: hurtle.cc.design); read-only.
SERVICE = core_model.Kind(
    CC_SCHEME, 'service', related=[CORE_RESOURCE],
    title='Service type and the SM serving it (the CC\'s design service)',
    attributes=dict(CORE_ATTRIBUTES, **{
        'hurtle.service.type': 'immutable',
        'hurtle.service.endpoint': 'immutable',
        'hurtle.service.region': 'immutable',
        'hurtle.service.interface': 'immutable',
        'hurtle.service.source': 'immutable',
    }),
    location='/service/')

SERVICE_INSTANCE_ATTRIBUTES = dict(CORE_ATTRIBUTES, **{
    'mcn.service.state': 'immutable',
    'mcn.service.state.reason': 'immutable',
    'occi.so.url': 'immutable',
    'occi.mcn.stack.state': 'immutable',
    'occi.mcn.stack.id': 'immutable',
})

_FLAGS = {'': 'mutable', None: 'mutable', 'mutable': 'mutable',
          'immutable': 'immutable', 'required': 'required'}


def split_type(service_type):
    """Split ``'<scheme>#<term>'`` into ``(scheme_with_hash, term)``.

    :raises ValueError: no ``#``, or an empty scheme or term.
    """
    scheme, sep, term = str(service_type).rpartition('#')
    if not sep or not scheme or not term:
        raise ValueError('service type %r is not <scheme>#<term>'
                         % service_type)
    return scheme + '#', term


def service_kind(service_type, title='', attributes=None, actions=None):
    """Build the OCCI kind of a Hurtle service from its manifest fields.

    :param service_type: ``'<scheme>#<term>'`` (manifest ``service_type``).
    :param title: the kind's title (manifest ``service_description``).
    :param attributes: ``{name: 'immutable' | 'required' | ''}`` (manifest
        ``service_attributes``; ``''`` means mutable).
    :param actions: optional list of :class:`occi.core_model.Action`.
    :returns: :class:`occi.core_model.Kind` at location ``/<term>/``,
        related to OCCI core resource, declaring the given attributes plus
        :data:`SERVICE_INSTANCE_ATTRIBUTES`.
    :raises ValueError: bad ``service_type`` or attribute flag.
    """
    scheme, term = split_type(service_type)
    attrs = dict(SERVICE_INSTANCE_ATTRIBUTES)
    for name, flag in (attributes or {}).items():
        if flag not in _FLAGS:
            raise ValueError('attribute %s: flag must be "immutable", '
                             '"required" or "", not %r' % (name, flag))
        attrs[name] = _FLAGS[flag]
    return core_model.Kind(scheme, term, related=[CORE_RESOURCE],
                           actions=list(actions or []), title=title or '',
                           attributes=attrs, location='/%s/' % term)
