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
"""The ``cc`` deployer (the default): stacks through the CC's ``stack``
kind (doc/source/contributor/cc-api.rst), so an SO holds no cloud
credentials.

The SO reaches the CC at ``HURTLE_CC_URL`` as its app
(``X-Hurtle-App-Id: $HURTLE_APP_ID``) with its own secret
(``X-Auth-Token: $HURTLE_SO_SECRET``), all three set by the CC when it
starts the SO; the SM, disposing of a stack whose SO is gone, passes the
same three as ``so_identity``. The CC deploys with its credentials into
the instance's project (and trust); ``project`` and ``trust_id`` are
therefore not used here.

Stack ids are Heat's (``hurtle.stack.id``), so the ids an SO reports do
not depend on the driver; a stack is also found by its name. A stack the
CC has not heard of from Heat yet (``CREATE_PENDING``, no Heat id) is
reported as :class:`~hurtle.sdk.deployer.DeployerUnavailable`: its create
may still be refused, and its CC id would then name nothing.

Reads are conditional (``If-None-Match`` with the stack's last ``ETag``:
a ``304`` reuses the last answer), and :meth:`CCDeployer.wait_change`
asks the CC to hold the GET until the stack changes (``Prefer:
wait=N``); a CC that answers at once is looked at again after 0.1 s,
then at waits growing up to :data:`STEP` seconds.

The answer a held wait brought is the stack as it is: the
:meth:`CCDeployer.details` that follows it (the SO's ``state``, read
by its own held GET right after its ``await_change``) reuses it while
it is :data:`FRESH` and no write (create, update, delete) of this
deployer began since, instead of asking the CC (and the CC Heat) again;
a held wait that found the stack gone (404) makes the next
:meth:`CCDeployer.details` of it a 404 without asking (a dispose's last
look).
"""
import json
import logging
import os
import threading
import time
import urllib.parse

from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle import polling
from hurtle.sdk import deployer as deployer_api

LOG = logging.getLogger(__name__)

STACK = occi_client.CategoryRef('http://schemas.hurtle.it/occi/cc#', 'stack')
COLLECTION = '/stack/'
#: Seconds a call to the CC may take: well beyond the CC's own wait for
#: Heat (30 s a request: ``hurtle.so.deployers.heat_noauth.TIMEOUT``, and
#: ``hurtle.conf.service_credentials.timeout`` in Keystone mode), so that a
#: slow create ends with the CC's answer (201, or 503 once Heat timed
#: out) rather than a timeout of the SO's that leaves the outcome open.
TIMEOUT = 90.0
#: Most seconds :meth:`CCDeployer.wait_change` waits between two looks
#: when the CC answers at once (a CC that does not hold GETs, or one that
#: refused to hold this one). After a change the first wait is
#: :data:`FIRST_STEP`, each next one :data:`hurtle.polling.GROWTH` times
#: longer up to this: a stack of a second is seen done soon.
STEP = 0.5
FIRST_STEP = 0.1
#: Most stacks whose last answer is remembered (for conditional GETs).
REMEMBERED = 64
#: Seconds the answer of a held wait (:meth:`CCDeployer.wait_change`)
#: stands for the stack in the next :meth:`CCDeployer.details`, when no
#: write of the deployer began since.
FRESH = 1.0
#: The CC's attribute saying Heat deleted a stack whose name it has not
#: freed yet (``hurtle.cc.stacks``).
DELETED = 'hurtle.stack.deleted'
#: Environment variables naming the CC, the SO's app and its secret.
ENV = ('HURTLE_CC_URL', 'HURTLE_APP_ID', 'HURTLE_SO_SECRET')


def identity_from_env(environ=None):
    """The :class:`hurtle.sdk.deployer.SOIdentity` of this SO from its
    environment.

    :raises RuntimeError: a variable of :data:`ENV` is missing (names
        it).
    """
    environ = os.environ if environ is None else environ
    missing = [name for name in ENV if not environ.get(name)]
    if missing:
        raise RuntimeError('the cc deployer needs %s in the environment '
                           '(set by the CC when it starts an SO)'
                           % ', '.join(missing))
    return deployer_api.SOIdentity(*(environ[name] for name in ENV))


def _failure(what, exc):
    """The ``DeployerError`` for an OCCI error of the CC: a CC that cannot
    be reached is "deployment service (CC) unavailable"; a 503 of the CC
    keeps the CC's own sentence (e.g. "orchestration service unreachable"
    while Heat is down), which names the component that failed."""
    if isinstance(exc, (errors.ConnectionFailed,
                        errors.ServiceUnavailable)):
        sentence = 'deployment service (CC) unavailable'
        if not isinstance(exc, errors.ConnectionFailed) and exc.message:
            sentence = exc.message   # the CC's own 503
        return deployer_api.DeployerUnavailable(
            sentence, detail='%s: %s' % (what, exc.message))
    return deployer_api.DeployerError('%s: %s' % (what, exc.message),
                                      status=exc.code)


