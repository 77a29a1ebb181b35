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
"""The SO bundles and images the CC may start
(doc/source/admin/trust-model.rst).

The CC starts only what the operator registered:

* the ``so_bundle`` of every manifest in ``[sm] manifests`` of the CC's
  own configuration, resolved as the SM resolves it
  (``hurtle.manifest.load``; a manifest that does not load registers
  nothing, with a warning);
* every entry of ``[cc] allowed_images`` (a path relative to the first
  config file's directory, or an image name).

Paths are compared by their real path (symbolic links and ``..``
resolved), names as they are.
"""
import logging
import os

from hurtle import conf as hurtle_conf

LOG = logging.getLogger(__name__)


def _canonical(image):
    """Real path of an existing path; anything else as it is."""
    if os.path.isabs(image) or os.path.exists(image):
        return os.path.realpath(image)
    return image


def registered(conf):
    """Return the set of canonical registered images (see module doc)."""
    from hurtle import manifest as manifest_mod

    images = set()
    for path in conf.sm.manifests or []:
        try:
            loaded = manifest_mod.load(hurtle_conf.resolve_path(
                conf, path, 'manifests', 'sm'))
        except manifest_mod.ManifestError as exc:
            LOG.warning('its SO is not registered with the CC: %s', exc)
            continue
        if loaded.so_bundle:
            images.add(_canonical(loaded.so_bundle))
    for entry in conf.cc.allowed_images or []:
        entry = entry.strip()
        if not entry:
            continue
        resolved = hurtle_conf.resolve_path(conf, entry, 'allowed_images',
                                            'cc')
        if entry.startswith(('.', '/')) or os.path.exists(resolved):
            entry = resolved
        images.add(_canonical(entry))
    return images


def canonical(image):
    """The form of ``occi.app.image`` value ``image`` (str) the CC compares:
    the real path of an absolute path (symbolic links, ``.`` and ``..``
    resolved), anything else (an image name) as it is."""
    return _canonical(image) if os.path.isabs(image) else image


def resolve(image, allowed):
    """Return the registered form of ``image`` (its real path, or the
    name), or None if ``image`` is not in ``allowed``."""
    candidate = canonical(image)
    return candidate if candidate in allowed else None


def same(first, second):
    """True when the ``occi.app.image`` values ``first`` and ``second``
    (str) name the same image: equal :func:`canonical` forms (two
    spellings of one real path are the same image)."""
    return canonical(str(first)) == canonical(str(second))
