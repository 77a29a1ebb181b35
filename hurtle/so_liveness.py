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
"""The one rule of an SO's liveness: it answers ``GET <SO URL>-/`` with
any HTTP status, within a timeout.

Two probes follow it: the CC's own (:mod:`hurtle.cc.liveness`, for the
``local`` and ``shared`` runtimes) and ``hurtle-so-probe``
(:mod:`hurtle.cmd.so_probe`, run by the kubelet inside an SO's pod).
Every path of the SO API answers 401 without the SO's secret, which no
probe has: the answer, whatever its status, is what shows the SO alive.

It imports the standard library only, since ``hurtle-so-probe`` runs it
every ``periodSeconds`` in a new interpreter.
"""
import http.client
import socket
import urllib.parse


def probe(url, timeout):
    """Ask the SO API at ``url`` (its base URL, ``http://host:port/``
    or ``https://...``, ending in ``/``) for ``-/``, without credentials,
    proxies or redirects; an ``https`` URL's certificate is verified.

    :param timeout: seconds to connect, and again to get the answer.
    :returns: None when it answered HTTP (any status), else why not (a
        short sentence: ``no answer within <timeout> s`` or ``unreachable
        (<reason>)``).
    :raises ValueError: ``url`` is not an http or https URL with a host.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ('http', 'https') or not parts.hostname:
        raise ValueError('not an http(s) URL: %r' % url)
    connection = (http.client.HTTPSConnection if parts.scheme == 'https'
                  else http.client.HTTPConnection)
    conn = connection(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request('GET', (parts.path or '/') + '-/',
                     headers={'Accept': 'text/plain'})
        conn.getresponse().read(1024)
    except (socket.timeout, TimeoutError):
        return 'no answer within %g s' % timeout
    except (OSError, http.client.HTTPException) as exc:
        return 'unreachable (%s)' % (
            exc.strerror if isinstance(exc, OSError) and exc.strerror
            else type(exc).__name__)
    finally:
        conn.close()
    return None
