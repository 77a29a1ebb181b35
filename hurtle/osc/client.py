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
"""The CLI's client of the SM (and, for ``app list``, the CC).

:class:`HurtleClient` makes the OCCI calls with
:class:`hurtle.occi.client.OCCIClient` and turns every failure into one
:class:`osc_lib.exceptions.CommandError` line: the HTTP status and the
message of the server's answer (``"404 Not Found: no instance x"``), or
that a component could not be reached.

Two ways to find and authenticate to the SM:

* Keystone (:func:`from_session`): the SM (``service-manager``) and the CC
  (``cloud-controller``) are looked up in the catalog with the session
  python-openstackclient made from the ``OS_*`` settings; its token goes
  in ``X-Auth-Token``.
* The embedded default (:func:`from_options`): ``--hurtle-url`` (noauth),
  ``X-Project-Id`` from ``--hurtle-project``; the CC at
  ``--hurtle-cc-url`` with the local secret read from
  ``--hurtle-secret-file``.
"""
import contextlib
import http
import urllib.parse

from keystoneauth1 import exceptions as ks_exc
from osc_lib import exceptions as osc_exc

from hurtle.occi import client as occi_client
from hurtle.occi import errors

#: Catalog service types (devstack/plugin.sh registers them).
SM_SERVICE_TYPE = 'service-manager'
CC_SERVICE_TYPE = 'cloud-controller'
#: Scheme of OCCI's own kinds (not services).
CORE_SCHEME = 'http://schemas.ogf.org/occi/core#'
#: Project of the SOs' apps at the CC (the SM's ``[sm] service_project``).
DEFAULT_APP_PROJECT = 'service'
#: Seconds one HTTP request may take.
REQUEST_TIMEOUT = 60


def one_line(text):
    """``text`` with its lines joined by spaces (a message is one line)."""
    return ' '.join(str(text).split())


@contextlib.contextmanager
def command_errors(component='SM'):
    """Turn OCCI and Keystone errors into one-line ``CommandError``\\ s.

    :param component: what the requests go to, for "cannot reach" errors.
    """
    try:
        yield
    except errors.ConnectionFailed as exc:
        raise osc_exc.CommandError(
            '%s unreachable: %s' % (component, one_line(exc.message)))
    except errors.OCCIError as exc:
        raise osc_exc.CommandError('%s: %s' % (
            _status(exc.code), one_line(exc.message)))
    except ks_exc.EndpointNotFound:
        raise osc_exc.CommandError(
            'the Keystone catalog has no endpoint of the %s' % component)
    except ks_exc.ClientException as exc:
        raise osc_exc.CommandError('Keystone: %s' % one_line(exc))


def _status(code):
    try:
        return '%d %s' % (code, http.HTTPStatus(code).phrase)
    except ValueError:
        return 'HTTP %d' % code


def record(info):
    """An instance (or app) as a flat dict: ``id``, ``type`` (the kind's
    term), ``location`` (absolute URL), then every attribute by name."""
    data = {'id': info.id,
            'type': info.kind.term if info.kind is not None else None,
            'location': info.location}
    for name in sorted(info.attributes):
        data[name] = info.attributes[name]
    return data


