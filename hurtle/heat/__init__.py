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
"""The embedded Heat: a real Heat 27 on one machine (doc/source/
contributor/embedded-heat.rst).

``hurtle-heat --config-file etc/hurtle/hurtle.conf`` runs Heat's engine
service and its v1 API (Heat's own paste app, ``noauth`` pipeline) in one
process on ``[embedded_heat] host``/``port`` (127.0.0.1:8004), with a
SQLite database under ``[embedded_heat] state_path``, ``transport_url =
fake://``, Heat's fake keystone client, ``[oslo_policy]
enforce_new_defaults/enforce_scope = false`` and ``plugin_dirs`` = Hurtle's
``hurtle/heat_plugins/resources`` plus ``[embedded_heat] plugin_dirs``.

Modules:

* :mod:`~hurtle.heat.launcher` -- runs engine + API;
* :mod:`~hurtle.heat.heatconf` -- generates its heat.conf;
* :mod:`~hurtle.heat.db` -- schema sync and the SQLite id-reuse fix.

The API answers only callers sending Hurtle's local secret
(``<state_path>/local_secret``, see :mod:`hurtle.local_secret`) as
``X-Auth-Token``: 401 otherwise. Its clients (the SOs' Heat deployer)
use :mod:`hurtle.so.deployers.heat_noauth`, which does not import Heat.
Client recipe (noauth: user and project come from headers, the URL's
project must be the same project)::

    from hurtle.so.deployers import heat_noauth
    from hurtle import local_secret
    heat = heat_noauth.heat_client('http://127.0.0.1:8004/v1/admin',
                              token=local_secret.load_or_create(state_path))
    heat.stacks.list()

(see :mod:`hurtle.so.deployers.heat_noauth` for the keystoneauth1 session
it builds). With curl: ``curl -H "X-Auth-Token: $(cat
state/local_secret)" -H 'X-Auth-User: admin' -H 'X-Auth-Project: admin'
http://127.0.0.1:8004/v1/admin/stacks``. The openstack CLI works too:
``openstack --os-auth-type admin_token --os-token="$(cat
state/local_secret)" --os-endpoint http://127.0.0.1:8004/v1/admin stack
list`` (noauth defaults the user and project to ``admin``).
"""
