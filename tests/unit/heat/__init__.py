# As heat-engine and the embedded Heat do (hurtle.heat.launcher), and
# before oslo.messaging is imported here (its import selects eventlet):
# tests.unit.heat_plugins, run after, need the threading backend.
from oslo_service import backend

if backend.get_backend_type() is None:
    backend.init_backend(backend.BackendType.THREADING)
