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
"""Shared parts of the API benchmarks (not a benchmark itself).

* :func:`serve_sm`: in a child process, an SM (SQLite, noauth, one
  ``sample`` service, no CC) served by ``hurtle.occi.server`` with
  ``rows`` instances of project ``p1`` written through its store, plus a
  bare WSGI app answering a canned response, on the same server class
  (``same``) and on a stdlib ``ThreadingHTTPServer`` speaking HTTP/1.1
  with keep-alive (``stdlib``). Client and servers are in separate
  processes, so the client's threads do not share the servers' GIL.
* :func:`sm_with_rows`: the same SM in this process, not served.
* :func:`summary`: ``min/median/max`` of a list.
* :func:`rss_mib`: a process's resident memory; :func:`memory_mib`: its
  RSS, PSS and USS.
"""
import contextlib
import gc
import http.server
import multiprocessing
import os
import statistics
import sys
import threading
import types

sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))

KIND_PATH = '/sample/'


def summary(values, fmt='%.4f'):
    """``min/median/max`` of ``values`` formatted with ``fmt``."""
    return '/'.join(fmt % v for v in (min(values), statistics.median(values),
                                      max(values)))


@contextlib.contextmanager
def lone_child(name, module, probe, extra_conf=''):
    """One Hurtle process (``python -P -m <module>``, as
    ``hurtle.cmd.all.Child`` starts it) on a fresh state directory and
    configuration (``tests/functional/hurtle_fixture.py``'s, plus
    ``extra_conf``), not started yet: yields ``(setup, child)``, where
    ``probe(setup)`` is the URL the child answers on; the child is
    stopped (killed after 60 s) and the state removed after."""
    from hurtle.cmd import all as all_cmd
    from tests.functional import hurtle_fixture
    setup = hurtle_fixture.HurtleConfig(extra_conf=extra_conf)
    setup.setUp()
    try:
        child = all_cmd.Child(name, module, probe(setup),
                              types.SimpleNamespace(
                                  state_path=setup.state,
                                  config_file=[setup.conf_path]))
        try:
            yield setup, child
        finally:
            child.stop(grace=60)
    finally:
        setup.cleanUp()


def print_against(seen, subject, baseline, what):
    """Print min/median/max of each list of seconds in ``seen`` (``{name:
    [seconds of each run]}``) and of the ratio ``subject`` /
    ``baseline`` run by run; ``what`` says what the seconds are
    (``answering after``)."""
    for name, values in seen.items():
        print('%-11s  %s (s) %s' % (name, what, summary(values, '%.2f')))
    ratios = [a / b for a, b in zip(seen[subject], seen[baseline])]
    print('ratio %s / %s %s (min/median/max)'
          % (subject, baseline, summary(ratios, '%.2f')))


def rss_mib(pid):
    """Resident set size of process ``pid`` in MiB (``VmRSS``; 0.0 if the
    kernel gives none)."""
    with open('/proc/%d/status' % pid) as handle:
        for line in handle:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    return 0.0


def memory_mib(pid):
    """``{'rss', 'pss', 'uss'}`` of process ``pid`` in MiB, from
    ``/proc/<pid>/smaps_rollup``: resident memory; its proportional share
    (each page shared with other processes, such as the interpreter's and
    the libraries' file pages, counted 1/n); the unique part (private
    pages: what stopping it would free)."""
    fields = {}
    with open('/proc/%d/smaps_rollup' % pid) as handle:
        for line in handle:
            parts = line.split()
            if len(parts) == 3 and parts[2] == 'kB':
                fields[parts[0].rstrip(':')] = int(parts[1]) / 1024.0
    return {'rss': fields.get('Rss', 0.0), 'pss': fields.get('Pss', 0.0),
            'uss': (fields.get('Private_Clean', 0.0) +
                    fields.get('Private_Dirty', 0.0))}


class _StdlibHandler(http.server.BaseHTTPRequestHandler):
    """Serves the canned WSGI answer over HTTP/1.1 keep-alive."""

    protocol_version = 'HTTP/1.1'
    #: one write per response (headers and body), no Nagle delay
    wbufsize = 1 << 16
    disable_nagle_algorithm = True

    def do_GET(self):
        status, headers, body = self.server.canned[self.path.split('?')[0]] \
            if self.path.split('?')[0] in self.server.canned else \
            self.server.canned['*']
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def _bare_wsgi(canned):
    def app(environ, start_response):
        path = environ['PATH_INFO']
        status, headers, body = canned[path if path in canned else '*']
        start_response('%d OK' % status, [
            (name, value) for name, value in headers
            if name.lower() != 'content-length'] + [
            ('Content-Length', str(len(body)))])
        return [body]
    return app


