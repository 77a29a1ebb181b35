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
"""``[wsgi]`` options: the HTTP server of the SM, CC and SO APIs and of
the embedded Heat's API.

Names follow oslo.service's wsgi options where one exists
(``client_socket_timeout``, ``wsgi_default_pool_size``,
``wsgi_keep_alive``, ``backlog``); Hurtle keeps them in their own group
because its server is ``hurtle.occi.server``, not oslo.service's.
"""
from oslo_config import cfg

wsgi_group = cfg.OptGroup('wsgi', title='HTTP server of the Hurtle APIs')

wsgi_opts = [
    cfg.FloatOpt('client_socket_timeout', default=30.0, min=0.1,
                 help='Seconds a client may take to send a request line '
                      'and all its headers (however slowly it trickles '
                      'them). Past it the '
                      'client gets 408 Request Timeout and the connection '
                      'is closed. Also the socket timeout of writing a '
                      'response.'),
    cfg.FloatOpt('keep_alive_timeout', default=5.0, min=0.1,
                 help='Seconds a kept-alive connection may stay idle '
                      'between two requests before it is closed (it holds '
                      'a worker meanwhile).'),
    cfg.FloatOpt('client_body_timeout', default=30.0, min=0.1,
                 help='Seconds a client may take to send a request body '
                      'once its headers arrived (408 and close after).'),
    cfg.IntOpt('wsgi_default_pool_size', default=100, min=1,
               help='Connections served at once (one thread each). '
                    'When all are taken, a new connection closes the one '
                    'idle longest (kept alive between requests, or not '
                    'yet sending) and takes its thread; only when every '
                    'connection is within a request is it answered 503 '
                    'with Retry-After and closed.'),
    cfg.IntOpt('backlog', default=128, min=1,
               help='Listen backlog of the API sockets.'),
    cfg.BoolOpt('wsgi_keep_alive', default=True,
                help='Serve several requests per connection (HTTP/1.1 '
                     'keep-alive). If False, every response closes its '
                     'connection.'),
    cfg.IntOpt('max_header_size', default=65536, min=1024,
               help='Bytes a request line and its headers may take in all. '
                    'Past it the client gets 431 Request Header Fields Too '
                    'Large at once (the rest is not read) and the '
                    'connection is closed; a request line alone longer '
                    'than this gets 414.'),
    cfg.IntOpt('retry_after', default=1, min=0,
               help='Retry-After (seconds) of the 503 sent when every '
                    'worker is busy.'),
    cfg.FloatOpt('max_wait', default=20.0, min=0.0, max=3600.0,
                 help='Most seconds a conditional GET of one entity '
                      '(If-None-Match with Prefer: wait=N) is held '
                      'waiting for the entity to change, whatever N the '
                      'client asks for; 0 never holds (such a GET is '
                      'answered 304 at once). Only entities whose kind '
                      'can tell of a change are held (the SO\'s '
                      'orchestrator, the CC\'s stack).'),
    cfg.IntOpt('max_held_requests', min=0,
               help='Most GETs held at once (each takes a worker of '
                    'wsgi_default_pool_size); past it a GET is answered '
                    'at once and its client looks again later. Unset: '
                    'half of wsgi_default_pool_size.'),
]


def register_opts(conf):
    conf.register_group(wsgi_group)
    conf.register_opts(wsgi_opts, group=wsgi_group)


def list_opts():
    return {wsgi_group.name: wsgi_opts}


def server_options(conf):
    """Keyword arguments of ``hurtle.occi.server.make_server`` from
    ``conf.wsgi``."""
    group = conf.wsgi
    return {'header_timeout': group.client_socket_timeout,
            'body_timeout': group.client_body_timeout,
            'pool_size': group.wsgi_default_pool_size,
            'backlog': group.backlog,
            'keep_alive': group.wsgi_keep_alive,
            'retry_after': group.retry_after,
            'idle_timeout': group.keep_alive_timeout,
            'max_header_size': group.max_header_size,
            'max_wait': group.max_wait,
            'max_held': group.max_held_requests}
