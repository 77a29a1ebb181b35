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
"""Generate the heat.conf of the embedded Heat.

Pure functions: nothing here imports Heat. The launcher writes the result
to ``<state dir>/heat.conf`` (mode 0600: it holds the encryption key) and
hands it to Heat's global ``oslo.config`` object, followed by the optional
operator file ``[embedded_heat] heat_config`` (whose values win). The
groups Hurtle's Heat plugins read, ``[sdc]`` and ``[hurtle_heat]``, are
copied into it from Hurtle's own configuration files
(``hurtle.cmd.heat.plugin_groups``).

With Keystone auth (``[embedded_heat] auth_strategy = keystone``) the
generated file selects Heat's token-checking paste pipeline (no
``flavor``: Heat's ``default`` pipeline, ``authurl authtoken context``),
Heat's real keystone client, ``deferred_auth_method = trusts``,
``reauthentication_auth_method = trusts`` and ``allow_trusts_redelegation
= true`` (Heat works with its stack trust once the user's token is gone,
and the SM can redelegate that trust), and carries the groups
:func:`keystone_groups` makes.
"""
import configparser
import io
import os
import secrets
import sys
import sysconfig

import hurtle
from hurtle import state_dir

#: Heat's noauth keystone stand-in: no Keystone needed by the engine.
FAKE_KEYSTONE = ('heat.engine.clients.os.keystone.fake_keystoneclient.'
                 'FakeKeystoneClient')

#: oslo.messaging notifier driver of stack events (setup.cfg) and the
#: group of its options (``hurtle.heat.notifier``).
NOTIFIER = 'hurtle_cc'
NOTIFIER_GROUP = 'hurtle_stack_events'

KEY_FILE = 'auth_encryption_key'
DB_FILE = 'heat.sqlite'
CONF_FILE = 'heat.conf'


class ConfigError(Exception):
    """The embedded Heat cannot be configured (message says why)."""


def hurtle_plugin_dir():
    """Absolute path of Hurtle's ``hurtle/heat_plugins/resources``."""
    return os.path.join(os.path.dirname(os.path.abspath(hurtle.__file__)),
                        'heat_plugins', 'resources')


def find_api_paste_ini():
    """Locate Heat's own ``api-paste.ini``.

    openstack-heat installs it as a data file under ``<prefix>/etc/heat``;
    the system locations are searched after the running interpreter's
    prefixes.

    :returns: absolute path.
    :raises ConfigError: when no copy exists.
    """
    prefixes = [sys.prefix, sysconfig.get_paths().get('data'),
                sys.base_prefix, '/usr/local', '/']
    candidates = []
    for prefix in prefixes:
        if prefix:
            path = os.path.join(prefix, 'etc', 'heat', 'api-paste.ini')
            if path not in candidates:
                candidates.append(path)
    for path in candidates:
        if os.path.isfile(path):
            return os.path.abspath(path)
    raise ConfigError('Heat\'s api-paste.ini not found (looked in %s); is '
                      'openstack-heat installed in this environment?'
                      % ', '.join(candidates))


def ensure_state_dir(path):
    """Create ``path`` (mode 0700) if needed, make it and its files private
    (``hurtle.state_dir.secure``) and check it is writable.

    :raises ConfigError: if it cannot be created or written.
    """
    try:
        os.makedirs(path, mode=0o700, exist_ok=True)
    except OSError as exc:
        raise ConfigError('cannot create the embedded Heat state directory '
                          '%s: %s' % (path, exc.strerror or exc))
    if not os.path.isdir(path):
        raise ConfigError('embedded Heat state path %s is not a directory'
                          % path)
    # It holds Heat's database and encryption key: for this user only.
    state_dir.secure(path)
    probe = os.path.join(path, '.write-test')
    try:
        with open(probe, 'w') as f:
            f.write('ok')
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError('embedded Heat state directory %s is not '
                          'writable: %s' % (path, exc.strerror or exc))


def _write_private(path, text):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(text)
    os.chmod(path, 0o600)


