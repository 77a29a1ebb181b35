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
"""Service type → SM collection URL: the look-ups shared by the SM's
composition (:mod:`hurtle.sm.catalogue`) and the CC's design service
(:mod:`hurtle.cc.design`).

Service types are ``<scheme>#<term>`` (a manifest's ``service_type``);
URLs are collection URLs ending with ``/``
(``http://127.0.0.1:8888/sample/``). Three sources:

* the services of manifests served by an SM at ``[sm] host:port``
  (:func:`local_services`);
* configured entries ``<service_type>=<URL>``
  (:func:`hurtle.conf.types.parse_catalogue_entries`);
* the Keystone service catalog, where SMs register their services under
  the full service type (``[sm] register_service``):
  :func:`keystone_endpoint` for one type, :func:`keystone_services` for
  every Hurtle service type (those with a ``#``) on an interface in a
  region.
"""
from keystoneauth1 import exceptions as ks_exc


def with_slash(url):
    """``url`` ending with exactly one ``/``."""
    return url.rstrip('/') + '/'


def term_of(service_type):
    """The term of ``<scheme>#<term>`` (``service_type`` itself without
    ``#``)."""
    return str(service_type).rpartition('#')[2]


def local_services(conf, manifests):
    """``{service_type: URL}`` of ``manifests`` served by the SM of
    ``conf``: ``http://[sm] host:port/<term>/``."""
    base = 'http://%s:%d' % (conf.sm.host, conf.sm.port)
    return {m.service_type: '%s/%s/' % (base, m.term) for m in manifests}


def keystone_endpoint(session, service_type, interface, region):
    """The URL of ``service_type`` in the Keystone catalog of ``session``
    (a keystoneauth1 session) on ``interface`` in ``region``, with a
    trailing slash; None when the catalog has none there.

    :raises keystoneauth1.exceptions.ClientException: no token could be
        had (Keystone unreachable, bad credentials).
    """
    try:
        url = session.get_endpoint(service_type=service_type,
                                   interface=interface, region_name=region)
    except ks_exc.EndpointNotFound:
        # keystoneauth1 raises this when the type is in the catalog but
        # not on this interface or in this region.
        url = None
    return with_slash(url) if url else None


def keystone_services(session, interface, region):
    """``{service_type: URL}`` of every Hurtle service type (``#`` in the
    type) in the Keystone catalog of ``session`` on ``interface`` in
    ``region`` (the first endpoint of each; URLs with a trailing slash).

    :raises keystoneauth1.exceptions.ClientException: no token could be
        had (Keystone unreachable, bad credentials).
    """
    access = session.auth.get_access(session)
    found = access.service_catalog.get_endpoints_data(
        interface=interface, region_name=region)
    return {service_type: with_slash(endpoints[0].url)
            for service_type, endpoints in sorted(found.items())
            if '#' in service_type and endpoints and endpoints[0].url}
