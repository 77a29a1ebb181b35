#!/usr/bin/env bash
# Test suite: installs tox in .venv-tox, then runs `tox -e pep8` (flake8
# with hacking, bashate) and `tox -e py3` (unit and functional tests with
# stestr). Extra arguments go to stestr, e.g.
#   ./run-tests.sh tests.unit.sm
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -x .venv-tox/bin/tox ]; then
    python3 -m venv .venv-tox
    .venv-tox/bin/python -m pip install -q --upgrade pip
    .venv-tox/bin/python -m pip install -q 'tox>=4'
fi
.venv-tox/bin/tox -e pep8
exec .venv-tox/bin/tox -e py3 -- "$@"
