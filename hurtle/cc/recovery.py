"""Bringing recorded apps back after a CC restart (DESIGN.md section 5)."""
import logging

from hurtle.cc import store as app_store
from hurtle.occi import errors

LOG = logging.getLogger(__name__)


def restart_apps(conf, backend):
    """Restart every ``active`` app whose SO no longer runs.

    An app that cannot be restarted is recorded in state ``error``.
    Returns the number of apps restarted.
    """
    store = app_store.AppStore(conf.database.connection)
    restarted = 0
    for row in store.all_rows():
        if row.state != 'active' or backend.runtime.is_running(
                row.runtime_ref):
            continue
        entity = app_store.to_entity(row)
        extras = {'project': row.project}
        try:
            backend._start(entity)
            restarted += 1
            LOG.info('app %s restarted at %s', row.id,
                     entity.attributes['occi.app.url'])
        except errors.OCCIError as exc:
            LOG.error('app %s could not be restarted: %s', row.id,
                      exc.message)
            entity.attributes['occi.app.state'] = 'error'
            entity.attributes['occi.app.url'] = ''
        store.update(entity.identifier, entity, extras)
    return restarted
