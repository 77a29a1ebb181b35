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
"""Conditional and held ("long-poll") GETs of one entity.

The wire protocol (doc/source/contributor/so-api.rst, cc-api.rst):

* a ``200`` to a GET (or HEAD) of one entity carries a strong ``ETag``
  (RFC 7232 2.3): a quoted hash of the representation sent (its
  rendered headers and body), so it differs per rendering;
* ``If-None-Match`` (RFC 7232 3.2) listing that tag (or ``*``) is answered
  ``304 Not Modified`` with the ``ETag`` and no body;
* with ``Prefer: wait=N`` too (RFC 7240 4.3, N seconds) and a kind
  backend that has ``wait_change(entity, extras, timeout)``, the request
  is *held*: the server waits for the entity to change (its backend
  says when it may have) and answers ``200`` with the new representation
  and tag as soon as it differs, its usual ``404`` when it is gone, or
  ``304`` after ``min(N, max_wait)`` seconds; a held answer carries
  ``Preference-Applied: wait=<seconds held at most>``.

* ``If-Match`` (RFC 9110 13.1.1) on a POST, PUT or DELETE of an
  entity is evaluated before anything changes (:func:`if_match`,
  :func:`check_if_match`): ``*`` holds when the entity exists, a list of
  tags when one of them is, by strong comparison, the tag a GET with the
  same ``Accept`` would answer now; a false condition is ``412
  Precondition Failed`` and nothing is done. A malformed ``If-Match`` is
  a ``400``: ignoring it would perform the change the client meant to
  guard. A collection has no tag: only ``*`` holds there.
* ``If-None-Match`` on a POST, PUT or DELETE (RFC 9110 13.1.2,
  :func:`check_if_none_match`): ``*`` fails (``412``) when the target
  exists, so a ``PUT`` with it only ever creates; a list fails when it
  names the current tag.

A server that knows none of this (another WSGI server than
:mod:`hurtle.occi.server`, an older Hurtle) answers ``200`` at once:
the client then looks again later, as it would without the headers.
Malformed ``If-None-Match`` or ``Prefer`` values are ignored (RFC 7240
2: unknown or bad preferences are ignored), never an error.

:class:`Holds` is the per-server book of held requests
(:mod:`hurtle.occi.server` puts one per request in the WSGI environ under
:data:`ENVIRON_KEY`): it bounds how many are held at once and ends them
when the server stops.
"""

import hashlib
import re
import socket
import threading

from hurtle.occi import errors

#: WSGI environ key of the request's :class:`Ticket` (set by
#: :mod:`hurtle.occi.server`; absent under other servers: no holding).
ENVIRON_KEY = 'hurtle.holds'
#: Longest seconds one ``wait_change`` call is given by the hold loop:
#: the loop looks at the server's stop in between.
STEP = 5.0

_ENTITY_TAG = re.compile(r'\s*(?:W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*$')
_WAIT = re.compile(r'^\s*wait\s*=\s*"?(\d{1,30}(?:\.\d{1,9})?)"?\s*$',
                   re.IGNORECASE)


def etag(mime_type, headers, body):
    """The strong entity tag of one representation: ``"<hash>"``.

    :param mime_type: the rendering's media type (str).
    :param headers: the rendering's headers, ``[(name, value)]``.
    :param body: the body (str or bytes).
    :returns: a quoted string of 22 characters (RFC 7232 2.3).
    """
    digest = hashlib.blake2b(digest_size=10)
    digest.update(mime_type.encode('utf-8'))
    for name, value in headers:
        digest.update(b'\n%s: %s' % (str(name).encode('utf-8'),
                                     str(value).encode('utf-8')))
    digest.update(b'\n\n')
    digest.update(body.encode('utf-8') if isinstance(body, str) else body)
    return '"%s"' % digest.hexdigest()


def _tag_list(value, keep_weak):
    """The entity tags of a conditional field's ``value``: ``['*']``, a
    list of quoted tags, or None when malformed or empty.

    :param keep_weak: keep a ``W/`` prefix on weak tags (a strong
        comparison then never matches them) instead of dropping it (the
        weak comparison of RFC 9110 8.8.3.2).
    """
    if value.strip() == '*':
        return ['*']
    tags = []
    for item in value.split(','):
        if not item.strip():
            continue
        found = _ENTITY_TAG.match(item)
        if found is None:
            return None
        weak = keep_weak and item.strip().startswith('W/')
        tags.append(('W/' if weak else '') + found.group(1))
    return tags or None


def if_none_match(environ):
    """The entity tags of the request's ``If-None-Match``: a list of
    quoted tags (a weak ``W/`` prefix dropped: the weak comparison of
    RFC 7232 3.2), ``['*']``, or None when absent or malformed (then
    ignored)."""
    value = environ.get('HTTP_IF_NONE_MATCH')
    return None if value is None else _tag_list(value, keep_weak=False)


def if_match(environ):
    """The entity tags of the request's ``If-Match``: None when absent,
    ``['*']``, or a list of quoted tags (weak ``W/`` tags kept with their
    prefix: they never match, since ``If-Match`` compares strongly).

    :raises hurtle.occi.errors.BadRequest: a value that is neither ``*``
        nor a comma-separated list of entity tags.
    """
    value = environ.get('HTTP_IF_MATCH')
    if value is None:
        return None
    tags = _tag_list(value, keep_weak=True)
    if tags is None:
        raise errors.BadRequest(
            'If-Match must be * or a comma-separated list of quoted '
            'entity tags (as sent in ETag), not %r.' % value[:100])
    return tags


