# Heat's engine modules pick oslo.service's backend when first imported:
# select the threading backend (no eventlet monkey-patching) before any
# test module imports heat.engine (doc/source/contributor/testing.rst).
from oslo_service import backend

if backend.get_backend_type() is None:
    backend.init_backend(backend.BackendType.THREADING)
