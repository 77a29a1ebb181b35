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
"""Path-prefix dispatch of the APIs' paste composites (``hurtle-sm``,
``hurtle-cc``): ``/healthcheck`` to the health check, the rest to the API.

Paste's ``urlmap`` does the same, but on every request it lower-cases and
splits the ``Host``, runs a regular expression over the path and walks
its domain-aware table: 5 % of the CPU of a ``GET`` of one instance
(py-spy, ``benchmarks/get_instance.py``). Here the table is sorted
once, longest prefix first, and a request costs a few ``startswith``.
What a request sees is what Paste's gives it: repeated slashes in
``PATH_INFO`` are collapsed (only when there are some), the scheme and
host of an absolute-form target (``GET http://host/path``) dropped, the
matched
prefix moves from ``PATH_INFO`` to the end of ``SCRIPT_NAME``, and a
path under no prefix is answered 404 (plain text). Paste's domain and
port keys (``domain example.org /``) are refused at load; an old
``api-paste.ini`` naming ``egg:Paste#urlmap`` keeps working with
Paste's.

Paste::

    [composite:hurtle-sm]
    use = call:hurtle.wsgi.urlmap:urlmap_factory
    /: sm-api
    /healthcheck: healthcheck-sm
"""
import re

_SLASHES = re.compile('//+')
#: The scheme and authority of an absolute-form request target
#: (``GET http://host/path``), which wsgiref leaves in ``PATH_INFO``.
_ABSOLUTE = re.compile('^https?://[^/]*')

NOT_FOUND_BODY = b'404 Not Found: no application at this path.\n'


class URLMap(object):
    """Dispatch to the application of the longest matching prefix.

    :param applications: ``{prefix: WSGI application}``; each prefix is
        ``/`` or a path starting with ``/`` (a trailing ``/`` is
        ignored: ``/healthcheck/`` is ``/healthcheck``).
    :param not_found: WSGI application for paths under no prefix
        (default: a plain-text 404).
    :raises ValueError: a prefix not starting with ``/``.
    """

    def __init__(self, applications, not_found=None):
        routes = []
        for prefix, application in applications.items():
            if not prefix.startswith('/'):
                raise ValueError(
                    'urlmap prefixes are paths starting with "/", not %r '
                    '(domain and port keys need egg:Paste#urlmap)'
                    % (prefix,))
            prefix = _SLASHES.sub('/', prefix).rstrip('/')
            routes.append((prefix, prefix + '/', application))
        routes.sort(key=lambda route: -len(route[0]))
        self.routes = tuple(routes)
        self.not_found = not_found or _not_found

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO') or ''
        if path[:1] != '/' and path:
            found = _ABSOLUTE.match(path)
            if found:
                path = path[found.end():]
        if '//' in path:
            path = _SLASHES.sub('/', path)
        for prefix, under, application in self.routes:
            if path.startswith(under) or path == prefix:
                if prefix:
                    environ['SCRIPT_NAME'] = \
                        environ.get('SCRIPT_NAME', '') + prefix
                    path = path[len(prefix):]
                environ['PATH_INFO'] = path
                return application(environ, start_response)
        return self.not_found(environ, start_response)


def _not_found(environ, start_response):
    start_response('404 Not Found', [
        ('Content-Type', 'text/plain; charset=utf-8'),
        ('Content-Length', str(len(NOT_FOUND_BODY)))])
    return [NOT_FOUND_BODY]


def urlmap_factory(loader, global_conf, **local_conf):
    """Paste composite factory: each ``prefix = app name`` of the section
    mounts that application; ``not_found_app = name`` answers the paths
    under none.

    :raises ValueError: a key is neither a path nor ``not_found_app``.
    """
    not_found = local_conf.pop('not_found_app', None)
    applications = {
        prefix: loader.get_app(name.strip(), global_conf=global_conf)
        for prefix, name in local_conf.items()}
    return URLMap(applications, not_found and loader.get_app(
        not_found.strip(), global_conf=global_conf))
