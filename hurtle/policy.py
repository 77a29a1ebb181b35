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
"""Who may do what on Hurtle's APIs (oslo.policy).

Ownership is enforced by the stores (a project sees only its own
instances and apps: 404 otherwise); these rules say which roles may act at
all. Defaults: readers may look at instances, members and admins may also
create, update and delete them; only admins (the SM's service user) may use
the CC's app API; admins and SOs (authenticated by their secret,
``hurtle.cc.so_auth``: the credential ``hurtle_caller:so``) may read the
CC's design service. Operators override them in a ``policy.yaml`` (oslo.policy
``[oslo_policy] policy_file``); ``oslopolicy-sample-generator --namespace
hurtle`` lists them.

Denied requests answer 403 (``hurtle.occi.errors.Forbidden``).
"""
import threading
import time

from oslo_policy import policy

from hurtle.occi import errors

READER = 'role:reader or role:member or role:admin'
MEMBER = 'role:member or role:admin'
ADMIN = 'role:admin'
#: An SO authenticated by its secret on the CC (``caller='so'`` in
#: :func:`authorize`).
SO = 'hurtle_caller:so'

_INSTANCE = '/{service}/{instance_id}'
RULES = [
    policy.DocumentedRuleDefault(
        'hurtle:instance:get', READER, 'Show or list service instances.',
        [{'path': _INSTANCE, 'method': 'GET'},
         {'path': '/{service}/', 'method': 'GET'}]),
    policy.DocumentedRuleDefault(
        'hurtle:instance:create', MEMBER, 'Create a service instance.',
        [{'path': '/{service}/', 'method': 'POST'},
         {'path': _INSTANCE, 'method': 'PUT'}]),
    policy.DocumentedRuleDefault(
        'hurtle:instance:update', MEMBER,
        'Change attributes of a service instance.',
        [{'path': _INSTANCE, 'method': 'POST'}]),
    policy.DocumentedRuleDefault(
        'hurtle:instance:delete', MEMBER, 'Dispose of a service instance.',
        [{'path': _INSTANCE, 'method': 'DELETE'}]),
    policy.DocumentedRuleDefault(
        'hurtle:app:manage', ADMIN,
        'Use the CC app API: start, inspect, stop and remove SOs.',
        [{'path': '/app/', 'method': 'GET'},
         {'path': '/app/', 'method': 'POST'},
         {'path': '/app/{app_id}', 'method': 'GET'},
         {'path': '/app/{app_id}', 'method': 'POST'},
         {'path': '/app/{app_id}', 'method': 'DELETE'}]),
    policy.DocumentedRuleDefault(
        'hurtle:service:get', '%s or %s' % (ADMIN, SO),
        'Read the CC design service: the service types it knows and the '
        'SM endpoint of each (SMs resolving depends_on, SOs).',
        [{'path': '/service/', 'method': 'GET'},
         {'path': '/service/{term}', 'method': 'GET'}]),
]

_LOCK = threading.Lock()
_ENFORCERS = {}

#: Seconds between two looks for the policy file and ``policy.d`` on
#: disk (oslo.policy looks on every check; it reloads a changed file).
RECHECK = 1.0

#: Key of the per-request decisions in the WSGI environ.
_DECISIONS = 'hurtle.policy.decisions'


class _Enforcer(policy.Enforcer):
    """An ``Enforcer`` that looks for policy file changes at most every
    :data:`RECHECK` seconds rather than on every check, and keeps its
    decisions until then (a decision depends only on the rules, the
    rule's name, the target and the credentials; oslo.policy spends most
    of a check inspecting the signatures of its check classes)."""

    _next_load = None

    #: Most decisions kept between two looks at the file.
    MAX_DECISIONS = 4096

    def __init__(self, conf):
        super().__init__(conf)
        self._decisions = {}

    def load_rules(self, force_reload=False):
        now = time.monotonic()
        if force_reload or self._next_load is None or \
                now >= self._next_load or not self.rules:
            super().load_rules(force_reload)
            self._decisions = {}
            self._next_load = now + RECHECK

    def decide(self, rule, target, creds):
        """``enforce(rule, target, creds)`` as a bool, remembered until
        the rules are looked at again."""
        self.load_rules()
        key = (rule, tuple(sorted(target.items())),
               tuple(sorted((k, tuple(v) if isinstance(v, list) else v)
                            for k, v in creds.items())))
        decisions = self._decisions
        allowed = decisions.get(key)
        if allowed is None:
            allowed = bool(self.enforce(rule, target, creds))
            if len(decisions) >= self.MAX_DECISIONS:
                decisions.clear()
            decisions[key] = allowed
        return allowed


def list_rules():
    """Entry point ``oslo.policy.policies`` (sample generator)."""
    return RULES


def get_enforcer(conf):
    """The enforcer of ``conf`` (one per configuration object)."""
    with _LOCK:
        enforcer = _ENFORCERS.get(id(conf))
        if enforcer is None:
            enforcer = _Enforcer(conf)
            enforcer.register_defaults(RULES)
            _ENFORCERS[id(conf)] = enforcer
        return enforcer


def authorize(conf, rule, extras, caller=None):
    """Check ``rule`` for the caller in ``extras`` (the OCCI layer's).

    A request's decision on a rule is kept in its WSGI environ (``extras
    ['environ']``): a listing checks once, not once per member.

    :param extras: ``{'project', 'user', 'roles'}`` of the request
        (and its ``environ``, if any).
    :param caller: the kind of caller the API authenticated itself
        (``'so'``), the credential ``hurtle_caller`` (None: not set).
    :raises hurtle.occi.errors.Forbidden: the rule denies the caller.
    """
    extras = extras or {}
    creds = {'roles': list(extras.get('roles') or []),
             'project_id': extras.get('project'),
             'user_id': extras.get('user')}
    if caller is not None:
        creds['hurtle_caller'] = caller
    target = {'project_id': extras.get('project')}
    environ = extras.get('environ')
    decisions = environ.setdefault(_DECISIONS, {}) \
        if isinstance(environ, dict) else {}
    allowed = decisions.get(rule)
    if allowed is None:
        allowed = decisions[rule] = get_enforcer(conf).decide(
            rule, target, creds)
    if not allowed:
        raise errors.Forbidden('policy does not allow %s for roles %s'
                               % (rule, ', '.join(creds['roles']) or
                                  '(none)'))
