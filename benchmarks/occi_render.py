#!/usr/bin/env python3
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
"""Render and parse times of hurtle.occi's renderings.

Prints, for each rendering, the time to render the query interface with
N kinds (default 1,000) and a collection of M entities (default 10,000),
and the time to parse them back; each at 1/4, 1/2 and the full size, with
the time per item, so linear growth shows as a flat per-item column.

Usage: python benchmarks/occi_render.py [--kinds 1000] [--entities 10000]
"""

import argparse
import time

from occi import backend
from occi import core_model

from hurtle.occi import app as occi_app
from hurtle.occi import client as occi_client
from hurtle.occi import parsing

HOST = 'http://127.0.0.1:8888'
RENDERINGS = ('text/plain', 'text/occi', 'text/uri-list',
              'application/occi+json', 'text/html')


class _Resp(object):
    """Enough of a requests.Response for the client's parsers."""

    def __init__(self, headers, body, mime):
        # Repeated header lines are joined with ", " as requests does.
        self.headers = {}
        for name, value in headers:
            if name in self.headers:
                self.headers[name] += ', ' + value
            else:
                self.headers[name] = value
        self.headers['Content-Type'] = mime
        self.text = body
        self.content = body.encode('utf-8')
        self.url = HOST + '/'
        self.status_code = 200

    def json(self):
        import json
        return json.loads(self.text)


def _kinds(count):
    kinds = []
    for i in range(count):
        kinds.append(core_model.Kind(
            'http://bench.example/occi/k%d#' % i, 'kind%d' % i,
            related=[core_model.Resource.kind], title='Kind number %d' % i,
            attributes={'bench.a%d' % i: 'required',
                        'bench.b%d' % i: 'immutable',
                        'bench.c': 'mutable'},
            location='/kind%d/' % i))
    return kinds


def _app(kinds):
    app = occi_app.Application()
    back = backend.KindBackend()
    for kind in kinds:
        app.register_backend(kind, back)
    app.registry.set_hostname(HOST)
    return app


def _entities(kind, count):
    out = []
    for i in range(count):
        ent = core_model.Resource('%s%08d' % (kind.location, i), kind, [])
        ent.attributes = {'bench.c': 'value %d, "quoted"' % i,
                          'bench.n': i, 'bench.f': i / 3.0,
                          'bench.t': bool(i % 2)}
        out.append(ent)
    return out


def _time(func, repeat=3):
    best = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func()
        took = time.perf_counter() - start
        best = took if best is None or took < best else best
    return best, result


def _parse_query(client, mime, headers, body):
    resp = _Resp(headers, body, mime)

    class _Canned(object):
        def request(self, *a, **k):
            return resp

        def __getattr__(self, name):
            return getattr(client, name)
    return occi_client.OCCIClient.query(_Canned())


def _parse_collection(client, mime, headers, body):
    return client._locations(_Resp(headers, body, mime))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--kinds', type=int, default=1000)
    parser.add_argument('--entities', type=int, default=10000)
    args = parser.parse_args()

    all_kinds = _kinds(args.kinds)
    client = occi_client.OCCIClient(HOST)
    client._kind_locations = {str(k): HOST + k.location for k in all_kinds}
    row = '%-22s %-7s %9s %12s %12s %14s %14s'
    print('OCCI rendering benchmark (best of 3, seconds; per item in us)')
    print(row % ('rendering', 'what', 'items', 'render s', 'parse s',
                 'render us/it', 'parse us/it'))
    for size in (args.kinds // 4, args.kinds // 2, args.kinds):
        app = _app(all_kinds[:size])
        cats = app.registry.get_categories(None)
        for mime in RENDERINGS:
            out = app.renderings[mime]
            if 'categories' not in out.renders:
                continue
            r_time, (headers, body) = _time(lambda: out.categories(cats))
            p_time = None
            if mime in ('text/plain', 'text/occi', 'application/occi+json'):
                p_time, parsed = _time(lambda: _parse_query(
                    client, mime, headers, body))
                assert len(parsed) >= size, (mime, len(parsed))
            print(row % (mime, 'query', size, '%.4f' % r_time,
                         '-' if p_time is None else '%.4f' % p_time,
                         '%.1f' % (r_time / size * 1e6),
                         '-' if p_time is None else
                         '%.1f' % (p_time / size * 1e6)))
    kind = all_kinds[0]
    app = _app([kind])
    for size in (args.entities // 4, args.entities // 2, args.entities):
        entities = _entities(kind, size)
        for mime in RENDERINGS:
            out = app.renderings[mime]
            r_time, (headers, body) = _time(
                lambda: out.collection(entities, kind.location))
            p_time, parsed = _time(lambda: _parse_collection(
                client, mime, headers, body))
            if mime != 'text/html':
                assert len(parsed) == size, (mime, len(parsed))
            else:
                p_time = None
            print(row % (mime, 'coll', size, '%.4f' % r_time,
                         '-' if p_time is None else '%.4f' % p_time,
                         '%.1f' % (r_time / size * 1e6),
                         '-' if p_time is None else
                         '%.1f' % (p_time / size * 1e6)))
    # a single entity, for scale
    ent = _entities(kind, 1)[0]
    for mime in ('text/plain', 'text/occi', 'application/occi+json'):
        r_time, (headers, body) = _time(
            lambda: app.renderings[mime].entity(ent), repeat=200)
        p_time, _info = _time(lambda: client.parse_entity(
            _Resp(headers, body, mime), HOST + ent.identifier), repeat=200)
        print(row % (mime, 'entity', 1, '%.6f' % r_time, '%.6f' % p_time,
                     '%.1f' % (r_time * 1e6), '%.1f' % (p_time * 1e6)))
    assert parsing.split_values('a, b') == ['a', 'b']


if __name__ == '__main__':
    main()
