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
"""The walk-through ``hurtle-all --demo`` runs against a serving SM.

It does what an OCCI client would: lists the SM's kinds, creates an
instance of the first service, follows ``mcn.service.state`` until
``active`` (or ``failed``), shows the instance's attributes (stack outputs
among them), deletes it and waits until the SM answers 404, then checks
that the Heat stack is gone. Returns 0 on success, 1 on failure.
"""
import time

from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle import polling

TIMEOUT = 300.0


def _say(text):
    print(text, flush=True)


def _service_kind(client, term='sample'):
    """The kind ``term`` if served, else the first service kind."""
    kinds = [c for c in client.query()
             if c.cls == 'kind' and c.location and
             c.location.rstrip('/').rsplit('/', 1)[-1] not in ('', '-')]
    for kind in kinds:
        if kind.term == term:
            return kind
    return kinds[0] if kinds else None


def _follow(client, location, done, timeout=TIMEOUT):
    """Poll ``location`` until ``done(entity)``; print state changes."""
    last = [None]

    def check():
        entity = client.get(location)
        state = entity.attributes.get('mcn.service.state')
        if state != last[0]:
            _say('  mcn.service.state = %s' % state)
            last[0] = state
        return entity if done(entity) else None
    try:
        return polling.poll_until(check, timeout, 0.5,
                                  'the state awaited of %s' % location)
    except polling.Timeout:
        raise RuntimeError('no result within %.0f s (state %s)'
                           % (timeout, last[0]))


def run(sm_url, conf):
    """Run the walk-through against the SM at ``sm_url``."""
    client = occi_client.OCCIClient(
        sm_url, headers={'X-Project-Id': conf.noauth_default_project})
    try:
        kind = _service_kind(client)
        if kind is None:
            _say('the SM serves no service kind')
            return 1
        _say('GET %s-/  → service kind %s%s at %s'
             % (sm_url, kind.scheme, kind.term, kind.location))
        started = time.monotonic()
        location = client.create(kind.location, occi_client.CategoryRef(
            kind.scheme, kind.term, 'kind'))
        _say('POST %s → 201 Created, Location: %s'
             % (kind.location, location))
        entity = _follow(client, location, lambda e: e.attributes.get(
            'mcn.service.state') in ('active', 'failed'))
        state = entity.attributes.get('mcn.service.state')
        if state != 'active':
            _say('instance failed: %s' % entity.attributes.get(
                'mcn.service.state.reason'))
            return 1
        elapsed = time.monotonic() - started
        _say('active after %.1f s; attributes:' % elapsed)
        for name in sorted(entity.attributes):
            _say('  %s = %r' % (name, entity.attributes[name]))
        client.delete(location)
        _say('DELETE %s → accepted' % location)
        try:
            _follow(client, location, lambda e: False)
        except errors.NotFound:
            _say('GET %s → 404 Not Found: the instance is gone' % location)
        return _check_stacks(conf, entity)
    except (errors.OCCIError, RuntimeError) as exc:
        _say('demo failed: %s' % exc)
        return 1


def _check_stacks(conf, entity):
    from hurtle import local_secret
    from hurtle.so.deployers import heat_noauth as heat_client
    stack_id = entity.attributes.get('occi.mcn.stack.id')
    project = conf.deployer.heat_project
    heat = heat_client.heat_client(
        conf.deployer.heat_url % {'project': project}, project=project,
        user=conf.deployer.heat_user,
        token=local_secret.load_or_create(conf.state_path))
    remaining = [s for s in heat.stacks.list() if s.id == stack_id]
    if remaining:
        _say('stack %s still exists: %s' % (stack_id,
                                            remaining[0].stack_status))
        return 1
    _say('Heat stack %s is gone; demo complete' % stack_id)
    return 0
