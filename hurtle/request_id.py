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
"""``request_id`` WSGI middleware: an id for every API request.

The contract of oslo.middleware's ``RequestId`` (same environ keys,
header and id format, which other OpenStack services and clients
rely on), as a plain PEP 3333 wrapper: oslo's builds a webob request
and response around every call, a fifth of a ``GET`` of one instance.

* ``environ['openstack.request_id']``: a new ``req-<uuid4>`` (the form
  of ``oslo_context.context.generate_request_id``), made by
  :func:`generate` from :func:`random.getrandbits` rather than
  ``uuid4``'s ``os.urandom`` system call: a request id names a request
  in logs and answers, it is no secret (nothing may rely on it being
  unguessable). CPython reseeds :mod:`random` in a forked child
  (``os.register_at_fork``), so processes forked from one parent do not
  repeat each other's ids;
* an ``X-OpenStack-Request-Id`` header of that form sent by the caller
  (its global request id) → ``environ['openstack.global_request_id']``;
  any other value is ignored;
* the response carries ``x-openstack-request-id: <the new id>`` after
  the application's headers, unless the application set that header
  itself (any case).

Paste::

    [filter:request_id]
    paste.filter_factory = hurtle.request_id:filter_factory
"""
import random
import re

from oslo_middleware import request_id as oslo_request_id

#: ``environ`` key of this request's id (``req-<uuid4>``).
ENV_REQUEST_ID = oslo_request_id.ENV_REQUEST_ID
#: ``environ`` key of the caller's valid global request id.
ENV_GLOBAL_REQUEST_ID = oslo_request_id.GLOBAL_REQ_ID
#: Response header carrying :data:`ENV_REQUEST_ID`'s value.
HEADER = oslo_request_id.HTTP_RESP_HEADER_REQUEST_ID

_INBOUND = 'HTTP_' + oslo_request_id.INBOUND_HEADER.upper().replace('-', '_')
_ID_FORMAT = re.compile(oslo_request_id.ID_FORMAT)

# Bits of a random UUID (RFC 4122 4.4): version 4, variant 10.
_UUID_KEEP = ~((0xf << 76) | (0x3 << 62))
_UUID_SET = (0x4 << 76) | (0x2 << 62)


def generate():
    """A new request id, ``req-`` and a random UUID (version 4) as
    text; not a secret (see the module docstring)."""
    text = '%032x' % (random.getrandbits(128) & _UUID_KEEP | _UUID_SET)
    return 'req-%s-%s-%s-%s-%s' % (text[:8], text[8:12], text[12:16],
                                   text[16:20], text[20:])


class RequestIdMiddleware(object):
    """Give each request an id (see the module docstring).

    :param app: the WSGI application to wrap.
    """

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        inbound = environ.get(_INBOUND)
        if inbound and _ID_FORMAT.match(inbound):
            environ[ENV_GLOBAL_REQUEST_ID] = inbound
        request_id = generate()
        environ[ENV_REQUEST_ID] = request_id

        def _start_response(status, headers, exc_info=None):
            for name, _value in headers:
                if name.lower() == HEADER:
                    break
            else:
                headers = list(headers)
                headers.append((HEADER, request_id))
            return start_response(status, headers, exc_info)
        return self.app(environ, _start_response)


def filter_factory(global_conf, **local_conf):
    """Paste filter factory (no options)."""
    return RequestIdMiddleware
