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
"""Composed services: the instances of a manifest's ``depends_on``.

For a composed service, its create first creates an instance of each
``depends_on`` service at its SM (``hurtle.sm.catalogue``), in manifest
order, each waited for until ``active``; a dependency's declared inputs
(``<service_type>#<attribute>``) are taken from the instances created
before it (:func:`dependency_inputs`), and the composed instance gets
every attribute of its dependencies that its own manifest declares
(:func:`inherited_attributes`). Its disposal deletes them in reverse
order, each waited for until its SM answers 404.
"""
from hurtle.occi import client as occi_client
from hurtle.occi import errors
from hurtle import polling
from hurtle.sm import scheduling
from hurtle.sm import states


def dependency_inputs(dependency, created):
    """Attributes to create ``dependency`` with, from its declared inputs.

    :param dependency: a ``hurtle.manifest.Dependency``; each input
        ``(<service_type>, <attribute>)`` names an attribute of an instance
        created before it.
    :param created: ``{service_type: attributes}`` of those instances.
    :returns: ``{attribute: value}``.
    :raises PhaseError: an input's service or attribute is not available.
    """
    inputs = {}
    for source_type, attribute in dependency.inputs:
        source = created.get(source_type)
        if source is None or attribute not in source:
            raise scheduling.PhaseError(
                'input %s#%s of %s is not available (inputs must come from '
                'dependencies listed before it)'
                % (source_type, attribute, dependency.service_type))
        inputs[attribute] = source[attribute]
    return inputs


def inherited_attributes(manifest, created):
    """The dependencies' attributes that ``manifest`` declares itself."""
    inherited = {}
    for attrs in created.values():
        for name, value in attrs.items():
            if name in manifest.attributes:
                inherited[name] = value
    return inherited


class Composition(object):
    """Creates and disposes of the dependency instances of composed ones.

    :param conf: oslo.config object (``[sm] phase_timeout``,
        ``poll_interval``).
    :param peers: ``hurtle.sm.peers.Peers``.
    :param catalogue: ``hurtle.sm.catalogue.Catalogue``.
    """

    def __init__(self, conf, peers, catalogue):
        self.conf = conf
        self.peers = peers
        self.catalogue = catalogue

    def _wait_dependency(self, op, client, location, service_type):
        def active():
            op.check()
            attrs = client.get(location).attributes
            state = attrs.get('mcn.service.state')
            if state == states.FAILED:
                raise scheduling.PhaseError('dependency %s failed: %s' % (
                    service_type, attrs.get('mcn.service.state.reason', '')))
            return attrs if state == states.ACTIVE else None
        try:
            return polling.poll_until(
                active, self.conf.sm.phase_timeout,
                self.conf.sm.poll_interval, 'dependency %s active'
                % service_type, stop=op.stopping)
        except polling.Timeout:
            raise scheduling.PhaseError(
                'dependency %s not active within %d s'
                % (service_type, self.conf.sm.phase_timeout))

    def create_dependencies(self, op, manifest):
        """Create (or find again) and wait for the instances ``manifest``
        depends on; record their locations on the instance
        (``dependencies``) before waiting, and the attributes it inherits
        from them at the end.

        :raises PhaseError: a dependency failed, did not become active in
            time, or its service or inputs are not available.
        """
        if not manifest.depends_on:
            return
        row = op.row()
        records = list(row.dependencies or [])
        known = {r['service_type']: r['location'] for r in records}
        created = {}   # service type -> attributes
        for dep in manifest.depends_on:
            location = known.get(dep.service_type)
            if location is None:
                try:
                    url = self.catalogue.resolve(dep.service_type)
                except LookupError as exc:
                    raise scheduling.PhaseError(str(exc))
                inputs = dependency_inputs(dep, created)
                scheme, term = dep.service_type.rsplit('#', 1)
                location = self.peers.sm(row, url).create(
                    url, occi_client.CategoryRef(scheme + '#', term, 'kind'),
                    inputs)
                records.append({'service_type': dep.service_type,
                                'location': location})
                # Recorded before waiting, so that dispose finds it.
                row = op.move(states.INITIALISE, dependencies=list(records))
            created[dep.service_type] = self._wait_dependency(
                op, self.peers.sm(row, location), location,
                dep.service_type)
        op.move(states.INITIALISE,
                attributes=inherited_attributes(manifest, created))

    def dispose_dependencies(self, row):
        """Delete the recorded dependency instances in reverse order, each
        waited for until its SM answers 404.

        :raises PhaseError: one failed to be disposed, or still exists
            after ``[sm] phase_timeout``.
        """
        for record in reversed(row.dependencies or []):
            client = self.peers.sm(row, record['location'])
            try:
                client.delete(record['location'])
            except errors.NotFound:
                continue

            def gone(location=record['location'], client=client):
                try:
                    attrs = client.get(location).attributes
                except errors.NotFound:
                    return True
                if attrs.get('mcn.service.state') == states.FAILED:
                    raise scheduling.PhaseError(
                        'dependency %s could not be disposed: %s'
                        % (location,
                           attrs.get('mcn.service.state.reason', '')))
                return None
            try:
                polling.poll_until(gone, self.conf.sm.phase_timeout,
                                   self.conf.sm.poll_interval,
                                   'disposal of %s' % record['location'])
            except polling.Timeout:
                raise scheduling.PhaseError(
                    'dependency %s still exists after %d s'
                    % (record['location'], self.conf.sm.phase_timeout))
