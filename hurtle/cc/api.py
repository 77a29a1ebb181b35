"""The CC's OCCI ``app`` API (DESIGN.md section 4).

Kind ``app`` (``http://schemas.ogf.org/occi/platform#``) at ``/app/``:

* ``POST /app/`` with ``occi.app.name`` and ``occi.app.image`` (both
  required; the image is an SO bundle for the ``local`` runtime) and
  optional ``occi.app.env`` (a JSON object of strings) starts the SO and
  answers 201 once it serves; ``occi.app.state`` is then ``active`` and
  ``occi.app.url`` its SO API URL. A start failure answers 409 with the
  reason and keeps nothing.
* ``POST /app/<id>?action=stop`` / ``?action=start`` stop and restart it
  (409 when not applicable in the current state).
* ``DELETE /app/<id>`` stops the SO and removes the app.

Apps are scoped by project (404 for another project's app) and persisted
in ``[database] connection``; only the admin role may use the API
(``hurtle:app:manage`` in ``hurtle.policy``, else 403).
"""
import json
import logging
import re

from occi import backend

from hurtle.cc.runtime import base as runtime_base
from hurtle.cc import store as app_store
from hurtle.occi import app as occi_app
from hurtle.occi import categories
from hurtle.occi import errors
from hurtle.occi import registry as occi_registry
from hurtle import policy

LOG = logging.getLogger(__name__)

#: App ids name SO log and state files: no path characters.
APP_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,35}$')


def parse_env(value):
    """Parse ``occi.app.env``: a JSON object of strings, or empty.

    :raises hurtle.occi.errors.BadRequest: not a JSON object of scalars.
    """
    if value in (None, ''):
        return {}
    if isinstance(value, dict):
        env = value
    else:
        try:
            env = json.loads(value)
        except (TypeError, ValueError):
            raise errors.BadRequest('occi.app.env must be a JSON object, '
                                    'e.g. {"KEY": "value"}')
    if not isinstance(env, dict) or not all(
            isinstance(v, (str, int, float, bool)) for v in env.values()):
        raise errors.BadRequest('occi.app.env must be a JSON object of '
                                'strings')
    return {str(k): str(v) for k, v in env.items()}


class AppBackend(backend.KindBackend, backend.ActionBackend):
    """Runs the SO of each ``app`` entity through the runtime driver."""

    def __init__(self, runtime, conf, store):
        self.runtime = runtime
        self.conf = conf
        self.store = store

    def _authorize(self, extras):
        policy.authorize(self.conf, 'hurtle:app:manage', extras)

    def _start(self, entity):
        attrs = entity.attributes
        try:
            url, ref = self.runtime.start(attrs['occi.core.id'],
                                          attrs['occi.app.image'],
                                          entity.app_env)
        except runtime_base.RuntimeError_ as exc:
            raise errors.Conflict('cannot start app %s: %s'
                                  % (attrs.get('occi.app.name'), exc))
        entity.runtime_ref = ref
        attrs['occi.app.state'] = 'active'
        attrs['occi.app.url'] = url
        entity.actions = [categories.APP_STOP]

    def _stop(self, entity):
        self.runtime.stop(getattr(entity, 'runtime_ref', None))
        entity.runtime_ref = None
        entity.attributes['occi.app.state'] = 'inactive'
        entity.attributes['occi.app.url'] = ''
        entity.actions = [categories.APP_START]

    def create(self, entity, extras):
        self._authorize(extras)
        attrs = entity.attributes
        for name in ('occi.app.name', 'occi.app.image'):
            if not str(attrs.get(name) or '').strip():
                raise errors.BadRequest('%s is required' % name)
        app_id = entity.identifier[len(app_store.PREFIX):] if \
            entity.identifier.startswith(app_store.PREFIX) else ''
        if not APP_ID.match(app_id):
            raise errors.BadRequest(
                'apps are created at /app/<id>, with an id of 1 to 36 '
                'letters, digits, ".", "_" or "-"')
        if self.store.exists(app_id):
            raise errors.Conflict('the app id %s is already in use' % app_id)
        entity.app_env = parse_env(attrs.pop('occi.app.env', None))
        attrs['occi.core.id'] = app_id
        self._start(entity)
        LOG.info('app %s (%s) started at %s', attrs['occi.core.id'],
                 attrs['occi.app.name'], attrs['occi.app.url'])

    def retrieve(self, entity, extras):
        self._authorize(extras)
        if (entity.attributes.get('occi.app.state') == 'active' and
                not self.runtime.is_running(entity.runtime_ref)):
            entity.attributes['occi.app.state'] = 'error'
            entity.actions = [categories.APP_START]

    def update(self, old, new, extras):
        self._authorize(extras)
        if 'occi.app.env' in new.attributes:
            old.app_env = parse_env(new.attributes['occi.app.env'])

    replace = update

    def delete(self, entity, extras):
        self._authorize(extras)
        self._stop(entity)
        LOG.info('app %s stopped and removed',
                 entity.attributes.get('occi.core.id'))

    def action(self, entity, action, attributes, extras):
        self._authorize(extras)
        state = entity.attributes.get('occi.app.state')
        if action == categories.APP_STOP:
            if state != 'active':
                raise errors.Conflict('app is %s, not active' % state)
            self._stop(entity)
        elif action == categories.APP_START:
            if state == 'active':
                raise errors.Conflict('app is active already')
            self._start(entity)
        else:
            raise errors.BadRequest('unknown action %s' % action)


def make_application(conf):
    """Build the CC's OCCI WSGI application (no auth middleware).

    Returns ``(application, backend)``.
    """
    store = app_store.AppStore(conf.database.connection)
    runtime = runtime_base.load(conf.cc.runtime, conf)
    application = occi_app.Application(occi_registry.Registry(store))
    app_backend = AppBackend(runtime, conf, store)
    for category in (categories.APP, categories.APP_START,
                     categories.APP_STOP):
        application.register_backend(category, app_backend)
    return application, app_backend