def _heat_id(ref, info):
    """Heat's id of the CC's stack ``info`` (an ``EntityInfo``).

    A stack the CC has claimed but Heat has not answered for yet has none:
    its create may still fail and the CC then forgets it, so no id of it
    is handed out (an SO keeping the CC's id would later find nothing).

    :raises DeployerUnavailable: no Heat id yet (try again).
    """
    heat_id = info.attributes.get('hurtle.stack.id')
    if not heat_id:
        raise deployer_api.DeployerUnavailable(
            'stack %s is still being created (no answer from the '
            'orchestration service yet)' % ref,
            detail='CC stack %s: %s' % (
                info.id, info.attributes.get('hurtle.stack.state')))
    return heat_id


def _path(stack_id):
    return COLLECTION + urllib.parse.quote(str(stack_id), safe='')


class CCDeployer(deployer_api.Deployer):
    """``hurtle.sdk.Deployer`` over the CC's ``stack`` kind.

    :param conf: oslo.config object (``[deployer] insecure``: skip TLS
        verification towards the CC).
    :param project: unused (the CC knows the SO's project).
    :param trust_id: unused (the CC knows the instance's trust).
    :param so_identity: the SO to act as; default: this process's
        environment (:func:`identity_from_env`).
    :param region: the region its stacks are created in
        (``hurtle.stack.region``); None: the CC's default. A stack is
        read, updated and deleted in the region it was created in.
    :raises RuntimeError: no identity given and none in the environment.
    """

    def __init__(self, conf, project=None, trust_id=None,
                 so_identity=None, timeout=TIMEOUT, retries=3, region=None):
        identity = so_identity or identity_from_env()
        self.region = region
        self.client = occi_client.OCCIClient(
            identity.cc_url,
            headers={'X-Auth-Token': identity.secret,
                     'X-Hurtle-App-Id': identity.app_id},
            verify=not conf.deployer.insecure, timeout=timeout,
            retries=retries, content_type=occi_client.OCCI_JSON)
        self._lock = threading.Lock()
        #: stack id -> (ETag, EntityInfo) of the CC's last 200.
        self._last = {}
        #: stack id -> seconds of its next wait when the CC answers at once
        self._steps = {}
        #: Writes begun (creates, updates, deletes), and those not ended.
        self._writes = 0
        self._writing = 0
        #: stack id -> (monotonic seconds, ``_writes``) of the answer the
        #: last held wait brought (see :meth:`_fresh_info`).
        self._fresh = {}
        #: Stacks a held wait found gone (404), for the next details.
        self._gone = set()

    def _write(self, what, func, *args):
        """``self._call(what, func, *args)``, counted as a write: an
        answer of a wait that overlaps it is never reused."""
        with self._lock:
            self._writes += 1
            self._writing += 1
            self._fresh.clear()
        try:
            return self._call(what, func, *args)
        finally:
            with self._lock:
                self._writing -= 1

    def _fresh_info(self, stack_id):
        """The ``EntityInfo`` the last held wait brought for
        ``stack_id``, once, when it is at most :data:`FRESH` seconds old
        and no write began since (nor was under way when that wait
        began); else None."""
        with self._lock:
            found = self._fresh.pop(stack_id, None)
            if found is None or found[1] != self._writes or \
                    time.monotonic() - found[0] > FRESH:
                return None
            last = self._last.get(stack_id)
            return last[1] if last is not None else None

    def _remember(self, stack_id, look):
        with self._lock:
            if look.etag is None:
                self._last.pop(stack_id, None)
                return
            if len(self._last) >= REMEMBERED and stack_id not in self._last:
                self._last.pop(next(iter(self._last)))
            self._last[stack_id] = (look.etag, look.info)

    def _known(self, stack_id):
        with self._lock:
            return stack_id in self._last

    def _look(self, stack_id, wait=None):
        """A conditional GET of the stack (held up to ``wait`` seconds):
        ``(EntityInfo, Look)``; the info is the last one remembered when
        the CC answered 304.

        :raises OCCIError: as ``OCCIClient.look``.
        """
        with self._lock:
            etag, info = self._last.get(stack_id, (None, None))
        try:
            look = self.client.look(_path(stack_id), etag=etag, wait=wait)
        except errors.NotFound:
            with self._lock:
                self._last.pop(stack_id, None)
            raise
        if look.changed:
            self._remember(stack_id, look)
            info = look.info
        return info, look

    def _call(self, what, func, *args):
        try:
            return func(*args)
        except errors.OCCIError as exc:
            raise _failure(what, exc)

    def deploy(self, name, template, parameters=None, files=None,
               environment=None):
        attributes = {'occi.core.title': name,
                      'hurtle.stack.template': template,
                      'hurtle.stack.parameters': parameters or {}}
        if files:
            attributes['hurtle.stack.files'] = files
        if environment:
            attributes['hurtle.stack.environment'] = environment
        if self.region:
            attributes['hurtle.stack.region'] = self.region
        what = 'create stack %s' % name
        location = self._write(what, self.client.create, COLLECTION, STACK,
                               attributes)
        return _heat_id(name, self._call(what, self.client.get, location))

    def update(self, stack_id, template=None, parameters=None, files=None,
               environment=None):
        attributes = {'hurtle.stack.parameters': parameters or {}}
        for name, value in (('template', template), ('files', files),
                            ('environment', environment)):
            if value:
                attributes['hurtle.stack.' + name] = value
        self._write('update stack %s' % stack_id, self.client.update,
                    _path(stack_id), STACK, attributes)

    def details(self, stack_id):
        """The stack's ``StackDetails``: a conditional GET of the CC, or
        the answer a held wait just brought (:data:`FRESH`)."""
        return self._details(stack_id, self._info(stack_id))

    def _info(self, stack_id):
        """The CC's ``EntityInfo`` of the stack, as :meth:`details`
        reads it.

        :raises DeployerError: 404 (the CC has no such stack), or the CC
            refused or cannot be reached.
        """
        with self._lock:
            gone = stack_id in self._gone
            self._gone.discard(stack_id)
        if gone:
            # A deleted stack (Heat's ids are never reused) stays gone.
            raise deployer_api.DeployerError(
                'get stack %s: the CC has no such stack' % stack_id,
                status=404)
        info = self._fresh_info(stack_id)
        if info is None:
            info, _look = self._call('get stack %s' % stack_id, self._look,
                                     stack_id)
        return info

    @staticmethod
    def _details(stack_id, info):
        attrs = info.attributes
        heat_id = _heat_id(stack_id, info)
        try:
            outputs = json.loads(attrs.get('hurtle.stack.outputs') or '{}')
        except (TypeError, ValueError):
            outputs = {}
        return deployer_api.StackDetails(
            id=heat_id,
            status=attrs.get('hurtle.stack.state') or '',
            reason=attrs.get('hurtle.stack.reason') or '',
            outputs=outputs if isinstance(outputs, dict) else {})

    def wait_change(self, stack_id, timeout):
        """Hold a GET of the stack at the CC up to ``timeout`` seconds
        (rounded to whole seconds, at least 1: the CC is asked for whole
        seconds), until it differs from the last answer (``details``) or
        is gone; a CC that answers at once is given a pause before the
        next look (:data:`FIRST_STEP` after a change, growing to
        :data:`STEP`). Errors end the wait (the next ``details`` reports
        them).
        """
        start = time.monotonic()
        look = None
        try:
            if not self._known(stack_id):
                self._look(stack_id)
            # A CC sending no ETag (an older one) cannot hold: poll it.
            if self._known(stack_id):
                with self._lock:
                    writes = None if self._writing else self._writes
                # Rounded, not truncated (the client sends whole
                # seconds): a hold of 4.99 s asked for 4, then 1 more,
                # each ending in a read of Heat by the CC.
                _info, look = self._look(stack_id,
                                         wait=max(1, int(timeout + 0.5)))
                if writes is not None and (look.changed or look.held):
                    with self._lock:
                        self._fresh[stack_id] = (time.monotonic(), writes)
                        while len(self._fresh) > REMEMBERED:
                            self._fresh.pop(next(iter(self._fresh)))
        except errors.NotFound:
            with self._lock:
                if len(self._gone) >= REMEMBERED:
                    self._gone.clear()
                self._gone.add(stack_id)
            return
        except errors.OCCIError as exc:
            LOG.debug('waiting for stack %s: %s', stack_id, exc.message)
        if look is not None and look.changed:
            self._steps.pop(stack_id, None)
            return
        if look is not None and look.held:
            return
        # Answered at once without a change: not held (a stack kind that
        # cannot wait, every hold taken), failed, or an older CC.
        step = self._steps.get(stack_id, FIRST_STEP)
        if len(self._steps) >= REMEMBERED and stack_id not in self._steps:
            self._steps.clear()
        self._steps[stack_id] = min(step * polling.GROWTH, STEP)
        left = timeout - (time.monotonic() - start)
        time.sleep(max(0.0, min(left, step)))

    def dispose(self, stack_id):
        def delete():
            try:
                self.client.delete(_path(stack_id))
            except errors.NotFound:
                pass   # gone already
        self._write('delete stack %s' % stack_id, delete)

    def is_gone(self, stack_id):
        return self.deletion(stack_id) is None

    def deletion(self, stack_id):
        """One :meth:`details`: the CC answers 404 once the stack is
        deleted and its name free (``DELETE_COMPLETE`` from an older CC:
        gone too)."""
        return self._deletion(stack_id, name_free=True)

    def deletion_by_id(self, stack_id):
        """One :meth:`details`, gone also while the CC still shows
        ``DELETE_IN_PROGRESS`` but says Heat deleted the stack
        (``hurtle.stack.deleted``: Heat has not freed its name yet). A CC
        that does not say so (an older one) is waited for until 404, as
        :meth:`deletion`."""
        return self._deletion(stack_id, name_free=False)

    def _deletion(self, stack_id, name_free):
        try:
            info = self._info(stack_id)
        except deployer_api.DeployerError as exc:
            if exc.status == 404:
                return None
            raise
        if not name_free and info.attributes.get(DELETED) in (True, 'true'):
            return None
        details = self._details(stack_id, info)
        return None if details.status == 'DELETE_COMPLETE' else details
