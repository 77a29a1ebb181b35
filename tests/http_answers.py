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
"""Answers of the small recording HTTP servers tests stand up for a
service that cannot run in-process (``http.server`` handlers)."""
import http.server
import json


def send_json(handler, status, doc):
    """Answer ``status`` with the JSON body ``doc`` on ``handler`` (a
    ``BaseHTTPRequestHandler``), with its length."""
    body = json.dumps(doc).encode()
    handler.send_response(status)
    handler.send_header('Content-Type', 'application/json')
    handler.send_header('Content-Length', str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class Unauthorized(http.server.BaseHTTPRequestHandler):
    """Answers every GET 401 with no body, as an SO asked without its
    secret does: alive to a liveness probe."""

    def do_GET(self):
        self.send_response(401)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, *args):
        pass
