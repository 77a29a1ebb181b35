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
"""``hurtle-heat``: the embedded Heat (engine + v1 API) in one process.

Usage::

    hurtle-heat --config-file etc/hurtle/hurtle.conf

Reads ``[DEFAULT] state_path``, the ``[embedded_heat]`` and ``[wsgi]``
groups and the oslo.log options (``debug``, ``log_file``, ``log_dir``)
from Hurtle's configuration with a private ``ConfigOpts``: Heat owns the global
``cfg.CONF`` in this process, so Hurtle's options are kept off it and
names such as ``[DEFAULT] host`` or ``[database] connection`` never clash.
The groups Hurtle's Heat plugins read, ``[sdc]`` and ``[hurtle_heat]``,
are copied from Hurtle's configuration into the generated heat.conf
(:func:`plugin_groups`); ``[embedded_heat] heat_config``, read after it,
still overrides any Heat option (and these groups) for tuning.

The API answers only callers sending the local secret
(``<state_path>/local_secret``, created at first start; see
:mod:`hurtle.local_secret`) as ``X-Auth-Token``: 401 otherwise. With
``[embedded_heat] auth_strategy = keystone`` Heat checks Keystone tokens
itself instead (:func:`keystone_settings`;
doc/source/admin/openstack.rst). Files it creates are private to its
user (umask 077).

Exit status: 0 after SIGTERM/SIGINT (engine and API stopped), 2 when the
embedded Heat cannot start (port taken, state directory unwritable, bad
configuration; the message goes to the log and to stderr), 1 on an
unexpected failure.
"""
import logging as logging_std
import os
import signal
import sys
import threading

from oslo_config import cfg
from oslo_log import log as logging

LOG = logging.getLogger('hurtle.cmd.heat')


def load_conf(argv):
    """Parse Hurtle's config into a private ``ConfigOpts``.

    Relative ``state_path``, ``heat_config`` and ``plugin_dirs`` are made
    absolute against the directory of the config file that sets it.

    :param argv: command-line arguments (without the program name).
    :returns: ConfigOpts with ``[DEFAULT] state_path``, ``[embedded_heat]``,
        ``[wsgi]`` (its API server) and oslo.log options.
    """
    from hurtle import conf as hurtle_conf
    from hurtle.conf import embedded_heat
    from hurtle.conf import paths
    from hurtle.conf import wsgi as wsgi_conf

    conf = cfg.ConfigOpts()
    paths.register_opts(conf)
    embedded_heat.register_opts(conf)
    wsgi_conf.register_opts(conf)
    logging.register_options(conf)
    conf(argv, project='hurtle', prog='hurtle-heat',
         version=_hurtle_version())
    hurtle_conf.check_values(conf)
    # Relative paths are relative to the directory of the config file
    # that set them, as in every Hurtle process.
    hurtle_conf.resolve_state_path(conf)
    if conf.embedded_heat.state_path:
        conf.set_override('state_path', hurtle_conf.resolve_path(
            conf, conf.embedded_heat.state_path, 'state_path',
            'embedded_heat'), group='embedded_heat')
    if conf.embedded_heat.heat_config:
        conf.set_override('heat_config', hurtle_conf.resolve_path(
            conf, conf.embedded_heat.heat_config, 'heat_config',
            'embedded_heat'), group='embedded_heat')
    if conf.embedded_heat.plugin_dirs:
        conf.set_override('plugin_dirs', [
            hurtle_conf.resolve_path(conf, p, 'plugin_dirs', 'embedded_heat')
            for p in conf.embedded_heat.plugin_dirs], group='embedded_heat')
    return conf


