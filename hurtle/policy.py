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
        'Change attributes of a service instance, or its membership of '
        'a user mixin\'s collection.',
        [{'path': _INSTANCE, 'method': 'POST'},
         {'path': _INSTANCE, 'method': 'PUT'},
         {'path': '/{user_mixin}/', 'method': 'POST'},
         {'path': '/{user_mixin}/', 'method': 'PUT'},
         {'path': '/{user_mixin}/', 'method': 'DELETE'}]),
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
    :data:`RECHECK` seconds rather than on every check, and remembers its
    decisions (oslo.policy spends most of a check inspecting the
    signatures of its check classes).

    A decision depends only on the rules and on the rule's name, the
    project, the user, the roles and the kind of caller
    (:func:`authorize`'s target and credentials are made of these): it is
    kept under that key, at most :data:`MAX_DECISIONS` of them, until the
    rules change (the policy file or ``policy.d`` changed on disk and
    oslo.policy read it again, or defaults were registered).
    """

    _next_load = None

    #: Most decisions kept (all are dropped when the limit is reached).
    MAX_DECISIONS = 4096

    def __init__(self, conf):
        super().__init__(conf)
        self._decisions = {}
        self._fingerprint = None

    def load_rules(self, force_reload=False):
        now = time.monotonic()
        if force_reload or self._next_load is None or \
                now >= self._next_load or not self.rules:
            super().load_rules(force_reload)
            self._next_load = now + RECHECK
            fingerprint = (str(self.rules.default_rule), tuple(sorted(
                (name, str(check)) for name, check in self.rules.items())))
            if fingerprint != self._fingerprint:
                self._fingerprint = fingerprint
                self._decisions = {}

    def register_defaults(self, defaults):
        super().register_defaults(defaults)
        self._decisions = {}

    def forget(self):
        """Drop every remembered decision."""
        self._decisions = {}

    def decide(self, key):
        """Whether the rules allow ``key`` (``(rule, project, user,
        roles, caller)``: roles a tuple, caller None when not set), as
        :func:`authorize` asks it; remembered until the rules change."""
        self.load_rules()
        decisions = self._decisions
        allowed = decisions.get(key)
        if allowed is None:
            rule, project, user, roles, caller = key
            creds = {'roles': list(roles), 'project_id': project,
                     'user_id': user}
            if caller is not None:
                creds['hurtle_caller'] = caller
            allowed = bool(self.enforce(rule, {'project_id': project},
                                        creds))
            if len(decisions) >= self.MAX_DECISIONS:
                decisions = self._decisions = {}
            decisions[key] = allowed
        return allowed


def list_rules():
    """Entry point ``oslo.policy.policies`` (sample generator)."""
    return RULES


def get_enforcer(conf):
    """The enforcer of ``conf`` (one per configuration object)."""
    enforcer = _ENFORCERS.get(id(conf))
    if enforcer is not None:
        return enforcer
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
    environ = extras.get('environ')
    decisions = environ.setdefault(_DECISIONS, {}) \
        if isinstance(environ, dict) else {}
    allowed = decisions.get(rule)
    roles = tuple(extras.get('roles') or ())
    if allowed is None:
        allowed = decisions[rule] = get_enforcer(conf).decide(
            (rule, extras.get('project'), extras.get('user'), roles,
             caller))
    if not allowed:
        raise errors.Forbidden('policy does not allow %s for roles %s'
                               % (rule, ', '.join(roles) or '(none)'))
