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
"""Another service's words in a reason users see.

An SO (code of the service's author) or a proxy in front of it answers
with any text; :func:`shown` makes it fit ``mcn.service.state.reason``:
one line, no markup, no credentials, at most :data:`MAX_LENGTH`
characters.
"""
import re

#: Characters of another service's message kept in a reason.
MAX_LENGTH = 200
#: What stands for a whole HTML page (e.g. a proxy's error page).
HTML_PAGE = '(an HTML page)'
#: What stands for a removed credential.
HIDDEN = '***'

_HTML_PAGE = re.compile(r'<\s*(!doctype|html|head|body|script|style)\b',
                        re.IGNORECASE)
_TAG = re.compile(r'</?[A-Za-z][^<>]*>')
# ``scheme://user:password@host``: the user information goes.
_USERINFO = re.compile(r'(?<=://)[^/\s@]+@')
# ``password=...``, ``X-Auth-Token: ...``, ``"secret": "..."``, ``Bearer
# ...``: the value goes.
_KEYED = re.compile(
    r'''([\w.-]*(?:passw(?:or)?d|secret|token|api[_-]?key|credential)'''
    r'''[\w.-]*["']?\s*[:=]\s*["']?)[^\s"',;&]+''', re.IGNORECASE)
_BEARER = re.compile(r'''\b(bearer|basic)\s+[^\s"',;&]+''', re.IGNORECASE)
_SPACE = re.compile(r'\s+')


def shown(text, limit=MAX_LENGTH):
    """``text`` as a reason may show it.

    Tags are removed (a whole HTML page becomes :data:`HTML_PAGE`),
    credentials (the user information of URLs, the value after
    ``password``, ``token``, ``secret``, ``api_key``, ``credential``,
    ``Bearer``) become :data:`HIDDEN`, control characters and runs of
    white space one space; longer than ``limit`` characters, it is cut
    and ends with ``…``.

    :param text: any object (``str()`` is taken); None gives ``''``.
    :returns: ``str``, at most ``limit`` characters.
    """
    if text is None:
        return ''
    text = str(text)
    if _HTML_PAGE.search(text):
        return HTML_PAGE
    text = _TAG.sub(' ', text)
    text = _USERINFO.sub(HIDDEN + '@', text)
    text = _KEYED.sub(lambda m: m.group(1) + HIDDEN, text)
    text = _BEARER.sub(lambda m: m.group(1) + ' ' + HIDDEN, text)
    text = ''.join(c if c.isprintable() else ' ' for c in text)
    text = _SPACE.sub(' ', text).strip()
    if len(text) > limit:
        text = text[:limit - 1].rstrip() + '…'
    return text
