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
"""Typed errors for Joyent CloudAPI answers.

CloudAPI answers an error with an HTTP status and a JSON body
``{"code": "<Code>", "message": "<text>"}`` (CloudAPI reference, "Error
Responses"). :func:`from_response` maps status and code to the classes
below: the code decides when it is known, else the status.
"""


class CloudAPIError(Exception):
    """Base of every CloudAPI failure.

    :ivar status: HTTP status code (``None`` for transport failures).
    :ivar code: CloudAPI error code, e.g. ``ResourceNotFound``.
    :ivar message: CloudAPI's human readable message.
    """

    status = None
    code = 'UnknownError'

    def __init__(self, message, status=None, code=None):
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        if code is not None:
            self.code = code

    def __str__(self):
        if self.status is None:
            return '%s: %s' % (self.code, self.message)
        return '%s (HTTP %s): %s' % (self.code, self.status, self.message)


class ConnectionFailed(CloudAPIError):
    """CloudAPI could not be reached (DNS, refused, TLS, timeout)."""

    code = 'ConnectionFailed'


class InvalidKey(CloudAPIError):
    """The configured signing key cannot be read or is of no known type."""

    code = 'InvalidKey'


class BadRequest(CloudAPIError):
    status = 400
    code = 'BadRequest'


class InvalidArgument(CloudAPIError):
    """A parameter has a bad value (restify answers 409)."""

    status = 409
    code = 'InvalidArgument'


class MissingParameter(CloudAPIError):
    """A required parameter is missing (restify answers 409)."""

    status = 409
    code = 'MissingParameter'


class InvalidCredentials(CloudAPIError):
    status = 401
    code = 'InvalidCredentials'


class NotAuthorized(CloudAPIError):
    status = 403
    code = 'NotAuthorized'


class ResourceNotFound(CloudAPIError):
    status = 404
    code = 'ResourceNotFound'


class Gone(ResourceNotFound):
    """The resource existed and is deleted (HTTP 410)."""

    status = 410
    code = 'ResourceGone'


class MethodNotAllowed(CloudAPIError):
    status = 405
    code = 'BadMethod'


class Conflict(CloudAPIError):
    status = 409
    code = 'Conflict'


class InUse(Conflict):
    code = 'InUseError'


class InvalidVersion(CloudAPIError):
    status = 449
    code = 'InvalidVersion'


class RequestThrottled(CloudAPIError):
    status = 429
    code = 'RequestThrottled'


class InternalError(CloudAPIError):
    status = 500
    code = 'InternalError'


class ServiceUnavailable(CloudAPIError):
    status = 503
    code = 'ServiceUnavailable'


_BY_CODE = {
    'BadRequest': BadRequest,
    'InvalidArgument': InvalidArgument,
    'MissingParameter': MissingParameter,
    'InvalidHeader': BadRequest,
    'InvalidCredentials': InvalidCredentials,
    'NotAuthorized': NotAuthorized,
    'ResourceNotFound': ResourceNotFound,
    'InUseError': InUse,
    'InvalidVersion': InvalidVersion,
    'RequestThrottled': RequestThrottled,
    'InternalError': InternalError,
}

_BY_STATUS = {
    400: BadRequest,
    401: InvalidCredentials,
    403: NotAuthorized,
    404: ResourceNotFound,
    405: MethodNotAllowed,
    409: Conflict,
    410: Gone,
    420: RequestThrottled,
    429: RequestThrottled,
    449: InvalidVersion,
    503: ServiceUnavailable,
}


def from_response(status, body):
    """Build the typed error for one CloudAPI error answer.

    :param status: HTTP status code (int).
    :param body: the decoded JSON body (dict) or ``None``/text when the
        body was not CloudAPI's JSON error object.
    :returns: a :class:`CloudAPIError` subclass instance; a 410 always
        gives :class:`Gone` whatever the code.
    """
    code = None
    message = None
    if isinstance(body, dict):
        code = body.get('code')
        message = body.get('message')
    if not message:
        if status == 410:
            message = 'The resource has been deleted'
        elif isinstance(body, str) and body:
            message = body
        else:
            message = 'HTTP %s' % status
    if status == 410:
        cls = Gone
    elif code in _BY_CODE:
        cls = _BY_CODE[code]
    elif status in _BY_STATUS:
        cls = _BY_STATUS[status]
    elif status >= 500:
        cls = InternalError
    else:
        cls = CloudAPIError
    return cls(message, status=status, code=code or cls.code)


class NotConfigured(CloudAPIError):
    """The ``[sdc]`` group lacks url, account or key_file."""

    code = 'NotConfigured'
