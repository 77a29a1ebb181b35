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
"""The SO API, served by ``hurtle-so`` for one SO
(doc/source/contributor/so-api.rst).

One entity, ``/orchestrator/default``, of kind ``orchestrator``
(``http://schemas.mobile-cloud-networking.eu/occi/service#``):

* ``PUT`` creates it: the SO class is instantiated and ``initialise`` gets
  the request's attributes. A second ``PUT`` answers 409.
* ``POST ?action=deploy`` / ``?action=provision`` call ``deploy`` /
  ``provision`` with the action's attributes (each logged at INFO as
  ``action <term> received`` before it runs, also when the caller is
  gone before the answer).
* ``POST ?action=notify`` calls ``notify`` with the alarm's attributes
  (``hurtle.alarm.name``, ``hurtle.alarm.state``, ``hurtle.alarm.reason``;
  sent by the CC's monitoring service when an alarm fires).
* ``POST`` with attributes calls ``update``.
* ``GET`` reports ``occi.mcn.stack.state``, ``occi.mcn.stack.id``,
  ``occi.mcn.stack.reason``, ``occi.mcn.dns.reason`` (why a DNS name of
  the instance is not registered, when one is not) and every stack
  output as an attribute.
* ``DELETE`` calls ``dispose`` and removes the entity.
* A ``GET`` with ``If-None-Match`` (the ``ETag`` of an earlier answer)
  and ``Prefer: wait=N`` is held until ``state`` reports something else
  (the SO's ``await_change`` says when to look again), at most N seconds
  (``[wsgi] max_wait``): :mod:`hurtle.occi.conditional`.

The state file: while it exists but cannot be used (unreadable, not
JSON, not an SO's state, or the SO's ``restore`` refuses it), every
request answers 409 saying why, and the file is read again at each
request, so that fixing (or removing) it recovers without a restart.
Starting afresh would forget the SO's stack, and exiting would make the
CC restart the SO in a loop.

SO errors map to HTTP: ``ValueError`` → 400, ``DeployerError`` → 409,
``FileNotFoundError`` → 409 (missing template).
"""
import errno
import json
import logging
import os
import threading
import time

from occi import backend
from occi import core_model

from hurtle.occi import app as occi_app
from hurtle.occi import categories
from hurtle.occi import errors
from hurtle.occi import registry as occi_registry
from hurtle.sdk import deployer as deployer_api

LOG = logging.getLogger(__name__)

SO_PATH = '/orchestrator/default'
ACTIONS = [categories.DEPLOY, categories.PROVISION, categories.NOTIFY]
OUTPUT_RESERVED = frozenset(['occi.core.id', 'occi.core.title'])
#: Why a DNS name of the instance is not registered (absent when all are).
DNS_REASON = 'occi.mcn.dns.reason'
#: Seconds a held GET waits after the SO's ``await_change`` failed.
FAILED_WAIT_STEP = 0.5


def _call(what, func, *args):
    """Run an SO method; map its failures to OCCI errors.

    ValueError → 400; ``DeployerUnavailable`` → 503 with its sentence
    (``"deploy: orchestration service unreachable"``; the detail is
    logged, never sent); other ``DeployerError`` or a missing template →
    409.
    """
    try:
        return func(*args)
    except ValueError as exc:
        raise errors.BadRequest('%s: %s' % (what, exc))
    except deployer_api.DeployerUnavailable as exc:
        LOG.warning('%s: %s (%s)', what, exc, exc.detail)
        raise errors.ServiceUnavailable('%s: %s' % (what, exc))
    except (deployer_api.DeployerError, FileNotFoundError) as exc:
        raise errors.Conflict('%s: %s' % (what, exc))


def _user_attributes(entity):
    return {k: v for k, v in entity.attributes.items()
            if not k.startswith('occi.core.')}


class UnusableState(Exception):
    """The SO's state file exists but cannot be used; ``str()`` says why,
    without the path (it is an answer to the SM)."""