def encryption_key(state_dir):
    """Return the 32-character ``auth_encryption_key`` kept in ``state_dir``.

    Generated once (``secrets``) and reused, so encrypted properties stay
    readable across restarts.
    """
    path = os.path.join(state_dir, KEY_FILE)
    if os.path.exists(path):
        with open(path) as f:
            key = f.read().strip()
        if len(key) == 32:
            return key
        raise ConfigError('%s must hold exactly 32 characters' % path)
    key = secrets.token_hex(16)
    _write_private(path, key + '\n')
    return key


def _lines(option, value):
    """``option = value`` lines of one option; lists repeat the option
    (oslo.config's MultiStrOpt, the only list option Hurtle copies)."""
    values = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for item in values:
        if isinstance(item, bool):
            item = 'true' if item else 'false'
        text = str(item)
        if '\n' in text or '\r' in text:
            raise ConfigError('option %s: a value cannot span lines'
                              % option)
        out.append('%s = %s\n' % (option, text))
    return out


def keystone_groups(authtoken, trustee, stack_domain):
    """The heat.conf groups of Heat with Keystone auth.

    :param authtoken: ``{option: value}`` of Hurtle's own
        ``[keystone_authtoken]`` (copied: Heat validates tokens with the
        same settings); ``auth_url`` is required.
    :param trustee: ``{'username', 'password', 'user_domain_id'}``: the
        Heat service user Heat's own trusts delegate to (``[trustee]``).
    :param stack_domain: ``{'stack_user_domain_name', 'stack_domain_admin',
        'stack_domain_admin_password'}`` (``[DEFAULT]``).
    :returns: ``{group: {option: value}}`` including ``DEFAULT``.
    :raises ConfigError: ``auth_url`` or a password is missing.
    """
    auth_url = authtoken.get('auth_url')
    if not auth_url:
        raise ConfigError('[embedded_heat] auth_strategy = keystone needs '
                          '[keystone_authtoken] auth_url')
    for name, value in (('trustee_password', trustee.get('password')),
                        ('stack_domain_admin_password',
                         stack_domain.get('stack_domain_admin_password'))):
        if not value:
            raise ConfigError('[embedded_heat] auth_strategy = keystone '
                              'needs [embedded_heat] %s' % name)
    # Heat acts with its stack trust, not the user's token, for the
    # whole of a create and for later updates (a long operation outlives
    # the token; Hurtle::Service::Instance then calls the SM with a
    # token of that trust), and makes that trust redelegatable, so that
    # the SM can make the instance's own trust from it
    # (hurtle.sm.trusts). Both are [DEFAULT] options of Heat's
    # heat.common.config (engine_opts).
    default = {'deferred_auth_method': 'trusts',
               'reauthentication_auth_method': 'trusts',
               'allow_trusts_redelegation': 'true'}
    default.update((k, v) for k, v in stack_domain.items() if v)
    return {
        'DEFAULT': default,
        'keystone_authtoken': dict(authtoken),
        'clients_keystone': {
            'auth_uri': authtoken.get('www_authenticate_uri') or auth_url},
        'trustee': dict({'auth_type': 'password', 'auth_url': auth_url},
                        **{k: v for k, v in trustee.items() if v}),
    }


