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
"""``POST /stack-events``: the embedded Heat tells the CC which stacks
may have changed (doc/source/contributor/cc-api.rst, "Waiting for a
stack"); mounted beside the OCCI API, not an OCCI kind.

Only the embedded Heat's notifier driver (:mod:`hurtle.heat.notifier`)
calls it, in the format of :mod:`hurtle.stack_event_format`, with its
token (derived from the local secret, not the secret itself); anything
else answers ``401``. Answers ``204``; ``400`` for any other body (the
message says what is wrong), ``413`` over ``MAX_BODY`` bytes, ``405``
for a method other than POST. Each event wakes the waiters of that
stack (:class:`hurtle.cc.stack_events.Hub`), a heartbeat (no event)
keeps the source live; nothing is stored or trusted.
"""
import hmac
import logging

from hurtle.occi import errors
from hurtle import stack_event_format as wire

LOG = logging.getLogger(__name__)

_TOKEN_ENVIRON = 'HTTP_X_AUTH_TOKEN'


class StackEventsApp(object):
    """WSGI application of ``POST /stack-events`` (see module doc).

    :param hub: the CC's :class:`hurtle.cc.stack_events.Hub`.
    :param secret: the local secret (str); the token expected is derived
        from it.
    """

    def __init__(self, hub, secret):
        if not secret:
            raise ValueError('the local secret must not be empty')
        self.hub = hub
        self._token = wire.token(secret).encode('ascii')

    @staticmethod
    def _answer(start_response, status, text=None, headers=()):
        body = b'' if text is None else (text + '\n').encode('utf-8')
        head = [('Content-Length', str(len(body)))] + list(headers)
        if text is not None:
            head.append(('Content-Type', 'text/plain; charset=utf-8'))
        start_response(status, head)
        return [body]

    def __call__(self, environ, start_response):
        given = environ.get(_TOKEN_ENVIRON, '').encode('utf-8', 'replace')
        if not hmac.compare_digest(given, self._token):
            return self._answer(
                start_response, '401 Unauthorized',
                'send the stack events token as X-Auth-Token',
                [('WWW-Authenticate', 'X-Auth-Token realm="hurtle-cc"')])
        if environ.get('PATH_INFO', '') not in ('', '/'):
            return self._answer(start_response, '404 Not Found',
                                'no such resource')
        if environ.get('REQUEST_METHOD') != 'POST':
            return self._answer(start_response, '405 Method Not Allowed',
                                'use POST', [('Allow', 'POST')])
        try:
            length = int(environ.get('CONTENT_LENGTH') or 0)
        except ValueError:
            return self._answer(start_response, '400 Bad Request',
                                'bad Content-Length')
        if length > wire.MAX_BODY:
            return self._answer(start_response,
                                '413 Request Entity Too Large',
                                'at most %d bytes' % wire.MAX_BODY)
        if environ.get('HTTP_TRANSFER_ENCODING'):
            # hurtle.occi.server decodes a chunked body and marks it
            # wsgi.input_terminated: read it to its end, one byte past
            # the limit to tell a body that is too large.
            if not environ.get('wsgi.input_terminated'):
                return self._answer(start_response, '411 Length Required',
                                    'send the body with a Content-Length')
            stream = environ['wsgi.input']
            if hasattr(stream, 'max_size'):
                stream.max_size = wire.MAX_BODY
            try:
                body = stream.read(wire.MAX_BODY + 1)
            except errors.RequestEntityTooLarge:
                body = b'x' * (wire.MAX_BODY + 1)
            except (ValueError, TimeoutError):
                return self._answer(start_response, '400 Bad Request',
                                    'malformed or incomplete chunked body')
            if len(body) > wire.MAX_BODY:
                return self._answer(start_response,
                                    '413 Request Entity Too Large',
                                    'at most %d bytes' % wire.MAX_BODY)
        else:
            body = environ['wsgi.input'].read(length) if length > 0 \
                else b''
        try:
            events = wire.parse(body)
        except wire.BadEvents as exc:
            return self._answer(start_response, '400 Bad Request', str(exc))
        if events:
            for stack_id, state in events:
                self.hub.notify(stack_id, state)
            LOG.debug('stack events: %s', ', '.join(
                '%s %s' % (stack_id, state) for stack_id, state in events))
        else:
            self.hub.source_seen()
        return self._answer(start_response, '204 No Content')
