"""Paste Deploy factories for ``etc/hurtle/api-paste.ini``.

``pipeline_factory`` picks the pipeline named by ``[DEFAULT]
auth_strategy`` (``noauth`` or ``keystone``) from the composite section, as
OpenStack APIs do. Applications are built from the running process's
global CONF; the SM's manifests and the CC's runtime come from it too.
"""
import os

from paste import deploy

from hurtle import conf as hurtle_conf

CONF = hurtle_conf.CONF
DEFAULT_PASTE = os.path.join('etc', 'hurtle', 'api-paste.ini')

#: Applications built for this process, by paste app name (for shutdown).
BUILT = {}


def pipeline_factory(loader, global_conf, **local_conf):
    """Compose the pipeline for ``CONF.auth_strategy``."""
    pipeline = local_conf[CONF.auth_strategy].split()
    app = loader.get_app(pipeline[-1])
    for name in reversed(pipeline[:-1]):
        app = loader.get_filter(name)(app)
    return app


def noauth_filter_factory(global_conf, **local_conf):
    """The noauth filter with ``[DEFAULT] noauth_default_project``."""
    from hurtle.occi import middleware

    def _filter(app):
        return middleware.NoAuthMiddleware(
            app, default_project=CONF.noauth_default_project)
    return _filter


def local_secret_filter_factory(global_conf, **local_conf):
    """The local-secret check of the embedded default (see
    :mod:`hurtle.local_secret`): ``<state_path>/local_secret``, created at
    first start, must be sent as ``X-Auth-Token`` (else 401)."""
    from hurtle import local_secret

    def _filter(app):
        return local_secret.LocalSecretMiddleware(
            app, local_secret.load_or_create(CONF.state_path),
            realm=local_conf.get('realm', 'hurtle'))
    return _filter


def sm_app_factory(global_conf, **local_conf):
    from hurtle.sm import service
    application, lifecycle = service.build()
    BUILT['sm'] = lifecycle
    return application


def cc_app_factory(global_conf, **local_conf):
    from hurtle.cc import api
    application, backend = api.make_application(CONF)
    application.category_locations = CONF.occi.category_locations
    BUILT['cc'] = backend
    return application


def find_paste_config():
    """Return the api-paste.ini path: next to the first config file, else
    ``etc/hurtle/api-paste.ini`` in the working directory, else the copy
    installed with the package data."""
    candidates = []
    for path in CONF.config_file or []:
        candidates.append(os.path.join(os.path.dirname(
            os.path.abspath(path)), 'api-paste.ini'))
    candidates.append(os.path.abspath(DEFAULT_PASTE))
    here = os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    candidates.append(os.path.join(here, DEFAULT_PASTE))
    for path in candidates:
        if os.path.isfile(path):
            return path
    raise RuntimeError('api-paste.ini not found (looked at %s)'
                       % ', '.join(candidates))


def load_app(name):
    """Load the paste composite ``name`` (``hurtle-sm``, ``hurtle-cc``)."""
    return deploy.loadapp('config:%s' % find_paste_config(), name=name)