def _paste_pipeline(sm):
    """The SM's application as ``hurtle-sm`` in the packaged
    api-paste.ini serves it (``noauth`` pipeline: request id, proxy
    headers, noauth, the SM; ``/healthcheck`` beside it), around the
    application ``sm`` built (its ``start`` is not repeated)."""
    from hurtle.sm import service
    from hurtle.wsgi import app as wsgi_app
    from paste.deploy import loadwsgi
    sm.conf.set_override('auth_strategy', 'noauth')
    sm.conf.set_override('noauth_default_project', 'p1')
    built = (sm.application, sm.lifecycle)
    service.build = lambda conf: built
    loader = loadwsgi.ConfigLoader(wsgi_app.PACKAGED_PASTE)
    return loader.get_context(
        loadwsgi.APP, 'hurtle-sm',
        global_conf={wsgi_app.CONF_KEY: sm.conf,
                     wsgi_app.BUILT_KEY: lambda built: None}).create()


def sm_with_rows(rows):
    """``(sm, ids)``: an SM (``tests.unit.sm.sm_server.SMServer`` of the
    ``sample`` service, set up; the caller cleans it up) and the ids of
    the ``rows`` instances of project ``p1`` written through its store."""
    from hurtle.db import models
    from hurtle.sm import states
    from tests.unit.sm import sm_server
    sm = sm_server.SMServer(
        {}, service_type='http://schemas.hurtle.it/occi/sm#sample')
    sm.setUp()
    ids = ['i%06d' % i for i in range(rows)]
    # One transaction through the store's sessions (a commit per row
    # would take minutes); the columns ``InstanceStore.add`` writes.
    with sm.store._sessions.begin() as session:
        session.add_all(models.ServiceInstance(
            id=ident, project='p1', service='sample',
            state=states.INITIALISE, attributes={'bench.n': str(i)},
            operation=states.FIRST_OPERATION)
            for i, ident in enumerate(ids))
    return sm, ids


def _child(conn, rows, paste):
    from hurtle.occi import server
    sm, ids = sm_with_rows(rows)
    if paste:
        srv, _t = server.serve_in_thread(_paste_pipeline(sm))
        sm.url = 'http://127.0.0.1:%d/' % srv.server_port
    canned = {}
    # As hurtle.cmd.common.serve does before serving.
    gc.freeze()
    same, _t = server.serve_in_thread(_bare_wsgi(canned))
    stdlib = http.server.ThreadingHTTPServer(('127.0.0.1', 0),
                                             _StdlibHandler)
    stdlib.canned = canned
    stdlib.daemon_threads = True
    threading.Thread(target=stdlib.serve_forever, daemon=True).start()
    conn.send({'sm': sm.url.rstrip('/'),
               'same': 'http://127.0.0.1:%d' % same.server_port,
               'stdlib': 'http://127.0.0.1:%d' % stdlib.server_port,
               'ids': ids[:5]})
    while True:
        message = conn.recv()
        if message is None:
            break
        path, status, headers, body = message
        canned[path] = (status, headers, body)
        conn.send('ok')
    sm.cleanUp()


class Servers(object):
    """The child process; ``urls`` (``sm``, ``same``, ``stdlib``) and
    ``ids`` (a few instance ids) once started. ``paste``: the SM is
    served through its api-paste.ini pipeline (as ``hurtle-sm`` serves
    it), else behind the noauth middleware alone."""

    def __init__(self, rows, paste=False):
        ctx = multiprocessing.get_context('fork')
        self._conn, child = ctx.Pipe()
        self._proc = ctx.Process(target=_child, args=(child, rows, paste),
                                 daemon=True)
        self._proc.start()
        info = self._conn.recv()
        self.ids = info.pop('ids')
        self.urls = info

    def can(self, path, status, headers, body):
        """Make the bare apps answer ``path`` (``'*'``: any) with this."""
        skip = ('content-length', 'connection', 'date', 'server',
                'transfer-encoding', 'keep-alive')
        headers = [(k, v) for k, v in headers if k.lower() not in skip]
        self._conn.send((path, status, headers, body))
        self._conn.recv()

    def stop(self):
        self._conn.send(None)
        self._proc.join(30)
