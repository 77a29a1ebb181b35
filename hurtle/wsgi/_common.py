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
"""Shared set-up of the WSGI entry points (uwsgi, gunicorn, mod_wsgi).

The configuration files come from ``HURTLE_CONFIG_FILES`` (colon
separated), else ``/etc/hurtle/hurtle.conf``.

A start-up failure (configuration file missing or invalid, database
unreachable, ...) is one line on stderr, ``hurtle: <service>: cannot
start: <reason>``, and stops the WSGI server: gunicorn is given its
``AppImportError`` (it prints the line and halts), uwsgi is stopped
(``uwsgi.stop()``) and the worker exits with uwsgi's "failed app" status
22; elsewhere :class:`StartupError` is raised.

The applications must be loaded by each worker process itself (gunicorn
without ``--preload``, uwsgi with ``lazy-apps = true``): their
background threads (the SM's leases and lifecycles, the CC's SO watcher)
do not survive a fork. :func:`fork_guard` answers 503 with the reason in
a process forked after loading.
"""
import contextlib
import gc
import logging
import os
import sys

from oslo_config import cfg

from hurtle import manifest
from hurtle import service
from hurtle.wsgi import app as wsgi_app

LOG = logging.getLogger(__name__)

DEFAULT_CONFIG = '/etc/hurtle/hurtle.conf'
#: uwsgi's exit status of a worker that could not load its application.
UWSGI_FAILED_APP = 22


class StartupError(Exception):
    """The service cannot start; the message says why (one line)."""


def config_args():
    files = os.environ.get('HURTLE_CONFIG_FILES', DEFAULT_CONFIG)
    args = []
    for path in files.split(':'):
        if path:
            args += ['--config-file', path]
    return args


def refuse(name, reason):
    """Stop the start-up of service ``name`` with one line saying
    ``reason``, in the way the WSGI server in use understands (see the
    module docstring).

    :raises StartupError: outside gunicorn and uwsgi (and, under
        gunicorn, ``gunicorn.errors.AppImportError``).
    """
    message = 'hurtle: %s: cannot start: %s' % (name, reason)
    if 'gunicorn' in sys.modules:
        from gunicorn import errors as gunicorn_errors
        raise gunicorn_errors.AppImportError(message)
    try:
        import uwsgi
    except ImportError:
        raise StartupError(message) from None
    sys.stderr.write(message + '\n')
    sys.stderr.flush()
    uwsgi.stop()
    os._exit(UWSGI_FAILED_APP)


@contextlib.contextmanager
def starting(name):
    """Turn what ends the start-up of service ``name`` with a message
    (``SystemExit`` of :mod:`hurtle.service`, an oslo.config error such as
    a bad option value, read lazily, a ``hurtle.manifest.ManifestError``)
    into :func:`refuse`."""
    try:
        yield
    except SystemExit as exc:
        # hurtle.service exits with "hurtle: <reason>".
        refuse(name, str(exc.code).split('hurtle: ', 1)[-1])
    except cfg.Error as exc:
        refuse(name, 'configuration error: %s' % exc)
    except manifest.ManifestError as exc:
        refuse(name, 'bad service manifest: %s' % exc)


def load(name, description):
    """Parse the configuration, migrate the database, load paste ``name``
    (call it within :func:`starting`).

    :returns: ``(conf, application, built)`` (see
        :func:`hurtle.wsgi.app.load_app`); ``application`` is wrapped in
        :func:`fork_guard`.
    """
    conf = service.prepare_service(config_args(), description)
    service.upgrade_database(conf)
    application, built = wsgi_app.load_app(conf, name)
    # Start-up's objects out of full collections, as hurtle.cmd.common
    # does for the built-in server.
    gc.freeze()
    return conf, fork_guard(application, name), built


def fork_guard(application, name):
    """``application``, answering ``503 Service Unavailable`` (text/plain,
    the reason) in a process other than the one that loaded it."""
    loaded_in = os.getpid()
    reason = ('%s was loaded before the WSGI server forked this worker: '
              'its background threads do not run here. Let each worker '
              'load it (uwsgi: lazy-apps = true; gunicorn: no --preload).'
              % name).encode('utf-8')
    warned = []

    def guarded(environ, start_response):
        if os.getpid() == loaded_in:
            return application(environ, start_response)
        if not warned:
            warned.append(True)
            LOG.error('%s', reason.decode('utf-8'))
        start_response('503 Service Unavailable', [
            ('Content-Type', 'text/plain; charset=utf-8'),
            ('Content-Length', str(len(reason)))])
        return [reason]
    return guarded
