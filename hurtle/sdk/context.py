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
"""What the SO runtime hands to one Service Orchestrator."""
import dataclasses
import logging
import os

from hurtle.sdk import deployer as deployer_api


@dataclasses.dataclass
class SOContext:
    """The environment of one SO instance.

    ``instance_id``: the service instance id (str) the SO works for.
    ``bundle_dir``: absolute path of the SO bundle (templates live here).
    ``templates``: ``{'deployment': path, 'provision': path}`` from the
    manifest's ``resources`` for the SM's region (may be empty).
    ``deployer``: a ``hurtle.sdk.Deployer`` for the instance's project.
    ``project``: the project the SO deploys into.
    ``monitoring``: a ``hurtle.sdk.monitoring.Monitoring`` (alarms and
    metrics through the CC), or None outside ``hurtle-so``.
    ``dns``: a ``hurtle.sdk.dns.DNS`` (``[dns] driver``), or None outside
    ``hurtle-so``.
    ``regions``: ``{region: {'deployment': path, 'provision': path}}``,
    in the manifest's order, when the manifest lists ``regions`` (one
    stack per region); else empty.
    ``regional_deployers``: ``{region: Deployer}`` deploying into each
    region of ``regions``.
    """

    instance_id: str
    bundle_dir: str
    templates: dict
    deployer: deployer_api.Deployer
    project: str = 'admin'
    monitoring: object = None
    dns: object = None
    log: logging.Logger = dataclasses.field(
        default_factory=lambda: logging.getLogger('hurtle.so.instance'))
    regions: dict = dataclasses.field(default_factory=dict)
    regional_deployers: dict = dataclasses.field(default_factory=dict)

    def deployer_in(self, region):
        """The deployer of ``region`` (a key of ``regions``); None: the
        ``deployer``.

        :raises hurtle.sdk.DeployerError: no deployer for that region.
        """
        if region is None:
            return self.deployer
        try:
            return self.regional_deployers[region]
        except KeyError:
            raise deployer_api.DeployerError('no deployer for region %s'
                                             % region)

    def template_path(self, phase, default=None, region=None):
        """Return the absolute path of the template for ``phase``.

        Looks up the manifest's ``resources`` first (of ``region``, a key
        of ``regions``; None: ``templates``), then ``default`` relative
        to the bundle. Raises FileNotFoundError if neither exists.
        """
        templates = (self.templates if region is None
                     else self.regions.get(region) or {})
        ref = templates.get(phase) or default
        if not ref:
            raise FileNotFoundError('no %s template configured' % phase)
        path = ref if os.path.isabs(ref) else os.path.join(
            self.bundle_dir, ref)
        if not os.path.isfile(path):
            raise FileNotFoundError('%s template %s not found'
                                    % (phase, path))
        return path

    def read_template(self, phase, default=None, region=None):
        """Return the text of the template for ``phase`` (in ``region``,
        see :meth:`template_path`)."""
        with open(self.template_path(phase, default, region),
                  encoding='utf-8') as f:
            return f.read()
