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
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
    cat <<'USAGE'
Usage: ./run-tests.sh [STESTR-FILTER...]

Lints (tox -e pep8), builds the docs and release notes, then runs the
tests with stestr (tox -e py3). Filters are stestr's regular
expressions, e.g. ./run-tests.sh tests.unit or
./run-tests.sh tests.unit.occi.test_parsing; none runs every test.
USAGE
    exit 0
fi
if [ ! -x .venv-tox/bin/tox ]; then
    python3 -m venv .venv-tox
    .venv-tox/bin/python -m pip install -q --upgrade pip
    .venv-tox/bin/python -m pip install -q 'tox>=4'
fi
# The four environments are made at once (most of a fresh clone's
# set-up is pip), then the real Keystone's and Aodh's virtualenvs are made
# in the background (tests/prepare_venvs.py) while the linters and the
# docs run; the tests that need them wait on the fixtures' locks.
.venv-tox/bin/tox run-parallel --parallel-no-spinner --notest \
    -e pep8,docs,releasenotes,py3
.tox/py3/bin/python tests/prepare_venvs.py >.tox/prepare-venvs.log 2>&1 &
.venv-tox/bin/tox -e pep8,docs,releasenotes
exec .venv-tox/bin/tox -e py3 -- "$@"
