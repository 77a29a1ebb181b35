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
"""One instance, one stack per region: how their states add up.

An SO whose manifest lists ``regions`` (doc/source/contributor/
manifest.rst) has one stack per region; it reports them to the SM as one
(doc/source/contributor/so-api.rst, "Several regions"):

* ``occi.mcn.stack.state``: :func:`aggregate`;
* ``occi.mcn.stack.id``: :func:`encode_ids`, a JSON object
  ``{"<region>": "<stack id>", ...}`` (text);
* every output as ``<region>.<output key>`` (:func:`keyed_outputs`).
"""
import json

from hurtle.sdk import deployer as deployer_api


def aggregate(states):
    """The state of an instance from the states of its stacks.

    :param states: ``[(region, StackDetails), ...]`` in the manifest's
        order, not empty.
    :returns: ``(status, reason)``:

        * a stack ``*_FAILED``: the first failed one's status, and the
          reasons of the failed stacks, each after its region
          (``"RegionTwo: Resource CREATE failed: ..."``, joined by
          ``"; "``);
        * else a stack not ``*_COMPLETE`` (in progress): its status;
        * else a stack ``ROLLBACK_*``: its status, and the rolled back
          stacks' reasons after their regions;
        * else all ``*_COMPLETE``: their status when they agree; when they
          differ (an update that reached some regions only), the first
          that does not start with ``UPDATE_``, so that the SM asks for
          the provision or update again.

        Without a failure or rollback the reason lists every region's
        reason that is not empty.
    """
    def reasons(chosen):
        return '; '.join('%s: %s' % (region, details.reason or
                                     details.status)
                         for region, details in chosen)
    failed = [(r, d) for r, d in states if d.failed]
    if failed:
        return failed[0][1].status, reasons(failed)
    busy = [d for _r, d in states if not d.complete]
    informative = '; '.join('%s: %s' % (r, d.reason)
                            for r, d in states if d.reason)
    if busy:
        return busy[0].status, informative
    rolled = [(r, d) for r, d in states
              if d.status.startswith('ROLLBACK_')]
    if rolled:
        return rolled[0][1].status, reasons(rolled)
    statuses = [d.status for _r, d in states]
    behind = [s for s in statuses if not s.startswith('UPDATE_')]
    if len(set(statuses)) > 1 and behind:
        return behind[0], informative
    return statuses[0], informative


def keyed_outputs(states):
    """``{"<region>.<output key>": value}`` of every stack's outputs.

    :param states: ``[(region, StackDetails), ...]``.
    """
    return {'%s.%s' % (region, key): value
            for region, details in states
            for key, value in (details.outputs or {}).items()}


def encode_ids(ids):
    """``occi.mcn.stack.id`` of several stacks: ``{region: id}`` as JSON
    text (in the order of ``ids``: the manifest's)."""
    return json.dumps(ids)


def decode_ids(value):
    """``{region: stack id}`` from ``occi.mcn.stack.id``: the JSON object
    of :func:`encode_ids`, or ``{None: value}`` for the id of a single
    stack (None: the deployer's default region); ``{}`` when empty."""
    if not value:
        return {}
    text = str(value)
    if text.startswith('{'):
        try:
            ids = json.loads(text)
        except ValueError:
            ids = None
        if isinstance(ids, dict) and all(
                isinstance(v, str) for v in ids.values()):
            return ids
    return {None: text}


def in_region(region, exc):
    """``exc`` (a ``DeployerError``) with its message after the region:
    a ``DeployerUnavailable`` stays one, any other is a ``DeployerError``
    with the same status."""
    message = '%s: %s' % (region, exc)
    if isinstance(exc, deployer_api.DeployerUnavailable):
        return deployer_api.DeployerUnavailable(message, detail=exc.detail)
    return deployer_api.DeployerError(message, status=exc.status)
