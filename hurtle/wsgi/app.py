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
"""Loading Hurtle's OCCI APIs through Paste Deploy.

The pipelines are in ``api-paste.ini``, shipped in this package; an
``api-paste.ini`` next to a ``--config-file`` replaces it (an operator's
own copy). :func:`load_app` gives the
factories the process's ``conf`` through paste's ``global_conf``, as
aodh's ``load_app`` does, and returns what the application factory built
besides the WSGI application.

``pipeline_factory`` picks the pipeline named by ``[DEFAULT]
auth_strategy`` (``noauth`` or ``keystone``) from the composite section,
as OpenStack APIs do.
"""
import logging
import os

from paste.deploy import loadwsgi

LOG = logging.getLogger(__name__)

#: Module the factories lived in before Hurtle moved them here; a copy of
#: api-paste.ini naming it was written for that older Hurtle.
OLD_FACTORY_MODULE = 'hurtle.api.paste'

#: ``global_conf`` key of the ``ConfigOpts`` the factories build from; the
#: name is the one keystonemiddleware's ``auth_token`` takes a
#: ``ConfigOpts`` from, so it reads ``[keystone_authtoken]`` there too.
CONF_KEY = 'oslo_config_config'
#: ``global_conf`` key of the callable an application factory hands what
#: it built to (the SM's lifecycle, the CC's backend); only the
#: application factories get it.
BUILT_KEY = 'hurtle.built'
#: ``global_conf`` key of the pipeline's application itself, given to the
#: filter factories: ``so_auth`` sends authenticated SOs straight there.
APPLICATION_KEY = 'hurtle.application'
#: ``global_conf`` key of the CC's stack events hub
#: (``hurtle.cc.stack_events.Hub``), shared by the stack kind, which
#: waits on it, and ``/stack-events``, which feeds it.
STACK_EVENTS_KEY = 'hurtle.stack_events'

PASTE_FILE = 'api-paste.ini'
#: The pipelines installed with the package.
PACKAGED_PASTE = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                              PASTE_FILE)


def pipeline_factory(loader, global_conf, **local_conf):
    """Compose the pipeline for ``[DEFAULT] auth_strategy``."""
    conf = global_conf[CONF_KEY]
    pipeline = local_conf[conf.auth_strategy].split()
    app = loader.get_app(pipeline[-1], global_conf=global_conf)
    filter_conf = {k: v for k, v in global_conf.items() if k != BUILT_KEY}
    filter_conf[APPLICATION_KEY] = app
    for name in reversed(pipeline[:-1]):
        app = loader.get_filter(name, global_conf=filter_conf)(app)
    return app


def noauth_filter_factory(global_conf, **local_conf):
    """The noauth filter with ``[DEFAULT] noauth_default_project``."""
    from hurtle.occi import middleware
    conf = global_conf[CONF_KEY]

    def _filter(app):
        return middleware.NoAuthMiddleware(
            app, default_project=conf.noauth_default_project)
    return _filter


def http_proxy_filter_factory(global_conf, **local_conf):
    """oslo.middleware's ``HTTPProxyToWSGI`` (``Forwarded`` /
    ``X-Forwarded-*`` headers override the request's scheme, host, client
    address and script name) when ``[oslo_middleware]
    enable_proxy_headers_parsing`` is true (or the filter's section sets
    ``enable_proxy_headers_parsing = true``); when it is false, as by
    default, the filter is left out of the pipeline: oslo's would wrap
    every request in webob objects to read the option and do nothing.
    The option is read once, at start-up.
    """
    from oslo_middleware import http_proxy_to_wsgi
    from oslo_utils import strutils
    conf = global_conf[CONF_KEY]
    conf.register_opts(http_proxy_to_wsgi.OPTS, group='oslo_middleware')
    given = local_conf.get('enable_proxy_headers_parsing')
    if given is not None:
        # As oslo's factory does with the section's value.
        conf.set_override('enable_proxy_headers_parsing',
                          strutils.bool_from_string(given),
                          group='oslo_middleware')
    enabled = conf.oslo_middleware.enable_proxy_headers_parsing

    def _filter(app):
        if not enabled:
            return app
        return http_proxy_to_wsgi.HTTPProxyToWSGI(app, conf)
    return _filter


def local_secret_filter_factory(global_conf, **local_conf):
    """The local-secret check of the embedded default (see
    :mod:`hurtle.local_secret`): ``<state_path>/local_secret``, created at
    first start, must be sent as ``X-Auth-Token`` (else 401)."""
    from hurtle import local_secret
    conf = global_conf[CONF_KEY]

    def _filter(app):
        return local_secret.LocalSecretMiddleware(
            app, local_secret.load_or_create(conf.state_path),
            realm=local_conf.get('realm', 'hurtle'))
    return _filter


