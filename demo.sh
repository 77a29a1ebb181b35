#!/usr/bin/env bash
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

# Main job: set up a virtualenv (.venv-hurtle), install Hurtle, start the
# embedded default (embedded Heat + CC + SM on 127.0.0.1) and walk one
# instance of the sample service through create -> active -> delete.
# (Not .venv: recent tox writes a file of that name.)
#   ./demo.sh            run the walk-through, then stop everything
#   ./demo.sh --serve    run it, then keep serving (Ctrl-C stops)
set -euo pipefail
cd "$(dirname "$0")"
venv=${HURTLE_VENV:-.venv-hurtle}
stamp="$venv/.hurtle-installed"
if [ ! -x "$venv/bin/hurtle-all" ] || [ requirements.txt -nt "$stamp" ] \
        || [ setup.cfg -nt "$stamp" ]; then
    echo "setting up $venv (first run takes a few minutes)"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install -q --upgrade pip
    "$venv/bin/python" -m pip install -q -e ".[cli]"
    touch "$stamp"
fi
exec "$venv/bin/hurtle-all" --config-file etc/hurtle/hurtle.conf --demo "$@"