def render(state_dir, plugin_dirs, auth_key, debug=False, log_file=None,
           log_dir=None, api_paste_config=None, service_catalogue=(),
           groups=None, keystone=None, stack_events=None,
           notification_bus=None):
    """Return the text of the embedded Heat's heat.conf.

    :param state_dir: absolute state directory (holds the SQLite file).
    :param plugin_dirs: list of absolute plugin directories.
    :param auth_key: 32-character encryption key.
    :param api_paste_config: absolute path of Heat's api-paste.ini
        (default: :func:`find_api_paste_ini`).
    :param service_catalogue: ``<service_type>=<URL>`` entries for the
        repeatable ``[hurtle_heat] service_catalogue`` option.
    :param groups: ``{group: {option: value}}`` copied from Hurtle's own
        configuration (``[sdc]``, ``[hurtle_heat]``: the groups Hurtle's
        Heat plugins read); a list value repeats the option. Entries of
        ``[hurtle_heat] service_catalogue`` come after ``service_catalogue``
        (a later entry for a service type wins).
    :param keystone: ``{group: {option: value}}`` of
        :func:`keystone_groups` for Heat with Keystone auth; None: noauth
        (Heat's ``noauth`` pipeline and fake keystone client).
    :param stack_events: ``{'url': <the CC's /stack-events URL>,
        'state_path': <Hurtle's state_path>}``: Heat's notifications go
        to the ``hurtle_cc`` driver (``hurtle.heat.notifier``), which
        reads ``[hurtle_stack_events]``; None: Heat's default (none).
    :param notification_bus: an oslo.messaging transport URL: Heat's
        notifications go there with the ``messagingv2`` driver, as a
        cloud's Heat sends them, instead of ``stack_events``.
    :raises ConfigError: a value holds a line break.
    """
    paste = api_paste_config or find_api_paste_ini()
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    default = {
        'debug': str(bool(debug)).lower(),
        'transport_url': 'fake://',
        'keystone_backend': FAKE_KEYSTONE,
        'plugin_dirs': ','.join(plugin_dirs),
        'auth_encryption_key': auth_key,
        'num_engine_workers': '1',
        # noauth has no Keystone to create trusts in: with 'trusts' a
        # stack update fails while checking the stored trust.
        'deferred_auth_method': 'password',
    }
    keystone = {name: dict(options) for name, options in
                (keystone or {}).items()}
    if keystone:
        # Heat's own keystone client and trusts (Heat's defaults).
        del default['keystone_backend']
        default.update(keystone.pop('DEFAULT', {}))
    if log_file:
        default['log_file'] = log_file
    if log_dir:
        default['log_dir'] = log_dir
    etc_heat = os.path.dirname(paste)
    for option, name in (('environment_dir', 'environment.d'),
                         ('template_dir', 'templates')):
        if os.path.isdir(os.path.join(etc_heat, name)):
            default[option] = os.path.join(etc_heat, name)
    parser['DEFAULT'] = default
    parser['database'] = {
        'connection': 'sqlite:///' + os.path.join(state_dir, DB_FILE),
    }
    parser['paste_deploy'] = {'api_paste_config': paste}
    if not keystone:
        parser['paste_deploy']['flavor'] = 'noauth'
    # else no flavor: Heat's "default" pipeline checks Keystone tokens.
    parser['oslo_policy'] = {
        'enforce_new_defaults': 'false',
        'enforce_scope': 'false',
    }
    if notification_bus:
        if '\n' in notification_bus or '\r' in notification_bus:
            raise ConfigError('a notification transport URL cannot span '
                              'lines')
        parser['oslo_messaging_notifications'] = {
            'driver': 'messagingv2',
            # oslo.config expands $name: keep a $ of the password.
            'transport_url': notification_bus.replace('$', '$$')}
    elif stack_events:
        for value in stack_events.values():
            if '\n' in value or '\r' in value:
                raise ConfigError('a stack events setting cannot span '
                                  'lines')
        parser['oslo_messaging_notifications'] = {'driver': NOTIFIER}
        parser[NOTIFIER_GROUP] = {
            'url': stack_events['url'],
            'state_path': stack_events['state_path']}
    out = io.StringIO()
    out.write('# Generated by hurtle-heat at each start; do not edit.\n'
              '# Put overrides in [embedded_heat] heat_config instead.\n')
    parser.write(out)
    groups = {name: dict(options) for name, options in
              (groups or {}).items()}
    for name, options in keystone.items():
        groups.setdefault(name, {}).update(options)
    catalogue = list(service_catalogue) + list(
        groups.setdefault('hurtle_heat', {}).pop('service_catalogue', []))
    if catalogue:
        groups['hurtle_heat']['service_catalogue'] = catalogue
    # Written by hand: repeatable (MultiStrOpt) options take one line per
    # entry, which configparser cannot write.
    for name in sorted(groups):
        if not groups[name]:
            continue
        out.write('[%s]\n' % name)
        for option in sorted(groups[name]):
            out.writelines(_lines(option, groups[name][option]))
        out.write('\n')
    return out.getvalue()


def write(state_dir, text):
    """Write ``text`` to ``<state_dir>/heat.conf`` (0600); return its path."""
    path = os.path.join(state_dir, CONF_FILE)
    _write_private(path, text)
    return path
