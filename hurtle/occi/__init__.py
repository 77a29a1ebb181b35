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
"""Hurtle's OCCI layer: a Python 3 WSGI app over PySSF, and its client.

Serving (doc/source/contributor/occi-layer.rst)::

    from occi import backend
    from hurtle.occi import app, categories, errors, middleware, server

    class AppBackend(backend.KindBackend, backend.ActionBackend):
        def create(self, entity, extras):      # extras['project'] ...
            entity.attributes['occi.app.state'] = 'created'
        def update(self, old, new, extras):    # you copy what you accept
            old.attributes.update(new.attributes)
        def action(self, entity, action, attributes, extras):
            if action == categories.APP_STOP:
                raise errors.Conflict('already stopped')

    application = app.Application()           # or Application(Registry(store))
    application.register_backend(categories.APP, AppBackend())
    application.register_backend(categories.APP_START, AppBackend())
    wsgi = middleware.NoAuthMiddleware(application, default_project='admin')
    srv = server.make_server(wsgi, '127.0.0.1', 8887)
    srv.serve_forever()

Entities live in :class:`hurtle.occi.registry.EntityStore` (``MemoryStore``
by default; the SM/CC plug in a SQLAlchemy one), scoped by project; user
mixins in a :class:`hurtle.occi.registry.MixinStore` (memory by default,
SQL in the SM), per project with a limit.  ``Application(public_url=,
category_locations=)`` choose how locations are rendered (see
``hurtle.occi.app``).

The server (``server.make_server``) bounds the time a client may take to
send headers and body (408 after), the connections served at once (503
with Retry-After past it), serves HTTP/1.1 keep-alive and decodes chunked
request bodies.

Backend contract (PySSF's, plus): ``extras`` carries ``project``, ``user``,
``roles`` and ``environ``; raise :mod:`hurtle.occi.errors` for a status
(anything else becomes a logged 500 with a short message); ``update`` and
``replace`` copy what they accept from ``new`` into ``old``; set
``entity.actions`` to the actions applicable now (all of the kind's after
create; others give 409); ``delete`` may return ``202`` to keep the entity
until the backend removes it; an optional ``after_create(entity, extras)``
runs once the created entity is stored (its errors are logged, the
answer stays 201; see ``hurtle.occi.app``); an optional
``authorize_list(extras)`` may refuse (raise) a GET of a collection
holding the backend's kind or entities of it, as ``retrieve`` refuses one
entity.  Attributes are checked
against the kind and mixins before backends run (unknown, immutable or
missing required: 400) unless the kind has ``extensible = True``.

Renderings: ``text/plain`` (default), ``text/occi``, ``text/uri-list``
(collections), ``application/occi+json`` (OCCI 1.2 JSON, GFD.226, read
and write), ``text/html``; chosen by ``Accept`` with q-values.

Client::

    from hurtle.occi.client import OCCIClient, CategoryRef
    c = OCCIClient('http://127.0.0.1:8887', headers={'X-Project-Id': 'p'})
    loc = c.create('/app/', CategoryRef.of(categories.APP),
                   {'occi.app.name': 'x', 'occi.app.image': 'y'})
    c.get(loc).attributes

Modules: ``errors`` (typed errors), ``categories`` (Hurtle kinds and
actions), ``registry``, ``app`` (WSGI), ``renderings``/``parsing``
(text/plain, text/occi, text/uri-list, OCCI 1.2 JSON, HTML),
``middleware`` (noauth), ``server`` (bounded threaded wsgiref),
``client``, ``handlers`` (verb dispatch) and ``entities`` (the entity
engine behind them).
This package must not import ``hurtle.conf``.
"""