class OrchestratorBackend(backend.KindBackend, backend.ActionBackend):
    """Binds the ``orchestrator`` kind and its actions to one SO object."""

    def __init__(self, factory, state_file=None):
        """:param factory: callable returning a new SO (no arguments).
        :param state_file: where the SO's ``snapshot`` is kept between
            processes (JSON), or None to keep nothing.
        """
        self._factory = factory
        self._lock = threading.RLock()
        self._state_file = state_file
        self.so = None

    def save(self, entity=None, project=None):
        """Write the SO's snapshot (atomically); remove it once disposed."""
        if not self._state_file:
            return
        if self.so is None:
            if os.path.exists(self._state_file):
                os.unlink(self._state_file)
            return
        data = {'so': self.so.snapshot(), 'project': project,
                'attributes': _user_attributes(entity) if entity else {}}
        tmp = self._state_file + '.tmp'
        # 0600: the attributes may hold what the user gave as secrets.
        with os.fdopen(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                               0o600), 'w') as handle:
            json.dump(data, handle)
        os.replace(tmp, self._state_file)

    def load(self):
        """Restore the SO from the state file.

        :returns: the saved data (``{'so': ..., 'project': ...,
            'attributes': {...}}``), or None when there is nothing to
            restore (no state file, or none configured).
        :raises UnusableState: the file exists but cannot be used.
        """
        if not self._state_file:
            return None
        try:
            with open(self._state_file) as handle:
                text = handle.read()
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            code = errno.errorcode.get(getattr(exc, 'errno', None) or 0)
            raise UnusableState('it cannot be read (%s)'
                                % (code or type(exc).__name__))
        try:
            data = json.loads(text)
        except ValueError:
            raise UnusableState('it is not JSON')
        if not isinstance(data, dict) or not isinstance(
                data.get('so') or {}, dict) or not isinstance(
                data.get('attributes') or {}, dict):
            raise UnusableState('it is not the state of an SO')
        so = self._factory()
        try:
            so.restore(data.get('so') or {})
        except Exception as exc:  # the SO author's code: any error
            LOG.exception('restoring the SO from %s failed',
                          self._state_file)
            raise UnusableState('the SO could not restore it (%s)'
                                % type(exc).__name__)
        self.so = so
        return data

    def _require(self):
        if self.so is None:
            raise errors.NotFound('the SO has not been created')
        return self.so

    def create(self, entity, extras):
        if entity.identifier != SO_PATH:
            raise errors.BadRequest('an SO serves only %s' % SO_PATH)
        with self._lock:
            if self.so is not None:
                raise errors.Conflict('%s exists already' % SO_PATH)
            so = self._factory()
            _call('initialise', so.initialise, _user_attributes(entity))
            self.so = so
            self.save(entity, (extras or {}).get('project'))
        entity.actions = ACTIONS

    def retrieve(self, entity, extras):
        with self._lock:
            state = _call('state', self._require().state)
        for key, value in (state.outputs or {}).items():
            if key not in OUTPUT_RESERVED:
                entity.attributes[key] = value
        entity.attributes['occi.mcn.stack.state'] = state.stack_state
        entity.attributes['occi.mcn.stack.id'] = state.stack_id or ''
        # The entity is kept between requests: a reason that no longer
        # holds goes.
        for key, reason in (('occi.mcn.stack.reason', state.reason),
                            (DNS_REASON, state.dns_reason)):
            if reason:
                entity.attributes[key] = reason
            else:
                entity.attributes.pop(key, None)

    def wait_change(self, entity, extras, timeout):
        """Wait up to ``timeout`` seconds until the SO's ``state`` may
        have changed (its ``await_change``), for a held GET. Runs outside
        the SO's lock: actions and updates go on meanwhile. An SO that is
        not created (or disposed of meanwhile) returns at once (the GET
        then answers 404); an exception of the SO is logged and the wait
        ends after a short step."""
        so = self.so
        if so is None:
            return
        try:
            so.await_change(timeout)
        except Exception:  # the SO author's code: any error
            LOG.exception('await_change of the SO failed')
            time.sleep(max(0.0, min(timeout, FAILED_WAIT_STEP)))

    def update(self, old, new, extras):
        changed = _user_attributes(new)
        with self._lock:
            _call('update', self._require().update, changed)
            old.attributes.update(changed)
            self.save(old, (extras or {}).get('project'))

    replace = update

    def delete(self, entity, extras):
        with self._lock:
            _call('dispose', self._require().dispose)
            self.so = None
            self.save()

    def action(self, entity, action, attributes, extras):
        LOG.info('action %s received', action.term)
        with self._lock:
            so = self._require()
            if action == categories.DEPLOY:
                _call('deploy', so.deploy, dict(attributes or {}))
            elif action == categories.PROVISION:
                _call('provision', so.provision, dict(attributes or {}))
            elif action == categories.NOTIFY:
                _call('notify', so.notify, dict(attributes or {}))
            else:
                raise errors.BadRequest('unknown action %s' % action)
            self.save(entity, (extras or {}).get('project'))


def make_application(factory, state_file=None):
    """Return the OCCI WSGI application of one SO.

    :param factory: callable returning a new ``ServiceOrchestrator``.
    :param state_file: JSON file keeping the SO's snapshot; when it exists
        the SO (and ``/orchestrator/default``) is restored from it.
    """
    registry = occi_registry.Registry()
    application = occi_app.Application(registry)
    so_backend = OrchestratorBackend(factory, state_file)
    application.register_backend(categories.ORCHESTRATOR, so_backend)
    application.register_backend(categories.DEPLOY, so_backend)
    application.register_backend(categories.PROVISION, so_backend)
    application.register_backend(categories.NOTIFY, so_backend)
    application.checks.append(_Restorer(so_backend, registry, state_file))
    return application


class _Restorer(object):
    """Restores ``/orchestrator/default`` from the state file at start;
    while the file is unusable, a check of every request (``Application
    .checks``) that reads it again and refuses the request with 409 (see
    the module docstring)."""

    def __init__(self, so_backend, registry, state_file):
        self._backend = so_backend
        self._registry = registry
        self._state_file = state_file
        self._problem = None
        self._lock = threading.Lock()
        self._restore()

    def _restore(self):
        try:
            saved = self._backend.load()
        except UnusableState as exc:
            if str(exc) != self._problem:
                LOG.error('the state file %s is unusable: %s; every request '
                          'answers 409 until it is fixed or removed',
                          self._state_file, exc)
            self._problem = str(exc)
            return
        if self._problem is not None:
            LOG.info('the state file %s is usable again', self._state_file)
        self._problem = None
        if saved is not None:
            entity = core_model.Resource(SO_PATH, categories.ORCHESTRATOR,
                                         [])
            entity.attributes.update(saved.get('attributes') or {})
            entity.actions = ACTIONS
            self._registry.add_resource(SO_PATH, entity,
                                        {'project': saved.get('project')})

    def __call__(self, environ):
        if self._problem is None:
            return
        with self._lock:
            if self._problem is not None:
                self._restore()
            if self._problem is not None:
                raise errors.Conflict("the SO's saved state is unusable (%s)"
                                      % self._problem)
