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
"""The baseline of ``benchmarks/wsgi_servers.py``: a bare WSGI application
answering each path with a recorded response.

``HURTLE_BENCH_BODIES`` names a JSON file ``{path: [status line,
content type, body]}`` (the SM's own answers); other paths get 404.
``python benchmarks/bare_wsgi.py PORT --config-file hurtle.conf`` serves
it with Hurtle's built-in server and the ``[wsgi]`` options the SM uses.
"""
import json
import os
import sys

with open(os.environ['HURTLE_BENCH_BODIES'], encoding='utf-8') as _handle:
    BODIES = {path: (status, ctype, body.encode('utf-8'))
              for path, (status, ctype, body) in json.load(_handle).items()}
NOT_FOUND = ('404 Not Found', 'text/plain', b'not found\n')


def application(environ, start_response):
    status, ctype, body = BODIES.get(environ.get('PATH_INFO'), NOT_FOUND)
    start_response(status, [('Content-Type', ctype),
                            ('Content-Length', str(len(body)))])
    return [body]


def main():
    sys.path.insert(0, os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    from hurtle.conf import wsgi as wsgi_conf
    from hurtle.occi import server as occi_server
    from hurtle import service
    conf = service.prepare_service(sys.argv[2:], 'bare WSGI baseline',
                                   state=False)
    server = occi_server.make_server(application, '127.0.0.1',
                                     int(sys.argv[1]),
                                     **wsgi_conf.server_options(conf))
    server.serve_forever()


if __name__ == '__main__':
    main()
