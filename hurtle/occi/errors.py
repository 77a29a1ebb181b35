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
"""Typed OCCI errors shared by the server layer and the client.

Every error carries ``code`` (the HTTP status, an ``int``) and ``message``
(a short human readable ``str``, never a traceback).  Backends raise these
to answer a request with that status; :class:`hurtle.occi.client.OCCIClient`
raises them for 4xx/5xx answers, with the server's message.

:class:`ConnectionFailed` has ``code`` 503 (the service could not be
reached: connection refused, DNS failure, timeout, TLS failure); it is what
the client raises after its retries are exhausted on a network error.
"""

import http


class OCCIError(Exception):
    """An OCCI request failed with HTTP status ``code``."""

    code = 500

    def __init__(self, message=None, code=None, headers=None):
        #: extra response headers, list of ``(name, value)`` (e.g. Allow)
        self.headers = list(headers or [])
        #: the headers of the answer a client got this error from (a
        #: case-insensitive mapping, ``hurtle.occi.client``; empty
        #: otherwise); never sent on by a server
        self.response_headers = {}
        if code is not None:
            self.code = int(code)
        if message is None:
            try:
                message = http.HTTPStatus(self.code).phrase
            except ValueError:
                message = 'Error'
        self.message = str(message)
        super(OCCIError, self).__init__(self.message)

    def __str__(self):
        return '%d %s' % (self.code, self.message)

    def __repr__(self):
        return '%s(%r, code=%d)' % (type(self).__name__, self.message,
                                    self.code)


class BadRequest(OCCIError):
    """400: the request is malformed or breaks an OCCI rule."""
    code = 400


class Unauthorized(OCCIError):
    """401: no (valid) credentials."""
    code = 401


class Forbidden(OCCIError):
    """403: the credentials do not allow this request."""
    code = 403


class NotFound(OCCIError):
    """404: no such entity, category or location (for this project)."""
    code = 404


class MethodNotAllowed(OCCIError):
    """405: the HTTP method is not defined on this location."""
    code = 405


class NotAcceptable(OCCIError):
    """406: no rendering matches the ``Accept`` header."""
    code = 406


class RequestTimeout(OCCIError):
    """408: the client did not send the request (body) in time."""
    code = 408


class Conflict(OCCIError):
    """409: the request conflicts with the current state (e.g. an action
    that is not applicable now, a user mixin that already exists).
    """
    code = 409


class LengthRequired(OCCIError):
    """411: a body without a length this server can read."""
    code = 411


class PreconditionFailed(OCCIError):
    """412: an ``If-Match`` condition is false (RFC 9110 13.1.1): the
    entity changed since the client read it, or is not there."""
    code = 412


class RequestEntityTooLarge(OCCIError):
    """413: body too large, or a page past the collection's limit."""
    code = 413


class UnsupportedMediaType(OCCIError):
    """415: the request ``Content-Type`` cannot be parsed."""
    code = 415


class InternalError(OCCIError):
    """500: an unexpected failure (details are logged, not sent)."""
    code = 500


class NotImplementedYet(OCCIError):
    """501: a feature (or OCCI version) this service does not implement."""
    code = 501


class ServiceUnavailable(OCCIError):
    """503: the service (or one it depends on) is unavailable now."""
    code = 503


class ConnectionFailed(ServiceUnavailable):
    """Network failure reaching an OCCI endpoint (code 503)."""


class NoAnswer(ConnectionFailed):
    """The endpoint took the request but sent no answer within the read
    timeout, or the caller's deadline passed (code 503): a process
    that is stopped or hung, as opposed to one that cannot be reached."""


_BY_CODE = {cls.code: cls for cls in (
    BadRequest, Unauthorized, Forbidden, NotFound, MethodNotAllowed,
    NotAcceptable, RequestTimeout, Conflict, LengthRequired,
    PreconditionFailed, RequestEntityTooLarge, UnsupportedMediaType,
    InternalError, NotImplementedYet, ServiceUnavailable)}


def error_for_status(code, message=None):
    """Return the :class:`OCCIError` subclass instance for HTTP ``code``.

    Unknown codes give a plain :class:`OCCIError` carrying that code.
    """
    code = int(code)
    cls = _BY_CODE.get(code)
    if cls is None:
        return OCCIError(message, code=code)
    return cls(message)