def check_if_match(environ, current):
    """Evaluate the request's ``If-Match`` (RFC 9110 13.2.2, step 1).

    :param environ: the WSGI environ.
    :param current: a callable returning the quoted tag of the target's
        current representation, ``''`` when the target exists but has no
        tag (a collection), or None when it does not exist; called only
        when the request has a list of tags (or ``*``).
    :raises hurtle.occi.errors.BadRequest: a malformed ``If-Match``.
    :raises hurtle.occi.errors.PreconditionFailed: the condition is false.
    """
    tags = if_match(environ)
    if tags is None:
        return
    tag = current()
    if tag is None:
        raise errors.PreconditionFailed(
            'If-Match: the entity does not exist (any more).')
    if tags == ['*'] or (tag and tag in tags):
        return
    raise errors.PreconditionFailed(
        'If-Match: the entity changed since it was read (its ETag is now '
        '%s); read it again and retry.' % (tag or 'none: a collection has '
                                           'no ETag'),
        headers=[('ETag', tag)] if tag else None)


def check_if_none_match(environ, current):
    """Evaluate the request's ``If-None-Match`` on a method other than
    GET and HEAD (RFC 9110 13.1.2, 13.2.2 step 3): ``*`` is false when
    the target exists (a ``PUT`` that must only create), a list of tags
    when the current tag is among them; false is ``412``. A malformed
    value is refused (``400``), as for ``If-Match``: ignoring it would
    let a create-only ``PUT`` whose ``*`` was mistyped replace the entity
    (on GET and HEAD a malformed value is ignored: it only forgoes a
    ``304``).

    :param current: as for :func:`check_if_match`.
    :raises hurtle.occi.errors.BadRequest: a malformed ``If-None-Match``.
    :raises hurtle.occi.errors.PreconditionFailed: the condition is false.
    """
    value = environ.get('HTTP_IF_NONE_MATCH')
    if value is None:
        return
    tags = _tag_list(value, keep_weak=False)
    if tags is None:
        raise errors.BadRequest(
            'If-None-Match must be * or a comma-separated list of quoted '
            'entity tags (as sent in ETag), not %r.' % value[:100])
    tag = current()
    if tag is None:
        return
    if tags == ['*']:
        raise errors.PreconditionFailed(
            'If-None-Match: * and the entity exists; nothing was changed.')
    if tag and tag in tags:
        raise errors.PreconditionFailed(
            'If-None-Match: the entity still has ETag %s; nothing was '
            'changed.' % tag, headers=[('ETag', tag)])


def matches(tags, current):
    """Whether ``current`` (a quoted tag) is among ``tags`` (from
    :func:`if_none_match`)."""
    return tags is not None and ('*' in tags or current in tags)


def prefer_wait(environ):
    """Seconds of the request's ``Prefer: wait=N`` (RFC 7240 4.3), or
    None when absent or malformed. Several ``Prefer`` headers arrive
    joined by commas; the first ``wait`` counts."""
    value = environ.get('HTTP_PREFER')
    if not value:
        return None
    for item in value.split(','):
        name = item.split(';', 1)[0]
        if name.strip().lower().startswith('wait'):
            found = _WAIT.match(name)
            return float(found.group(1)) if found else None
    return None


class Holds(object):
    """The held requests of one server.

    :param max_wait: most seconds one request is held (float; 0: never).
    :param limit: most requests held at once; past it a request is
        answered at once (int).
    """

    def __init__(self, max_wait, limit):
        self.max_wait = float(max_wait)
        self.limit = int(limit)
        #: Set when the server stops: held requests end.
        self.stopping = threading.Event()
        self._lock = threading.Lock()
        self._held = {}     # id(ticket) -> connection socket

    def ticket(self, connection):
        """A :class:`Ticket` for one request on ``connection``."""
        return Ticket(self, connection)

    def _take(self, ticket):
        with self._lock:
            if self.stopping.is_set() or len(self._held) >= self.limit:
                return False
            self._held[id(ticket)] = ticket.connection
            return True

    def _release(self, ticket):
        with self._lock:
            self._held.pop(id(ticket), None)

    @property
    def count(self):
        """Requests held now."""
        with self._lock:
            return len(self._held)

    def stop(self):
        """End every held request: the stop is flagged (each hold loop
        ends at its next look) and the held connections are shut down at
        once, so their clients learn now that this server stops (as they
        would learn from a stopped server at their next look)."""
        self.stopping.set()
        with self._lock:
            connections = list(self._held.values())
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class Ticket(object):
    """One request's access to its server's :class:`Holds`; a context
    manager while held (``with ticket.hold() as held``: ``held`` False
    when none is free or the server stops)."""

    def __init__(self, holds, connection):
        self.holds = holds
        self.connection = connection

    @property
    def max_wait(self):
        return self.holds.max_wait

    @property
    def stopping(self):
        return self.holds.stopping

    def hold(self):
        return _Held(self)


class _Held(object):
    def __init__(self, ticket):
        self._ticket = ticket
        self._taken = False

    def __enter__(self):
        self._taken = self._ticket.holds._take(self._ticket)
        return self._taken

    def __exit__(self, *exc):
        if self._taken:
            self._ticket.holds._release(self._ticket)
        return False