def local_services(argv):
    """``<service_type>=<URL>`` of the services this machine's SM serves
    (``[sm] manifests``, ``host``, ``port`` of the same config files), for
    ``[hurtle_heat] service_catalogue``. Manifests that do not load are
    skipped here: the SM reports them.
    """
    from hurtle import conf as hurtle_conf
    from hurtle.conf import paths
    from hurtle.conf import sm as sm_conf
    from hurtle import manifest

    conf = cfg.ConfigOpts()
    paths.register_opts(conf)
    sm_conf.register_opts(conf)
    conf(argv, project='hurtle', prog='hurtle-heat',
         default_config_files=[])
    hurtle_conf.check_values(conf)
    entries = []
    for path in conf.sm.manifests:
        try:
            loaded = manifest.load(hurtle_conf.resolve_path(
                conf, path, 'manifests', 'sm'))
        except manifest.ManifestError as exc:
            LOG.warning('not in the Heat service catalogue: %s', exc)
            continue
        entries.append('%s=http://%s:%d/%s/' % (
            loaded.service_type, conf.sm.host, conf.sm.port, loaded.term))
    return entries


#: Options holding a path: relative to the directory of the config file
#: that sets each.
_PATH_OPTIONS = {('sdc', 'key_file'), ('sdc', 'ca_file'),
                 ('hurtle_heat', 'ca_file')}


def plugin_groups(argv):
    """``{group: {option: value}}`` of the ``[sdc]`` and ``[hurtle_heat]``
    options set in Hurtle's config files, for the generated heat.conf
    (heat-engine reads these groups for Hurtle's plugins; Heat's own
    ``cfg.CONF`` never sees Hurtle's files). Options left at their
    default are not copied; relative paths are made absolute against the
    directory of the config file that sets them.

    :raises cfg.Error: a value is invalid for its option (the message
        names it).
    """
    from hurtle import conf as hurtle_conf
    from hurtle.conf import hurtle_heat
    from hurtle.conf import paths
    from hurtle.conf import sdc

    conf = cfg.ConfigOpts()
    paths.register_opts(conf)
    sdc.register_opts(conf)
    hurtle_heat.register_opts(conf)
    conf(argv, project='hurtle', prog='hurtle-heat')
    groups = {}
    for group, opts in ((sdc.GROUP, sdc.sdc_opts),
                        (hurtle_heat.GROUP, hurtle_heat.list_opts()[
                            hurtle_heat.GROUP])):
        values = {}
        for opt in opts:
            value = conf[group][opt.dest]
            if value is None or value == opt.default:
                continue
            if (group, opt.dest) in _PATH_OPTIONS:
                value = hurtle_conf.resolve_path(conf, value, opt.dest,
                                                 group)
            values[opt.dest] = value
        if values:
            groups[group] = values
    return groups


def keystone_settings(conf, argv):
    """The heat.conf groups of ``[embedded_heat] auth_strategy =
    keystone`` (``hurtle.heat.heatconf.keystone_groups``), from
    Hurtle's ``[keystone_authtoken]`` (every option set in its files, the
    auth plugin's included; ``interface`` always, Hurtle's default being
    ``public``) and the ``[embedded_heat]`` trustee and stack domain
    options; ``{}`` with noauth.

    :raises cfg.Error: an invalid value.
    :raises hurtle.heat.heatconf.ConfigError: a required value is missing.
    """
    group = conf.embedded_heat
    if group.auth_strategy != 'keystone':
        return {}
    from keystoneauth1 import loading as ks_loading
    from keystonemiddleware import auth_token

    from hurtle import authtoken
    from hurtle.heat import heatconf

    ks_conf = cfg.ConfigOpts()
    authtoken.set_defaults(ks_conf)
    ks_loading.register_auth_conf_options(ks_conf, authtoken.GROUP)
    ks_conf(argv, project='hurtle', prog='hurtle-heat')
    opts = [opt for _group, group_opts in auth_token.AUTH_TOKEN_OPTS
            for opt in group_opts]
    opts += ks_loading.get_auth_common_conf_options()
    auth_type = ks_conf[authtoken.GROUP].auth_type
    if auth_type:
        plugin_opts = ks_loading.get_auth_plugin_conf_options(auth_type)
        ks_conf.register_opts(plugin_opts, group=authtoken.GROUP)
        opts += plugin_opts
    values = {}
    for opt in opts:
        value = ks_conf[authtoken.GROUP][opt.dest]
        if opt.dest != 'interface' and (value is None or
                                        value == opt.default):
            continue
        if isinstance(value, (list, tuple)):
            value = ','.join(str(v) for v in value)
        values[opt.dest] = value
    trustee = {'username': group.trustee_username or
               values.get('username'),
               'password': group.trustee_password or values.get('password'),
               'user_domain_id': group.trustee_user_domain_id}
    stack_domain = {
        'stack_user_domain_name': group.stack_user_domain_name,
        'stack_domain_admin': group.stack_domain_admin,
        'stack_domain_admin_password': group.stack_domain_admin_password}
    return heatconf.keystone_groups(values, trustee, stack_domain)