def so_auth_filter_factory(global_conf, **local_conf):
    """The CC's authentication of SOs (:mod:`hurtle.cc.so_auth`): an SO
    sending its app id and secret reaches the CC application directly,
    other callers go through the rest of the pipeline."""
    from hurtle.cc import so_auth
    from hurtle.cc import store
    conf = global_conf[CONF_KEY]
    lookup = so_auth.app_lookup(store.AppStore(conf.database.connection))

    def _filter(app):
        return so_auth.SOAuthMiddleware(app, global_conf[APPLICATION_KEY],
                                        lookup)
    return _filter


def sm_app_factory(global_conf, **local_conf):
    """The SM's OCCI application; hands its ``Lifecycle`` to
    :func:`load_app`."""
    from hurtle.sm import service
    application, lifecycle = service.build(global_conf[CONF_KEY])
    global_conf[BUILT_KEY](lifecycle)
    return application


def cc_app_factory(global_conf, **local_conf):
    """The CC's OCCI application; hands its ``AppBackend`` to
    :func:`load_app`."""
    from hurtle.cc import api
    conf = global_conf[CONF_KEY]
    application, backend = api.make_application(
        conf, stack_events=global_conf.get(STACK_EVENTS_KEY))
    application.category_locations = conf.occi.category_locations
    global_conf[BUILT_KEY](backend)
    return application


def cc_monitoring_app_factory(global_conf, **local_conf):
    """The CC's monitoring service (:mod:`hurtle.cc.monitoring.service`)
    with the ``[monitoring] driver``; an unknown driver stops start-up
    (``hurtle.drivers.UnknownDriver`` lists the installed ones)."""
    from hurtle.cc import monitoring
    from hurtle.cc.monitoring import service
    from hurtle.cc import store
    conf = global_conf[CONF_KEY]
    return service.MonitoringService(
        conf, monitoring.load(conf), store.AppStore(conf.database.connection))


def cc_stack_events_app_factory(global_conf, **local_conf):
    """``POST /stack-events`` of the CC (:mod:`hurtle.cc.stack_events_api`)
    feeding the hub the stack kind waits on; its token is derived from
    the local secret of ``[DEFAULT] state_path``."""
    from hurtle.cc import stack_events_api
    from hurtle import local_secret
    conf = global_conf[CONF_KEY]
    return stack_events_api.StackEventsApp(
        global_conf[STACK_EVENTS_KEY],
        local_secret.load_or_create(conf.state_path))


def healthcheck_app_factory(global_conf, **local_conf):
    """oslo.middleware's ``Healthcheck`` application on the process's
    ``conf`` (its own factory would read the global ``cfg.CONF``).

    ``backends`` (comma separated entry points of
    ``oslo.middleware.healthcheck``) are run unless ``[healthcheck]
    backends`` lists others.
    """
    from hurtle import healthcheck
    defaults = [name.strip() for name in
                local_conf.get('backends', '').split(',') if name.strip()]
    return healthcheck.Healthcheck(global_conf[CONF_KEY], defaults)


def find_paste_config(conf):
    """Return the api-paste.ini path: the first one found next to a
    ``--config-file`` (in their order), else the one shipped in this
    package.

    A copy written for an older Hurtle (it names the factories' old module
    ``hurtle.api.paste``, which no longer exists; devstack used to copy
    the file beside hurtle.conf) is skipped with a warning saying how to
    keep it, and the packaged pipelines are used: the services start as
    before instead of failing on an import error.
    """
    for path in conf.config_file or []:
        candidate = os.path.join(os.path.dirname(os.path.abspath(path)),
                                 PASTE_FILE)
        if not os.path.isfile(candidate):
            continue
        with open(candidate, encoding='utf-8', errors='replace') as handle:
            if OLD_FACTORY_MODULE not in handle.read():
                return candidate
        LOG.warning('Ignoring %s: it was written for an older Hurtle (it '
                    'names %s, now %s); using the packaged %s. Delete it, '
                    'or replace %s with %s in it to keep your changes.',
                    candidate, OLD_FACTORY_MODULE, __name__, PACKAGED_PASTE,
                    OLD_FACTORY_MODULE, __name__)
    return PACKAGED_PASTE


def load_app(conf, name):
    """Load the paste composite ``name`` (``hurtle-sm``, ``hurtle-cc``).

    :param conf: the process's parsed ``ConfigOpts``.
    :returns: ``(application, built)``: the WSGI application and what its
        application factory built (``hurtle.sm.lifecycle.Lifecycle`` for
        ``hurtle-sm``, ``hurtle.cc.api.AppBackend`` for ``hurtle-cc``).
    :raises LookupError: no section ``name`` in api-paste.ini.
    Errors of the factories (a bad manifest, ...) propagate.
    """
    built = []
    # ConfigLoader.get_context rather than paste.deploy.loadapp: loadapp
    # would copy global_conf into the ini parser's defaults, which hold
    # strings only.
    from hurtle.cc import stack_events
    loader = loadwsgi.ConfigLoader(find_paste_config(conf))
    application = loader.get_context(
        loadwsgi.APP, name,
        global_conf={CONF_KEY: conf, BUILT_KEY: built.append,
                     STACK_EVENTS_KEY: stack_events.Hub()}).create()
    return application, built[0]
