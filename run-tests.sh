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

# Test suite: installs tox in .venv-tox, then runs `tox -e pep8` (flake8
# with hacking, bashate), `tox -e docs` (Sphinx, warnings are errors),
# `tox -e releasenotes` (reno) and `tox -e py3` (unit and functional tests with
# stestr). Extra arguments go to stestr, e.g.
#   ./run-tests.sh tests.unit.sm
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv-tox/bin/tox ]; then
    python3 -m venv .venv-tox
    .venv-tox/bin/python -m pip install -q --upgrade pip
    .venv-tox/bin/python -m pip install -q 'tox>=4'
fi
.venv-tox/bin/tox -e pep8,docs,releasenotes
exec .venv-tox/bin/tox -e py3 -- "$@"