class HurtleClient(object):
    """The SM (``sm_url``) and, optionally, the CC (``cc_url``).

    :param sm_url: the SM's root URL; ``None``: it is looked up when
        first needed with ``sm_finder()``.
    :param headers: headers of every SM request (auth, project).
    :param cc_url: the CC's root URL (``app list``); or ``cc_finder()``.
    :param cc_headers: headers of every CC request.
    :param verify: TLS verification (bool or CA bundle path).
    """

    def __init__(self, sm_url=None, headers=None, cc_url=None,
                 cc_headers=None, verify=True, sm_finder=None,
                 cc_finder=None):
        self._sm_url = sm_url
        self._cc_url = cc_url
        self._sm_finder = sm_finder
        self._cc_finder = cc_finder
        self.headers = dict(headers or {})
        self.cc_headers = dict(cc_headers or {})
        self.verify = verify
        self._sm = None

    def _occi(self, url, headers):
        return occi_client.OCCIClient(url, headers=headers,
                                      verify=self.verify,
                                      timeout=REQUEST_TIMEOUT, retries=1,
                                      backoff=0.2)

    @property
    def sm(self):
        """:class:`~hurtle.occi.client.OCCIClient` of the SM."""
        if self._sm is None:
            with command_errors('SM'):
                url = self._sm_url or self._sm_finder()
            self._sm = self._occi(url, self.headers)
        return self._sm

    def cc(self):
        """:class:`~hurtle.occi.client.OCCIClient` of the CC.

        :raises CommandError: no CC URL is known.
        """
        url = self._cc_url
        if not url and self._cc_finder is not None:
            with command_errors('CC'):
                url = self._cc_finder()
        if not url:
            raise osc_exc.CommandError(
                'the CC is not known: give --hurtle-cc-url (or '
                'HURTLE_CC_URL) with --hurtle-url')
        return self._occi(url, self.cc_headers)

    # -- services ----------------------------------------------------------
    def services(self):
        """The SM's service kinds (:class:`CategoryInfo`), by term."""
        with command_errors('SM'):
            categories = self.sm.query()
        kinds = [c for c in categories
                 if c.cls == 'kind' and c.location and
                 c.scheme != CORE_SCHEME]
        return sorted(kinds, key=lambda c: (c.term, c.scheme))

    def service(self, name):
        """The service kind named ``name`` (its term or ``scheme#term``).

        :raises CommandError: the SM offers no such service (the message
            lists those it offers).
        """
        kinds = self.services()
        for kind in kinds:
            if name in (kind.term, kind.id):
                return kind
        raise osc_exc.CommandError(
            'unknown service type %r; the SM offers: %s'
            % (name, ', '.join(k.term for k in kinds) or 'none'))

    # -- instances ---------------------------------------------------------
    def instance_locations(self, service=None):
        """Absolute URLs of the project's instances (of ``service``, a
        :class:`CategoryInfo`, only if given)."""
        with command_errors('SM'):
            if service is not None:
                return self.sm.list(service.location)
            return self.sm.list('/')

    def locate(self, ident):
        """The URL of instance ``ident``: its id, a path on the SM
        (``sample/<id>``) or its URL.

        :raises CommandError: the project has no instance with that id.
        """
        ident = str(ident)
        if '/' in ident:
            return self.sm.url(ident)
        for location in self.instance_locations():
            path = urllib.parse.urlsplit(location).path.rstrip('/')
            if path.rsplit('/', 1)[-1] == ident:
                return location
        raise osc_exc.CommandError(
            '404 Not Found: no instance %s in this project' % ident)

    def get(self, location):
        """:class:`EntityInfo` at ``location`` (errors: CommandError)."""
        with command_errors('SM'):
            return self.sm.get(location)

    def create(self, service, attributes):
        """Create an instance of ``service``; returns its URL."""
        with command_errors('SM'):
            return self.sm.create(service.location, service.ref,
                                  attributes)

    def update(self, location, attributes):
        """Partial update of the instance at ``location``."""
        with command_errors('SM'):
            kind = self.sm.get(location).kind
            self.sm.update(location, kind, attributes)

    def delete(self, location):
        """Delete the instance at ``location`` (disposal runs on)."""
        with command_errors('SM'):
            self.sm.delete(location)

    # -- apps --------------------------------------------------------------
    def apps(self):
        """The CC's apps of the project (:class:`EntityInfo` each)."""
        cc = self.cc()
        found = []
        with command_errors('CC'):
            for location in cc.list('/app/'):
                try:
                    found.append(cc.get(location))
                except errors.NotFound:
                    continue    # removed while listing
        return found


def from_session(session, interface=None, region_name=None, verify=True):
    """Keystone mode: the SM and CC from the catalog of ``session`` (a
    keystoneauth1 session with its auth plugin), its token in
    ``X-Auth-Token``.

    :raises CommandError: no token could be had (Keystone's reason).
    """
    def finder(service_type):
        return lambda: session.get_endpoint(
            service_type=service_type, interface=interface,
            region_name=region_name)

    with command_errors('Keystone'):
        token = session.get_token()
    headers = {'X-Auth-Token': token}
    return HurtleClient(headers=headers, cc_headers=headers, verify=verify,
                        sm_finder=finder(SM_SERVICE_TYPE),
                        cc_finder=finder(CC_SERVICE_TYPE))


def from_options(url, project=None, cc_url=None, secret_file=None,
                 verify=True):
    """The embedded default (noauth): the SM at ``url``, as ``project``
    (``X-Project-Id``; ``None``: the SM's default project); the CC at
    ``cc_url`` with the local secret in ``secret_file``, as ``project``
    or :data:`DEFAULT_APP_PROJECT`.

    :raises CommandError: a URL is not absolute, or the secret file
        cannot be read.
    """
    headers = {'X-Project-Id': project} if project else {}
    cc_headers = {'X-Project-Id': project or DEFAULT_APP_PROJECT}
    if cc_url and secret_file:
        try:
            with open(secret_file, encoding='utf-8') as handle:
                cc_headers['X-Auth-Token'] = handle.read().strip()
        except OSError as exc:
            raise osc_exc.CommandError(
                'cannot read the local secret %s: %s'
                % (secret_file, exc.strerror))
    for name, value in (('--hurtle-url', url), ('--hurtle-cc-url', cc_url)):
        if value and '://' not in value:
            raise osc_exc.CommandError(
                '%s must be an absolute URL, not %r' % (name, value))
    return HurtleClient(url, headers, cc_url, cc_headers, verify=verify)
