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
"""An SO bundle that is slow on purpose, for tests of the CC: a
``bundle.json`` program following the port contract (``HURTLE_SO_HOST``,
``HURTLE_SO_PORT``, ``HURTLE_SO_PORT_FILE``) that answers every GET
some seconds late, with a given status and no body, appending the path
to ``requests.log`` in the bundle first, and that exits some seconds
after its first SIGTERM (an SO saving its state, say), serving on until
then."""
import json
import os
import sys

PROGRAM = r'''
import http.server, os, signal, threading, time

class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open('requests.log', 'a') as log:
            log.write(self.path + '\n')
        time.sleep(%(answer_delay)s)
        self.send_response(%(status)d)
        self.send_header('Content-Length', '0')
        self.end_headers()

    def log_message(self, *args):
        pass

def later(signum, frame):
    threading.Thread(target=lambda: (time.sleep(%(exit_delay)s), os._exit(0)),
                     daemon=True).start()

signal.signal(signal.SIGTERM, later)
srv = http.server.ThreadingHTTPServer(
    (os.environ['HURTLE_SO_HOST'], int(os.environ['HURTLE_SO_PORT'])),
    Handler)
port_file = os.environ['HURTLE_SO_PORT_FILE']
with open(port_file + '.tmp', 'w') as handle:
    handle.write(str(srv.server_port))
os.replace(port_file + '.tmp', port_file)
srv.serve_forever()
'''


def write_bundle(directory, exit_delay=0.0, answer_delay=0.0, status=200):
    """Make ``directory`` the bundle of an SO that exits ``exit_delay``
    seconds (float) after its first SIGTERM and answers each GET
    ``answer_delay`` seconds late with ``status`` (int)."""
    with open(os.path.join(directory, 'server.py'), 'w') as handle:
        handle.write(PROGRAM % {'exit_delay': float(exit_delay),
                                'answer_delay': float(answer_delay),
                                'status': int(status)})
    with open(os.path.join(directory, 'bundle.json'), 'w') as handle:
        json.dump({'command': [sys.executable, 'server.py']}, handle)