def _hurtle_version():
    try:
        from hurtle import version
        return version.version_string()
    except Exception:
        return 'unknown'


def _fail(message, status):
    LOG.error('%s', message)
    sys.stderr.write('hurtle-heat: error: %s\n' % message)
    return status


def main(argv=None):
    """Console script: :func:`run`, then exit the process at once.

    After a clean stop (engine and API stopped, database closed, logs
    flushed) the interpreter's own teardown of Heat's thousands of
    modules and futurist's idle-worker join take seconds for nothing,
    so the process ends with ``os._exit`` and :func:`run`'s status.
    """
    status = run(argv)
    logging_std.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(status)


def run(argv=None):
    """Run until SIGTERM/SIGINT; return the exit status (see module doc)."""
    argv = sys.argv[1:] if argv is None else argv
    # State, database, logs and the local secret: for this user only.
    from hurtle import state_dir
    os.umask(state_dir.PRIVATE_MASK)
    try:
        conf = load_conf(argv)
    except cfg.Error as exc:
        # Logging is not set up yet: one line on stderr, no traceback.
        sys.stderr.write('hurtle-heat: error: invalid configuration: %s\n'
                         % exc)
        return 2
    try:
        state_dir.secure(conf.state_path)
    except OSError as exc:
        sys.stderr.write('hurtle-heat: error: cannot create state_path '
                         '%s: %s\n' % (conf.state_path, exc.strerror or exc))
        return 2
    logging.setup(conf, 'hurtle-heat')

    from hurtle.heat import launcher
    from hurtle import local_secret
    from hurtle import signal_relay

    stop_requested = threading.Event()

    # In the signal relay's thread: the main thread waits on
    # stop_requested, whose lock a signal handler must not take
    # (hurtle.signal_relay).
    def _on_signal(signo):
        LOG.info('Received %s, stopping', signal.Signals(signo).name)
        stop_requested.set()

    signal_relay.handle(signal_relay.STOP_SIGNALS, _on_signal)

    from hurtle.heat import heatconf

    try:
        groups = plugin_groups(argv)
        keystone = keystone_settings(conf, argv)
        services = local_services(argv)
    except (cfg.Error, heatconf.ConfigError) as exc:
        return _fail('invalid configuration: %s' % exc, 2)
    settings = launcher.Settings.from_conf(
        conf, service_catalogue=services, groups=groups)
    settings.keystone = tuple((name, tuple(options.items()))
                              for name, options in keystone.items())
    if not keystone:
        # noauth: only holders of the local secret may call it.
        try:
            settings.local_secret = local_secret.load_or_create(
                conf.state_path)
        except local_secret.LocalSecretError as exc:
            return _fail(str(exc), 2)
    heat = launcher.EmbeddedHeat(settings)
    try:
        heat.start()
    except launcher.LaunchError as exc:
        return _fail(str(exc), 2)
    except Exception as exc:
        LOG.exception('Embedded Heat failed to start')
        return _fail('unexpected error while starting: %s' % exc, 1)

    status = 0
    while not stop_requested.wait(0.5):
        if not heat.api_alive():
            status = _fail('the Heat API thread died', 1)
            break
    heat.stop()
    _log_leftover_threads()
    return status


def _log_leftover_threads():
    left = [t.name for t in threading.enumerate()
            if t is not threading.main_thread() and not t.daemon
            and t.is_alive()]
    if left:
        LOG.warning('Threads still running after stop: %s', ', '.join(left))


if __name__ == '__main__':
    sys.exit(main())
