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
"""Assembling the SM from configuration: manifests → OCCI application."""
import os

from hurtle import bundle_command
from hurtle import conf as hurtle_conf
from hurtle import manifest as manifest_mod
from hurtle.sm import api
from hurtle.sm import registration

CONF = hurtle_conf.CONF


def load_manifests(conf):
    """Load ``[sm] manifests``; relative paths are taken from the first
    config file's directory.

    :raises hurtle.manifest.ManifestError: a manifest is missing or
        invalid (the message names the file and field), its SO bundle has
        a bad ``bundle.json`` (:mod:`hurtle.bundle_command`), or none is
        set.
    """
    if not conf.sm.manifests:
        raise manifest_mod.ManifestError('[sm] manifests lists no manifest')
    manifests = [
        manifest_mod.load(hurtle_conf.resolve_path(conf, path, 'manifests',
                                                   'sm'))
        for path in conf.sm.manifests]
    for manifest in manifests:
        check_bundle(manifest)
    return manifests


def check_bundle(manifest):
    """Refuse a manifest whose SO bundle directory has a bad
    ``bundle.json`` (a container image name is not checked).

    :raises hurtle.manifest.ManifestError: names the manifest and says
        what is wrong with the file.
    """
    if not (manifest.so_bundle and os.path.isdir(manifest.so_bundle)):
        return
    try:
        bundle_command.load(manifest.so_bundle)
    except bundle_command.BundleCommandError as exc:
        raise manifest_mod.ManifestError('%s: so_bundle: %s'
                                         % (manifest.path, exc))


def build(conf=CONF):
    """Return ``(application, lifecycle)`` of this SM."""
    return api.make_application(conf, load_manifests(conf))


def register_services(conf, lifecycle):
    """Register this SM's services in the Keystone catalog when ``[sm]
    register_service`` is set (:mod:`hurtle.sm.registration`).

    :returns: what :func:`hurtle.sm.registration.register_services`
        returns, or ``[]`` when registration is off.
    :raises hurtle.sm.registration.RegistrationError: Keystone refused or
        could not be reached, or ``auth_strategy`` is not ``keystone``.
    """
    if not conf.sm.register_service:
        return []
    if conf.auth_strategy != 'keystone':
        raise registration.RegistrationError(
            '[sm] register_service needs auth_strategy = keystone')
    return registration.register_services(
        conf, lifecycle.manifests.values(),
        lifecycle.peers.keystone_session())
